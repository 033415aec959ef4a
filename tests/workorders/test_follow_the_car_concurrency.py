"""Approvals, status changes and settling racing on one order: real threads, each with its own
connection. They matter on PostgreSQL (the order's row lock; run with TEST_DATABASE_URL) and pass on
SQLite too, where the write lock taken at BEGIN serialises the transactions."""

import threading

from tests.conftest import error_code
from tests.workorders.conftest import open_order, scalar


def _race(app, calls):
    """POST each (token, path, body) on its own thread and test client, released together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, token, path, body):
        client = app.test_client()
        barrier.wait()
        results[index] = client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _with_extra(api, staff_tokens, stores, catalog):
    """A wash (5000) in progress with an oil filter (8000) added as extra work."""
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    api.post(f"/work-orders/{order['id']}/status", cashier, json={"status": "in_progress"})
    body = {"lines": [{"part_id": catalog["filter"], "quantity": 1}]}
    return api.post(f"/work-orders/{order['id']}/lines", cashier, json=body).json


def test_two_staff_completing_one_order_queue_one_notice(app, api, staff_tokens, stores, catalog, member):
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    path, body = f"/work-orders/{order['id']}/status", {"status": "completed"}
    results = _race(app, [(staff_tokens["cashier"], path, body), (staff_tokens["owner"], path, body)])
    assert [r.status_code for r in results] == [200, 200], [r.get_json() for r in results]
    assert scalar(app, "SELECT COUNT(*) FROM marketing_messages WHERE kind = 'car_ready'") == 1


def test_a_settle_racing_the_members_approval_never_charges_pending_work(
    app, api, staff_tokens, stores, catalog, member
):
    order = _with_extra(api, staff_tokens, stores, catalog)
    extra_id = order["lines"][1]["id"]
    results = _race(
        app,
        [
            (
                member["token"],
                f"/me/work-orders/{order['id']}/approvals",
                {"lines": [{"line_id": extra_id, "decision": "approved"}]},
            ),
            (
                staff_tokens["cashier"],
                f"/work-orders/{order['id']}/settle",
                {"tenders": [{"type": "cash", "amount_fen": 13000}]},
            ),
        ],
    )
    approval, settled = results
    assert approval.status_code == 200, approval.get_json()
    if settled.status_code == 200:  # the approval committed first
        assert settled.get_json()["total_fen"] == 13000
        assert scalar(app, "SELECT SUM(on_hand) FROM store_part_stocks WHERE part_id = :p", p=catalog["filter"]) == 9
    else:
        assert settled.status_code == 409 and error_code(settled) == "approval_pending"
        assert scalar(app, "SELECT status FROM work_orders WHERE id = :o", o=order["id"]) == "in_progress"
        assert scalar(app, "SELECT SUM(on_hand) FROM store_part_stocks WHERE part_id = :p", p=catalog["filter"]) == 10


def test_a_phone_decline_racing_a_settle_leaves_totals_and_stock_consistent(
    app, api, staff_tokens, stores, catalog, member
):
    order = _with_extra(api, staff_tokens, stores, catalog)
    extra_id = order["lines"][1]["id"]
    approved = api.post(
        f"/me/work-orders/{order['id']}/approvals",
        member["token"],
        json={"lines": [{"line_id": extra_id, "decision": "approved"}]},
    )
    assert approved.status_code == 200
    decline, settled = _race(
        app,
        [
            (
                staff_tokens["owner"],
                f"/work-orders/{order['id']}/lines/{extra_id}/approval",
                {"decision": "declined", "note": "车主来电改主意"},
            ),
            (
                staff_tokens["cashier"],
                f"/work-orders/{order['id']}/settle",
                {"tenders": [{"type": "cash", "amount_fen": 13000}]},
            ),
        ],
    )
    stock = scalar(app, "SELECT SUM(on_hand) FROM store_part_stocks WHERE part_id = :p", p=catalog["filter"])
    approval = scalar(app, "SELECT approval FROM work_order_lines WHERE id = :l", l=extra_id)
    if settled.status_code == 200:  # the settle took the lock first: the decision comes too late
        assert decline.status_code == 409 and error_code(decline) == "work_order_not_editable"
        assert (approval, stock) == ("approved", 9)
    else:  # the decline took it first: 13000 no longer adds up to the 5000 total
        assert decline.status_code == 200 and settled.status_code == 422
        assert (approval, stock) == ("declined", 10)
        assert scalar(app, "SELECT total_fen FROM work_orders WHERE id = :o", o=order["id"]) == 5000
