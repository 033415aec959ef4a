"""Figures other domains read from work orders (stats, tier qualification)."""

from sqlalchemy import func, select

from app.extensions import db
from app.workorders.models import WorkOrder


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


def register():
    from app.members.tiers.rules import register_spend_source

    register_spend_source(paid_spend_by_member, query=paid_spend_query)
