"""The one source of "now", so time-dependent rules can be tested on any date.

Production reads the system clock; tests call ``set_now`` (or use freezegun). Everything stored is
UTC; the merchant's timezone decides what "today" means.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UTC = UTC
_override = None


def now():
    """The current instant, timezone-aware UTC."""
    if _override is not None:
        return _override
    return datetime.now(UTC)


def set_now(instant):
    """Pin the clock (tests); ``None`` returns to the system clock."""
    global _override
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock takes timezone-aware instants")
    _override = instant.astimezone(UTC) if instant is not None else None


def zone(tz_name):
    return ZoneInfo(tz_name)


def local_today(tz_name, instant=None):
    """The merchant's calendar date at ``instant`` (default: now)."""
    return (instant or now()).astimezone(ZoneInfo(tz_name)).date()


def local_day_bounds(day: date, tz_name):
    """The UTC instants where the merchant's local ``day`` starts and ends (end exclusive)."""
    tz = ZoneInfo(tz_name)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validity_end(days: int, tz_name, instant=None):
    """The (exclusive) end of a validity of ``days`` merchant-local days that includes the day of
    ``instant``: 1 day means until the end of that day, 7 days until the end of the sixth day after."""
    start_day = local_today(tz_name, instant)
    return local_day_bounds(date.fromordinal(start_day.toordinal() + days - 1), tz_name)[1]
