"""Shift closes (交班): expected cash from the cashier's own takings since their last close, the
counted cash and the difference kept append-only; the owner sees every shift, a cashier their own."""

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.till.models import TillShift
from tests.till.conftest import DAY, at, ok, open_order, settle

WALK_IN = "粤B99999"


def _close(api, token, store_id, counted, key=None, **extra):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(
        f"/stores/{store_id}/shifts/close", token, json={"counted_cash_fen": counted, **extra}, headers=headers
    )


def _cash_sale(api, token, store_id, items, fen=5000):
    order = open_order(api, token, store_id, WALK_IN, [{"service_item_id": items["wash"], "quantity": 1}])
    return settle(api, token, order["id"], [{"type": "cash", "amount_fen": fen}])


def test_a_shift_runs_from_the_previous_close_of_the_day(api, stores, staff_tokens, staff_ids, shop):
    cashier, items, alice = staff_tokens["cashier"], shop["items"], shop["members"]["alice"]
    at(f"{DAY} 09:00")
    _cash_sale(api, cashier, stores[0], items)
    ok(api.post(f"/members/{alice['id']}/topups", cashier, json={"amount_fen": 20000, "paid_via": "cash"}), 201)
    at(f"{DAY} 14:00")
    first = ok(_close(api, cashier, stores[0], 24900, opening_float_fen=0, note="少100"), 201)
    assert (first["expected_cash_fen"], first["counted_cash_fen"], first["difference_fen"]) == (25000, 24900, -100)
    assert first["started_at"].startswith("2026-03-01T16:00:00") and first["business_date"] == DAY
    assert first["username"] == "cashier"  # the close answers with the cashier's name, as the list does
    at(f"{DAY} 18:00")
    _cash_sale(api, cashier, stores[0], items)
    at(f"{DAY} 22:00")
    second = ok(_close(api, cashier, stores[0], 15000, opening_float_fen=10000), 201)
    assert second["started_at"] == first["closed_at"]
    assert (second["expected_cash_fen"], second["difference_fen"]) == (5000 + 10000, 0)
    assert second["figures"]["taken_fen"]["cash"] == 5000 and second["figures"]["topups"]["count"] == 0
    # The next day's first shift starts at that day's beginning.
    at("2026-03-03 10:00")
    third = ok(_close(api, cashier, stores[0], 0), 201)
    assert third["started_at"].startswith("2026-03-02T16:00:00") and third["expected_cash_fen"] == 0

    owner_view = ok(
        api.get(f"/stores/{stores[0]}/shifts", staff_tokens["owner"], query_string={"from": DAY, "to": "2026-03-03"})
    )
    assert [s["id"] for s in owner_view["items"]] == [third["id"], second["id"], first["id"]]
    till = ok(api.get(f"/stores/{stores[0]}/till", staff_tokens["owner"], query_string={"date": DAY}))
    assert [s["id"] for s in till["shifts"]] == [second["id"], first["id"]] and till["shift_difference_fen"] == -100
    assert all((s["staff_id"], s["username"]) == (staff_ids["cashier"], "cashier") for s in till["shifts"])


def test_the_owner_sees_every_shift_and_a_cashier_only_their_own(api, stores, staff_tokens, shop):
    at(f"{DAY} 20:00")
    ok(_close(api, staff_tokens["cashier"], stores[0], 100), 201)
    ok(_close(api, staff_tokens["owner"], stores[0], 0), 201)
    ok(_close(api, staff_tokens["cashier2"], stores[1], 0), 201)
    everyone = ok(api.get(f"/stores/{stores[0]}/shifts", staff_tokens["owner"]))
    assert sorted((s["username"], s["difference_fen"]) for s in everyone["items"]) == [("cashier", 100), ("owner", 0)]
    assert everyone["total"] == 2
    own = ok(api.get(f"/stores/{stores[0]}/shifts", staff_tokens["cashier"]))
    assert [s["difference_fen"] for s in own["items"]] == [100]
    other_store = api.get(f"/stores/{stores[1]}/shifts", staff_tokens["cashier"])
    assert other_store.status_code == 403 and other_store.json["error"]["code"] == "store_forbidden"


def test_a_replayed_close_records_one_shift(app, api, stores, staff_tokens, shop):
    at(f"{DAY} 20:00")
    first = ok(_close(api, staff_tokens["cashier"], stores[0], 300, key="close-1"), 201)
    again = ok(_close(api, staff_tokens["cashier"], stores[0], 300, key="close-1"), 201)
    assert again == first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TillShift)) == 1


def test_bad_counts_and_periods_are_refused(api, stores, staff_tokens, shop):
    for body in ({"counted_cash_fen": -1}, {"counted_cash_fen": 12.5}, {}, {"counted_cash_fen": 0, "extra": 1}):
        response = api.post(f"/stores/{stores[0]}/shifts/close", staff_tokens["cashier"], json=body)
        assert response.status_code == 422, body
    backwards = api.get(
        f"/stores/{stores[0]}/shifts", staff_tokens["owner"], query_string={"from": "2026-03-02", "to": "2026-03-01"}
    )
    assert backwards.status_code == 422 and backwards.json["error"]["code"] == "invalid_period"
    assert api.get(f"/stores/{999}/shifts", staff_tokens["owner"]).status_code == 404


def test_two_closes_racing_never_count_the_cash_twice(app, api, stores, staff_tokens, shop):
    """Real threads with their own connections (PostgreSQL with TEST_DATABASE_URL; SQLite serialises
    them, and the second close then covers an empty shift)."""
    at(f"{DAY} 09:00")
    _cash_sale(api, staff_tokens["cashier"], stores[0], shop["items"])
    at(f"{DAY} 20:00")
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(index):
        client = app.test_client()
        barrier.wait()
        results[index] = client.post(
            f"/api/v1/stores/{stores[0]}/shifts/close",
            json={"counted_cash_fen": 5000},
            headers={"Authorization": f"Bearer {staff_tokens['cashier']}"},
        )

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(response.status_code for response in results)
    assert statuses in ([201, 201], [201, 409]), [response.get_json() for response in results]
    for response in results:
        if response.status_code == 409:
            assert response.get_json()["error"]["code"] == "shift_already_closed"
    with app.app_context():
        expected = db.session.scalars(select(TillShift.expected_cash_fen)).all()
    assert sorted(expected) == ([0, 5000] if statuses == [201, 201] else [5000])
