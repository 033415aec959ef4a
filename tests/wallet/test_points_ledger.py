"""Points rules at the service level: earning, lots and their expiry day, FIFO, redeeming, reversals."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.common import clock
from app.common.errors import Conflict, Unprocessable
from app.extensions import db
from app.members.services import update_member_by_staff
from app.members.tiers.services import create_tier
from app.merchant.services import update_settings
from app.wallet import points
from app.wallet.models import PointsEntry, PointsLot
from tests.ledgers import ledger_state, session_count

SHANGHAI = timezone(timedelta(hours=8))


def at(year, month, day, hour=12, minute=0):
    """A Shanghai wall-clock instant (the merchant's default timezone)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def lots(member_id):
    return db.session.scalars(
        select(PointsLot)
        .where(PointsLot.member_id == member_id)
        .order_by(PointsLot.id)
        .execution_options(populate_existing=True)
    ).all()


def test_points_for_payment_floors_and_applies_the_multiplier():
    assert points.points_for_payment(12345, 1, 1) == 123
    assert points.points_for_payment(12345, 1.5, 1) == 185  # 185.175
    assert points.points_for_payment(10000, 1.2, 2) == 240
    assert points.points_for_payment(99, 1, 1) == 0


def test_earn_uses_the_tier_multiplier_and_a_reference_earns_once(app, member_id):
    with app.app_context():
        gold = create_tier(data={"name": "金卡", "rank": 2, "labor_discount_percent": 10, "points_multiplier": 1.5})
        update_member_by_staff(member_id=member_id, changes={"tier_id": gold.id})
        assert points.earn(member_id=member_id, paid_fen=20000, ref_type="work_order", ref_id=1) == 300
        assert points.earn(member_id=member_id, paid_fen=20000, ref_type="work_order", ref_id=1) == 300
        assert session_count(PointsEntry) == 1
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 300


def test_a_lot_expires_at_the_start_of_the_local_day_its_validity_ends(app, member_id):
    with app.app_context():
        update_settings(changes={"points_valid_months": 12})
        # 23:30 in Shanghai on Jan 15 is still Jan 15 locally (15:30 UTC).
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 15, 23, 30))
        points.earn(member_id=member_id, paid_fen=5000, ref_type="work_order", ref_id=2, now=at(2025, 1, 16, 0, 10))
        first, second = lots(member_id)
        assert first.expires_at == at(2026, 1, 15, 0, 0)
        assert second.expires_at == at(2026, 1, 16, 0, 0)
        assert points.expire_points(now=at(2026, 1, 14, 23, 59)) == 0
        assert points.live_points(member_id=member_id, now=at(2026, 1, 14, 23, 59)) == 150
        assert points.expire_points(now=at(2026, 1, 15, 0, 0)) == 100
        assert points.live_points(member_id=member_id, now=at(2026, 1, 15, 0, 1)) == 50
        assert points.expire_points(now=at(2026, 1, 15, 9, 0)) == 0  # a lot expires once
        assert points.expire_points(now=at(2026, 1, 16, 0, 0)) == 50
        assert points.expire_points(now=at(2026, 2, 1)) == 0
        expiries = db.session.scalars(
            select(PointsEntry).where(PointsEntry.kind == "expiry").order_by(PointsEntry.id)
        ).all()
        assert [(e.points, e.lot_id) for e in expiries] == [(-100, first.id), (-50, second.id)]
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 0


def test_the_expiry_job_writes_each_members_entries_with_a_running_balance(app, member_id):
    with app.app_context():
        update_settings(changes={"points_valid_months": 12})
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 10))
        points.earn(member_id=member_id, paid_fen=3000, ref_type="work_order", ref_id=2, now=at(2025, 1, 11))
        points.earn(member_id=member_id, paid_fen=7000, ref_type="work_order", ref_id=3, now=at(2025, 6, 1))
        points.redeem(member_id=member_id, points=40, ref_type="work_order", ref_id=4, now=at(2025, 2, 1))
        assert points.expire_points(now=at(2026, 1, 12)) == 90  # 60 left of the first lot, then 30
        expiries = db.session.scalars(
            select(PointsEntry).where(PointsEntry.kind == "expiry").order_by(PointsEntry.id)
        ).all()
        assert [(e.points, e.balance_after) for e in expiries] == [(-60, 100), (-30, 70)]
        assert points.expire_points(now=at(2026, 1, 12)) == 0
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 70


def test_month_end_lots_expire_on_the_clamped_day(app, member_id):
    with app.app_context():
        update_settings(changes={"points_valid_months": 1})
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 31))
        assert lots(member_id)[0].expires_at == at(2025, 2, 28, 0, 0)


def test_redeem_uses_the_soonest_expiring_lots_first(app, member_id):
    with app.app_context():
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 1))
        points.earn(member_id=member_id, paid_fen=20000, ref_type="work_order", ref_id=2, now=at(2025, 3, 1))
        points.redeem(member_id=member_id, points=150, ref_type="work_order", ref_id=3, now=at(2025, 4, 1))
        first, second = lots(member_id)
        assert (first.remaining, second.remaining) == (0, 150)
        with pytest.raises(Conflict) as short:
            points.redeem(member_id=member_id, points=151, ref_type="work_order", ref_id=4, now=at(2025, 4, 1))
        assert short.value.code == "insufficient_points"
        with pytest.raises(Conflict) as again:
            points.redeem(member_id=member_id, points=10, ref_type="work_order", ref_id=3, now=at(2025, 4, 1))
        assert again.value.code == "already_redeemed"


