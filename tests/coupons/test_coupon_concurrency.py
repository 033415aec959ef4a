"""Once-only facts under real concurrent transactions (threads, each with its own connection).

They run on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row locks and
conditional updates re-checked after the lock) alike.
"""

from functools import partial

from sqlalchemy import func, select

from app.coupons import issuing, services
from app.coupons.models import CouponTemplate, MemberCoupon
from app.extensions import db
from tests.factories import make_template
from tests.helpers import Api, login_member, run_concurrently, run_together


def test_twenty_concurrent_uses_of_one_coupon_succeed_once(app, member_id):
    template_id = make_template(app)
    with app.app_context():
        coupon_id = issuing.issue(template_id=template_id, member_id=member_id, source="staff").id
        db.session.commit()

    outcomes = run_concurrently(
        app,
        lambda i: services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=100 + i),
        20,
    )

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("coupon_used") == 19, outcomes
    with app.app_context():
        assert db.session.get(MemberCoupon, coupon_id).status == "used"


def test_twenty_concurrent_claims_of_a_stock_of_five_give_exactly_five(app, client):
    template_id = make_template(app, total_stock=5)
    api = Api(client)
    tokens = [login_member(api, f"racer-{index}")[0] for index in range(20)]

    def claim(index):
        response = Api(app.test_client()).post(f"/coupon-templates/{template_id}/claim", tokens[index])
        return (
            response.status_code,
            response.get_json()["error"]["code"] if response.status_code != 201 else None,
        )

    statuses = run_together(*(partial(claim, index) for index in range(20)))

    assert statuses.count((201, None)) == 5, statuses
    assert statuses.count((409, "coupon_out_of_stock")) == 15, statuses
    with app.app_context():
        assert db.session.get(CouponTemplate, template_id).issued_count == 5
        assert db.session.scalar(select(func.count()).select_from(MemberCoupon)) == 5


def test_concurrent_claims_by_one_member_respect_the_per_member_limit(app, member_id):
    template_id = make_template(app, per_member_limit=2)

    outcomes = run_concurrently(app, lambda i: issuing.claim(template_id=template_id, member_id=member_id), 12)

    assert outcomes.count("ok") == 2, outcomes
    assert outcomes.count("coupon_limit_reached") == 10, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MemberCoupon)) == 2


def test_concurrent_earned_rewards_for_one_member_are_all_issued(app, member_id):
    template_id = make_template(app, claimable=False)
    outcomes = run_concurrently(
        app,
        lambda i: issuing.issue(
            template_id=template_id, member_id=member_id, source="stamp_reward", ref_type="stamp_card", ref_id=i
        ),
        8,
    )

    assert outcomes == ["ok"] * 8
    with app.app_context():
        seqs = db.session.scalars(select(MemberCoupon.seq).where(MemberCoupon.member_id == member_id)).all()
        assert sorted(seqs) == list(range(1, 9))
