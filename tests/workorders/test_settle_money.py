"""Settling with money tenders: sums, finality, idempotency, walk-ins."""

from tests.factories import open_order
from tests.helpers import error_code, settle
from tests.ledgers import table_rows


def _order(api, staff_tokens, stores, catalog, **kwargs):
    return open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 1}],
        **kwargs,
    )


def test_each_money_tender_alone_settles(api, staff_tokens, stores, catalog, member):
    for _index, kind in enumerate(("cash", "wechat", "alipay", "card")):
        order = _order(api, staff_tokens, stores, catalog)
        response = settle(api, staff_tokens["cashier"], order["id"], [{"type": kind, "amount_fen": 13000}])
        assert response.status_code == 200, response.json
        body = response.json
        assert body["status"] == "settled" and body["paid_fen"] == 13000
        assert [(p["type"], p["amount_fen"], p["status"]) for p in body["payments"]] == [(kind, 13000, "posted")]
        assert body["settled_at"] is not None


def test_a_tender_row_status_is_one_the_document_lists(api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    body = settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 13000}]).json
    document = api.get("/openapi.json").json
    documented = document["components"]["schemas"]["WorkOrderPaymentRead"]["properties"]["status"]["enum"]
    assert [payment["status"] for payment in body["payments"]] == ["posted"]
    assert set(documented) == {"posted", "held", "pending", "released"}


def test_money_tenders_combine(api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    response = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [
            {"type": "cash", "amount_fen": 3000},
            {"type": "wechat", "amount_fen": 4000},
            {"type": "alipay", "amount_fen": 5000},
            {"type": "card", "amount_fen": 1000},
        ],
    )
    assert response.status_code == 200, response.json
    assert sum(p["amount_fen"] for p in response.json["payments"]) == response.json["total_fen"] == 13000


def test_wrong_sums_are_refused_and_change_nothing(app, api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    before = table_rows(app)
    for tenders in ([{"type": "cash", "amount_fen": 12999}], [{"type": "cash", "amount_fen": 13001}], []):
        response = settle(api, staff_tokens["cashier"], order["id"], tenders)
        assert response.status_code == 422 and error_code(response) == "tenders_do_not_add_up"
        details = response.json["error"]["details"]
        assert details["total_fen"] == 13000 and details["remaining_fen"] == 13000 - details["tendered_fen"]
    duplicate = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [{"type": "cash", "amount_fen": 6500}, {"type": "cash", "amount_fen": 6500}],
    )
    assert duplicate.status_code == 422 and error_code(duplicate) == "duplicate_tender"
    for bad in (
        {"type": "cash", "amount_fen": 0},
        {"type": "cash", "amount_fen": -5},
        {"type": "cash", "amount_fen": 130.5},
        {"type": "cash", "amount_fen": "13000"},
        {"type": "cheque"},
    ):
        assert settle(api, staff_tokens["cashier"], order["id"], [bad]).status_code == 422
    assert table_rows(app) == before


def test_second_settle_is_refused_but_a_replay_answers_the_same(app, api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    tenders = [{"type": "cash", "amount_fen": 13000}]
    first = settle(api, staff_tokens["cashier"], order["id"], tenders, key="settle-1")
    assert first.status_code == 200
    replay = settle(api, staff_tokens["cashier"], order["id"], tenders, key="settle-1")
    assert replay.status_code == 200 and replay.json == first.json
    assert replay.headers.get("Idempotent-Replayed") == "true"
    again = settle(api, staff_tokens["cashier"], order["id"], tenders, key="settle-2")
    assert again.status_code == 409 and error_code(again) == "work_order_not_settleable"
    assert len(api.get(f"/work-orders/{order['id']}", staff_tokens["cashier"]).json["payments"]) == 1


def test_walk_in_order_takes_money_only(api, staff_tokens, stores, catalog):
    order = _order(api, staff_tokens, stores, catalog, plate="京A99999")
    refused = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [{"type": "points", "points": 100}, {"type": "cash", "amount_fen": 12999}],
    )
    assert refused.status_code == 422 and error_code(refused) == "member_required"
    paid = settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 13000}])
    assert paid.status_code == 200 and paid.json["member_id"] is None


def test_empty_order_cannot_settle(api, staff_tokens, stores):
    order = open_order(api, staff_tokens["cashier"], stores[0], [])
    response = settle(api, staff_tokens["cashier"], order["id"], [])
    assert response.status_code == 422 and error_code(response) == "work_order_empty"


def test_cashier_of_another_store_cannot_settle(api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    response = settle(api, staff_tokens["cashier2"], order["id"], [{"type": "cash", "amount_fen": 13000}])
    assert response.status_code == 403
