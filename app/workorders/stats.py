"""Figures other domains read from work orders (stats, tier qualification)."""

from sqlalchemy import func, select

from app.extensions import db
from app.workorders.models import WorkOrder, WorkOrderPayment


def paid_spend_by_member(*, member_ids, since, until=None):
    """Money paid (cash, WeChat, Alipay, bank card, stored value) on settled — not refunded — work
    orders settled at or after ``since`` (and before ``until``): {member_id: fen}, absent when none."""
    if not member_ids:
        return {}
    stmt = (
        select(WorkOrder.member_id, func.coalesce(func.sum(WorkOrder.paid_fen), 0))
        .where(WorkOrder.member_id.in_(list(member_ids)), WorkOrder.status == "settled", WorkOrder.settled_at >= since)
        .group_by(WorkOrder.member_id)
    )
    if until is not None:
        stmt = stmt.where(WorkOrder.settled_at < until)
    return {member_id: int(total) for member_id, total in db.session.execute(stmt)}


def paid_spend_query(*, since):
    """``paid_spend_by_member`` for every member at once: a SELECT (member_id, fen)."""
    return (
        select(WorkOrder.member_id.label("member_id"), func.sum(WorkOrder.paid_fen).label("fen"))
        .where(WorkOrder.member_id.is_not(None), WorkOrder.status == "settled", WorkOrder.settled_at >= since)
        .group_by(WorkOrder.member_id)
    )


def _till_rows(*conditions, staff_column=None):
    from_mini_program = WorkOrderPayment.attempt_id.is_not(None)
    keys = [WorkOrderPayment.type, from_mini_program] + ([staff_column] if staff_column is not None else [])
    rows = db.session.execute(
        select(
            *keys,
            func.sum(WorkOrderPayment.amount_fen),
            func.coalesce(func.sum(WorkOrderPayment.points), 0),
        )
        .select_from(WorkOrder)
        .join(WorkOrderPayment, WorkOrderPayment.work_order_id == WorkOrder.id)
        .where(WorkOrderPayment.status == "posted", *conditions)
        .group_by(*keys)
    ).all()
    if staff_column is None:
        return [(None, kind, mini, fen, points) for kind, mini, fen, points in rows]
    return [(staff, kind, mini, fen, points) for kind, mini, staff, fen, points in rows]


def till_takings(*, store_id, start, end):
    """The posted tenders of the orders of ``store_id`` settled in [start, end) — also those refunded
    since (the refund shows on the day it happened): rows of (settled_by_staff_id or None when the
    member paid in the mini-program, tender type, paid through the mini-program, amount fen, points)."""
    return _till_rows(
        WorkOrder.store_id == store_id,
        WorkOrder.settled_at >= start,
        WorkOrder.settled_at < end,
        staff_column=WorkOrder.settled_by_staff_id,
    )


def till_refunds(*, store_id, start, end):
    """The posted tenders of the orders of ``store_id`` refunded in [start, end), which the refund
    gave back: rows shaped as ``till_takings``'; the staff column is None (an order does not record
    who refunded it)."""
    return _till_rows(
        WorkOrder.store_id == store_id,
        WorkOrder.refunded_at >= start,
        WorkOrder.refunded_at < end,
    )


def till_order_counts(*, store_id, start, end):
    """Orders of ``store_id`` settled in [start, end) per settling staff id (None: the mini-program)."""
    return dict(
        db.session.execute(
            select(WorkOrder.settled_by_staff_id, func.count())
            .where(WorkOrder.store_id == store_id, WorkOrder.settled_at >= start, WorkOrder.settled_at < end)
            .group_by(WorkOrder.settled_by_staff_id)
        ).all()
    )


def register():
    from app.members.tiers.rules import register_spend_source

    register_spend_source(paid_spend_by_member, query=paid_spend_query)
