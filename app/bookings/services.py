"""Bookings: the slot grid with availability, booking under the store's capacity, cancelling,
rescheduling, no-shows, check-in into a work order, and the reminder list.

Capacity rule: in every slot a booking covers, the bookings holding a bay (booked or checked in)
never outnumber the store's bays. Booking and rescheduling count and take capacity while holding
the store's row lock (``lock_store``), so concurrent requests for the last bay are serialised and
exactly one wins; cancelling or a no-show frees the bay at once.
"""

from datetime import timedelta

from sqlalchemy import select, update

from app.bookings.models import HOLDS_A_BAY, Booking
from app.bookings.slots import bays_in_use, day_grid, occupied_span
from app.catalog.services import get_service_item
from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.vehicle_services import get_member_vehicle
from app.merchant.services import merchant_timezone
from app.stores.services import get_store, lock_store
from app.workorders.services import open_work_order

# How far ahead members may book, in the merchant's calendar days.
BOOKING_HORIZON_DAYS = 60
# No booking lasts a day (it ends by closing time), so one that overlaps an instant started
# less than a day before it: this bounds the index range the overlap queries scan.
_LONGEST_BOOKING = timedelta(days=1)


def _local(instant, tz_name):
    return instant.astimezone(clock.zone(tz_name))


def _holding_bays(*, start, end, store_id=None, vehicle_id=None, exclude_id=None):
    """Bookings that hold a bay at some moment of [start, end): one query."""
    stmt = select(Booking).where(
        Booking.status.in_(HOLDS_A_BAY),
        Booking.start_at < end,
        Booking.start_at > start - _LONGEST_BOOKING,
        Booking.end_at > start,
    )
    if store_id is not None:
        stmt = stmt.where(Booking.store_id == store_id)
    if vehicle_id is not None:
        stmt = stmt.where(Booking.vehicle_id == vehicle_id)
    if exclude_id is not None:
        stmt = stmt.where(Booking.id != exclude_id)
    return db.session.scalars(stmt).all()


def _bookable_item(service_item_id):
    item = get_service_item(service_item_id)
    if not item.is_active:
        raise NotFound("service_item_not_found", "No such service item.")
    return item


def available_slots(*, store_id, day, service_item_id=None):
    """The slots of the store's local ``day`` at which the item (default: one slot) can start,
    each with ``available`` = bays free for the whole span. Starts already past are left out; a
    closed day has none. The day's bookings are read in one query."""
    store = get_store(store_id)
    slot_minutes = store.slot_minutes
    duration = _bookable_item(service_item_id).duration_minutes if service_item_id else slot_minutes
    tz_name = merchant_timezone()
    grid = day_grid(store, day, tz_name)
    if grid is None or day > clock.local_today(tz_name) + timedelta(days=BOOKING_HORIZON_DAYS):
        return []
    span = occupied_span(duration, slot_minutes)
    bookings = _holding_bays(start=grid.opens, end=grid.closes, store_id=store.id)
    now = clock.now()
    return [
        {
            "start": start,
            "end": start + span,
            "available": max(0, store.bays - bays_in_use(bookings, start, start + span, grid.slot)),
        }
        for start in grid.starts(span)
        if start > now
    ]


def _validated_window(store, start, span):
    """Refuse a start in the past, beyond the horizon, on a closed day, outside the hours, off the
    slot grid, or whose span runs past closing; all judged in the merchant's timezone."""
    tz_name = merchant_timezone()
    local_start = _local(start, tz_name)
    if start <= clock.now():
        raise Unprocessable(
            "booking_in_past", "This time has already passed.", details={"start": local_start.isoformat()}
        )
    day = local_start.date()
    if day > clock.local_today(tz_name) + timedelta(days=BOOKING_HORIZON_DAYS):
        raise Unprocessable(
            "booking_too_far_ahead",
            f"Bookings open {BOOKING_HORIZON_DAYS} days ahead.",
            details={"horizon_days": BOOKING_HORIZON_DAYS},
        )
    grid = day_grid(store, day, tz_name)
    if grid is None:
        raise Unprocessable("store_closed", "The store is closed on this day.", details={"date": day.isoformat()})
    hours = {"opens": _local(grid.opens, tz_name).isoformat(), "closes": _local(grid.closes, tz_name).isoformat()}
    if not grid.opens <= start < grid.closes:
        raise Unprocessable("outside_opening_hours", "The store is not open at this time.", details=hours)
    if not grid.is_aligned(start):
        raise Unprocessable(
            "slot_not_aligned",
            f"Bookings start on the {store.slot_minutes}-minute slot grid.",
            details={**hours, "slot_minutes": store.slot_minutes},
        )
    if start + span > grid.closes:
        raise Unprocessable(
            "slot_overruns_closing",
            "The service would run past closing time.",
            details={**hours, "end": _local(start + span, tz_name).isoformat()},
        )
    return grid


