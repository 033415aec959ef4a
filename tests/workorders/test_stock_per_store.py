"""Stock per store through the API: receipts, stocktakes, transfers, the store's stock and low-stock
list, a part's movements; settles and refunds at the order's store."""

import pytest

from tests.conftest import error_code
from tests.workorders.conftest import open_order, settle, table_rows


def receive(api, token, store_id, lines, supplier="嘉实多华南", key=None, **extra):
    headers = {"Idempotency-Key": key} if key else None
    body = {"supplier": supplier, "lines": lines, **extra}
    return api.post(f"/stores/{store_id}/stock/receipts", token, json=body, headers=headers)


def on_hand(api, token, store_id, **query):
    response = api.get(f"/stores/{store_id}/stock", token, query_string=query)
    assert response.status_code == 200, response.json
    return {item["part_id"]: item["on_hand"] for item in response.json["items"]}


def sell(api, token, store_id, part_id, quantity, price_fen):
    order = open_order(api, token, store_id, [{"part_id": part_id, "quantity": quantity}])
    return order, settle(api, token, order["id"], [{"type": "cash", "amount_fen": price_fen * quantity}])


def test_a_part_that_ran_out_can_be_received_and_sold_again(api, staff_tokens, stores, catalog):
    cashier, store, oil = staff_tokens["cashier"], stores[0], catalog["oil"]
    _order, sold_out = sell(api, cashier, store, oil, 5, 30000)
    assert sold_out.status_code == 200
    waiting, refused = sell(api, cashier, store, oil, 1, 30000)
    assert refused.status_code == 409 and error_code(refused) == "insufficient_stock"

    line = {"part_id": oil, "quantity": 12, "unit_cost_fen": 18000}
    received = receive(api, cashier, store, [line], key="delivery-1", note="送货单 0042")
    assert received.status_code == 201, received.json
    assert received.json["supplier"] == "嘉实多华南" and received.json["note"] == "送货单 0042"
    assert received.json["lines"] == [
        {"part_id": oil, "quantity": 12, "unit_cost_fen": 18000, "cost_fen": 216000, "on_hand_after": 12}
    ]
    assert received.json["total_cost_fen"] == 216000
    replayed = receive(api, cashier, store, [line], key="delivery-1", note="送货单 0042")
    assert replayed.status_code == 201 and replayed.json == received.json
    assert on_hand(api, cashier, store)[oil] == 12  # the replay received nothing

    again = settle(api, cashier, waiting["id"], [{"type": "cash", "amount_fen": 30000}])
    assert again.status_code == 200, again.json
    assert on_hand(api, cashier, store)[oil] == 11
    movements = api.get(f"/parts/{oil}/movements", cashier, query_string={"store_id": store}).json
    assert [(m["kind"], m["delta"], m["on_hand_after"]) for m in movements["items"]] == [
        ("settle", -1, 11),
        ("receive", 12, 12),
        ("settle", -5, 0),
        ("opening", 5, 5),
    ]
    assert movements["items"][1]["unit_cost_fen"] == 18000
    assert movements["items"][1]["ref_type"] == "stock_receipt"


def test_movements_page_newest_first_and_show_only_the_callers_stores(api, staff_tokens, stores, catalog):
    owner, filter_ = staff_tokens["owner"], catalog["filter"]
    for quantity in (1, 2, 3):
        assert (
            receive(api, owner, stores[0], [{"part_id": filter_, "quantity": quantity, "unit_cost_fen": 1}]).status_code
            == 201
        )
    transfer = {"from_store_id": stores[0], "to_store_id": stores[1], "lines": [{"part_id": filter_, "quantity": 4}]}
    assert api.post("/stock/transfers", owner, json=transfer).status_code == 201
    first = api.get(f"/parts/{filter_}/movements", owner, query_string={"per_page": 2}).json
    assert first["total"] == 6 and [m["kind"] for m in first["items"]] == ["transfer_in", "transfer_out"]
    second = api.get(f"/parts/{filter_}/movements", owner, query_string={"per_page": 2, "page": 2}).json
    assert [m["delta"] for m in second["items"]] == [3, 2]
    store_2 = api.get(f"/parts/{filter_}/movements", staff_tokens["cashier2"]).json
    assert [(m["store_id"], m["kind"], m["delta"]) for m in store_2["items"]] == [(stores[1], "transfer_in", 4)]
    other = api.get(f"/parts/{filter_}/movements", staff_tokens["cashier2"], query_string={"store_id": stores[0]})
    assert other.status_code == 403 and error_code(other) == "store_forbidden"
    missing = api.get("/parts/999/movements", owner)
    assert missing.status_code == 404 and error_code(missing) == "part_not_found"


