"""Assigning technicians to a work order's lines (派工).

A line is worked by one or several staff members — technicians, or the advisor who received the
car — each with a share in percent; the shares add up to 100. Commission is split by them when
the order settles (app/commissions).
"""

from sqlalchemy import func, select

from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.extensions import db
from app.merchant.services import merchant_timezone
from app.stats.periods import make_period
from app.stores.services import get_store, staff_by_ids, staff_of_store
from app.workorders.models import SETTLEABLE, WorkOrder, WorkOrderLine, WorkOrderLineTechnician
from app.workorders.services import lock_work_order

# Who can be assigned to a line: the people who work on the car.
ASSIGNABLE_ROLES = ("technician", "advisor")


def _even_shares(count):
    """100 split into ``count`` whole shares, the first ones taking the remainder (3 → 34, 33, 33)."""
    base, extra = divmod(100, count)
    return [base + (1 if index < extra else 0) for index in range(count)]


def list_assignable(*, actor, store_id) -> dict:
    """Who can work the lines of the store's orders: its active technicians and advisors, for the
    counter's 派工 picker. Counter staff of the store and the owner (403 store_forbidden otherwise)."""
    get_store(store_id)
    if not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")
    return {"items": staff_of_store(store_id=store_id, roles=ASSIGNABLE_ROLES)}


def assign_technicians(*, actor, work_order_id, line_id, technicians) -> WorkOrder:
    """Replace who worked a line: [{"staff_id", "share_percent"?}] (empty: nobody).

    Shares are all given and add up to 100 (422 ``shares_do_not_add_up``) or all left out (split
    evenly). Each person is an active technician or advisor (422 ``not_a_technician``) of the
    order's store (422 ``technician_not_at_store``), named once. Allowed until the order is
    settled or cancelled (409 ``work_order_not_editable``)."""
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status not in SETTLEABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("work_order_line_not_found", "No such line on this work order.")
    staff_ids = [entry["staff_id"] for entry in technicians]
    if len(set(staff_ids)) != len(staff_ids):
        raise Unprocessable("technician_named_twice", "Name each technician once.")
    given = [entry.get("share_percent") for entry in technicians]
    if technicians and None in given:
        if any(share is not None for share in given):
            raise Unprocessable("shares_do_not_add_up", "Give every share or none.")
        given = _even_shares(len(technicians))
    if technicians and sum(given) != 100:
        raise Unprocessable("shares_do_not_add_up", "The shares of a line add up to 100.", details={"sum": sum(given)})
    accounts = staff_by_ids(staff_ids)
    for staff_id in staff_ids:
        staff = accounts.get(staff_id)
        if staff is None or not staff.is_active or staff.role not in ASSIGNABLE_ROLES:
            raise Unprocessable(
                "not_a_technician", "Only active technicians and advisors work lines.", details={"staff_id": staff_id}
            )
        if order.store_id not in staff.store_ids:
            raise Unprocessable(
                "technician_not_at_store",
                "This person does not work at the order's store.",
                details={"staff_id": staff_id},
            )
    assigned_by = actor.id if actor is not None and actor.kind == "staff" else None
    # The old assignment goes first: a person kept on the line would otherwise collide with
    # their own old row (the flush inserts before it deletes).
    line.technicians.clear()
    db.session.flush()
    line.technicians.extend(
        WorkOrderLineTechnician(staff_id=staff_id, share_percent=share, assigned_by_staff_id=assigned_by)
        for staff_id, share in zip(staff_ids, given, strict=True)
    )
    db.session.flush()
    return order


def list_my_jobs(*, staff_id, from_=None, to=None, page=1, per_page=20):
    """The lines ``staff_id`` worked on orders opened in the merchant-local days ``from_``..``to``
    (default: the last 30 days), newest order first."""
    period = make_period(first_day=from_, last_day=to, tz_name=merchant_timezone(), max_days=366)
    start, end = period.start, period.end
    stmt = (
        select(
            WorkOrder.id.label("work_order_id"),
            WorkOrder.number,
            WorkOrder.store_id,
            WorkOrder.plate,
            WorkOrder.status,
            WorkOrderLine.id.label("line_id"),
            WorkOrderLine.name,
            WorkOrderLine.quantity,
            WorkOrderLineTechnician.share_percent,
            WorkOrder.created_at,
        )
        .join(WorkOrderLine, WorkOrderLine.id == WorkOrderLineTechnician.line_id)
        .join(WorkOrder, WorkOrder.id == WorkOrderLine.work_order_id)
        .where(WorkOrderLineTechnician.staff_id == staff_id, WorkOrder.created_at >= start, WorkOrder.created_at < end)
        .order_by(WorkOrder.id.desc(), WorkOrderLine.id)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(row) for row in rows], "total": total, "page": page, "per_page": per_page}
