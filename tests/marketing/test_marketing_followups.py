"""The call list: who sees which entries, recording outcomes and churn reasons, and the counts stats read."""

from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event, select

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.followups import follow_up_outcome_counts
from app.marketing.sender import send_outbox
from app.stores.models import Staff
from tests.helpers import error_code
from tests.marketing.helpers import local

D = date(2026, 3, 10)


def _call_list(app, seed, stores):
    """Two members without grants, one per store: their birthday pushes are skipped onto the list."""
    first = seed.member("first", birthday=date(1990, 3, 10), store_id=stores[0])
    second = seed.member("second", birthday=date(1991, 3, 10), store_id=stores[1])
    with app.app_context():
        run_job("birthday_greetings", day=D)
        send_outbox(now=local(D, 9, 1))
        db.session.commit()
    return first, second


def test_back_office_sees_the_whole_list_and_cashiers_their_stores(app, api, seed, stores, staff_tokens):
    first, second = _call_list(app, seed, stores)
    everything = api.get("/follow-ups", staff_tokens["marketing"])
    assert everything.status_code == 200, everything.json
    assert [(e["member_id"], e["kind"], e["reason"], e["due_date"], e["status"]) for e in everything.json["items"]] == [
        (first, "birthday", "no_grant", "2026-03-10", "open"),
        (second, "birthday", "no_grant", "2026-03-10", "open"),
    ]
    assert everything.json["items"][0]["member"]["nickname"] == "first"
    assert everything.json["items"][0]["member"]["phone"]  # staff call the member back

    mine = api.get("/follow-ups", staff_tokens["cashier"]).json
    assert [e["member_id"] for e in mine["items"]] == [first]
    theirs = api.get("/follow-ups", staff_tokens["cashier2"]).json
    assert [e["member_id"] for e in theirs["items"]] == [second]
    assert api.get(f"/follow-ups?store_id={stores[1]}", staff_tokens["cashier"]).json["total"] == 0

    filtered = api.get(
        "/follow-ups?kind=birthday&due_from=2026-03-10&due_to=2026-03-10&per_page=1", staff_tokens["owner"]
    ).json
    assert (filtered["total"], len(filtered["items"]), filtered["per_page"]) == (2, 1, 1)
    assert api.get("/follow-ups?due_from=2026-03-11", staff_tokens["owner"]).json["total"] == 0
    assert api.get("/follow-ups?kind=win_back", staff_tokens["owner"]).json["total"] == 0


def test_outcomes_close_entries_and_churn_reasons_are_counted(app, api, seed, stores, staff_tokens):
    clock.set_now(local(D, 23, 30))  # late evening: still the 10th in the merchant's timezone
    _call_list(app, seed, stores)
    entries = api.get("/follow-ups", staff_tokens["owner"]).json["items"]
    own, other = entries[0]["id"], entries[1]["id"]
    cashier = staff_tokens["cashier"]

    assert (
        error_code(api.post(f"/follow-ups/{other}/outcome", cashier, json={"result": "reached"}))
        == "follow_up_not_found"
    )
    assert (
        error_code(api.post(f"/follow-ups/{own}/outcome", cashier, json={"result": "lost"})) == "churn_reason_required"
    )
    assert (
        error_code(
            api.post(f"/follow-ups/{own}/outcome", cashier, json={"result": "no_answer", "churn_reason": "price"})
        )
        == "churn_reason_not_applicable"
    )
    assert (
        api.post(f"/follow-ups/{own}/outcome", cashier, json={"result": "lost", "churn_reason": "cheap"}).status_code
        == 422
    )
    done = api.post(
        f"/follow-ups/{own}/outcome", cashier, json={"result": "lost", "churn_reason": "distance", "note": "搬家到外地"}
    )
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["result"], done.json["churn_reason"]) == ("done", "lost", "distance")
    again = api.post(f"/follow-ups/{own}/outcome", cashier, json={"result": "reached"})
    assert again.status_code == 409 and error_code(again) == "follow_up_closed"
    assert (
        api.post(f"/follow-ups/{other}/outcome", staff_tokens["marketing"], json={"result": "booked"}).status_code
        == 200
    )

    assert api.get("/follow-ups", staff_tokens["owner"]).json["total"] == 0  # open ones by default
    assert api.get("/follow-ups?status=done", staff_tokens["owner"]).json["total"] == 2
    counts = api.get("/follow-ups/outcomes?from=2026-03-10&to=2026-03-10", staff_tokens["owner"])
    assert counts.status_code == 200, counts.json
    assert counts.json["total"] == 2
    assert counts.json["by_result"]["lost"] == 1 and counts.json["by_result"]["booked"] == 1
    assert counts.json["by_churn_reason"]["distance"] == 1 and counts.json["by_churn_reason"]["price"] == 0
    assert counts.json["by_kind"] == {"birthday": {"lost": 1, "booked": 1}}
    assert api.get("/follow-ups/outcomes?from=2026-03-11&to=2026-03-11", staff_tokens["owner"]).json["total"] == 0
    with app.app_context():
        day = local(D, 0)
        assert follow_up_outcome_counts(start=day, end=day + timedelta(days=1), store_id=stores[1])["total"] == 1
        assert follow_up_outcome_counts(start=day + timedelta(days=1), end=day + timedelta(days=2))["total"] == 0


