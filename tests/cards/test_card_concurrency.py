"""Package-card units and stamp rewards under real concurrent transactions (threads, each with
its own connection); the same tests run on SQLite and on PostgreSQL."""

from sqlalchemy import func, select

from app.cards import services
from app.cards.models import PackageCardEntry
from app.coupons.models import MemberCoupon
from app.extensions import db
from tests.factories import make_stamp_template
from tests.helpers import run_concurrently
from tests.ledgers import package_ledger_holds, stamp_ledger_holds


def test_twenty_concurrent_redemptions_of_an_item_with_three_left_give_exactly_three(
    app, member_id, package_template, catalog
):
    with app.app_context():
        card_id = services.sell_package_card(member_id=member_id, template_id=package_template, paid_via="cash").id
        db.session.commit()

    outcomes = run_concurrently(
        app,
        lambda i: services.redeem_item(
            card_id=card_id, member_id=member_id, service_item_id=catalog["wash"], ref_type="work_order", ref_id=100 + i
        ),
        20,
    )

    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("card_item_empty") == 17, outcomes
    with app.app_context():
        assert package_ledger_holds(card_id)[catalog["wash"]] == 0
        assert (
            db.session.scalar(
                select(func.count()).select_from(PackageCardEntry).where(PackageCardEntry.kind == "redeem")
            )
            == 3
        )


def test_concurrent_stamps_fill_a_card_once(app, member_id, catalog, reward_template):
    make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=5)

    outcomes = run_concurrently(
        app,
        lambda i: services.add_stamps(
            member_id=member_id, service_item_ids=[catalog["wash"]], ref_type="work_order", ref_id=i
        ),
        12,
    )

    assert outcomes == ["ok"] * 12
    with app.app_context():
        cards = stamp_ledger_holds(member_id)
        assert [(c.status, c.stamps) for c in cards] == [("completed", 5), ("completed", 5), ("active", 2)]
        assert db.session.scalar(select(func.count()).select_from(MemberCoupon)) == 2
