"""Days, weekdays, hours and "now" are the merchant's (Asia/Shanghai, +08:00), not UTC's.

Tuesday DAY 00:30 local is Monday 16:30 UTC. The store opens Monday 09:00-12:00 and Tuesday
00:00-12:00 local, so reading the instant in UTC (Monday 16:30) would put it outside the hours.
"""

from datetime import UTC, datetime, timedelta

import pytest

from app.bookings import services
from app.common import clock
from tests.bookings.helpers import DAY, SHANGHAI, at, configure_store
from tests.helpers import error_code

UTC_INSTANT = "2026-11-30T16:30:00+00:00"  # = DAY 00:30 local


@pytest.fixture
def night_store(booker):
    configure_store(
        booker.api,
        booker.staff["owner"],
        booker.stores[0],
        bays=1,
        opening_hours={"mon": ["09:00", "12:00"], "tue": ["00:00", "12:00"]},
    )
    clock.set_now(datetime(2026, 11, 30, 23, 50, tzinfo=SHANGHAI))  # Monday 15:50 UTC
    return booker


def test_a_booking_at_half_past_midnight_local_is_on_that_local_day(app, night_store):
    token, vehicle_id = night_store.member_with_car("alice")
    response = night_store.book(token, vehicle_id, UTC_INSTANT)  # any offset names the same instant
    assert response.status_code == 201, response.json
    booking = response.json
    assert (booking["start"], booking["end"]) == (at(0, 30), at(1, 30))
    staff = night_store.staff["cashier"]
    on_day = night_store.api.get(f"/bookings?date={DAY}", staff).json["items"]
    assert [b["id"] for b in on_day] == [booking["id"]]
    assert night_store.api.get(f"/bookings?date={DAY - timedelta(days=1)}", staff).json["total"] == 0
    with app.app_context():
        assert [b.id for b in services.bookings_for_reminder(day=DAY)] == [booking["id"]]
        assert services.bookings_for_reminder(day=DAY - timedelta(days=1)) == []
        stored = services.get_member_booking(member_id=booking["member_id"], booking_id=booking["id"])
        assert stored.start_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)


def test_slots_for_a_day_run_from_local_opening_time(night_store):
    slots = night_store.slots()
    assert list(slots)[0] == at(0) and list(slots)[-1] == at(11)
    assert night_store.slots(day=DAY - timedelta(days=1)) == {}  # Monday's hours ended at 12:00 local


def test_past_and_today_are_judged_in_local_time(night_store):
    token, vehicle_id = night_store.member_with_car("alice")
    clock.set_now(datetime(2026, 12, 1, 0, 40, tzinfo=SHANGHAI))  # still Monday 16:40 in UTC
    assert error_code(night_store.book(token, vehicle_id, at(0, 30))) == "booking_in_past"
    assert list(night_store.slots())[0] == at(1)  # 00:00 and 00:30 have passed
    response = night_store.book(token, vehicle_id, at(1))
    assert response.status_code == 201
    today = night_store.api.get("/bookings", night_store.staff["cashier"]).json  # default: local today
    assert [b["id"] for b in today["items"]] == [response.json["id"]]


def test_a_closed_date_is_a_local_date(night_store):
    configure_store(
        night_store.api,
        night_store.staff["owner"],
        night_store.stores[0],
        bays=1,
        opening_hours={"mon": ["09:00", "12:00"], "tue": ["00:00", "12:00"]},
        closed_dates=[DAY.isoformat()],
    )
    token, vehicle_id = night_store.member_with_car("alice")
    assert error_code(night_store.book(token, vehicle_id, UTC_INSTANT)) == "store_closed"


def test_the_cancel_cut_off_is_counted_on_instants_across_the_day_boundary(night_store):
    token, booking = night_store.booked("alice", at(6))
    clock.set_now(datetime(2026, 12, 1, 4, 1, tzinfo=SHANGHAI))  # 1h59m before the start
    assert error_code(night_store.api.post(f"/me/bookings/{booking['id']}/cancel", token)) == "cancel_cutoff_passed"
