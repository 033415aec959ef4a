"""The car-care and anniversary reminders: insurance renewal, annual inspection, membership and
car-purchase anniversaries. Each is a daily job ``job(*, today, now)`` that only inserts outbox rows
(``INSERT ... SELECT``, keyed so that a rerun inserts nothing); the sender takes a grant for each
and puts the member on the call list when none is left (or the push fails).

- Insurance renewal: ``insurance_reminder_days`` before the car's insurance expiry (default 30 and
  7), one push per lead time and expiry date. A push is due on its day; the day after also catches
  it up if that day's run was missed (as the maintenance reminders do).
- Annual inspection: ``inspection_reminder_days`` (default 30) before the next due date by the
  national rule (app/marketing/inspection.py), once per due date, with the same one-day catch-up.
  Vans and commercial cars are left out.
- Membership anniversary: on the day the member joined, every full year after (29 February joins
  on 28 February in non-leap years), once a year.
- Car-purchase anniversary: on the day the car was bought, every full year after (same Feb 29 rule).

Only members that are neither merged into another nor blocked are reminded.
"""

import calendar
from datetime import date, timedelta

from sqlalchemy import String, and_, case, cast, literal, or_, select

from app.common import clock
from app.marketing import inspection
from app.marketing.outbox import enqueue_messages, home_store, key
from app.marketing.settings_services import marketing_settings
from app.members.models import Member, Vehicle
from app.merchant.services import merchant_timezone

CATCH_UP_DAYS = 1
# How many years back anniversaries are looked for.
MAX_ANNIVERSARY_YEARS = 60
INSPECTION_LABELS = {inspection.STATION: "上线检验", inspection.STICKER: "申领检验标志"}


def _days(day, count):
    return day + timedelta(days=count)


def _reachable_member():
    return Member.merged_into_id.is_(None), Member.blocked_at.is_(None)


def _car_rows(occasion, due, detail=None):
    columns = [
        Vehicle.member_id.label("member_id"),
        occasion.label("dedupe_key"),
        literal("vehicle").label("ref_type"),
        Vehicle.id.label("ref_id"),
        Vehicle.plate.label("plate"),
        due.label("occasion_date"),
        home_store(Member.id, Member.registered_store_id).label("store_id"),
    ]
    if detail is not None:
        columns.append(detail.label("detail"))
    return select(*columns).join(Member, Member.id == Vehicle.member_id).where(*_reachable_member())


# -- insurance renewal ----------------------------------------------------------------------------


def insurance_renewal_reminders(*, today, now):
    """One push per car and lead time (``insurance_reminder_days``) before its insurance expires:
    due ``lead`` days before the expiry, or a day later if that run was missed."""
    queued = 0
    for lead in sorted(set(marketing_settings().insurance_reminder_days or [])):
        window = (_days(today, lead - CATCH_UP_DAYS), _days(today, lead))
        occasion = key("insurance_renewal", Vehicle.member_id, Vehicle.id, Vehicle.insurance_expires_on, lead)
        queued += enqueue_messages(
            _car_rows(occasion, Vehicle.insurance_expires_on).where(
                Vehicle.insurance_expires_on.between(*window), Vehicle.insurance_expires_on > today
            ),
            kind="insurance_renewal",
            now=now,
        )
    return {"queued": queued}


# -- annual inspection ----------------------------------------------------------------------------


def inspection_reminders(*, today, now):
    """One push per car and inspection due date, ``inspection_reminder_days`` before it (or a day
    later if that run was missed); vans and commercial cars are left out (their schedule differs)."""
    lead = marketing_settings().inspection_reminder_days
    due_by_registration = {}
    for offset in range(CATCH_UP_DAYS + 1):
        due_day = _days(today, lead - offset)
        for registered, months in inspection.registrations_due_on(due_day).items():
            due_by_registration[registered] = (due_day, INSPECTION_LABELS[inspection.inspection_kind(months)])
    if not due_by_registration:
        return {"queued": 0}
    due = case({day: due for day, (due, _) in due_by_registration.items()}, value=Vehicle.registration_date)
    label = case({day: text for day, (_, text) in due_by_registration.items()}, value=Vehicle.registration_date)
    occasion = key("annual_inspection", Vehicle.member_id, Vehicle.id, due)
    queued = enqueue_messages(
        _car_rows(occasion, due, label).where(
            Vehicle.registration_date.in_(list(due_by_registration)),
            or_(Vehicle.inspection_class.is_(None), Vehicle.inspection_class == inspection.SMALL_PASSENGER),
        ),
        kind="annual_inspection",
        now=now,
    )
    return {"queued": queued}


# -- anniversaries --------------------------------------------------------------------------------


def anniversary_dates(today, max_years=MAX_ANNIVERSARY_YEARS):
    """{date: years} of the dates whose anniversary is ``today`` (1 to ``max_years`` years ago);
    29 February counts on 28 February in non-leap years."""
    found = {}
    for years in range(1, max_years + 1):
        year = today.year - years
        if today.month == 2 and today.day == 29:
            found[date(year, 2, 29) if calendar.isleap(year) else None] = years
        else:
            found[date(year, today.month, today.day)] = years
            if today.month == 2 and today.day == 28 and not calendar.isleap(today.year) and calendar.isleap(year):
                found[date(year, 2, 29)] = years
    found.pop(None, None)
    return found


def _text(before, number, after):
    return literal(before, String) + cast(number, String) + literal(after, String)


def member_anniversaries(*, today, now):
    """Members who joined on this day of an earlier year (their local join day), once a year."""
    tz_name = merchant_timezone()
    joined = anniversary_dates(today)
    bounds = {day: clock.local_day_bounds(day, tz_name) for day in joined}
    within = {day: and_(Member.created_at >= start, Member.created_at < end) for day, (start, end) in bounds.items()}
    years = case(*[(condition, joined[day]) for day, condition in within.items()])
    detail = _text("入会", years, "周年")
    queued = enqueue_messages(
        select(
            Member.id.label("member_id"),
            key("member_anniversary", Member.id, today.year).label("dedupe_key"),
            literal(today).label("occasion_date"),
            detail.label("detail"),
            home_store(Member.id, Member.registered_store_id).label("store_id"),
        ).where(*_reachable_member(), or_(*within.values())),
        kind="member_anniversary",
        now=now,
    )
    return {"queued": queued}


def purchase_anniversaries(*, today, now):
    """Cars bought on this day of an earlier year, once a year per car."""
    bought = anniversary_dates(today)
    years = case(bought, value=Vehicle.purchase_date)
    detail = _text("爱车", years, "周年")
    occasion = key("purchase_anniversary", Vehicle.member_id, Vehicle.id, today.year)
    queued = enqueue_messages(
        _car_rows(occasion, literal(today), detail).where(Vehicle.purchase_date.in_(list(bought))),
        kind="purchase_anniversary",
        now=now,
    )
    return {"queued": queued}