def test_a_stocktake_writes_each_difference_with_its_reason(app, api, staff_tokens, stores, catalog):
    cashier, store = staff_tokens["cashier"], stores[0]
    body = {
        "reason": "月底盘点",
        "lines": [{"part_id": catalog["filter"], "counted": 8}, {"part_id": catalog["oil"], "counted": 5}],
    }
    response = api.post(f"/stores/{store}/stock/stocktakes", cashier, json=body)
    assert response.status_code == 201, response.json
    assert response.json["reason"] == "月底盘点" and response.json["store_id"] == store
    assert [
        (line["part_id"], line["expected"], line["counted"], line["difference"]) for line in response.json["lines"]
    ] == [
        (catalog["filter"], 10, 8, -2),
        (catalog["oil"], 5, 5, 0),
    ]
    assert on_hand(api, cashier, store) == {catalog["filter"]: 8, catalog["oil"]: 5}
    (movement,) = [
        m
        for m in api.get(f"/parts/{catalog['filter']}/movements", cashier).json["items"]
        if m["ref_type"] == "stocktake"
    ]
    assert (movement["kind"], movement["delta"], movement["note"]) == ("stocktake", -2, "月底盘点")
    assert api.get(f"/parts/{catalog['oil']}/movements", cashier).json["total"] == 1  # the count matched: no movement
    # Each difference is a stock adjustment in the audit log, with who counted and why.
    (entry,) = api.get("/audit-log", staff_tokens["owner"], query_string={"kind": "stock_adjustment"}).json["items"]
    assert (entry["entity_id"], entry["store_id"], entry["reason"]) == (catalog["filter"], store, "月底盘点")
    assert entry["before"]["on_hand"] == 10 and entry["after"]["on_hand"] == 8
    assert entry["actor_username"] == "cashier"


def test_a_transfer_moves_stock_between_stores_in_one_transaction(app, api, staff_tokens, stores, catalog):
    owner = staff_tokens["owner"]
    body = {
        "from_store_id": stores[0],
        "to_store_id": stores[1],
        "lines": [{"part_id": catalog["filter"], "quantity": 4}, {"part_id": catalog["oil"], "quantity": 5}],
        "note": "福田店缺货",
    }
    response = api.post("/stock/transfers", owner, json=body, headers={"Idempotency-Key": "t-1"})
    assert response.status_code == 201, response.json
    assert response.json["lines"] == [
        {"part_id": catalog["filter"], "quantity": 4},
        {"part_id": catalog["oil"], "quantity": 5},
    ]
    assert on_hand(api, owner, stores[0]) == {catalog["filter"]: 6, catalog["oil"]: 0}
    assert on_hand(api, owner, stores[1]) == {catalog["filter"]: 4, catalog["oil"]: 5}
    assert api.get(f"/parts/{catalog['filter']}", owner).json["stock"] == 10  # the chain's total is unchanged

    # One line short: nothing moves, even where the source store may sell below zero.
    assert api.patch(f"/stores/{stores[1]}", owner, json={"allow_negative_stock": True}).status_code == 200
    back = {
        "from_store_id": stores[1],
        "to_store_id": stores[0],
        "lines": [{"part_id": catalog["filter"], "quantity": 1}, {"part_id": catalog["oil"], "quantity": 6}],
    }
    before = table_rows(app)
    refused = api.post("/stock/transfers", owner, json=back)
    assert refused.status_code == 409 and error_code(refused) == "insufficient_stock"
    assert refused.json["error"]["details"]["part_id"] == catalog["oil"]
    assert table_rows(app) == before


