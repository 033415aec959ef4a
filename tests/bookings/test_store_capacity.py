"""PATCH /stores/{id}: the owner sets bays, slot length, weekly hours, closed dates and the cut-off."""

import pytest

from tests.bookings.helpers import WEEK_HOURS
from tests.helpers import error_code


def test_owner_sets_booking_capacity_and_everyone_reads_it(api, stores, staff_tokens, member_login):
    response = api.patch(
        f"/stores/{stores[0]}",
        staff_tokens["owner"],
        json={
            "bays": 3,
            "slot_minutes": 20,
            "opening_hours": {"sun": None, **WEEK_HOURS},
            "closed_dates": ["2027-01-01", "2026-12-25", "2026-12-25"],
            "booking_cancel_cutoff_minutes": 60,
        },
    )
    assert response.status_code == 200, response.json
    token, _ = member_login("alice")
    store = api.get(f"/stores/{stores[0]}", token).json
    assert store["bays"] == 3 and store["slot_minutes"] == 20 and store["booking_cancel_cutoff_minutes"] == 60
    assert store["opening_hours"] == WEEK_HOURS  # sun: null means closed and is left out
    assert store["closed_dates"] == ["2026-12-25", "2027-01-01"]  # sorted, without repeats


def test_a_new_store_takes_one_bay_and_no_hours(api, stores, staff_tokens):
    store = api.get(f"/stores/{stores[1]}", staff_tokens["owner"]).json
    assert (store["bays"], store["slot_minutes"], store["opening_hours"], store["closed_dates"]) == (1, 30, {}, [])


def test_only_the_owner_changes_a_store(api, stores, staff_tokens):
    for role in ("cashier", "marketing"):
        response = api.patch(f"/stores/{stores[0]}", staff_tokens[role], json={"bays": 4})
        assert response.status_code == 403
    assert api.patch("/stores/999", staff_tokens["owner"], json={"bays": 4}).status_code == 404


@pytest.mark.parametrize(
    "body, code",
    [
        ({"bays": 0}, "invalid_bays"),
        ({"slot_minutes": 25}, "invalid_slot_minutes"),
        ({"slot_minutes": 0}, "invalid_slot_minutes"),
        ({"booking_cancel_cutoff_minutes": -1}, "invalid_cancel_cutoff"),
        ({"opening_hours": {"monday": ["09:00", "18:00"]}}, "invalid_weekday"),
        ({"opening_hours": {"mon": ["9:00", "18:00"]}}, "invalid_time"),
        ({"opening_hours": {"mon": ["09:00", "24:00"]}}, "invalid_time"),
        ({"opening_hours": {"mon": ["18:00", "09:00"]}}, "opening_not_before_closing"),
        ({"opening_hours": {"mon": ["09:00", "09:00"]}}, "opening_not_before_closing"),
        ({"opening_hours": {"mon": ["09:00"]}}, "invalid_opening_hours"),
        ({"opening_hours": {"mon": "09:00-18:00"}}, "invalid_opening_hours"),
        ({"closed_dates": ["25/12/2026"]}, "validation_error"),
        ({"bays": "2"}, "validation_error"),
        ({"capacity": 2}, "validation_error"),
    ],
)
def test_invalid_capacity_is_422_with_a_clear_code(api, stores, staff_tokens, body, code):
    response = api.patch(f"/stores/{stores[0]}", staff_tokens["owner"], json=body)
    assert response.status_code == 422, response.json
    assert error_code(response) == code
    assert api.get(f"/stores/{stores[0]}", staff_tokens["owner"]).json["bays"] == 1  # nothing changed
