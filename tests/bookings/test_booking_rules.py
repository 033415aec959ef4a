"""POST /me/bookings: every refusal has its own status and code."""

from datetime import timedelta

import pytest

from tests.bookings.helpers import DAY, at
from tests.helpers import error_code

YESTERDAY = DAY - timedelta(days=2)
TODAY = DAY - timedelta(days=1)


def test_a_member_books_a_slot_for_their_car(booker):
    token, vehicle_id = booker.member_with_car("alice")
    response = booker.book(token, vehicle_id, at(10))
    assert response.status_code == 201, response.json
    booking = response.json
    assert (booking["start"], booking["end"], booking["status"]) == (at(10), at(11), "booked")
    assert booking["vehicle_id"] == vehicle_id and booking["plate"] == "粤B00001"
    assert booking["service_item_id"] == booker.item_id and booking["work_order_id"] is None
    mine = booker.api.get("/me/bookings", token).json
    assert mine["total"] == 1 and mine["items"][0]["id"] == booking["id"]
    assert booker.api.get(f"/me/bookings/{booking['id']}", token).json["start"] == at(10)


@pytest.mark.parametrize(
    "start, status, code",
    [
        (at(9, day=TODAY), 422, "booking_in_past"),
        (at(10, day=TODAY), 422, "booking_in_past"),  # exactly now
        (at(10, day=YESTERDAY), 422, "booking_in_past"),
        (at(8, 30), 422, "outside_opening_hours"),
        (at(18), 422, "outside_opening_hours"),
        (at(10, day=DAY.replace(day=25)), 422, "store_closed"),  # a closed date
        (at(10, day=DAY.replace(day=6)), 422, "store_closed"),  # Sunday: no hours
        (at(10, 15), 422, "slot_not_aligned"),
        (at(10, 0).replace("10:00:00", "10:00:30"), 422, "slot_not_aligned"),
        (at(17, 30), 422, "slot_overruns_closing"),  # an hour-long item from 17:30 ends 18:30
        (at(10, day=DAY + timedelta(days=61)), 422, "booking_too_far_ahead"),
        ("2026-12-01T10:00:00", 422, "validation_error"),  # no offset: which 10:00?
        ("tomorrow at ten", 422, "validation_error"),
    ],
)
def test_a_start_the_store_cannot_take_is_refused_with_a_clear_code(booker, start, status, code):
    token, vehicle_id = booker.member_with_car("alice")
    response = booker.book(token, vehicle_id, start)
    assert response.status_code == status, response.json
    assert error_code(response) == code
    assert booker.api.get("/me/bookings", token).json["total"] == 0


def test_another_members_vehicle_looks_missing(booker):
    _, bobs_car = booker.member_with_car("bob")
    alice, _ = booker.member_with_car("alice")
    response = booker.book(alice, bobs_car, at(10))
    assert response.status_code == 404 and error_code(response) == "vehicle_not_found"


def test_a_full_slot_is_409(booker):
    booker.booked("alice", at(10))
    booker.booked("bob", at(10))
    token, vehicle_id = booker.member_with_car("carol")
    response = booker.book(token, vehicle_id, at(10))
    assert response.status_code == 409 and error_code(response) == "slot_full"


def test_a_booking_is_refused_when_any_slot_it_covers_is_full(booker):
    booker.booked("alice", at(10))  # 10:00-11:00
    booker.booked("bob", at(10, 30))  # 10:30-11:30: both bays are taken 10:30-11:00
    token, vehicle_id = booker.member_with_car("carol")
    assert error_code(booker.book(token, vehicle_id, at(10))) == "slot_full"
    assert error_code(booker.book(token, vehicle_id, at(10, 30))) == "slot_full"
    assert booker.book(token, vehicle_id, at(9)).status_code == 201  # 09:00-10:00 is free
    token, vehicle_id = booker.member_with_car("dave")
    assert booker.book(token, vehicle_id, at(11)).status_code == 201  # 11:00-11:30 has one free bay


def test_one_car_cannot_hold_two_overlapping_bookings(booker):
    token, vehicle_id = booker.member_with_car("alice")
    assert booker.book(token, vehicle_id, at(10)).status_code == 201
    response = booker.book(token, vehicle_id, at(10, 30))
    assert response.status_code == 409 and error_code(response) == "vehicle_already_booked"
    assert booker.book(token, vehicle_id, at(11)).status_code == 201  # back to back is fine


def test_unknown_store_or_item_is_404_and_staff_cannot_book_as_members(booker):
    token, vehicle_id = booker.member_with_car("alice")
    assert error_code(booker.book(token, vehicle_id, at(10), store_id=999)) == "store_not_found"
    assert error_code(booker.book(token, vehicle_id, at(10), item_id=999)) == "service_item_not_found"
    booker.api.patch(f"/service-items/{booker.item_id}", booker.staff["owner"], json={"is_active": False})
    assert error_code(booker.book(token, vehicle_id, at(10))) == "service_item_not_found"
    assert booker.book(booker.staff["owner"], vehicle_id, at(10)).status_code == 403


def test_a_booking_body_rejects_unknown_fields_and_loose_types(booker):
    token, vehicle_id = booker.member_with_car("alice")
    body = {"store_id": booker.stores[0], "vehicle_id": vehicle_id, "service_item_id": booker.item_id, "start": at(10)}
    assert error_code(booker.api.post("/me/bookings", token, json={**body, "bays": 1})) == "validation_error"
    assert error_code(booker.api.post("/me/bookings", token, json={**body, "store_id": "1"})) == "validation_error"


def test_a_replayed_booking_request_books_once(booker):
    token, vehicle_id = booker.member_with_car("alice")
    body = {"store_id": booker.stores[0], "vehicle_id": vehicle_id, "service_item_id": booker.item_id, "start": at(10)}
    first = booker.api.post("/me/bookings", token, json=body, headers={"Idempotency-Key": "tap-1"})
    again = booker.api.post("/me/bookings", token, json=body, headers={"Idempotency-Key": "tap-1"})
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert booker.api.get("/me/bookings", token).json["total"] == 1