def test_a_transfer_needs_someone_working_at_both_stores(api, staff_tokens, stores, catalog):
    body = {
        "from_store_id": stores[0],
        "to_store_id": stores[1],
        "lines": [{"part_id": catalog["filter"], "quantity": 1}],
    }
    for cashier in ("cashier", "cashier2"):
        response = api.post("/stock/transfers", staff_tokens[cashier], json=body)
        assert response.status_code == 403 and error_code(response) == "store_forbidden"
    assert api.post("/stock/transfers", staff_tokens["marketing"], json=body).status_code == 403


def test_a_store_that_sells_below_zero_shows_the_negative_on_its_low_stock_list(api, staff_tokens, stores, catalog):
    owner, cashier, store, oil = staff_tokens["owner"], staff_tokens["cashier"], stores[0], catalog["oil"]
    store_read = api.get(f"/stores/{store}", cashier).json
    assert store_read["allow_negative_stock"] is False
    updated = api.patch(f"/stores/{store}", owner, json={"allow_negative_stock": True})
    assert updated.status_code == 200 and updated.json["allow_negative_stock"] is True
    assert api.patch(f"/stores/{store}", cashier, json={"allow_negative_stock": False}).status_code == 403

    order, settled = sell(api, cashier, store, oil, 7, 30000)
    assert settled.status_code == 200, settled.json
    low = api.get(f"/stores/{store}/stock", cashier, query_string={"low_stock": "true"}).json
    assert [(i["part_id"], i["on_hand"], i["low_stock"]) for i in low["items"]] == [(oil, -2, True)]
    assert on_hand(api, cashier, store) == {catalog["filter"]: 10, oil: -2}
    assert api.get(f"/parts/{oil}", cashier).json["stock"] == -2

    # The other store keeps the default: it refuses to sell what it does not have.
    _order, refused = sell(api, staff_tokens["cashier2"], stores[1], oil, 1, 30000)
    assert refused.status_code == 409 and error_code(refused) == "insufficient_stock"

    refunded = api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "退货"})
    assert refunded.status_code == 200
    assert on_hand(api, cashier, store)[oil] == 5
    assert api.get(f"/stores/{store}/stock", cashier, query_string={"low_stock": "true"}).json["items"] == []


def test_settle_and_refund_move_stock_at_the_orders_store(api, staff_tokens, stores, catalog):
    owner, filter_ = staff_tokens["owner"], catalog["filter"]
    transfer = {"from_store_id": stores[0], "to_store_id": stores[1], "lines": [{"part_id": filter_, "quantity": 3}]}
    assert api.post("/stock/transfers", owner, json=transfer).status_code == 201
    order, settled = sell(api, staff_tokens["cashier2"], stores[1], filter_, 2, 8000)
    assert settled.status_code == 200, settled.json
    assert on_hand(api, owner, stores[0])[filter_] == 7 and on_hand(api, owner, stores[1])[filter_] == 1
    assert api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "r"}).status_code == 200
    assert on_hand(api, owner, stores[0])[filter_] == 7 and on_hand(api, owner, stores[1])[filter_] == 3


