"""Concurrent settlements: real threads, each with its own connection. They matter on PostgreSQL
(row locks; run with TEST_DATABASE_URL) and pass on SQLite too, where the write lock taken at
BEGIN serialises the transactions."""

from tests.factories import open_order, top_up
from tests.helpers import error_code, run_together
from tests.ledgers import ledgers, scalar


def _settle_call(app, token, work_order_id, tenders):
    """A settle request on its own test client (its own session and connection)."""

    def call():
        return app.test_client().post(
            f"/api/v1/work-orders/{work_order_id}/settle",
            json={"tenders": tenders},
            headers={"Authorization": f"Bearer {token}"},
        )

    return call


def test_two_cashiers_settling_one_order_one_wins(app, api, staff_tokens, stores, catalog, member):
    top_up(app, member["id"], 10000)
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 1}],
    )
    results = run_together(
        _settle_call(
            app,
            staff_tokens["cashier"],
            order["id"],
            [{"type": "stored_value", "amount_fen": 10000}, {"type": "cash", "amount_fen": 3000}],
        ),
        _settle_call(app, staff_tokens["owner"], order["id"], [{"type": "wechat", "amount_fen": 13000}]),
        timeout=60,
    )
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert error_code(loser) == "work_order_not_settleable"
    winner = next(r for r in results if r.status_code == 200).get_json()
    stored = api.get(f"/work-orders/{order['id']}", staff_tokens["owner"]).json
    assert stored["payments"] == winner["payments"]
    on_hand = "SELECT on_hand FROM store_part_stocks WHERE store_id = :s AND part_id = :p"
    assert scalar(app, on_hand, s=stores[0], p=catalog["filter"]) == 9
    spent = 10000 if any(p["type"] == "stored_value" for p in winner["payments"]) else 0
    assert ledgers(app, member["id"])["wallet"] == [(10000 - spent, 0, 10000 - spent)]
    assert ledgers(app, member["id"])["member"][0][:2] == (1, 13000)


def test_eight_orders_spending_one_wallet(app, api, staff_tokens, stores, catalog, member):
    top_up(app, member["id"], 27000)
    orders = [
        open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
        for _ in range(8)
    ]
    results = run_together(
        *(
            _settle_call(app, staff_tokens["cashier"], order["id"], [{"type": "stored_value", "amount_fen": 5000}])
            for order in orders
        ),
        timeout=60,
    )
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200] * 5 + [409] * 3, [r.get_json() for r in results]
    assert {error_code(r) for r in results if r.status_code == 409} == {"insufficient_balance"}
    after = ledgers(app, member["id"])
    assert after["wallet"] == [(2000, 0, 2000)] and after["wallet_entries"] == [(2000, 0)]
    assert scalar(app, "SELECT MIN(balance_after_fen) FROM wallet_entries WHERE member_id = :m", m=member["id"]) >= 0
    assert scalar(app, "SELECT COUNT(*) FROM work_orders WHERE status = 'settled'") == 5
    assert after["member"][0][:2] == (5, 25000)
    assert after["points"] == [(250,)]


def test_concurrent_openings_get_distinct_numbers(app, api, staff_tokens, stores):
    def call():
        return app.test_client().post(
            "/api/v1/work-orders",
            json={"store_id": stores[0], "plate": "粤B12345", "lines": []},
            headers={"Authorization": f"Bearer {staff_tokens['cashier']}"},
        )

    results = run_together(*[call] * 8, timeout=60)
    assert [r.status_code for r in results] == [201] * 8, [r.get_json() for r in results]
    numbers = sorted(r.get_json()["number"] for r in results)
    assert numbers == [f"S{stores[0]}-20260302-{n:03d}" for n in range(1, 9)]


def test_two_settles_racing_for_the_last_unit_one_wins(app, api, staff_tokens, stores, catalog):
    cashier, oil = staff_tokens["cashier"], catalog["oil"]
    first = open_order(api, cashier, stores[0], [{"part_id": oil, "quantity": 4}])
    response = api.post(
        f"/work-orders/{first['id']}/settle", cashier, json={"tenders": [{"type": "cash", "amount_fen": 120000}]}
    )
    assert response.status_code == 200, response.json  # one of the five left
    orders = [open_order(api, cashier, stores[0], [{"part_id": oil, "quantity": 1}]) for _ in range(2)]
    results = run_together(
        *[
            _settle_call(app, token, order["id"], [{"type": "cash", "amount_fen": 30000}])
            for token, order in zip((cashier, staff_tokens["owner"]), orders, strict=True)
        ],
        timeout=60,
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert error_code(loser) == "insufficient_stock"
    assert loser.get_json()["error"]["details"]["stock"] == 0
    on_hand = "SELECT on_hand FROM store_part_stocks WHERE store_id = :s AND part_id = :p"
    movements = "SELECT SUM(delta) FROM part_stock_movements WHERE store_id = :s AND part_id = :p"
    assert scalar(app, on_hand, s=stores[0], p=oil) == 0 == scalar(app, movements, s=stores[0], p=oil)
    assert scalar(app, "SELECT COUNT(*) FROM work_orders WHERE status = 'settled'") == 2
