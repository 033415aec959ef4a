"""The slot grid of one store day, computed in the merchant's local time (no database).

Slots start at opening time and repeat every ``slot_minutes``. A service item occupies
ceil(duration / slot_minutes) consecutive slots; a start whose span would run past closing time is
not offered. Arithmetic is done on UTC instants, so a service lasts its real length even on a
daylight-saving day; local wall-clock times only decide opening, closing and the calendar day.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.common.clock import UTC, zone
from app.stores.services import opening_hours_on


@dataclass(frozen=True)
class DayGrid:
    day: date
    opens: datetime  # UTC
    closes: datetime  # UTC
    slot: timedelta

    def starts(self, span: timedelta):
        """Every slot start from which ``span`` fits before closing."""
        start = self.opens
        while start + span <= self.closes:
            yield start
            start += self.slot

    def is_aligned(self, start: datetime) -> bool:
        return (start - self.opens) % self.slot == timedelta(0)


def day_grid(store, day: date, tz_name: str) -> DayGrid | None:
    """The store's grid on the local ``day``, or None when it is closed that day."""
    hours = opening_hours_on(store, day)
    if hours is None:
        return None
    tz = zone(tz_name)
    opens, closes = (datetime.combine(day, moment, tzinfo=tz).astimezone(UTC) for moment in hours)
    return DayGrid(day=day, opens=opens, closes=closes, slot=timedelta(minutes=store.slot_minutes))


def occupied_span(duration_minutes: int, slot_minutes: int) -> timedelta:
    """How long a service holds a bay: its duration rounded up to whole slots (at least one)."""
    return timedelta(minutes=max(1, math.ceil(duration_minutes / slot_minutes)) * slot_minutes)


def bays_in_use(bookings, start: datetime, end: datetime, slot: timedelta) -> int:
    """The most bays the given bookings hold at once in any slot of [start, end)."""
    busiest = 0
    slot_start = start
    while slot_start < end:
        slot_end = slot_start + slot
        busiest = max(busiest, sum(1 for b in bookings if b.start_at < slot_end and b.end_at > slot_start))
        slot_start = slot_end
    return busiest
