"""The call list: who sees which entries, recording outcomes and churn reasons, and the counts stats read."""

from datetime import date, timedelta

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.followups import follow_up_outcome_counts
from app.marketing.sender import send_outbox
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
