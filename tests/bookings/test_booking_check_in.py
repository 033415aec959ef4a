"""POST /bookings/{id}/check-in: the booked car arrives and a work order opens for the booked item."""

from datetime import datetime, timedelta

from app.bookings import services
from app.common import clock
from tests.bookings.helpers import DAY, SHANGHAI, at
from tests.helpers import error_code


def test_check_in_opens_a_work_order_for_the_booked_car_and_item_and_links_it(booker):
    alice, booking = booker.booked("alice", at(10))
    clock.set_now(datetime(2026, 12, 1, 9, 50, tzinfo=SHANGHAI))
    response = booker.api.post(
        f"/bookings/{booking['id']}/check-in", booker.staff["cashier"], json={"mileage_km": 42000}
    )
    assert response.status_code == 201, response.json
    order = response.json
    assert (order["store_id"], order["plate"], order["booking_id"]) == (booker.stores[0], "粤B00001", booking["id"])
    assert order["member_id"] == booking["member_id"] and order["status"] == "open"
    assert [(line["service_item_id"], line["quantity"]) for line in order["lines"]] == [(booker.item_id, 1)]
    assert order["total_fen"] == 20000 and order["mileage_km"] == 42000
    checked_in = booker.api.get(f"/me/bookings/{booking['id']}", alice).json
    assert (checked_in["status"], checked_in["work_order_id"]) == ("checked_in", order["id"])
    assert booker.api.get(f"/work-orders/{order['id']}", booker.staff["cashier"]).json["booking_id"] == booking["id"]
    assert booker.api.get("/me/vehicles/" + str(booking["vehicle_id"]), alice).json["mileage_km"] == 42000


def test_a_second_check_in_is_409_and_opens_nothing(booker):
    _, booking = booker.booked("alice", at(10))
    clock.set_now(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    first = booker.api.post(f"/bookings/{booking['id']}/check-in", booker.staff["owner"])
    assert first.status_code == 201, first.json
    again = booker.api.post(f"/bookings/{booking['id']}/check-in", booker.staff["cashier"])
    assert again.status_code == 409 and error_code(again) == "already_checked_in"
    assert again.json["error"]["details"]["work_order_id"] == first.json["id"]
    orders = booker.api.get("/work-orders?plate=粤B00001", booker.staff["owner"]).json
    assert orders["total"] == 1


def test_a_checked_in_car_keeps_its_bay_and_cannot_be_cancelled_or_marked_no_show(booker):
    alice, booking = booker.booked("alice", at(10))
    clock.set_now(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    booker.api.post(f"/bookings/{booking['id']}/check-in", booker.staff["cashier"])
    assert booker.slots()[at(10)]["available"] == 1
    assert error_code(booker.api.post(f"/me/bookings/{booking['id']}/cancel", alice)) == "already_checked_in"
    clock.set_now(datetime(2026, 12, 1, 10, 30, tzinfo=SHANGHAI))
    assert (
        error_code(booker.api.post(f"/bookings/{booking['id']}/no-show", booker.staff["cashier"]))
        == "already_checked_in"
    )


def test_check_in_refuses_cancelled_bookings_other_stores_and_days_ahead(booker):
    alice, booking = booker.booked("alice", at(10))
    path = f"/bookings/{booking['id']}/check-in"
    response = booker.api.post(path, booker.staff["cashier"])  # today is the day before
    assert response.status_code == 409 and error_code(response) == "check_in_too_early"
    clock.set_now(datetime(2026, 12, 1, 0, 5, tzinfo=SHANGHAI))  # the booking's local day (UTC: still the 30th)
    assert booker.api.post(path, booker.staff["cashier2"]).status_code == 404
    assert booker.api.post(path, booker.staff["marketing"]).status_code == 403
    assert booker.api.post(path, alice).status_code == 403
    booker.api.post(f"/bookings/{booking['id']}/cancel", booker.staff["cashier"])
    response = booker.api.post(path, booker.staff["cashier"])
    assert response.status_code == 409 and error_code(response) == "booking_not_active"


def test_a_late_car_checks_in_after_its_start(app, booker):
    _, booking = booker.booked("alice", at(10))
    clock.set_now(datetime(2026, 12, 1, 10, 40, tzinfo=SHANGHAI))
    assert booker.api.post(f"/bookings/{booking['id']}/check-in", booker.staff["cashier"]).status_code == 201
    with app.app_context():  # checked-in bookings get no reminder
        assert services.bookings_for_reminder(day=DAY) == []
    assert booker.api.get(f"/bookings?date={DAY}&status=checked_in", booker.staff["cashier"]).json["total"] == 1
    assert booker.api.get(f"/bookings?date={DAY + timedelta(days=1)}", booker.staff["cashier"]).json["total"] == 0
