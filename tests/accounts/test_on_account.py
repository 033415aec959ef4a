"""On account (挂账): charging at settle, limits and suspension, statements, repayments, refunds, ageing."""

from datetime import UTC, date, datetime, timedelta

from app.common import clock
from app.common.jobs import run_job
from tests.factories import open_order, top_up
from tests.helpers import error_code, settle, travel
from tests.ledgers import scalar

DAY = {"from": "2026-03-01", "to": "2026-03-31"}


def _order(api, token, store_id, catalog, plate="粤B12345", washes=2):
    order = open_order(
        api,
        token,
        store_id,
        [{"service_item_id": catalog["wash"], "quantity": washes}, {"part_id": catalog["filter"], "quantity": 1}],
        plate=plate,
    )
    return order


def _statement(api, token, account_id, **period):
    response = api.get(f"/accounts/{account_id}/statement", token, query_string=period or DAY)
    assert response.status_code == 200, response.json
    return response.json


def test_an_insurer_and_the_members_deductible_settle_refund_and_appear_on_the_statement(
    app, api, staff_tokens, stores, catalog, member, make_account
):
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    account = make_account(vehicle_ids=[member["vehicle_id"]], contact_name="李经理", tax_number="91440300X")
    top_up(app, member["id"], 5000)
    order = _order(api, cashier, stores[0], catalog)  # 2 × 5000 + 8000 = 18000
    tenders = [
        {"type": "on_account", "account_id": account["id"], "amount_fen": 15000},
        {"type": "stored_value", "amount_fen": 2000},
        {"type": "cash", "amount_fen": 1000},
    ]
    quote = api.post(f"/work-orders/{order['id']}/quote", cashier, json={"tenders": tenders}).json
    assert quote["remaining_fen"] == 0 and quote["paid_fen"] == 3000
    assert {"type": "on_account", "amount_fen": 15000, "account_id": account["id"]}.items() <= quote["tenders"][
        0
    ].items()
    settled = settle(api, cashier, order["id"], tenders, key="k1")
    assert settled.status_code == 200, settled.json
    assert settled.json["paid_fen"] == 3000  # the member paid the deductible; the insurer pays later
    on_account = [p for p in settled.json["payments"] if p["type"] == "on_account"]
    assert on_account == [{**on_account[0], "amount_fen": 15000, "account_id": account["id"]}]

    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["balance_fen"], read["open_fen"], read["credit_fen"], read["available_fen"]) == (
        15000,
        15000,
        0,
        985000,
    )
    receivables = api.get(f"/accounts/{account['id']}/receivables", cashier).json["items"]
    assert [(r["work_order_id"], r["amount_fen"], r["open_fen"], r["due_on"]) for r in receivables] == [
        (order["id"], 15000, 15000, "2026-04-01")
    ]

    statement = _statement(api, cashier, account["id"])
    assert statement["opening_balance_fen"] == 0 and statement["closing_balance_fen"] == 15000
    [charge] = statement["charges"]
    assert charge["work_order_number"] == order["number"] and charge["plate"] == member["plate"]
    assert charge["charged_fen"] == 15000 and charge["order_total_fen"] == 18000
    assert [(line["name"], line["quantity"], line["line_total_fen"]) for line in charge["lines"]] == [
        ("Wash", 2, 10000),
        ("Oil filter", 1, 8000),
    ]
    assert sorted((t["type"], t["amount_fen"]) for t in charge["tenders"]) == [
        ("cash", 1000),
        ("on_account", 15000),
        ("stored_value", 2000),
    ]
    assert statement["account"]["tax_number"] == "91440300X"

    clock.set_now(clock.now() + timedelta(days=1))
    refunded = api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "返工"})
    assert refunded.status_code == 200, refunded.json
    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["balance_fen"], read["open_fen"], read["credit_fen"]) == (0, 0, 0)
    statement = _statement(api, cashier, account["id"])
    assert statement["refunded_fen"] == 15000 and statement["closing_balance_fen"] == 0
    assert [(r["work_order_number"], r["amount_fen"]) for r in statement["refunds"]] == [(order["number"], 15000)]
    assert statement["charges"][0]["refunded_at"] is not None
    # The member's stored value came back too, as for any refund.
    assert scalar(app, "SELECT balance_fen FROM wallets WHERE member_id = :m", m=member["id"]) == 5000
    # Refunding again changes nothing.
    again = api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "返工"})
    assert again.status_code == 200
    assert scalar(app, "SELECT COUNT(*) FROM account_entries WHERE kind = 'refund'") == 1


