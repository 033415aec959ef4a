"""Opening work orders, their lines and status changes, and reading them."""

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import record_change
from app.catalog.services import parts_by_id, service_items_by_id
from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.common.plates import normalize_plate
from app.extensions import db
from app.marketing import notices
from app.members.vehicle_records import get_vehicle
from app.members.vehicle_services import find_or_create_by_plate, record_mileage
from app.merchant.services import merchant_timezone
from app.stores.services import get_store
from app.workorders import pricing
from app.workorders.models import EDITABLE, SETTLEABLE, UNFINISHED, WorkOrder, WorkOrderLine
from app.workorders.numbering import next_number

# Status changes staff make by hand; settle, pay and refund have their own operations.
TRANSITIONS = {
    "open": {"in_progress", "completed", "cancelled"},
    "in_progress": {"completed", "cancelled"},
    "completed": {"in_progress", "cancelled"},
}


def _check_store(actor, store_id):
    if actor is not None and not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")


def _new_lines(lines, *, store, actor, order_status="open"):
    """WorkOrderLine rows for the line inputs: catalog labor and parts at list price, hourly labor
    at the store's rate, custom lines at the price staff gave them (see pricing). Lines added once
    work is in progress, or flagged ``needs_approval``, await the member's approval."""
    items = service_items_by_id({line["service_item_id"] for line in lines if line.get("service_item_id")})
    parts = parts_by_id({line["part_id"] for line in lines if line.get("part_id")})
    added_by = actor.id if actor is not None and actor.kind == "staff" else None
    rows = []
    for line in lines:
        if line.get("service_item_id"):
            item = items.get(line["service_item_id"])
            if item is None or not item.is_active:
                raise Unprocessable(
                    "service_item_not_found",
                    "No such service item on sale.",
                    details={"service_item_id": line["service_item_id"]},
                )
            row = WorkOrderLine(
                kind="labor",
                service_item_id=item.id,
                name=item.name,
                category=item.category,
                quantity=line["quantity"],
                unit_price_fen=item.price_fen,
            )
        elif line.get("part_id"):
            part = parts.get(line["part_id"])
            if part is None or not part.is_active:
                raise Unprocessable("part_not_found", "No such part on sale.", details={"part_id": line["part_id"]})
            row = WorkOrderLine(
                kind="part",
                part_id=part.id,
                name=part.name,
                category="part",
                quantity=line["quantity"],
                unit_price_fen=part.price_fen,
            )
        elif line.get("hours_x100") is not None:
            # Hours × the rate per hour, rounded half up to the fen.
            row = WorkOrderLine(
                kind="hourly",
                name=line["name"],
                category=line.get("category") or "repair",
                quantity=1,
                labor_hours_x100=line["hours_x100"],
                unit_price_fen=(store.labor_rate_fen * line["hours_x100"] + 50) // 100,
            )
        else:
            row = WorkOrderLine(
                kind="custom",
                name=line["name"],
                category=line.get("category") or "repair",
                quantity=line["quantity"],
                unit_price_fen=line["unit_price_fen"],
            )
        row.unit_net_fen = row.unit_price_fen
        row.approval = _initial_approval(order_status, line)
        row.added_by_staff_id = added_by
        rows.append(row)
    return rows


def _initial_approval(order_status, line):
    return "pending" if line.get("needs_approval") or order_status == "in_progress" else "not_needed"


def _ask_member(order, pending_lines, *, now):
    if order.member_id is not None and pending_lines:
        notices.queue_extra_work_approval(
            member_id=order.member_id,
            work_order_id=order.id,
            store_id=order.store_id,
            plate=order.plate,
            line_ids=[line.id for line in pending_lines],
            names=[line.name for line in pending_lines],
            now=now,
        )


def _audit_hand_prices(actor, order, rows, now):
    """Every hand-made price (hourly and custom lines) goes to the audit log with who made it."""
    for row in rows:
        if row.kind in ("hourly", "custom"):
            record_change(
                actor=actor,
                kind="price_override",
                entity_type="work_order_line",
                entity_id=row.id,
                before=None,
                after={
                    "work_order_id": order.id,
                    "kind": row.kind,
                    "name": row.name,
                    "quantity": row.quantity,
                    "labor_hours": row.labor_hours,
                    "unit_price_fen": row.unit_price_fen,
                },
                store_id=order.store_id,
                now=now,
            )


def _vehicle_for(plate):
    try:
        with db.session.begin_nested():
            return find_or_create_by_plate(plate)
    except IntegrityError:  # a concurrent opening created this walk-in car first: use theirs
        return find_or_create_by_plate(plate)


