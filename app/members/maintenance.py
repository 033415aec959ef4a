"""When a vehicle is next due for maintenance.

After maintenance on ``last_date`` at ``last_km`` with an item's interval (months and/or km), the
next due date is the earlier of
  * ``last_date + interval months`` and
  * the day the car is projected to reach ``last_km + interval km``, at the car's own pace: km/day
    between its first recorded reading and its latest one (needs at least
    ``MIN_HISTORY_DAYS`` days and some distance between them; otherwise the km rule gives no date).
The due mileage is ``last_km + interval km`` (none when the mileage or the km interval is unknown).
An order with several interval items takes the earliest date and the lowest mileage.

A later odometer reading (a follow-up call asks for one on every call) re-forecasts: with the new
reading the car's pace is known better, so the day it reaches the due mileage is projected from
that reading (the reading's day when the car is already past it), and the due date becomes the
earlier of that day and the calendar rule's date (kept in ``next_maintenance_months_date``;
migration 0031 filled it with the due date then forecast, for cars maintained before it was kept).
"""

import math
from datetime import timedelta

from app.common import clock
from app.extensions import db
from app.members.models import Vehicle

MIN_HISTORY_DAYS = 30


def km_per_day(vehicle):
    """The car's average km/day from its first to its latest reading, or None if too little history."""
    if None in (
        vehicle.first_mileage_km,
        vehicle.first_mileage_recorded_at,
        vehicle.mileage_km,
        vehicle.mileage_recorded_at,
    ):
        return None
    days = (vehicle.mileage_recorded_at - vehicle.first_mileage_recorded_at).total_seconds() / 86400
    distance = vehicle.mileage_km - vehicle.first_mileage_km
    if days < MIN_HISTORY_DAYS or distance <= 0:
        return None
    return distance / days


def next_due(*, last_date, last_km, interval_months=None, interval_km=None, pace_km_per_day=None):
    """(due_date, due_km) for one interval item; either may be None."""
    dates = []
    if interval_months:
        dates.append(clock.add_months(last_date, interval_months))
    due_km = last_km + interval_km if (interval_km and last_km is not None) else None
    if interval_km and pace_km_per_day:
        # Rounded down: remind a day early rather than a day late.
        dates.append(last_date + timedelta(days=math.floor(interval_km / pace_km_per_day)))
    return (min(dates) if dates else None), due_km


def record_maintenance(*, vehicle_id, intervals, on_date, mileage_km=None):
    """Record maintenance done on ``on_date`` (the merchant's local date) and move the next due date.

    ``intervals``: [(interval_months, interval_km), ...] of the maintenance items performed; items
    without any interval are ignored. Returns the vehicle (unchanged when no item has an interval).
    """
    vehicle = db.session.get(Vehicle, vehicle_id)
    intervals = [(months, km) for months, km in intervals if months or km]
    if vehicle is None or not intervals:
        return vehicle
    last_km = mileage_km if mileage_km is not None else vehicle.mileage_km
    pace = km_per_day(vehicle)
    dues = [
        next_due(last_date=on_date, last_km=last_km, interval_months=months, interval_km=km, pace_km_per_day=pace)
        for months, km in intervals
    ]
    due_dates = [due_date for due_date, _ in dues if due_date is not None]
    due_kms = [due_km for _, due_km in dues if due_km is not None]
    vehicle.last_maintenance_date = on_date
    vehicle.last_maintenance_km = last_km
    vehicle.next_maintenance_due_date = min(due_dates) if due_dates else None
    months_dates = [clock.add_months(on_date, months) for months, _ in intervals if months]
    vehicle.next_maintenance_months_date = min(months_dates) if months_dates else None
    vehicle.next_maintenance_due_km = min(due_kms) if due_kms else None
    db.session.flush()
    return vehicle


def reforecast(vehicle, *, on_date):
    """Move the next due date after a new odometer reading taken on ``on_date`` (local date).

    Only a car with a due mileage and a known pace moves (see the module docstring); returns
    whether the due date changed."""
    due_km, reading = vehicle.next_maintenance_due_km, vehicle.mileage_km
    pace = km_per_day(vehicle)
    if due_km is None or reading is None or vehicle.last_maintenance_date is None or not pace:
        return False
    # Rounded down: remind a day early rather than a day late.
    km_date = on_date + timedelta(days=max(0, math.floor((due_km - reading) / pace)))
    calendar = vehicle.next_maintenance_months_date
    due = min(km_date, calendar) if calendar is not None else km_date
    if due == vehicle.next_maintenance_due_date:
        return False
    vehicle.next_maintenance_due_date = due
    db.session.flush()
    return True
