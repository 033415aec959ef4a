"""Receivables always equal charges − repayments − refunds: random sequences of charges, repayments
(oldest first or chosen) and refunds at the service level, each in its own savepoint as a request
would be in its own transaction; the invariants are read straight from the append-only rows."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts import charging, repayments, services
from app.accounts.models import Account, AccountAllocation, AccountEntry, AccountReceivable, AccountRepayment
from app.common import clock
from app.common.errors import AppError
from app.extensions import db
from app.members.models import Vehicle
from app.workorders.models import WorkOrder

START = datetime(2026, 1, 5, 2, tzinfo=UTC)
_names = itertools.count(1)

operations = st.one_of(
    st.tuples(st.just("charge"), st.integers(1, 50000)),
    st.tuples(st.just("repay"), st.integers(1, 60000)),
    st.tuples(st.just("repay_chosen"), st.integers(0, 10), st.integers(1, 120)),
    st.tuples(st.just("refund"), st.integers(0, 10)),
)


def _sum(column, *where):
    return int(db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)))


def check(account_id, model):
    account = db.session.get(Account, account_id, populate_existing=True)
    entries = _sum(AccountEntry.amount_fen, AccountEntry.account_id == account_id)
    assert account.balance_fen == entries == model["charged"] - model["repaid"] - model["refunded"]
    receivables = db.session.scalars(
        select(AccountReceivable)
        .where(AccountReceivable.account_id == account_id)
        .execution_options(populate_existing=True)
    ).all()
    refunded_allocations = 0
    for receivable in receivables:
        allocated = _sum(AccountAllocation.amount_fen, AccountAllocation.receivable_id == receivable.id)
        assert receivable.open_fen == receivable.amount_fen - allocated - receivable.cancelled_fen >= 0
        if receivable.refunded_at is not None:
            assert receivable.open_fen == 0
            refunded_allocations += allocated
    repaid = _sum(AccountRepayment.amount_fen, AccountRepayment.account_id == account_id)
    allocations = _sum(AccountAllocation.amount_fen, AccountAllocation.account_id == account_id)
    assert account.credit_fen == repaid + refunded_allocations - allocations >= 0
    assert sum(r.open_fen for r in receivables) - account.credit_fen == account.balance_fen
    # Credit and open receivables never stand side by side: credit pays them at once (unless a
    # chosen allocation left some over, which the next charge or refund applies).
    for receivable_id, fen in db.session.execute(
        select(AccountAllocation.repayment_id, func.sum(AccountAllocation.amount_fen))
        .where(AccountAllocation.account_id == account_id, AccountAllocation.repayment_id.is_not(None))
        .group_by(AccountAllocation.repayment_id)
    ):
        assert fen <= db.session.get(AccountRepayment, receivable_id).amount_fen


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=1, max_size=25))
def test_receivables_equal_charges_minus_repayments_minus_refunds(app, stores, steps):
    clock.set_now(START)
    with app.app_context():
        number = next(_names)
        vehicle = Vehicle(plate=f"粤Z{number:05d}")
        db.session.add(vehicle)
        db.session.flush()
        account = Account(
            name=f"车队{number}",
            kind="fleet",
            credit_limit_fen=200000,
            payment_terms_days=30,
            status="active",
        )
        db.session.add(account)
        db.session.flush()
        services._set_links(account, [vehicle.id], None)
        db.session.commit()
        model = {"charged": 0, "repaid": 0, "refunded": 0}
        orders = []
        for step, operation in enumerate(steps):
            clock.set_now(START + timedelta(hours=step))
            savepoint = db.session.begin_nested()
            try:
                kind = operation[0]
                if kind == "charge":
                    order = WorkOrder(
                        number=f"T{number}-{step}",
                        store_id=stores[0],
                        vehicle_id=vehicle.id,
                        plate=vehicle.plate,
                        total_fen=operation[1],
                        status="settled",
                    )
                    db.session.add(order)
                    db.session.flush()
                    charging.charge(actor=None, order=order, account_id=account.id, amount_fen=operation[1])
                    orders.append(order.id)
                    model["charged"] += operation[1]
                elif kind == "repay":
                    repayments.record_repayment(
                        actor=None, account_id=account.id, amount_fen=operation[1], paid_via="transfer"
                    )
                    model["repaid"] += operation[1]
                elif kind == "repay_chosen":
                    open_ones = charging.open_receivables(account.id)
                    if not open_ones:
                        savepoint.rollback()
                        continue
                    receivable = open_ones[operation[1] % len(open_ones)]
                    amount = max(1, receivable.open_fen * min(operation[2], 100) // 100)
                    repaid = amount + (operation[2] > 100) * 500  # some leave an overpayment
                    repayments.record_repayment(
                        actor=None,
                        account_id=account.id,
                        amount_fen=repaid,
                        paid_via="cash",
                        allocations=[{"receivable_id": receivable.id, "amount_fen": amount}],
                    )
                    model["repaid"] += repaid
                elif kind == "refund" and orders:
                    work_order_id = orders[operation[1] % len(orders)]
                    amount = db.session.scalar(
                        select(AccountReceivable.amount_fen).where(
                            AccountReceivable.work_order_id == work_order_id, AccountReceivable.refunded_at.is_(None)
                        )
                    )
                    charging.reverse_reference(ref_type="work_order", ref_id=work_order_id)
                    model["refunded"] += amount or 0
                savepoint.commit()
            except AppError as error:
                savepoint.rollback()
                assert error.code == "credit_limit_exceeded", error.code
            check(account.id, model)
        db.session.commit()