def _refuse_double_booking(*, vehicle_id, start, end, exclude_id=None):
    if _holding_bays(start=start, end=end, vehicle_id=vehicle_id, exclude_id=exclude_id):
        raise Conflict("vehicle_already_booked", "This vehicle already has a booking at this time.")


def _take_capacity(store, grid, start, end, exclude_id=None):
    """Call with the store locked: refuse (409 slot_full) when any covered slot has no free bay."""
    holding = _holding_bays(start=start, end=end, store_id=store.id, exclude_id=exclude_id)
    if bays_in_use(holding, start, end, grid.slot) >= store.bays:
        raise Conflict(
            "slot_full",
            "Every bay is taken for this time.",
            details={"start": _local(start, merchant_timezone()).isoformat()},
        )


def create_booking(*, member_id, store_id, vehicle_id, service_item_id, start) -> Booking:
    """Book the member's own vehicle (another's is 404) for an item at ``start``: the start must
    be valid for the store's hours (see _validated_window), the vehicle free, and a bay free in
    every slot the item's duration covers (else 409 slot_full)."""
    vehicle = get_member_vehicle(member_id=member_id, vehicle_id=vehicle_id)
    item = _bookable_item(service_item_id)
    store = lock_store(store_id)
    end = start + occupied_span(item.duration_minutes, store.slot_minutes)
    grid = _validated_window(store, start, end - start)
    _refuse_double_booking(vehicle_id=vehicle.id, start=start, end=end)
    _take_capacity(store, grid, start, end)
    booking = Booking(
        store_id=store.id,
        member_id=member_id,
        vehicle_id=vehicle.id,
        plate=vehicle.plate,
        service_item_id=item.id,
        start_at=start,
        end_at=end,
        status="booked",
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def list_member_bookings(*, member_id, status=None, page=1, per_page=20):
    stmt = select(Booking).where(Booking.member_id == member_id).order_by(Booking.start_at.desc(), Booking.id.desc())
    if status:
        stmt = stmt.where(Booking.status == status)
    return paginate(stmt, page, per_page)


def get_member_booking(*, member_id, booking_id) -> Booking:
    """A member's own booking; another member's looks exactly like a missing one (404)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.member_id != member_id:
        raise NotFound("booking_not_found", "No such booking.")
    return booking


def get_staff_booking(*, actor, booking_id) -> Booking:
    """A booking of one of the staff member's stores (the owner's: any); others are 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not actor.can_access_store(booking.store_id):
        raise NotFound("booking_not_found", "No such booking.")
    return booking


def list_store_bookings(*, actor, store_id=None, day=None, status=None, page=1, per_page=20):
    """Bookings starting on the merchant-local ``day`` (default today), by start time; cashiers see
    only their stores (asking for another store is 403)."""
    if store_id is not None and not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")
    tz_name = merchant_timezone()
    day_start, day_end = clock.local_day_bounds(day or clock.local_today(tz_name), tz_name)
    stmt = select(Booking).where(Booking.start_at >= day_start, Booking.start_at < day_end)
    if store_id is not None:
        stmt = stmt.where(Booking.store_id == store_id)
    elif not actor.is_owner:
        stmt = stmt.where(Booking.store_id.in_(actor.store_ids))
    if status:
        stmt = stmt.where(Booking.status == status)
    return paginate(stmt.order_by(Booking.start_at, Booking.id), page, per_page)


