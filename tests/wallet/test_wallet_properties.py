"""Ledger invariants under random sequences of top-ups, spends, refunds, reversals, point earns,
redeems, adjustments and expiries (service level, each operation in its own savepoint as a request
would be in its own transaction)."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.common.errors import AppError
from app.extensions import db
from app.members.services import register_at_counter
from app.merchant.services import update_settings
from app.wallet import points
from app.wallet import services as wallet
from app.wallet.models import PointsLot, TopupPlan, WalletEntry
from app.wallet.plans import create_topup_plan
from tests.ledgers import ledger_state

START = datetime(2025, 1, 1, 4, tzinfo=UTC)
# Hypothesis runs every example against the same database: phones and references stay unique.
_phones = itertools.count(13700000000)
_refs = itertools.count(1)

# Spends, refunds and redeems are drawn as a percentage of what is held, so that most succeed
# and some overdraw (and must be refused).
operations = st.one_of(
    st.tuples(st.just("top_up"), st.integers(1, 5000), st.booleans()),
    st.tuples(st.just("spend"), st.integers(1, 120)),
    st.tuples(st.just("refund"), st.integers(1, 120)),
    st.tuples(st.just("reverse_spend"), st.integers(0, 20)),
    st.tuples(st.just("earn"), st.integers(0, 60000), st.integers(0, 40)),
    st.tuples(st.just("redeem"), st.integers(1, 120), st.booleans()),
    st.tuples(st.just("reverse_order"), st.integers(0, 20)),
    st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
    st.tuples(st.just("expire"), st.integers(0, 60)),
)


def check_invariants(member_id, now):
    state = ledger_state(member_id)
    assert state["balance_fen"] == state["principal_fen"] + state["bonus_fen"]
    assert state["entries_fen"] == (state["balance_fen"], state["principal_fen"], state["bonus_fen"])
    assert min(state["balance_fen"], state["principal_fen"], state["bonus_fen"]) >= 0
    assert (db.session.scalar(select(func.min(WalletEntry.balance_after_fen))) or 0) >= 0
    assert state["points"] == state["points_entries"] == state["points_lots"] >= 0
    bad_lots = db.session.scalar(
        select(func.count())
        .select_from(PointsLot)
        .where((PointsLot.remaining < 0) | (PointsLot.remaining > PointsLot.earned))
    )
    assert bad_lots == 0
    assert points.live_points(member_id=member_id, now=now) <= state["points"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=3, max_size=30))
def test_ledgers_hold_their_invariants_under_random_operations(app, steps):
    with app.app_context():
        update_settings(changes={"points_valid_months": 1})
        plan = db.session.scalar(select(TopupPlan).where(TopupPlan.name == "prop"))
        plan = plan or create_topup_plan(data={"name": "prop", "pay_fen": 1000, "bonus_fen": 150})
        member_id = register_at_counter(phone=str(next(_phones))).id
        db.session.commit()
        now = START
        wallet.top_up(member_id=member_id, amount_fen=plan.pay_fen, plan_id=plan.id, paid_via="cash")
        points.earn(member_id=member_id, paid_fen=30000, ref_type="opening", ref_id=member_id, now=now)
        spent_refs, order_refs = [], []
        for step in steps:
            kind = step[0]
            try:
                with db.session.begin_nested():
                    if kind == "top_up":
                        amount = plan.pay_fen if step[2] else step[1]
                        wallet.top_up(
                            member_id=member_id,
                            amount_fen=amount,
                            plan_id=plan.id if step[2] else None,
                            paid_via="cash",
                        )
                    elif kind == "spend":
                        ref = next(_refs)
                        amount = max(1, wallet.get_wallet(member_id=member_id).balance_fen * step[1] // 100)
                        wallet.spend(member_id=member_id, amount_fen=amount, ref_type="work_order", ref_id=ref)
                        spent_refs.append(ref)
                    elif kind == "refund":
                        amount = max(1, wallet.get_wallet(member_id=member_id).principal_fen * step[1] // 100)
                        wallet.refund_principal(member_id=member_id, amount_fen=amount, reason="test")
                    elif kind == "reverse_spend" and spent_refs:
                        wallet.reverse_reference(ref_type="work_order", ref_id=spent_refs[step[1] % len(spent_refs)])
                    elif kind == "earn":
                        now += timedelta(days=step[2])
                        ref = next(_refs)
                        points.earn(member_id=member_id, paid_fen=step[1], ref_type="work_order", ref_id=ref, now=now)
                        order_refs.append(ref)
                    elif kind == "redeem":
                        ref = order_refs[-1] if step[2] and order_refs else next(_refs)
                        order_refs.append(ref)
                        held = points.live_points(member_id=member_id, now=now)
                        points.redeem(
                            member_id=member_id,
                            points=max(1, held * step[1] // 100),
                            ref_type="work_order",
                            ref_id=ref,
                            now=now,
                        )
                    elif kind == "reverse_order" and order_refs:  # as a work-order refund does
                        ref = order_refs[step[1] % len(order_refs)]
                        wallet.reverse_reference(ref_type="work_order", ref_id=ref)
                        points.reverse_reference(ref_type="work_order", ref_id=ref, now=now)
                    elif kind == "adjust":
                        points.adjust_points(member_id=member_id, points=step[1], reason="test", now=now)
                    elif kind == "expire":
                        now += timedelta(days=step[1])
                        points.expire_points(now=now)
            except AppError:
                pass  # refused: nothing of it was written (the savepoint rolled back)
            check_invariants(member_id, now)
        points.expire_points(now=now)
        assert points.live_points(member_id=member_id, now=now) == ledger_state(member_id)["points"]
        db.session.commit()