def open_work_order(
    *, actor, store_id, plate, lines, mileage_km=None, mileage_correction=False, booking_id=None, now=None
) -> WorkOrder:
    """Open a work order for a car at a store the actor works at (403 otherwise).

    A known plate links the car's member; an unknown plate creates a walk-in car with no member.
    A mileage reading updates the car's mileage (never backwards unless marked a correction).
    """
    store = get_store(store_id)
    _check_store(actor, store_id)
    now = now or clock.now()
    vehicle = _vehicle_for(plate)
    if mileage_km is not None:
        record_mileage(vehicle, mileage_km, correction=mileage_correction)
    order = WorkOrder(
        number=next_number(store_id=store_id, now=now),
        store_id=store_id,
        vehicle_id=vehicle.id,
        plate=vehicle.plate,
        member_id=vehicle.member_id,
        booking_id=booking_id,
        status="open",
        mileage_km=mileage_km,
        opened_by_staff_id=actor.id if actor is not None and actor.kind == "staff" else None,
        created_at=now,
        updated_at=now,
    )
    order.lines = _new_lines(lines, store=store, actor=actor)
    pricing.price(order)
    db.session.add(order)
    db.session.flush()
    _ask_member(order, [line for line in order.lines if line.approval == "pending"], now=now)
    _audit_hand_prices(actor, order, order.lines, now)
    return order


def _load(work_order_id, *, lock=False, lines=False):
    stmt = select(WorkOrder).where(WorkOrder.id == work_order_id)
    if lines:
        stmt = stmt.options(joinedload(WorkOrder.lines).joinedload(WorkOrderLine.technicians))
    if lock:
        # The row lock serialises settle, pay, refund and edits of one order (PostgreSQL; SQLite
        # transactions are serialised by BEGIN IMMEDIATE). populate_existing re-reads the row.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound("work_order_not_found", "No such work order.")
    return order


def get_work_order(*, work_order_id, actor=None, lines=False) -> WorkOrder:
    """One work order; staff see the orders of their stores only. ``lines``: read its lines (and
    their technicians) in the same statement, for a caller that prices it."""
    order = _load(work_order_id, lines=lines)
    _check_store(actor, order.store_id)
    return order


def lock_work_order(*, work_order_id, actor=None) -> WorkOrder:
    order = _load(work_order_id, lock=True)
    _check_store(actor, order.store_id)
    return order


def load_lines_and_payments(order, *, vehicle=False):
    """Read a locked order's lines (with their technicians) and payments in one statement; with
    ``vehicle``, its car too (a settlement's answer shows it). Read after the row lock (not joined to
    the locking SELECT), so they are current: PostgreSQL re-reads only the locked row of a
    SELECT ... FOR UPDATE that waited, not the rows joined to it."""
    options = [joinedload(WorkOrder.lines).joinedload(WorkOrderLine.technicians), joinedload(WorkOrder.payments)]
    if vehicle:
        options.append(joinedload(WorkOrder.vehicle))
    db.session.execute(
        select(WorkOrder).where(WorkOrder.id == order.id).options(*options).execution_options(populate_existing=True)
    ).unique().all()
    return order


def add_lines(*, actor, work_order_id, lines, now=None) -> WorkOrder:
    """Add labor or parts to an order that is open or in progress (409 otherwise). Lines added in
    progress (增项), or flagged ``needs_approval``, await the member's approval; the member is asked
    through a subscribe message."""
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status not in EDITABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )
    added = _new_lines(lines, store=get_store(order.store_id), actor=actor, order_status=order.status)
    order.lines.extend(added)
    pricing.price(order)
    db.session.flush()
    now = now or clock.now()
    _ask_member(order, [line for line in added if line.approval == "pending"], now=now)
    _audit_hand_prices(actor, order, added, now)
    return order


def remove_line(*, actor, work_order_id, line_id) -> WorkOrder:
    """Remove a line from an order that is open or in progress."""
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status not in EDITABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("work_order_line_not_found", "No such line on this work order.")
    order.lines.remove(line)
    pricing.price(order)
    db.session.flush()
    return order


def record_order_mileage(*, actor, work_order_id, mileage_km) -> WorkOrder:
    """Record the odometer reading taken when the car came in, on an order not yet paid (open, in
    progress or completed; 409 work_order_not_editable otherwise). The car's mileage follows and never
    goes backwards (422 mileage_backwards: a mistaken earlier reading is corrected on the car, with a
    reason). The order's reading is the one its maintenance record takes at settle."""
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status not in SETTLEABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )
    record_mileage(get_vehicle(vehicle_id=order.vehicle_id), mileage_km)
    order.mileage_km = mileage_km
    db.session.flush()
    return order


