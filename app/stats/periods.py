"""Stats periods: merchant-local days turned into UTC instants, and "which local day" in SQL.

A period is a run of whole local days, ``first_day`` to ``last_day`` inclusive, in the merchant's
timezone; its UTC bounds come from ``clock.local_day_bounds`` (start inclusive, end exclusive), so
an order settled at 23:30 local time belongs to that local day whatever its UTC date.

Grouping by local day in SQL (``local_date``):
 * PostgreSQL: ``timezone('<zone>', settled_at)::date`` (the function form of ``settled_at AT TIME
   ZONE '<zone>'``) — the database converts each instant with the zone's own rules, daylight saving
   time included.
 * SQLite keeps naive UTC text and knows no zones, so the zone's UTC offsets over the period are
   worked out in Python (``offset_segments``: the offset and the UTC instant where each change takes
   effect) and the column is shifted with ``date(x, '+28800 seconds')``; a zone that changes its
   offset inside the period gets one CASE branch per stretch of constant offset, split at the exact
   UTC instant of the change. Asia/Shanghai has a single offset (+08:00), so one expression.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, cast, func, literal

from app.common import clock
from app.common.db import UTCDateTime, is_sqlite
from app.common.errors import Unprocessable
from app.extensions import db

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    tz_name: str
    start: datetime  # UTC, inclusive: the first day's local midnight
    end: datetime  # UTC, exclusive: the local midnight after the last day

    @property
    def days(self):
        return [date.fromordinal(n) for n in range(self.first_day.toordinal(), self.last_day.toordinal() + 1)]


def make_period(*, first_day=None, last_day=None, tz_name, now=None, max_days=None) -> Period:
    """The period of local days ``first_day``..``last_day``; missing ends default to the 30 local
    days ending today. ``from`` after ``to`` (or a period longer than ``max_days``) → 422."""
    if last_day is None:
        last_day = (
            clock.local_today(tz_name, now) if first_day is None else max(first_day, clock.local_today(tz_name, now))
        )
    if first_day is None:
        first_day = last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise Unprocessable(
            "invalid_period",
            "from must not be after to.",
            details={"from": first_day.isoformat(), "to": last_day.isoformat()},
        )
    if max_days is not None and (last_day - first_day).days + 1 > max_days:
        raise Unprocessable(
            "period_too_long", f"A period covers at most {max_days} days.", details={"max_days": max_days}
        )
    start = clock.local_day_bounds(first_day, tz_name)[0]
    end = clock.local_day_bounds(last_day, tz_name)[1]
    return Period(first_day, last_day, tz_name, start, end)


def _offset(zone, instant):
    return int(instant.astimezone(zone).utcoffset().total_seconds())


def offset_segments(start, end, tz_name):
    """[(from_instant, offset_seconds)] covering [start, end): the zone's UTC offset and the UTC
    instant where it takes effect (the first segment starts at ``start``). Changes are found day by
    day and pinned to the second by bisection."""
    zone = ZoneInfo(tz_name)
    segments = [(start, _offset(zone, start))]
    cursor = start
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if _offset(zone, step) != segments[-1][1]:
            low, high = cursor, step  # offset(low) is the current one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            segments.append((high.replace(microsecond=0), _offset(zone, high)))
        cursor = step
    return segments


def local_date(column, period: Period):
    """SQL for the merchant-local date of the instant ``column`` (see the module docstring)."""
    if not is_sqlite(db.session):
        return cast(func.timezone(period.tz_name, column), Date)
    segments = offset_segments(period.start, period.end, period.tz_name)
    shifted = [func.date(column, f"{offset:+d} seconds") for _, offset in segments]
    if len(shifted) == 1:
        return shifted[0]
    branches = [
        (column < literal(changes_at, UTCDateTime()), expression)
        for (changes_at, _), expression in zip(segments[1:], shifted[:-1], strict=False)
    ]
    return case(*branches, else_=shifted[-1])


def as_date(value):
    """A local-date result as ``date`` (SQLite answers text, PostgreSQL a date)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def in_period(column, period: Period):
    """``column`` within the period's UTC bounds (start inclusive, end exclusive)."""
    return (column >= period.start) & (column < period.end)
