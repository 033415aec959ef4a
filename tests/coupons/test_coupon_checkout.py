"""The functions the work-order checkout calls: value, use, restore, stacking, earned rewards."""

from datetime import timedelta

import pytest

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.coupons import issuing, services
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.extensions import db
from tests.factories import labor, make_template, new_member, part


def _issue(app, template_id, member_id, source="staff"):
    with app.app_context():
        coupon_id = issuing.issue(template_id=template_id, member_id=member_id, source=source).id
        db.session.commit()
    return coupon_id


def _value(coupon_id, member_id, lines, total_fen=None, **kwargs):
    total = sum(line["line_total_fen"] for line in lines) if total_fen is None else total_fen
    return services.value_for_order(
        member_coupon_id=coupon_id, member_id=member_id, lines=lines, total_fen=total, **kwargs
    )


def test_cash_off_needs_the_threshold_and_is_capped_at_the_total(app, member_id, catalog):
    coupon_id = _issue(app, make_template(app, value_fen=2000, threshold_fen=10000), member_id)
    with app.app_context():
        with pytest.raises(Unprocessable) as below:
            _value(coupon_id, member_id, [labor(catalog["wash"], 5000, 1)])
        assert below.value.code == "coupon_not_applicable"
        assert _value(coupon_id, member_id, [labor(catalog["wash"], 5000, 2)]) == 2000
    no_threshold = _issue(app, make_template(app, value_fen=8000, threshold_fen=0), member_id)
    with app.app_context():
        assert _value(no_threshold, member_id, [labor(catalog["wash"], 5000, 1)]) == 5000


def test_percent_off_rounds_down_and_stops_at_its_cap(app, member_id, catalog):
    template_id = make_template(
        app, kind="percent_off", value_fen=None, threshold_fen=None, percent_off=15, max_off_fen=6000
    )
    coupon_id = _issue(app, template_id, member_id)
    with app.app_context():
        assert _value(coupon_id, member_id, [labor(catalog["wash"], 3333, 1)]) == 499  # 499.95 rounds down
        assert _value(coupon_id, member_id, [labor(catalog["oil"], 30000, 2, "maintenance")]) == 6000


def test_restricted_coupons_count_only_their_lines(app, member_id, catalog):
    template_id = make_template(
        app,
        kind="percent_off",
        value_fen=None,
        threshold_fen=None,
        percent_off=50,
        applicable_categories=["maintenance"],
    )
    coupon_id = _issue(app, template_id, member_id)
    lines = [labor(catalog["wash"], 5000), labor(catalog["oil"], 30000, 1, "maintenance"), part(7, 20000)]
    with app.app_context():
        assert _value(coupon_id, member_id, lines) == 15000
        with pytest.raises(Unprocessable):
            _value(coupon_id, member_id, [labor(catalog["wash"], 5000), part(7, 20000)])
    by_item = _issue(
        app, make_template(app, value_fen=3000, threshold_fen=6000, applicable_item_ids=[catalog["wash"]]), member_id
    )
    with app.app_context():
        with pytest.raises(Unprocessable):  # only 5000 of wash: below the 6000 threshold
            _value(by_item, member_id, lines)
        assert _value(by_item, member_id, [labor(catalog["wash"], 5000, 2)] + lines[1:]) == 3000


def test_item_voucher_is_worth_one_uncovered_unit(app, member_id, catalog):
    template_id = make_template(
        app, kind="item_voucher", value_fen=None, threshold_fen=None, service_item_id=catalog["wash"]
    )
    coupon_id = _issue(app, template_id, member_id)
    lines = [labor(catalog["wash"], 4500, 2), labor(catalog["oil"], 30000, 1, "maintenance")]
    with app.app_context():
        assert _value(coupon_id, member_id, lines) == 4500
        assert _value(coupon_id, member_id, lines, already_covered_units={catalog["wash"]: 1}) == 4500
        with pytest.raises(Unprocessable) as covered:
            _value(coupon_id, member_id, lines, already_covered_units={catalog["wash"]: 2})
        assert covered.value.code == "coupon_not_applicable"
        with pytest.raises(Unprocessable):
            _value(coupon_id, member_id, [labor(catalog["oil"], 30000, 1, "maintenance")])


def test_covered_units_leave_the_applicable_total(app, member_id, catalog):
    coupon_id = _issue(app, make_template(app, value_fen=2000, threshold_fen=10000), member_id)
    lines = [labor(catalog["wash"], 5000, 2), labor(catalog["oil"], 6000, 1, "maintenance")]
    with app.app_context():
        assert _value(coupon_id, member_id, lines) == 2000  # 16000 reaches 10000
        with pytest.raises(Unprocessable):  # a card pays both washes: 6000 left
            _value(coupon_id, member_id, lines, already_covered_units={catalog["wash"]: 2})


def test_another_members_coupon_is_not_found(app, member_id, catalog):
    coupon_id = _issue(app, make_template(app), member_id)
    other = new_member(app, phone="13900000002")
    with app.app_context():
        with pytest.raises(NotFound):
            _value(coupon_id, other, [labor(catalog["wash"], 50000)])
        with pytest.raises(NotFound):
            services.use(member_coupon_id=coupon_id, member_id=other, ref_type="work_order", ref_id=1)
        with pytest.raises(NotFound):
            services.coupon_infos(member_coupon_ids=[coupon_id], member_id=other)