def test_the_statement_as_a_spreadsheet(app, api, staff_tokens, stores, catalog, member, make_account):
    from io import BytesIO

    from openpyxl import load_workbook

    cashier = staff_tokens["cashier"]
    account = make_account(name="=危险公司", kind="company", vehicle_ids=[member["vehicle_id"]])
    order = _order(api, cashier, stores[0], catalog)
    tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": 18000}]
    assert settle(api, cashier, order["id"], tenders).status_code == 200
    response = api.get(f"/accounts/{account['id']}/statement", cashier, query_string={**DAY, "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.data)).active
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ("对账单", "'=危险公司")
    assert any(row[0] == order["number"] and row[9] == 180.0 for row in values)
    assert values[-1][:2] == ("期末余额（元）", 180.0)


def test_the_credit_limit_the_owners_approval_the_allowed_cars_and_suspension(
    app, api, staff_tokens, stores, catalog, member, make_account
):
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    account = make_account(credit_limit_fen=10000, member_ids=[member["id"]])
    stranger = make_account(name="别家车队", kind="fleet")
    order = _order(api, cashier, stores[0], catalog)
    over = [{"type": "on_account", "account_id": account["id"], "amount_fen": 18000}]
    for path in ("quote", "settle"):
        response = api.post(f"/work-orders/{order['id']}/{path}", cashier, json={"tenders": over})
        assert response.status_code == 409 and error_code(response) == "credit_limit_exceeded"
        assert response.json["error"]["details"]["available_fen"] == 10000
    approved = [{**over[0], "over_limit_approved": True}]
    response = settle(api, cashier, order["id"], approved)
    assert response.status_code == 403 and error_code(response) == "over_limit_owner_only"
    not_allowed = [{"type": "on_account", "account_id": stranger["id"], "amount_fen": 18000}]
    response = settle(api, cashier, order["id"], not_allowed)
    assert response.status_code == 422 and error_code(response) == "account_not_allowed"
    response = settle(api, owner, order["id"], approved)
    assert response.status_code == 200, response.json
    audit = api.get("/audit-log", owner, query_string={"kind": "account_over_limit"}).json["items"]
    assert len(audit) == 1 and audit[0]["after"]["balance_fen"] == 18000

    suspended = api.post(f"/accounts/{account['id']}/status", owner, json={"status": "suspended", "reason": "逾期"})
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    assert api.post(f"/accounts/{account['id']}/status", cashier, json={"status": "active"}).status_code == 403
    api.patch(f"/accounts/{account['id']}", owner, json={"credit_limit_fen": 100000})
    second = _order(api, cashier, stores[0], catalog, washes=1)
    tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": 13000}]
    response = settle(api, cashier, second["id"], tenders)
    assert response.status_code == 409 and error_code(response) == "account_suspended"
    api.post(f"/accounts/{account['id']}/status", owner, json={"status": "active"})
    assert settle(api, cashier, second["id"], tenders).status_code == 200
    changes = api.get("/audit-log", owner, query_string={"kind": "account"}).json["items"]
    assert any(entry["after"].get("credit_limit_fen") == 100000 for entry in changes)
    assert any(entry["after"].get("status") == "suspended" for entry in changes)


def test_counter_staff_read_and_only_the_owner_manages(api, staff_tokens, make_account):
    account = make_account()
    cashier = staff_tokens["cashier"]
    assert api.get("/accounts", cashier).json["total"] == 1
    assert (
        api.post(
            "/accounts", cashier, json={"name": "x", "kind": "fleet", "credit_limit_fen": 1, "payment_terms_days": 1}
        ).status_code
        == 403
    )
    assert api.patch(f"/accounts/{account['id']}", cashier, json={"credit_limit_fen": 1}).status_code == 403
    response = api.post(
        "/accounts",
        staff_tokens["owner"],
        json={"name": "平安保险", "kind": "fleet", "credit_limit_fen": 1, "payment_terms_days": 1},
    )
    assert response.status_code == 409 and error_code(response) == "account_name_taken"


def _charge_three(api, staff_tokens, stores, catalog, member, account):
    cashier = staff_tokens["cashier"]
    ids = []
    for washes in (1, 2, 3):  # 13000, 18000, 23000
        order = _order(api, cashier, stores[0], catalog, washes=washes)
        total = 5000 * washes + 8000
        tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": total}]
        assert settle(api, cashier, order["id"], tenders).status_code == 200
        ids.append(order["id"])
        clock.set_now(clock.now() + timedelta(days=1))
    receivables = api.get(f"/accounts/{account['id']}/receivables", cashier).json["items"]
    assert [r["work_order_id"] for r in receivables] == ids
    return [r["id"] for r in receivables]


def _open(api, token, account_id):
    items = api.get(f"/accounts/{account_id}/receivables", token).json["items"]
    return [r["open_fen"] for r in items]


def test_repayments_allocate_as_chosen_oldest_first_and_keep_an_overpayment_as_credit(
    app, api, staff_tokens, stores, catalog, member, make_account
):
    cashier = staff_tokens["cashier"]
    account = make_account(vehicle_ids=[member["vehicle_id"]])
    first, second, third = _charge_three(api, staff_tokens, stores, catalog, member, account)
    path = f"/accounts/{account['id']}/repayments"
    chosen = {
        "amount_fen": 20000,
        "paid_via": "transfer",
        "reference": "TR-001",
        "allocations": [{"receivable_id": third, "amount_fen": 15000}, {"receivable_id": second, "amount_fen": 5000}],
    }
    response = api.post(path, cashier, json=chosen, headers={"Idempotency-Key": "rep-1"})
    assert response.status_code == 201, response.json
    assert response.json["unallocated_fen"] == 0
    assert _open(api, cashier, account["id"]) == [13000, 13000, 8000]
    replay = api.post(path, cashier, json=chosen, headers={"Idempotency-Key": "rep-1"})
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert _open(api, cashier, account["id"]) == [13000, 13000, 8000]

    too_much = {"amount_fen": 5000, "paid_via": "cash", "allocations": [{"receivable_id": first, "amount_fen": 6000}]}
    response = api.post(path, cashier, json=too_much, headers={"Idempotency-Key": "rep-2"})
    assert response.status_code == 422 and error_code(response) == "allocation_exceeds_repayment"
    beyond = {"amount_fen": 9000, "paid_via": "cash", "allocations": [{"receivable_id": third, "amount_fen": 9000}]}
    response = api.post(path, cashier, json=beyond, headers={"Idempotency-Key": "rep-3"})
    assert response.status_code == 422 and error_code(response) == "allocation_exceeds_open"

    oldest = api.post(
        path, cashier, json={"amount_fen": 20000, "paid_via": "transfer"}, headers={"Idempotency-Key": "rep-4"}
    )
    assert [(a["receivable_id"], a["amount_fen"]) for a in oldest.json["allocations"]] == [
        (first, 13000),
        (second, 7000),
    ]
    assert _open(api, cashier, account["id"]) == [0, 6000, 8000]

    over = api.post(
        path, cashier, json={"amount_fen": 20000, "paid_via": "transfer"}, headers={"Idempotency-Key": "rep-5"}
    )
    assert over.json["unallocated_fen"] == 6000
    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["balance_fen"], read["open_fen"], read["credit_fen"]) == (-6000, 0, 6000)
    # The credit pays the next charge at once.
    order = _order(api, cashier, stores[0], catalog, washes=1)
    tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": 13000}]
    assert settle(api, cashier, order["id"], tenders).status_code == 200
    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["balance_fen"], read["open_fen"], read["credit_fen"]) == (7000, 7000, 0)
    # Refunding a paid order gives what was paid on it back as credit, which pays the open one.
    assert (
        api.post(f"/work-orders/{order['id']}/refund", staff_tokens["owner"], json={"reason": "x"}).status_code == 200
    )
    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["balance_fen"], read["open_fen"], read["credit_fen"]) == (-6000, 0, 6000)
    statement = _statement(api, cashier, account["id"])
    assert statement["charged_fen"] - statement["refunded_fen"] - statement["repaid_fen"] == -6000
    assert statement["closing_balance_fen"] == -6000


