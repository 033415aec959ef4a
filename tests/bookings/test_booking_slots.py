"""GET /stores/{id}/slots: the local day's grid, each start with the bays free for the item's span."""

from datetime import date, timedelta

from sqlalchemy import event

from app.bookings import services
from app.extensions import db
from tests.bookings.helpers import DAY, at
from tests.helpers import error_code


def test_an_hour_long_item_is_offered_where_two_slots_fit_before_closing(booker):
    slots = booker.slots()
    starts = list(slots)
    assert starts[0] == at(9) and starts[-1] == at(17)  # 17:30 + 1h would overrun 18:00
    assert len(starts) == 17
    assert slots[at(9)] == {"start": at(9), "end": at(10), "available": 2}


def test_availability_counts_every_slot_an_item_covers(booker):
    booker.booked("alice", at(10))  # 10:00-11:00
    slots = booker.slots()
    assert [slots[at(h, m)]["available"] for h, m in [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0)]] == [2, 1, 1, 1, 2]


def test_an_item_shorter_than_a_slot_takes_one_and_a_longer_one_rounds_up(booker):
    quick = booker.service_item(20, name="洗车")
    assert booker.slots(item_id=quick)[at(9)]["end"] == at(9, 30)
    long = booker.service_item(45, name="换胎")
    slots = booker.slots(item_id=long)
    assert slots[at(9)]["end"] == at(10) and at(17, 30) not in slots


def test_without_an_item_each_slot_is_offered_alone(booker):
    response = booker.api.get(f"/stores/{booker.stores[0]}/slots?date={DAY}", booker.staff["cashier"])
    assert response.status_code == 200
    assert response.json["items"][-1] == {"start": at(17, 30), "end": at(18), "available": 2}


def test_closed_dates_closed_weekdays_and_unconfigured_stores_have_no_slots(booker):
    assert booker.slots(day=date(2026, 12, 25)) == {}  # a closed date (Friday)
    assert booker.slots(day=date(2026, 12, 6)) == {}  # Sunday has no hours
    assert booker.slots(store_id=booker.stores[1]) == {}  # no hours configured


def test_todays_past_starts_are_not_offered(booker):
    today = booker.slots(day=DAY - timedelta(days=1))  # now is 10:00 local
    assert list(today)[0] == at(10, 30, day=DAY - timedelta(days=1))
    assert booker.slots(day=DAY - timedelta(days=2)) == {}


def test_slots_need_a_date_and_a_real_store_and_item(booker):
    api, owner = booker.api, booker.staff["owner"]
    assert error_code(api.get(f"/stores/{booker.stores[0]}/slots", owner)) == "validation_error"
    assert error_code(api.get(f"/stores/{booker.stores[0]}/slots?date=2026-13-01", owner)) == "validation_error"
    assert error_code(api.get(f"/stores/999/slots?date={DAY}", owner)) == "store_not_found"
    response = api.get(f"/stores/{booker.stores[0]}/slots?date={DAY}&service_item_id=999", owner)
    assert response.status_code == 404 and error_code(response) == "service_item_not_found"


def test_a_days_availability_reads_the_bookings_in_one_query(app, booker):
    for code, hour in [("alice", 9), ("bob", 11), ("carol", 13), ("dave", 15)]:
        booker.booked(code, at(hour))
    statements = []
    with app.app_context():
        listener = lambda conn, cursor, sql, *args: statements.append(sql)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            slots = services.available_slots(store_id=booker.stores[0], day=DAY, service_item_id=booker.item_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    # Each booking takes a bay from the starts half an hour before, at and after it (09:00 has none before).
    assert len(slots) == 17 and sum(slot["available"] for slot in slots) == 17 * 2 - (2 + 3 + 3 + 3)
    assert len([sql for sql in statements if "FROM bookings" in sql]) == 1