def test_members_cannot_see_the_call_list(api, member_login):
    token, _ = member_login("alice")
    assert api.get("/follow-ups", token).status_code == 403
    assert api.post("/follow-ups/1/outcome", token, json={"result": "reached"}).status_code == 403


# -- what the call list shows beside an entry, the due scopes and the outcome's extras ------------


@contextmanager
def counted_statements(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _staff_id(app, username):
    with app.app_context():
        return db.session.scalar(select(Staff.id).where(Staff.username == username))


def _birthday_calls(app, seed, stores, day, count, *, cars=1):
    """``count`` members without grants whose birthday is ``day`` (each with ``cars`` cars), put on
    the list by that day's birthday push; returns their ids."""
    members = []
    for n in range(count):
        visit = local(day, 9) - timedelta(days=40)
        birthday = date(1990, day.month, day.day)
        member = seed.member(f"m{day.day}-{n}", birthday=birthday, store_id=stores[0], last_visit=visit)
        for c in range(cars):
            seed.vehicle(member, f"粤B{day.day:02d}{n:02d}{c}", model="Corolla", mileage_km=30000)
        members.append(member)
    with app.app_context():
        run_job("birthday_greetings", day=day)
        send_outbox(now=local(day, 9, 1))
        db.session.commit()
    return members


def test_the_list_shows_car_last_visit_and_overdue_days_and_filters_by_due(app, api, seed, stores, staff_tokens):
    overdue = _birthday_calls(app, seed, stores, D - timedelta(days=2), 1)
    today = _birthday_calls(app, seed, stores, D, 2, cars=2)
    clock.set_now(local(D, 23, 30))  # still the 10th in the merchant's timezone
    owner = staff_tokens["owner"]

    listed = api.get("/follow-ups?due=today_or_overdue", owner).json
    assert [(e["member_id"], e["due_date"], e["overdue_days"]) for e in listed["items"]] == [
        (overdue[0], "2026-03-08", 2),
        (today[0], "2026-03-10", 0),
        (today[1], "2026-03-10", 0),
    ]
    first = listed["items"][1]
    assert first["vehicle"]["plate"] == "粤B10000"  # the member's first car
    assert (first["vehicle"]["model"], first["vehicle"]["mileage_km"]) == ("Corolla", 30000)
    assert first["member"]["last_visit_at"].startswith("2026-01-29")
    assert first["member"]["paid_visit_count"] == 1
    assert first["handled_by"] is None and first["next_contact_date"] is None

    assert [e["member_id"] for e in api.get("/follow-ups?due=overdue", owner).json["items"]] == overdue
    assert [e["member_id"] for e in api.get("/follow-ups?due=today", owner).json["items"]] == today
    assert api.get("/follow-ups?due=upcoming", owner).json["total"] == 0
    assert api.get("/follow-ups?due=someday", owner).status_code == 422
    assert api.get("/follow-ups?reason=no_grant", owner).json["total"] == 3
    assert api.get("/follow-ups?reason=callback", owner).json["total"] == 0


def test_listing_a_page_takes_the_same_queries_for_one_entry_or_many(app, api, seed, stores, staff_tokens):
    _birthday_calls(app, seed, stores, D, 1)
    clock.set_now(local(D, 12))
    token = staff_tokens["owner"]
    api.get("/follow-ups", token)  # warm: the principal's and settings' first reads
    with counted_statements(app) as one:
        assert api.get("/follow-ups", token).json["total"] == 1
    _birthday_calls(app, seed, stores, D + timedelta(days=1), 6, cars=2)
    clock.set_now(local(D + timedelta(days=1), 12))
    with counted_statements(app) as many:
        assert api.get("/follow-ups", token).json["total"] == 7
    assert len(many) == len(one)


def test_an_outcome_records_mileage_and_asks_for_a_call_back(app, api, seed, stores, staff_tokens):
    (member,) = _birthday_calls(app, seed, stores, D, 1)
    stranger = seed.member("stranger")
    stranger_car = seed.vehicle(stranger, "粤B99999")
    clock.set_now(local(D, 15))
    marketing, owner = staff_tokens["marketing"], staff_tokens["owner"]
    entry = api.get("/follow-ups", marketing).json["items"][0]
    car = entry["vehicle"]["id"]
    url = f"/follow-ups/{entry['id']}/outcome"

    refusals = [
        ({"result": "reached", "next_contact_date": "2026-03-10"}, 422, "next_contact_not_after_today"),
        ({"result": "reached"}, 422, "mileage_required"),
        ({"result": "reached", "mileage_km": 31000, "vehicle_id": stranger_car}, 404, "vehicle_not_found"),
        ({"result": "reached", "mileage_km": 29000, "vehicle_id": car}, 422, "mileage_backwards"),
    ]
    for body, status, code in refusals:
        answer = api.post(url, marketing, json=body)
        assert (answer.status_code, error_code(answer)) == (status, code), body
    assert api.get("/follow-ups", marketing).json["items"][0]["status"] == "open"  # nothing half-done

    done = api.post(
        url,
        marketing,
        json={
            "result": "lost",
            "churn_reason": "price",
            "note": "嫌贵，下月再问",
            "mileage_km": 31500,
            "vehicle_id": car,
            "next_contact_date": "2026-03-17",
        },
    )
    assert done.status_code == 200, done.json
    closed = (done.json["status"], done.json["churn_reason"], done.json["next_contact_date"])
    assert closed == ("done", "price", "2026-03-17")
    assert done.json["handled_by"]["username"] == "marketing"
    assert done.json["vehicle"]["mileage_km"] == 31500

    callback = api.get("/follow-ups?due=upcoming", owner).json["items"]
    assert [(e["member_id"], e["kind"], e["reason"], e["due_date"], e["ref_type"], e["ref_id"]) for e in callback] == [
        (member, "birthday", "callback", "2026-03-17", "follow_up", entry["id"])
    ]
    assert callback[0]["store_id"] == entry["store_id"]

    history = api.get(f"/follow-ups?member_id={member}&status=done", owner).json["items"]
    assert [(e["id"], e["next_contact_date"], e["note"]) for e in history] == [
        (entry["id"], "2026-03-17", "嫌贵，下月再问")
    ]

    marketing_id, owner_id = _staff_id(app, "marketing"), _staff_id(app, "owner")
    assert api.get(f"/follow-ups?status=done&staff_id={marketing_id}", owner).json["total"] == 1
    assert api.get(f"/follow-ups?status=done&staff_id={owner_id}", owner).json["total"] == 0
    assert api.get("/follow-ups?status=done&churn_reason=price", owner).json["total"] == 1
    assert api.get("/follow-ups?status=done&churn_reason=distance", owner).json["total"] == 0
    assert api.get("/follow-ups?status=done&result=lost", owner).json["total"] == 1
    assert api.get("/follow-ups?status=done&result=reached", owner).json["total"] == 0
