"""Cancelling, rescheduling, no-shows, the staff's day list and the reminder list."""

from datetime import datetime, timedelta

from app.bookings import services
from app.common import clock
from tests.bookings.helpers import DAY, SHANGHAI, at
from tests.helpers import error_code


def _local(hour, minute=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_cancelling_frees_the_bay(booker):
    alice, booking = booker.booked("alice", at(10))
    booker.booked("bob", at(10))
    carol, carols_car = booker.member_with_car("carol")
    assert error_code(booker.book(carol, carols_car, at(10))) == "slot_full"
    response = booker.api.post(f"/me/bookings/{booking['id']}/cancel", alice, json={"reason": "plans changed"})
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["cancelled_by"]) == ("cancelled", "member")
    assert booker.slots()[at(10)]["available"] == 1
    assert booker.book(carol, carols_car, at(10)).status_code == 201


def test_a_cancel_needs_no_body_and_happens_once(booker):
    alice, booking = booker.booked("alice", at(10))
    assert booker.api.post(f"/me/bookings/{booking['id']}/cancel", alice).status_code == 200
    again = booker.api.post(f"/me/bookings/{booking['id']}/cancel", alice)
    assert again.status_code == 409 and error_code(again) == "booking_not_active"


def test_members_cancel_until_the_cut_off_and_staff_any_time(booker):
    alice, booking = booker.booked("alice", at(10))  # cut-off 120 minutes: until 08:00
    path = f"/me/bookings/{booking['id']}/cancel"
    clock.set_now(_local(8, 1))
    response = booker.api.post(path, alice)
    assert response.status_code == 409 and error_code(response) == "cancel_cutoff_passed"
    assert response.json["error"]["details"]["latest"] == at(8)
    response = booker.api.post(
        f"/bookings/{booking['id']}/cancel", booker.staff["cashier"], json={"reason": "customer called"}
    )
    assert response.status_code == 200
    assert (response.json["cancelled_by"], response.json["cancel_reason"]) == ("staff", "customer called")


def test_cancelling_exactly_at_the_cut_off_is_allowed(booker):
    alice, booking = booker.booked("alice", at(10))
    clock.set_now(_local(8))
    assert booker.api.post(f"/me/bookings/{booking['id']}/cancel", alice).status_code == 200


def test_no_one_cancels_another_members_or_another_stores_booking(booker):
    _, booking = booker.booked("alice", at(10))
    bob, _ = booker.member_with_car("bob")
    assert error_code(booker.api.post(f"/me/bookings/{booking['id']}/cancel", bob)) == "booking_not_found"
    assert booker.api.get(f"/me/bookings/{booking['id']}", bob).status_code == 404
    response = booker.api.post(f"/bookings/{booking['id']}/cancel", booker.staff["cashier2"])
    assert response.status_code == 404 and error_code(response) == "booking_not_found"


def test_rescheduling_moves_the_bay_and_keeps_the_booking(booker):
    alice, booking = booker.booked("alice", at(10))
    booker.booked("bob", at(10))
    response = booker.api.post(f"/me/bookings/{booking['id']}/reschedule", alice, json={"start": at(14)})
    assert response.status_code == 200, response.json
    assert (response.json["id"], response.json["start"], response.json["end"]) == (booking["id"], at(14), at(15))
    assert response.json["reschedule_count"] == 1
    slots = booker.slots()
    assert (slots[at(10)]["available"], slots[at(14)]["available"]) == (1, 1)


def test_a_booking_does_not_count_against_its_own_reschedule(booker):
    alice, booking = booker.booked("alice", at(10))
    booker.booked("bob", at(10))  # 10:30-11:00 now holds both bays: alice's own and bob's
    response = booker.api.post(f"/me/bookings/{booking['id']}/reschedule", alice, json={"start": at(10, 30)})
    assert response.status_code == 200, response.json


def test_a_reschedule_follows_the_booking_rules_and_changes_nothing_when_refused(booker):
    alice, booking = booker.booked("alice", at(10))
    booker.booked("bob", at(14))
    booker.booked("carol", at(14))
    path = f"/me/bookings/{booking['id']}/reschedule"
    for start, code in [
        (at(14), "slot_full"),
        (at(17, 30), "slot_overruns_closing"),
        (at(10, 10), "slot_not_aligned"),
        (at(9, day=DAY - timedelta(days=1)), "booking_in_past"),
    ]:
        assert error_code(booker.api.post(path, alice, json={"start": start})) == code
    assert booker.api.get(f"/me/bookings/{booking['id']}", alice).json["start"] == at(10)
    clock.set_now(_local(8, 30))
    assert error_code(booker.api.post(path, alice, json={"start": at(16)})) == "reschedule_cutoff_passed"


def test_no_show_only_after_the_start_and_it_frees_the_bay(booker):
    _, booking = booker.booked("alice", at(10))
    path = f"/bookings/{booking['id']}/no-show"
    response = booker.api.post(path, booker.staff["cashier"])
    assert response.status_code == 409 and error_code(response) == "booking_not_started"
    clock.set_now(_local(10, 20))
    assert booker.api.post(path, booker.staff["cashier2"]).status_code == 404  # not their store
    response = booker.api.post(path, booker.staff["cashier"])
    assert response.status_code == 200 and response.json["status"] == "no_show"
    assert booker.slots()[at(10, 30)]["available"] == 2
    assert error_code(booker.api.post(path, booker.staff["cashier"])) == "booking_not_active"
    assert booker.api.post(path, booker.staff["marketing"]).status_code == 403


def test_staff_list_a_stores_day_and_cashiers_only_their_stores(booker):
    _, late = booker.booked("alice", at(15))
    _, early = booker.booked("bob", at(9, 30))
    booker.booked("carol", at(10, day=DAY + timedelta(days=1)))
    owner, cashier, cashier2 = booker.staff["owner"], booker.staff["cashier"], booker.staff["cashier2"]
    day = booker.api.get(f"/bookings?store_id={booker.stores[0]}&date={DAY}", cashier).json
    assert [b["id"] for b in day["items"]] == [early["id"], late["id"]] and day["total"] == 2
    assert booker.api.get(f"/bookings?date={DAY}", owner).json["total"] == 2
    response = booker.api.get(f"/bookings?store_id={booker.stores[0]}&date={DAY}", cashier2)
    assert response.status_code == 403 and error_code(response) == "store_forbidden"
    assert booker.api.get(f"/bookings?date={DAY}", cashier2).json["total"] == 0  # their stores only
    assert booker.api.get("/bookings", cashier).json["total"] == 0  # default: today, nothing booked
    assert booker.api.get(f"/bookings/{late['id']}", cashier).json["plate"] == "粤B00001"
    assert booker.api.get(f"/bookings?date={DAY}", booker.staff["marketing"]).status_code == 403


def test_the_reminder_list_holds_the_days_live_bookings(app, booker):
    _, kept = booker.booked("alice", at(16))
    _, first = booker.booked("bob", at(9))
    alice_cancels, gone = booker.booked("carol", at(11))
    booker.api.post(f"/me/bookings/{gone['id']}/cancel", alice_cancels)
    booker.booked("dave", at(9, day=DAY + timedelta(days=1)))
    with app.app_context():
        reminders = services.bookings_for_reminder(day=DAY)
        assert [b.id for b in reminders] == [first["id"], kept["id"]]
        assert reminders[0].plate == "粤B00002" and reminders[0].member_id is not None