def test_expired_points_cannot_be_redeemed_even_before_the_job_runs(app, member_id):
    with app.app_context():
        update_settings(changes={"points_valid_months": 6})
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 10))
        with pytest.raises(Conflict):
            points.redeem(member_id=member_id, points=100, ref_type="work_order", ref_id=2, now=at(2025, 7, 10, 8))
        assert points.max_redeemable_points(member_id=member_id, bill_fen=100000, now=at(2025, 7, 10, 8)) == 0


def test_redeem_rate_value_and_the_bill_cap(app, member_id):
    with app.app_context():
        update_settings(changes={"points_per_yuan_redeemed": 150, "points_max_redeem_percent": 10})
        assert points.redeem_step() == 3
        assert points.points_value_fen(300) == 200
        with pytest.raises(Unprocessable) as odd:
            points.points_value_fen(301)
        assert odd.value.code == "points_not_whole_fen"
        with pytest.raises(Unprocessable):
            points.points_value_fen(-3)
        points.adjust_points(member_id=member_id, points=10000, reason="welcome gift")
        # 10 % of 1234.56 yuan = 12345 fen → at most 18517.5 points, within 10000 held, in steps of 3.
        assert points.max_redeemable_points(member_id=member_id, bill_fen=123456) == 9999
        assert points.max_redeemable_points(member_id=member_id, bill_fen=1000) == 150
        with pytest.raises(Unprocessable):
            points.redeem(member_id=member_id, points=100, ref_type="work_order", ref_id=1)
        assert session_count(PointsEntry) == 1


def test_reversing_a_redeem_puts_points_back_into_their_lots_unless_expired(app, member_id):
    with app.app_context():
        update_settings(changes={"points_valid_months": 3})
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 1))
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=2, now=at(2025, 2, 1))
        points.redeem(member_id=member_id, points=150, ref_type="work_order", ref_id=3, now=at(2025, 2, 2))
        # The first lot expires on Apr 1; the refund comes on Apr 10.
        [reversal] = points.reverse_reference(ref_type="work_order", ref_id=3, now=at(2025, 4, 10))
        assert (reversal.points, reversal.shortfall) == (50, 100)
        assert [lot.remaining for lot in lots(member_id)] == [0, 100]
        assert points.reverse_reference(ref_type="work_order", ref_id=3, now=at(2025, 4, 10)) == []
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 100


def test_reversing_an_earn_takes_back_what_is_left_and_records_the_shortfall(app, member_id):
    with app.app_context():
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 1))
        points.earn(member_id=member_id, paid_fen=3000, ref_type="work_order", ref_id=2, now=at(2025, 2, 1))
        points.redeem(member_id=member_id, points=120, ref_type="work_order", ref_id=3, now=at(2025, 2, 2))
        # Lot 1 (100) is spent, lot 2 has 10 of 30 left. Reversing order 1 takes those 10 and is 90 short.
        [reversal] = points.reverse_reference(ref_type="work_order", ref_id=1, now=at(2025, 2, 3))
        assert (reversal.points, reversal.shortfall) == (-10, 90)
        assert ledger_state(member_id)["points"] == 0
        # Reversing order 3 later returns nothing into the revoked lot 1, 20 into lot 2.
        [back] = points.reverse_reference(ref_type="work_order", ref_id=3, now=at(2025, 2, 4))
        assert (back.points, back.shortfall) == (20, 100)
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 20


def test_reversing_a_whole_order_restores_the_redeem_before_taking_back_the_earn(app, member_id):
    with app.app_context():
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 1))
        points.redeem(member_id=member_id, points=60, ref_type="work_order", ref_id=2, now=at(2025, 1, 5))
        points.earn(member_id=member_id, paid_fen=5000, ref_type="work_order", ref_id=2, now=at(2025, 1, 5))
        entries = points.reverse_reference(ref_type="work_order", ref_id=2, now=at(2025, 1, 6))
        assert [(e.points, e.shortfall) for e in entries] == [(60, 0), (-50, 0)]
        assert [lot.remaining for lot in lots(member_id)] == [100, 0]


def test_adjustments_add_a_lot_or_take_fifo_and_never_go_negative(app, member_id):
    with app.app_context():
        added = points.adjust_points(member_id=member_id, points=500, reason="apology", actor_key="staff:1")
        assert (added.kind, added.points, added.reason, added.created_by) == ("adjustment", 500, "apology", "staff:1")
        points.adjust_points(member_id=member_id, points=-200, reason="typo")
        with pytest.raises(Conflict):
            points.adjust_points(member_id=member_id, points=-301, reason="too much")
        for bad, reason in ((0, "zero"), (1.5, "fraction"), (10, " ")):
            with pytest.raises(Unprocessable):
                points.adjust_points(member_id=member_id, points=bad, reason=reason)
        assert points.live_points(member_id=member_id) == 300


def test_next_expiry_names_the_soonest_day(app, member_id):
    with app.app_context():
        clock.set_now(at(2025, 6, 1))
        points.earn(member_id=member_id, paid_fen=10000, ref_type="work_order", ref_id=1, now=at(2025, 1, 1))
        points.earn(member_id=member_id, paid_fen=5000, ref_type="work_order", ref_id=2, now=at(2025, 1, 1, 18))
        points.earn(member_id=member_id, paid_fen=7000, ref_type="work_order", ref_id=3, now=at(2025, 3, 1))
        assert points.next_expiry(member_id=member_id) == {"points": 150, "expires_at": at(2027, 1, 1, 0, 0)}


def test_granted_points_are_a_lot_of_their_reference_and_reverse_like_an_earn(app, member_id):
    with app.app_context():
        assert points.grant(member_id=member_id, points=250, ref_type="referral_reward", ref_id=1) == 250
        assert points.grant(member_id=member_id, points=250, ref_type="referral_reward", ref_id=1) == 250
        [entry] = points.reverse_reference(ref_type="referral_reward", ref_id=1)
        assert (entry.points, entry.shortfall) == (-250, 0)
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 0