def change_status(*, actor, work_order_id, status, now=None) -> WorkOrder:
    """open → in_progress → completed, back to in_progress, or cancelled before settlement.

    ``started_at`` is when work first began; ``completed_at`` when the car was last reported ready
    (cleared while it is back in progress). Completing an order of a member queues the car-ready
    notice, once per order however often it is completed.
    """
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if status == order.status:
        return order
    if status not in TRANSITIONS.get(order.status, set()):
        raise Conflict(
            "invalid_status_change",
            f"A {order.status} work order cannot become {status}.",
            details={"from": order.status, "to": status},
        )
    now = now or clock.now()
    order.status = status
    if status == "cancelled":
        order.cancelled_at = now
    elif status == "in_progress":
        order.started_at = order.started_at or now
        order.completed_at = None
    elif status == "completed":
        order.started_at = order.started_at or now
        order.completed_at = now
    db.session.flush()
    if status == "completed" and order.member_id is not None:
        notices.queue_car_ready(
            member_id=order.member_id,
            work_order_id=order.id,
            store_id=order.store_id,
            plate=order.plate,
            completed_at=now,
        )
    return order


def _with_details(stmt):
    return stmt.options(
        selectinload(WorkOrder.lines), selectinload(WorkOrder.payments), selectinload(WorkOrder.vehicle)
    )


def _on_board(day):
    """The orders on the workshop board of the merchant-local ``day``: unfinished ones opened by
    its end (a car kept overnight stays on the board) and those settled on it."""
    start, end = clock.local_day_bounds(day, merchant_timezone())
    return or_(
        and_(WorkOrder.status.in_(UNFINISHED), WorkOrder.created_at < end),
        and_(WorkOrder.status == "settled", WorkOrder.settled_at >= start, WorkOrder.settled_at < end),
    )


def list_work_orders(
    *, actor, plate=None, status=None, store_id=None, board_date=None, vehicle_id=None, page=1, per_page=20
):
    """Orders newest first, filtered by plate fragment, status, store, the workshop board's day and
    one car; staff see their stores."""
    stmt = _with_details(select(WorkOrder)).order_by(WorkOrder.id.desc())
    if store_id is not None:
        _check_store(actor, store_id)
        stmt = stmt.where(WorkOrder.store_id == store_id)
    elif not actor.is_owner:
        stmt = stmt.where(WorkOrder.store_id.in_(actor.store_ids or (-1,)))
    if plate:
        stmt = stmt.where(WorkOrder.plate.contains(normalize_plate(plate), autoescape=True))
    if vehicle_id is not None:
        stmt = stmt.where(WorkOrder.vehicle_id == vehicle_id)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    if board_date is not None:
        stmt = stmt.where(_on_board(board_date))
    return paginate(stmt, page, per_page)


def list_member_work_orders(*, member_id, page=1, per_page=20):
    stmt = _with_details(select(WorkOrder)).where(WorkOrder.member_id == member_id).order_by(WorkOrder.id.desc())
    return paginate(stmt, page, per_page)


def get_member_work_order(*, member_id, work_order_id) -> WorkOrder:
    """A member's own order; another's looks exactly like a missing one (404)."""
    order = db.session.get(WorkOrder, work_order_id)
    if order is None or order.member_id != member_id:
        raise NotFound("work_order_not_found", "No such work order.")
    return order


def link_member(order):
    """A walk-in order picks up the member who claimed the car since it was opened."""
    if order.member_id is None:
        order.member_id = find_or_create_by_plate(order.plate).member_id
    return order


def ensure_settleable(order):
    """Settle, quote and the member's payment need an order that is not final, with lines to pay
    for, and no extra work still waiting for the member's approval (409 approval_pending)."""
    if order.status == "paying":
        raise Conflict("work_order_paying", "The member is paying this order in the mini-program.")
    if order.status not in SETTLEABLE:
        raise Conflict(
            "work_order_not_settleable",
            f"A {order.status} work order cannot be settled.",
            details={"status": order.status},
        )
    if not order.billable_lines:
        raise Unprocessable("work_order_empty", "Add labor or parts before settling.")
    pending = order.pending_line_ids
    if pending:
        raise Conflict(
            "approval_pending",
            "Extra work on this order awaits the member's approval.",
            details={"line_ids": pending},
        )
