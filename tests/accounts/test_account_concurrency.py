"""Two settles racing against one credit limit never exceed it: the account's row is locked
(SELECT ... FOR UPDATE) on PostgreSQL (run with TEST_DATABASE_URL); on SQLite the write lock
taken at BEGIN serialises them."""

from tests.factories import open_order
from tests.helpers import error_code, run_together
from tests.ledgers import scalar


def _settle_call(app, token, work_order_id, tenders):
    def call():
        return app.test_client().post(
            f"/api/v1/work-orders/{work_order_id}/settle",
            json={"tenders": tenders},
            headers={"Authorization": f"Bearer {token}"},
        )

    return call


def test_racing_settles_never_exceed_the_credit_limit(app, api, staff_tokens, stores, catalog, member, make_account):
    account = make_account(credit_limit_fen=30000, vehicle_ids=[member["vehicle_id"]])
    orders = [
        open_order(
            api,
            staff_tokens["cashier"],
            stores[0],
            [{"service_item_id": catalog["wash"], "quantity": 2}, {"part_id": catalog["filter"], "quantity": 1}],
        )
        for _ in range(3)
    ]
    calls = [
        _settle_call(
            app,
            staff_tokens["owner" if index == 2 else "cashier"],
            order["id"],
            [{"type": "on_account", "account_id": account["id"], "amount_fen": 18000}],
        )
        for index, order in enumerate(orders)
    ]
    results = run_together(*calls, timeout=60)
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200, 409, 409], [r.get_json() for r in results]
    assert {error_code(r) for r in results if r.status_code == 409} == {"credit_limit_exceeded"}
    read = api.get(f"/accounts/{account['id']}", staff_tokens["cashier"]).json
    assert read["balance_fen"] == read["open_fen"] == 18000 <= read["credit_limit_fen"]
    assert scalar(app, "SELECT COUNT(*) FROM account_receivables") == 1
    assert scalar(app, "SELECT COALESCE(SUM(amount_fen), 0) FROM account_entries") == 18000