def test_a_new_parts_opening_stock_goes_to_the_store_named_or_the_first(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    named = api.post(
        "/parts", owner, json={"name": "刹车片", "sku": "B-1", "price_fen": 20000, "stock": 7, "store_id": stores[1]}
    )
    assert named.status_code == 201 and named.json["stock"] == 7
    first = api.post("/parts", owner, json={"name": "雨刮", "sku": "W-1", "price_fen": 6000, "stock": 3})
    assert first.status_code == 201
    assert on_hand(api, owner, stores[1]) == {named.json["id"]: 7}
    assert on_hand(api, owner, stores[0]) == {first.json["id"]: 3}
    none = api.post("/parts", owner, json={"name": "火花塞", "sku": "S-1", "price_fen": 3000, "stock": 0})
    assert none.status_code == 201 and none.json["stock"] == 0
    assert api.get(f"/parts/{none.json['id']}/movements", owner).json["total"] == 0
    unknown = api.post("/parts", owner, json={"name": "x", "sku": "X-1", "price_fen": 1, "stock": 1, "store_id": 99})
    assert unknown.status_code == 404 and error_code(unknown) == "store_not_found"
    refused = api.patch(f"/parts/{first.json['id']}", owner, json={"stock": 99})
    assert refused.status_code == 422


RECEIPT = "/stores/{store}/stock/receipts"
STOCKTAKE = "/stores/{store}/stock/stocktakes"
TRANSFER = "/stock/transfers"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            RECEIPT,
            {"supplier": "S", "lines": [{"part_id": 999, "quantity": 1, "unit_cost_fen": 1}]},
            422,
            "part_not_found",
        ),
        (
            RECEIPT,
            {"supplier": "S", "lines": [{"part_id": "{filter}", "quantity": 0, "unit_cost_fen": 1}]},
            422,
            "validation_error",
        ),
        (
            RECEIPT,
            {"supplier": "S", "lines": [{"part_id": "{filter}", "quantity": -3, "unit_cost_fen": 1}]},
            422,
            "validation_error",
        ),
        (
            RECEIPT,
            {"supplier": "S", "lines": [{"part_id": "{filter}", "quantity": 1, "unit_cost_fen": -1}]},
            422,
            "validation_error",
        ),
        (RECEIPT, {"supplier": "S", "lines": []}, 422, "validation_error"),
        (RECEIPT, {"lines": [{"part_id": "{filter}", "quantity": 1, "unit_cost_fen": 1}]}, 422, "validation_error"),
        (
            RECEIPT,
            {
                "supplier": "S",
                "lines": [
                    {"part_id": "{oil}", "quantity": 1, "unit_cost_fen": 1},
                    {"part_id": "{filter}", "quantity": 1, "unit_cost_fen": 1},
                    {"part_id": "{oil}", "quantity": 2, "unit_cost_fen": 1},
                ],
            },
            422,
            "duplicate_part",
        ),
        (STOCKTAKE, {"reason": "r", "lines": [{"part_id": "{filter}", "counted": -1}]}, 422, "validation_error"),
        (STOCKTAKE, {"lines": [{"part_id": "{filter}", "counted": 1}]}, 422, "validation_error"),
        (
            STOCKTAKE,
            {"reason": "r", "lines": [{"part_id": "{oil}", "counted": 1}, {"part_id": 999, "counted": 1}]},
            422,
            "part_not_found",
        ),
        (
            TRANSFER,
            {"from_store_id": "{store}", "to_store_id": "{store}", "lines": [{"part_id": "{filter}", "quantity": 1}]},
            422,
            "same_store_transfer",
        ),
        (
            TRANSFER,
            {"from_store_id": "{store}", "to_store_id": 99, "lines": [{"part_id": "{filter}", "quantity": 1}]},
            404,
            "store_not_found",
        ),
        (
            TRANSFER,
            {"from_store_id": "{store}", "to_store_id": "{store2}", "lines": [{"part_id": "{filter}", "quantity": 0}]},
            422,
            "validation_error",
        ),
        (
            TRANSFER,
            {"from_store_id": "{store}", "to_store_id": "{store2}", "lines": [{"part_id": 999, "quantity": 1}]},
            422,
            "part_not_found",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_code_and_writes_nothing(
    app, api, staff_tokens, stores, catalog, path, body, status, code
):
    names = {"{store}": stores[0], "{store2}": stores[1], "{filter}": catalog["filter"], "{oil}": catalog["oil"]}

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return names.get(value, value) if isinstance(value, str) else value

    before = table_rows(app)
    response = api.post(path.format(store=stores[0]), staff_tokens["owner"], json=fill(body))
    assert (response.status_code, error_code(response)) == (status, code), response.json
    assert table_rows(app) == before


def test_receiving_at_an_unknown_store_or_another_cashiers_store_is_refused(api, staff_tokens, stores, catalog):
    line = [{"part_id": catalog["filter"], "quantity": 1, "unit_cost_fen": 1}]
    missing = receive(api, staff_tokens["owner"], 99, line)
    assert missing.status_code == 404 and error_code(missing) == "store_not_found"
    other = receive(api, staff_tokens["cashier"], stores[1], line)
    assert other.status_code == 403 and error_code(other) == "store_forbidden"
    stock_list = api.get(f"/stores/{stores[1]}/stock", staff_tokens["cashier"])
    assert stock_list.status_code == 403 and error_code(stock_list) == "store_forbidden"
