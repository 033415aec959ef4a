"""Repayments (还款) of an account and how they are allocated to its receivables: to the ones the
cashier chose, else oldest first; what is left over is held as credit for the next charge."""

from sqlalchemy import func, select

from app.accounts.charging import add_entry, allocate, apply_credit
from app.accounts.models import (
    AccountAllocation,
    AccountReceivable,
    AccountRepayment,
)
from app.accounts.services import load_account
from app.common import clock
from app.common.errors import NotFound, Unprocessable
from app.extensions import db


def record_repayment(*, actor, account_id, amount_fen, paid_via, reference=None, note=None, allocations=None, now=None):
    """Record money the account paid (回款) and allocate it: to the receivables chosen (each at most
    its open amount; together at most the repayment), or else to the oldest open ones. What is left
    stays as the account's credit."""
    now = now or clock.now()
    account = load_account(account_id, lock=True)
    repayment = AccountRepayment(
        account_id=account.id,
        amount_fen=amount_fen,
        paid_via=paid_via,
        reference=reference,
        note=note,
        received_at=now,
        created_by_staff_id=actor.id if actor is not None and actor.kind == "staff" else None,
    )
    db.session.add(repayment)
    db.session.flush()
    add_entry(account, "repayment", -amount_fen, now, repayment_id=repayment.id)
    account.credit_fen += amount_fen
    if allocations:
        if sum(a["amount_fen"] for a in allocations) > amount_fen:
            raise Unprocessable(
                "allocation_exceeds_repayment",
                "The allocations add up to more than the repayment.",
                details={"amount_fen": amount_fen, "allocated_fen": sum(a["amount_fen"] for a in allocations)},
            )
        ids = [a["receivable_id"] for a in allocations]
        receivables = {
            r.id: r
            for r in db.session.scalars(
                select(AccountReceivable).where(
                    AccountReceivable.id.in_(ids), AccountReceivable.account_id == account.id
                )
            ).all()
        }
        for allocation in allocations:
            receivable = receivables.get(allocation["receivable_id"])
            if receivable is None:
                raise NotFound(
                    "receivable_not_found",
                    "No such receivable on this account.",
                    details={"receivable_id": allocation["receivable_id"]},
                )
            if allocation["amount_fen"] > receivable.open_fen:
                raise Unprocessable(
                    "allocation_exceeds_open",
                    "An allocation is larger than what is still open on its receivable.",
                    details={
                        "receivable_id": receivable.id,
                        "open_fen": receivable.open_fen,
                        "amount_fen": allocation["amount_fen"],
                    },
                )
            allocate(account, receivable, allocation["amount_fen"], now, repayment_id=repayment.id, chosen=True)
        db.session.flush()
    else:
        apply_credit(account, now, repayment_id=repayment.id, up_to=amount_fen)
    return repayment_dict(repayment)


def repayment_dict(repayment):
    allocations = db.session.execute(
        select(AccountAllocation.receivable_id, AccountAllocation.amount_fen, AccountReceivable.work_order_id)
        .join(AccountReceivable, AccountReceivable.id == AccountAllocation.receivable_id)
        .where(AccountAllocation.repayment_id == repayment.id)
        .order_by(AccountAllocation.id)
    ).all()
    allocated = sum(a.amount_fen for a in allocations)
    return {
        "id": repayment.id,
        "account_id": repayment.account_id,
        "amount_fen": repayment.amount_fen,
        "paid_via": repayment.paid_via,
        "reference": repayment.reference,
        "note": repayment.note,
        "received_at": repayment.received_at,
        "created_by_staff_id": repayment.created_by_staff_id,
        "allocations": [
            {"receivable_id": a.receivable_id, "work_order_id": a.work_order_id, "amount_fen": a.amount_fen}
            for a in allocations
        ],
        "unallocated_fen": repayment.amount_fen - allocated,
    }


def list_repayments(*, account_id, page, per_page):
    load_account(account_id)
    statement = select(AccountRepayment).where(AccountRepayment.account_id == account_id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.order_by(AccountRepayment.received_at.desc(), AccountRepayment.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {"items": [repayment_dict(r) for r in rows], "total": total, "page": page, "per_page": per_page}


# -- receivables, statements, ageing ----------------------------------------------------------------


def order_numbers(work_order_ids):
    from app.workorders.models import WorkOrder

    if not work_order_ids:
        return {}
    return {
        row.id: row
        for row in db.session.execute(
            select(WorkOrder.id, WorkOrder.number, WorkOrder.total_fen, WorkOrder.settled_at).where(
                WorkOrder.id.in_(work_order_ids)
            )
        ).all()
    }


def receivable_dict(receivable, orders):
    order = orders.get(receivable.work_order_id)
    return {
        "id": receivable.id,
        "account_id": receivable.account_id,
        "work_order_id": receivable.work_order_id,
        "work_order_number": order.number if order else None,
        "order_total_fen": order.total_fen if order else None,
        "vehicle_id": receivable.vehicle_id,
        "plate": receivable.plate,
        "member_id": receivable.member_id,
        "amount_fen": receivable.amount_fen,
        "open_fen": receivable.open_fen,
        "paid_fen": receivable.amount_fen - receivable.open_fen - receivable.cancelled_fen,
        "cancelled_fen": receivable.cancelled_fen,
        "charged_at": receivable.charged_at,
        "due_on": receivable.due_on,
        "refunded_at": receivable.refunded_at,
        "over_limit_approved_by": receivable.over_limit_approved_by,
        "status": "refunded" if receivable.refunded_at else ("open" if receivable.open_fen else "paid"),
    }


def list_receivables(*, account_id, page, per_page, status=None):
    load_account(account_id)
    statement = select(AccountReceivable).where(AccountReceivable.account_id == account_id)
    if status == "open":
        statement = statement.where(AccountReceivable.open_fen > 0)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.order_by(AccountReceivable.charged_at, AccountReceivable.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    orders = order_numbers([r.work_order_id for r in rows])
    return {"items": [receivable_dict(r, orders) for r in rows], "total": total, "page": page, "per_page": per_page}