def test_ageing_is_exact_across_period_boundaries_in_the_merchants_zone(
    app, api, staff_tokens, stores, catalog, member, make_account
):
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    account = make_account(vehicle_ids=[member["vehicle_id"]], suspend_after_overdue_days=60)
    # 23:59 and 00:00 in Shanghai on either side of midnight: charge days 03-02 and 03-03.
    ids = []
    for instant in (datetime(2026, 3, 2, 15, 59, tzinfo=UTC), datetime(2026, 3, 2, 16, 0, tzinfo=UTC)):
        clock.set_now(instant)
        order = _order(api, cashier, stores[0], catalog, washes=1)
        tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": 13000}]
        assert settle(api, cashier, order["id"], tenders).status_code == 200
        ids.append(order["id"])
    dues = [r["due_on"] for r in api.get(f"/accounts/{account['id']}/receivables", cashier).json["items"]]
    assert dues == ["2026-04-01", "2026-04-02"]

    def ageing(on):
        response = api.get(f"/accounts/{account['id']}/ageing", staff_tokens["cashier"], query_string={"on": on})
        assert response.status_code == 200, response.json
        return {k: v for k, v in response.json["shop"].items() if v}

    assert ageing("2026-03-01") == {}
    assert ageing("2026-03-02") == {"not_due_fen": 13000, "total_fen": 13000}
    assert ageing("2026-04-01") == {"not_due_fen": 13000, "days_0_30_fen": 13000, "total_fen": 26000}
    assert ageing("2026-05-01") == {"days_0_30_fen": 26000, "total_fen": 26000}
    assert ageing("2026-05-02") == {"days_0_30_fen": 13000, "days_31_60_fen": 13000, "total_fen": 26000}
    assert ageing("2026-06-30") == {"days_61_90_fen": 26000, "total_fen": 26000}
    assert ageing("2026-07-01") == {"days_61_90_fen": 13000, "days_over_90_fen": 13000, "total_fen": 26000}

    # A repayment on 05-10 (Shanghai) changes the ageing from that day on, not before.
    travel(api, staff_tokens, datetime(2026, 5, 9, 16, 30, tzinfo=UTC) - clock.now())
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    response = api.post(
        f"/accounts/{account['id']}/repayments",
        owner,
        json={"amount_fen": 13000, "paid_via": "transfer"},
        headers={"Idempotency-Key": "age-1"},
    )
    assert response.status_code == 201, response.json
    assert ageing("2026-05-09") == {"days_31_60_fen": 26000, "total_fen": 26000}
    assert ageing("2026-05-10") == {"days_31_60_fen": 13000, "total_fen": 13000}
    shop = api.get("/accounts/ageing", cashier, query_string={"on": "2026-05-10"}).json
    assert [(a["account_id"], a["total_fen"]) for a in shop["accounts"]] == [(account["id"], 13000)]
    assert shop["timezone"] == "Asia/Shanghai"

    # The nightly job suspends once the oldest open receivable is more than 60 days past its terms.
    def job(day):
        with app.app_context():
            return run_job("account_overdue_suspension", day=day)

    assert job(date(2026, 6, 1)) == {"suspended": []}  # the open one (due 04-02) is 60 days past its terms
    assert api.get(f"/accounts/{account['id']}", cashier).json["status"] == "active"
    assert job(date(2026, 6, 2)) == {"suspended": [account["id"]]}
    assert job(date(2026, 6, 2)) == {"suspended": []}
    read = api.get(f"/accounts/{account['id']}", cashier).json
    assert (read["status"], read["suspended_by"]) == ("suspended", "overdue")
    entries = scalar(app, "SELECT COUNT(*) FROM audit_log WHERE kind = 'account' AND actor_kind = 'system'")
    assert entries == 1


def test_the_owners_overview_shows_receivables(app, api, staff_tokens, stores, catalog, member, make_account):
    cashier = staff_tokens["cashier"]
    account = make_account(vehicle_ids=[member["vehicle_id"]])
    order = _order(api, cashier, stores[0], catalog)
    tenders = [{"type": "on_account", "account_id": account["id"], "amount_fen": 18000}]
    assert settle(api, cashier, order["id"], tenders).status_code == 200
    overview = api.get("/stats/overview", staff_tokens["owner"]).json
    assert overview["liabilities"]["receivables_fen"] == 18000
    assert overview["liabilities"]["account_credit_fen"] == 0
    assert overview["revenue"]["by_tender"]["on_account"] == 18000
    # The checkout's list: the accounts this car may charge to.
    listed = api.get("/accounts", cashier, query_string={"vehicle_id": member["vehicle_id"], "status": "active"}).json
    assert [a["id"] for a in listed["items"]] == [account["id"]]
    assert api.get("/accounts", cashier, query_string={"vehicle_id": 999}).json["total"] == 0