def test_use_is_once_and_refunds_restore_a_still_valid_coupon(app, member_id, catalog):
    coupon_id = _issue(app, make_template(app), member_id)
    lines = [labor(catalog["wash"], 50000)]
    with app.app_context():
        used = services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=7)
        assert used.status == "used" and used.used_ref_id == 7
        db.session.commit()
        for attempt in (
            lambda: services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=8),
            lambda: _value(coupon_id, member_id, lines),
        ):
            with pytest.raises(Conflict) as refused:
                attempt()
            assert refused.value.code == "coupon_used"
        restored = services.restore_reference(ref_type="work_order", ref_id=7)
        assert [coupon.id for coupon in restored] == [coupon_id] and restored[0].status == "unused"
        assert services.restore_reference(ref_type="work_order", ref_id=7) == []
        db.session.commit()
        assert _value(coupon_id, member_id, lines) == 2000
        services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=9)
        db.session.commit()
        kinds = db.session.scalars(
            db.select(CouponEvent.kind).where(CouponEvent.member_coupon_id == coupon_id).order_by(CouponEvent.id)
        ).all()
        assert kinds == ["issue", "use", "restore", "use"]


def test_a_refund_after_expiry_leaves_the_coupon_used(app, member_id, fixed_clock):
    coupon_id = _issue(app, make_template(app, valid_days=3), member_id)
    with app.app_context():
        services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=1)
        db.session.commit()
        clock.set_now(fixed_clock + timedelta(days=5))
        assert services.restore_reference(ref_type="work_order", ref_id=1) == []
        assert db.session.get(MemberCoupon, coupon_id).status == "used"


def test_expired_and_not_yet_valid_coupons_cannot_be_used(app, member_id, catalog, fixed_clock):
    coupon_id = _issue(app, make_template(app, valid_days=2), member_id)
    later = make_template(
        app,
        valid_days=None,
        valid_from=(fixed_clock + timedelta(days=10)).date(),
        valid_until=(fixed_clock + timedelta(days=20)).date(),
    )
    future_id = _issue(app, later, member_id)
    with app.app_context():
        with pytest.raises(Conflict) as early:
            services.use(member_coupon_id=future_id, member_id=member_id, ref_type="work_order", ref_id=1)
        assert early.value.code == "coupon_not_started"
        clock.set_now(fixed_clock + timedelta(days=2))
        with pytest.raises(Conflict) as expired:
            services.use(member_coupon_id=coupon_id, member_id=member_id, ref_type="work_order", ref_id=1)
        assert expired.value.code == "coupon_expired"
        with pytest.raises(Conflict):
            _value(coupon_id, member_id, [labor(catalog["wash"], 50000)])
        assert db.session.get(MemberCoupon, coupon_id).status == "unused"


def test_infos_and_stacking(app, member_id, catalog):
    cash = _issue(app, make_template(app), member_id)
    percent = _issue(app, make_template(app, kind="percent_off", value_fen=None, percent_off=10), member_id)
    voucher_template = make_template(
        app,
        kind="item_voucher",
        value_fen=None,
        threshold_fen=None,
        service_item_id=catalog["wash"],
        per_member_limit=None,
    )
    voucher, voucher2 = _issue(app, voucher_template, member_id), _issue(app, voucher_template, member_id)
    with app.app_context():
        infos = services.coupon_infos(member_coupon_ids=[cash, voucher], member_id=member_id)
        assert infos[cash]["kind"] == "cash_off" and infos[voucher]["service_item_id"] == catalog["wash"]
        assert services.coupon_kind(percent) == "percent_off"
        services.check_stacking([cash, voucher, voucher2])
        with pytest.raises(Unprocessable):
            services.check_stacking([cash, percent])
        with pytest.raises(Unprocessable):
            services.check_stacking([voucher, voucher])


def test_a_refused_issue_leaves_nothing_in_the_callers_transaction(app, member_id):
    limited = make_template(app, total_stock=1, claimable=False)
    other = new_member(app, phone="13900000002")
    _issue(app, limited, other)
    with app.app_context():
        with pytest.raises(Conflict) as refused:
            issuing.issue(template_id=limited, member_id=member_id, source="campaign", ref_type="campaign", ref_id=3)
        assert refused.value.code == "coupon_out_of_stock"
        db.session.commit()  # a campaign job carries on with its other members
        assert db.session.scalar(db.select(db.func.count()).select_from(MemberCoupon)) == 1


def test_earned_rewards_ignore_stock_limit_and_retirement(app, member_id):
    template_id = make_template(app, total_stock=0, per_member_limit=1, claimable=False)
    with app.app_context():
        db.session.get(CouponTemplate, template_id).is_active = False
        db.session.commit()
    first = _issue(app, template_id, member_id, source="stamp_reward")
    second = _issue(app, template_id, member_id, source="stamp_reward")
    with app.app_context():
        assert first != second
        assert db.session.get(CouponTemplate, template_id).issued_count == 0
        with pytest.raises(Conflict):
            issuing.issue(template_id=template_id, member_id=member_id, source="staff")


def test_void_withdraws_only_unused_coupons(app, member_id):
    template_id = make_template(app, per_member_limit=None)
    unused, used = _issue(app, template_id, member_id), _issue(app, template_id, member_id)
    with app.app_context():
        services.use(member_coupon_id=used, member_id=member_id, ref_type="work_order", ref_id=1)
        assert services.void(member_coupon_id=unused, ref_type="work_order", ref_id=2) is True
        assert services.void(member_coupon_id=used, ref_type="work_order", ref_id=2) is False
        assert services.list_member_coupons(member_id=member_id, status="unused")["total"] == 0
        assert services.list_member_coupons(member_id=member_id)["total"] == 1


def test_coupons_expiring_in_a_window(app, member_id, fixed_clock):
    soon = _issue(app, make_template(app, valid_days=2), member_id)
    _issue(app, make_template(app, valid_days=30), member_id)
    with app.app_context():
        found = db.session.execute(services.coupons_expiring(start=fixed_clock, end=fixed_clock + timedelta(days=3)))
        assert [(row.member_id, row.member_coupon_id) for row in found] == [(member_id, soon)]
