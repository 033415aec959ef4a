"""The till of a store's day and shift closes (交班 / 日结).

A shift (班) is one cashier's time at one store within one merchant-local day: from their previous
close at that store that day (or the day's start) until they close it. Closing records the cash
the till expects from that cashier's own takings in the shift (plus the float they started with),
the cash they counted and the difference, append-only. The day close (日结) is the owner's read of
the store's till for the day: the store's figures, every cashier's, and every shift closed that
day with its difference — nothing further is written, since the figures come from the ledgers.
"""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.common.errors import Conflict, Forbidden, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.merchant.services import merchant_timezone
from app.stores.services import get_store, staff_names
from app.till import figures as till_figures
from app.till.models import TillShift

MAX_SHIFT_DAYS = 366


def _check_store(actor, store_id):
    get_store(store_id)
    if not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")


def _shifts_of(actor, store_id, first_day, last_day):
    stmt = select(TillShift).where(
        TillShift.store_id == store_id, TillShift.business_date >= first_day, TillShift.business_date <= last_day
    )
    if not actor.is_owner:
        stmt = stmt.where(TillShift.staff_id == actor.id)
    return stmt.order_by(TillShift.closed_at.desc(), TillShift.id.desc())


def _named(rows):
    names = staff_names(row["staff_id"] for row in rows)
    return [{**row, "username": names.get(row["staff_id"])} for row in rows]


def _shift_rows(shifts):
    """Shifts as dicts with the cashier's username (for the owner reading the differences)."""
    columns = [column.key for column in TillShift.__table__.columns]
    return _named([{name: getattr(shift, name) for name in columns} for shift in shifts])


def day_till(*, actor, store_id, day: date | None = None, now=None) -> dict:
    """The store's till for a merchant-local day (default today): the owner sees the store's figures,
    every cashier's (staff_id None: the mini-program's payments and the refunds) and every shift
    closed that day; counter staff see their own figures and shifts only (store is null)."""
    _check_store(actor, store_id)
    tz = merchant_timezone()
    day = day or clock.local_today(tz, now)
    start, end = clock.local_day_bounds(day, tz)
    collected = till_figures.collect(store_id=store_id, start=start, end=end)
    if actor.is_owner:
        staff_keys = sorted((key for key in collected if key != till_figures.STORE), key=lambda k: (k is None, k or 0))
    else:
        staff_keys = [actor.id]
    cashiers = _named([{"staff_id": key, **collected.get(key, till_figures.empty())} for key in staff_keys])
    shifts = db.session.scalars(_shifts_of(actor, store_id, day, day)).all()
    return {
        "store_id": store_id,
        "date": day,
        "timezone": tz,
        "start": start,
        "end": end,
        "store": collected[till_figures.STORE] if actor.is_owner else None,
        "cashiers": cashiers,
        "shifts": _shift_rows(shifts),
        "shift_difference_fen": sum(shift.difference_fen for shift in shifts),
    }


def close_shift(*, actor, store_id, counted_cash_fen, opening_float_fen=0, note=None, now=None) -> TillShift:
    """Close the caller's shift at the store (see the module docstring): the expected cash is the
    caller's cash taken + cash top-ups + cash card sales − cash principal refunds since the shift
    began, plus ``opening_float_fen``; difference = counted − expected. Two closes racing from the
    same start: one is recorded, the other → 409 shift_already_closed."""
    _check_store(actor, store_id)
    for name, value in (("counted_cash_fen", counted_cash_fen), ("opening_float_fen", opening_float_fen)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Unprocessable(f"invalid_{name}", f"{name} must be a non-negative integer.")
    now = now or clock.now()
    tz = merchant_timezone()
    day = clock.local_today(tz, now)
    day_start = clock.local_day_bounds(day, tz)[0]
    previous = db.session.scalar(
        select(func.max(TillShift.closed_at)).where(
            TillShift.store_id == store_id, TillShift.staff_id == actor.id, TillShift.business_date == day
        )
    )
    started_at = previous or day_start
    figures = till_figures.collect(store_id=store_id, start=started_at, end=now).get(actor.id, till_figures.empty())
    expected = till_figures.cash_expected(figures, opening_float_fen)
    shift = TillShift(
        store_id=store_id,
        staff_id=actor.id,
        business_date=day,
        started_at=started_at,
        closed_at=now,
        opening_float_fen=opening_float_fen,
        expected_cash_fen=expected,
        counted_cash_fen=counted_cash_fen,
        difference_fen=counted_cash_fen - expected,
        note=note,
        figures={**figures, "cash_expected_fen": expected},
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(shift)
    except IntegrityError:
        raise Conflict("shift_already_closed", "This shift was closed by another request; reload the till.")
    return _shift_rows([shift])[0]


def list_shifts(*, actor, store_id, first_day=None, last_day=None, page=1, per_page=20, now=None) -> dict:
    """Shifts closed at the store on the merchant-local days first_day..last_day (default today),
    newest first: every cashier's for the owner, the caller's own for counter staff."""
    _check_store(actor, store_id)
    today = clock.local_today(merchant_timezone(), now)
    last_day = last_day or first_day or today
    first_day = first_day or last_day
    if first_day > last_day or (last_day - first_day).days >= MAX_SHIFT_DAYS:
        raise Unprocessable(
            "invalid_period",
            f"from must not be after to, and the period is at most {MAX_SHIFT_DAYS} days.",
            details={"from": first_day.isoformat(), "to": last_day.isoformat()},
        )
    result = paginate(_shifts_of(actor, store_id, first_day, last_day), page, per_page)
    return {**result, "items": _shift_rows(result["items"])}
