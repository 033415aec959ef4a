"""Races: twenty members for the last free bay, a cancel against a booking, two check-ins (SQLite and PostgreSQL)."""

from datetime import datetime
from functools import partial

from sqlalchemy import func, select

from app.bookings.models import Booking
from app.common import clock
from app.extensions import db
from app.workorders.models import WorkOrder
from tests.bookings.helpers import SHANGHAI, at, configure_store
from tests.helpers import Api, run_together

RACERS = 20


def test_twenty_concurrent_bookings_for_the_last_bay_let_exactly_one_in(app, booker):
    configure_store(booker.api, booker.staff["owner"], booker.stores[0], bays=2)
    booker.booked("first", at(10))  # one of the two bays is taken
    racers = [booker.member_with_car(f"racer-{n}") for n in range(RACERS)]

    def race(index):
        token, vehicle_id = racers[index]
        api = Api(app.test_client())  # its own request context, session and connection
        body = {
            "store_id": booker.stores[0],
            "vehicle_id": vehicle_id,
            "service_item_id": booker.item_id,
            "start": at(10),
        }
        response = api.post("/me/bookings", token, json=body)
        return (response.status_code, (response.get_json().get("error") or {}).get("code"))

    results = run_together(*(partial(race, n) for n in range(RACERS)), timeout=60)
    assert sorted(results) == [(201, None)] + [(409, "slot_full")] * (RACERS - 1)
    assert booker.slots()[at(10)]["available"] == 0
    with app.app_context():
        held = db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked"))
        assert held == 2


def test_a_cancel_racing_a_booking_leaves_the_capacity_consistent(app, booker):
    configure_store(booker.api, booker.staff["owner"], booker.stores[0], bays=1)
    alice, booking = booker.booked("alice", at(10))
    bob, bobs_car = booker.member_with_car("bob")

    def cancel():
        return Api(app.test_client()).post(f"/me/bookings/{booking['id']}/cancel", alice).status_code

    def rebook():
        response = Api(app.test_client()).post(
            "/me/bookings",
            bob,
            json={
                "store_id": booker.stores[0],
                "vehicle_id": bobs_car,
                "service_item_id": booker.item_id,
                "start": at(10),
            },
        )
        return response.status_code

    cancelled, rebooked = run_together(cancel, rebook, timeout=60)
    assert cancelled == 200 and rebooked in (201, 409)
    assert booker.slots()[at(10)]["available"] == (0 if rebooked == 201 else 1)


def test_two_cashiers_checking_in_one_booking_at_once_open_one_work_order(app, booker):
    _, booking = booker.booked("alice", at(10))
    clock.set_now(datetime(2026, 12, 1, 9, 55, tzinfo=SHANGHAI))

    def check_in(role):
        response = Api(app.test_client()).post(f"/bookings/{booking['id']}/check-in", booker.staff[role])
        return (response.status_code, (response.get_json().get("error") or {}).get("code"))

    results = run_together(partial(check_in, "cashier"), partial(check_in, "owner"), timeout=60)
    assert sorted(results) == [(201, None), (409, "already_checked_in")]
    with app.app_context():
        orders = db.session.scalar(
            select(func.count()).select_from(WorkOrder).where(WorkOrder.booking_id == booking["id"])
        )
        assert orders == 1
