"""Stamp cards: progress, the reward on the last stamp, roll-over, replays, take-backs, expiry."""

from datetime import timedelta

from sqlalchemy import func, select

from app.cards import services
from app.cards.models import StampCard
from app.common import clock
from app.coupons import services as coupons
from app.coupons.models import MemberCoupon
from app.extensions import db
from tests.factories import make_stamp_template
from tests.ledgers import stamp_ledger_holds


def _stamp(member_id, item_ids, ref_id):
    return services.add_stamps(member_id=member_id, service_item_ids=item_ids, ref_type="work_order", ref_id=ref_id)


def _coupons(member_id):
    return db.session.scalars(
        select(MemberCoupon)
        .where(MemberCoupon.member_id == member_id)
        .order_by(MemberCoupon.id)
        .execution_options(populate_existing=True)
    ).all()


def test_the_last_stamp_issues_exactly_one_reward_and_opens_a_new_card(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=3)
    with app.app_context():
        assert _stamp(member_id, [catalog["wash"]], 1) == []
        assert _stamp(member_id, [catalog["wash"], catalog["oil"]], 2) == []  # oil earns no stamp
        rewards = _stamp(member_id, [catalog["wash"]], 3)
        assert len(rewards) == 1 and rewards[0].source == "stamp_reward"
        assert _stamp(member_id, [catalog["wash"]], 3) == []  # a replay adds nothing
        db.session.commit()
        cards = stamp_ledger_holds(member_id)
        assert [(c.status, c.stamps, c.is_open) for c in cards] == [("completed", 3, None), ("active", 0, True)]
        assert cards[0].reward_coupon_id == rewards[0].id
        assert [c.id for c in _coupons(member_id)] == [rewards[0].id]
        assert _coupons(member_id)[0].template_id == reward_template


def test_stamps_beyond_the_required_roll_over_and_may_fill_the_next_card(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"], catalog["oil"]], reward_template, stamps_required=2)
    with app.app_context():
        _stamp(member_id, [catalog["wash"]], 1)
        rewards = _stamp(member_id, [catalog["wash"], catalog["oil"], catalog["wash"], catalog["oil"]], 2)
        assert len(rewards) == 2
        db.session.commit()
        cards = stamp_ledger_holds(member_id)
        assert [(c.status, c.stamps) for c in cards] == [("completed", 2), ("completed", 2), ("active", 1)]


def test_every_template_listing_the_item_counts_it(app, member_id, catalog, reward_template):
    first = make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=5)
    second = make_stamp_template(app, [catalog["wash"], catalog["oil"]], reward_template, stamps_required=5)
    with app.app_context():
        _stamp(member_id, [catalog["wash"], catalog["oil"]], 1)
        db.session.commit()
        cards = {card.template_id: card.stamps for card in stamp_ledger_holds(member_id)}
        assert cards == {first: 1, second: 2}


def test_taking_back_stamps_of_an_open_card(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=5)
    with app.app_context():
        _stamp(member_id, [catalog["wash"]], 1)
        _stamp(member_id, [catalog["wash"], catalog["wash"]], 2)
        result = services.remove_stamps(ref_type="work_order", ref_id=2)
        assert result[0]["removed"] == 2 and result[0]["voided_coupon_ids"] == []
        assert services.remove_stamps(ref_type="work_order", ref_id=2) == []
        db.session.commit()
        assert [c.stamps for c in stamp_ledger_holds(member_id)] == [1]


def test_taking_back_the_filling_stamp_voids_the_unused_reward(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=3)
    with app.app_context():
        for ref_id in (1, 2, 3):
            rewards = _stamp(member_id, [catalog["wash"]], ref_id)
        result = services.remove_stamps(ref_type="work_order", ref_id=3)
        assert result[0]["voided_coupon_ids"] == [rewards[0].id] and result[0]["removed"] == 1
        db.session.commit()
        cards = stamp_ledger_holds(member_id)
        assert [(c.status, c.stamps) for c in cards] == [("revoked", 0), ("active", 2)]
        assert _coupons(member_id)[0].status == "void"
        # Filling the card again issues a new reward.
        assert len(_stamp(member_id, [catalog["wash"]], 4)) == 1


def test_a_later_stamp_keeps_the_reward_when_an_earlier_one_is_taken_back(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=3)
    with app.app_context():
        for ref_id in (1, 2, 3, 4):
            _stamp(member_id, [catalog["wash"]], ref_id)
        services.remove_stamps(ref_type="work_order", ref_id=2)
        db.session.commit()
        assert [(c.status, c.stamps) for c in stamp_ledger_holds(member_id)] == [("completed", 3), ("active", 0)]
        assert _coupons(member_id)[0].status == "unused"


def test_a_used_reward_stays_and_the_stamps_are_forgiven(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=2)
    with app.app_context():
        _stamp(member_id, [catalog["wash"]], 1)
        reward = _stamp(member_id, [catalog["wash"]], 2)[0]
        coupons.use(member_coupon_id=reward.id, member_id=member_id, ref_type="work_order", ref_id=3)
        result = services.remove_stamps(ref_type="work_order", ref_id=2)
        assert result[0] == {
            "template_id": result[0]["template_id"],
            "removed": 0,
            "forgiven": 1,
            "voided_coupon_ids": [],
        }
        db.session.commit()
        assert [(c.status, c.stamps) for c in stamp_ledger_holds(member_id)] == [("completed", 2), ("active", 0)]
        assert _coupons(member_id)[0].status == "used"


def test_an_expired_card_lapses_and_a_new_one_starts(app, member_id, catalog, reward_template, fixed_clock):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=3, valid_days=10)
    with app.app_context():
        _stamp(member_id, [catalog["wash"]], 1)
        _stamp(member_id, [catalog["wash"]], 2)
        db.session.commit()
        open_card = services.stamp_services.list_open_cards(member_id=member_id)[0]
        assert open_card["status"] == "active"
        clock.set_now(fixed_clock + timedelta(days=10))
        assert services.stamp_services.list_open_cards(member_id=member_id)[0]["status"] == "expired"
        assert _stamp(member_id, [catalog["wash"]], 3) == []
        # Taking back a reference whose stamps lapsed takes nothing from the new card.
        assert services.remove_stamps(ref_type="work_order", ref_id=1)[0]["removed"] == 0
        db.session.commit()
        cards = stamp_ledger_holds(member_id)
        assert [(c.status, c.stamps) for c in cards] == [("expired", 0), ("active", 1)]
        assert cards[1].expires_at > clock.now()


def test_inactive_templates_stamp_nothing(app, member_id, catalog, reward_template):
    template_id = make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=3)
    with app.app_context():
        from app.cards.models import StampCardTemplate

        db.session.get(StampCardTemplate, template_id).is_active = False
        _stamp(member_id, [catalog["wash"]], 1)
        assert db.session.scalar(select(func.count()).select_from(StampCard)) == 0
        assert _stamp(member_id, [], 2) == []


def test_staff_see_a_members_open_stamp_cards(api, staff_tokens, member_login, app, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=4)
    _, member = member_login("alice")
    with app.app_context():
        _stamp(member["id"], [catalog["wash"]], 1)
        db.session.commit()
    response = api.get(f"/members/{member['id']}/stamp-cards", staff_tokens["cashier"])
    assert response.status_code == 200
    assert [(c["stamps"], c["stamps_required"]) for c in response.json["items"]] == [(1, 4)]