def _move(booking, *, to_status, **values):
    """Leave ``booked`` for ``to_status`` with a conditional UPDATE, so of two concurrent
    transitions (two check-ins, a cancel and a check-in) exactly one happens; the other is 409."""
    result = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "booked")
        .values(status=to_status, updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(booking)
        _refuse_unless_booked(booking)
    db.session.refresh(booking)
    return booking


def _refuse_unless_booked(booking):
    if booking.status == "checked_in":
        raise Conflict(
            "already_checked_in",
            "This booking is already checked in.",
            details={"work_order_id": booking.work_order_id},
        )
    if booking.status != "booked":
        raise Conflict(
            "booking_not_active",
            f"This booking is {booking.status.replace('_', ' ')}.",
            details={"status": booking.status},
        )


def _refuse_after_cutoff(booking, store, code, action):
    cutoff = timedelta(minutes=store.booking_cancel_cutoff_minutes)
    if clock.now() > booking.start_at - cutoff:
        latest = _local(booking.start_at - cutoff, merchant_timezone()).isoformat()
        raise Conflict(
            code,
            f"Bookings can be {action} until {store.booking_cancel_cutoff_minutes} minutes "
            "before the start; call the store.",
            details={"cutoff_minutes": store.booking_cancel_cutoff_minutes, "latest": latest},
        )


def cancel_member_booking(*, member_id, booking_id, reason=None) -> Booking:
    """Members cancel their own booking until the store's cut-off before the start; the bay is freed."""
    booking = get_member_booking(member_id=member_id, booking_id=booking_id)
    _refuse_unless_booked(booking)
    _refuse_after_cutoff(booking, get_store(booking.store_id), "cancel_cutoff_passed", "cancelled")
    return _move(booking, to_status="cancelled", cancelled_at=clock.now(), cancelled_by="member", cancel_reason=reason)


def cancel_booking_by_staff(*, actor, booking_id, reason=None) -> Booking:
    """Staff of the store cancel a booking at any time; the bay is freed."""
    booking = get_staff_booking(actor=actor, booking_id=booking_id)
    return _move(booking, to_status="cancelled", cancelled_at=clock.now(), cancelled_by="staff", cancel_reason=reason)


def reschedule_member_booking(*, member_id, booking_id, start) -> Booking:
    """Move a member's booking to another start at the same store, under the same rules as a new
    booking (its own bay does not count against it) and the same cut-off as cancelling."""
    booking = get_member_booking(member_id=member_id, booking_id=booking_id)
    _refuse_unless_booked(booking)
    store = lock_store(booking.store_id)
    _refuse_after_cutoff(booking, store, "reschedule_cutoff_passed", "rescheduled")
    end = start + occupied_span(get_service_item(booking.service_item_id).duration_minutes, store.slot_minutes)
    grid = _validated_window(store, start, end - start)
    _refuse_double_booking(vehicle_id=booking.vehicle_id, start=start, end=end, exclude_id=booking.id)
    _take_capacity(store, grid, start, end, exclude_id=booking.id)
    result = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "booked")
        .values(start_at=start, end_at=end, reschedule_count=Booking.reschedule_count + 1, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(booking)
    if result.rowcount != 1:
        _refuse_unless_booked(booking)
    return booking


def mark_no_show(*, actor, booking_id) -> Booking:
    """Staff mark a booked car that did not come, once its start time has passed; the bay is freed."""
    booking = get_staff_booking(actor=actor, booking_id=booking_id)
    _refuse_unless_booked(booking)
    now = clock.now()
    if now < booking.start_at:
        raise Conflict(
            "booking_not_started",
            "A no-show can be marked only after the start time.",
            details={"start": _local(booking.start_at, merchant_timezone()).isoformat()},
        )
    return _move(booking, to_status="no_show", no_show_at=now)


def check_in(*, actor, booking_id, mileage_km=None):
    """The booked car arrived: open a work order for its vehicle and booked item and link it.
    Allowed from the booking's local day on; a booking checks in once (a second time is 409).
    Returns ``(booking, work_order)``."""
    booking = get_staff_booking(actor=actor, booking_id=booking_id)
    _refuse_unless_booked(booking)
    tz_name = merchant_timezone()
    if clock.local_today(tz_name) < _local(booking.start_at, tz_name).date():
        raise Conflict(
            "check_in_too_early",
            "Bookings are checked in on their day.",
            details={"start": _local(booking.start_at, tz_name).isoformat()},
        )
    # Claim the booking first: a concurrent second check-in stops here and opens no work order.
    _move(booking, to_status="checked_in", checked_in_at=clock.now())
    work_order = open_work_order(
        actor=actor,
        store_id=booking.store_id,
        plate=booking.plate,
        lines=[{"service_item_id": booking.service_item_id, "quantity": 1}],
        mileage_km=mileage_km,
        booking_id=booking.id,
    )
    booking.work_order_id = work_order.id
    db.session.flush()
    return booking, work_order


def bookings_for_reminder(*, day) -> list[Booking]:
    """Bookings still ``booked`` that start on the merchant-local ``day`` (the reminder job passes
    tomorrow), by start time. Each has member_id, vehicle_id, plate, store_id, start_at."""
    tz_name = merchant_timezone()
    day_start, day_end = clock.local_day_bounds(day, tz_name)
    return db.session.scalars(
        select(Booking)
        .where(Booking.status == "booked", Booking.start_at >= day_start, Booking.start_at < day_end)
        .order_by(Booking.start_at, Booking.id)
    ).all()
