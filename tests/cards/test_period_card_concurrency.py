"""Period cards under real concurrent requests (threads, each with its own connection): the daily
cap holds when settles race for its last use, and a card refund and a use never both happen. They
matter on PostgreSQL (row locks; run with TEST_DATABASE_URL) and pass on SQLite too."""

from datetime import date

from tests.cards.period_fixtures import (
    make_period_template,
    period_ledger_holds,
    period_tender,
    sell_period_card,
    wash_order,
)
from tests.counter_fixtures import catalog, fixed_clock, member  # noqa: F401  (fixtures)
from tests.helpers import error_code, run_together


def _post(app, token, path, body, key=None):
    def call():
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return app.test_client().post(f"/api/v1{path}", json=body, headers=headers)

    return call


def test_two_settles_racing_for_the_last_use_of_the_day_one_wins(
    app,
    api,
    staff_tokens,
    stores,
    catalog,
    member,  # noqa: F811
):
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]], daily_cap=2)
    card = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])
    cashier = staff_tokens["cashier"]
    first = wash_order(api, cashier, stores[0], catalog["wash"])
    tender = [period_tender(card["id"], catalog["wash"])]
    assert api.post(f"/work-orders/{first['id']}/settle", cashier, json={"tenders": tender}).status_code == 200
    orders = [wash_order(api, cashier, stores[0], catalog["wash"]) for _ in range(2)]

    results = run_together(
        *(_post(app, cashier, f"/work-orders/{order['id']}/settle", {"tenders": tender}) for order in orders),
        timeout=60,
    )

    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    assert error_code(next(r for r in results if r.status_code == 409)) == "period_card_daily_cap_reached"
    assert period_ledger_holds(app, card["id"]) == (2, {date(2026, 3, 2): 2})


def test_eight_settles_with_a_cap_of_three_give_exactly_three(app, api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]], daily_cap=3)
    card = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])
    cashier = staff_tokens["cashier"]
    orders = [wash_order(api, cashier, stores[0], catalog["wash"]) for _ in range(8)]
    tender = [period_tender(card["id"], catalog["wash"])]

    results = run_together(
        *(_post(app, cashier, f"/work-orders/{order['id']}/settle", {"tenders": tender}) for order in orders),
        timeout=120,
    )

    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 3 + [409] * 5, [r.get_json() for r in results]
    assert {error_code(r) for r in results if r.status_code == 409} == {"period_card_daily_cap_reached"}
    assert period_ledger_holds(app, card["id"]) == (3, {date(2026, 3, 2): 3})


def test_a_card_refund_and_a_use_racing_never_both_happen(app, api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    started = api.post(
        "/me/card-purchases",
        member["token"],
        json={"kind": "period", "template_id": template["id"], "vehicle_id": member["vehicle_id"]},
        headers={"Idempotency-Key": "buy"},
    ).json
    assert api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm").status_code == 200
    purchase = api.get("/me/card-purchases", member["token"]).json["items"][0]
    order = wash_order(api, staff_tokens["cashier"], stores[0], catalog["wash"])
    tender = [period_tender(purchase["period_card_id"], catalog["wash"])]

    settled, refunded = run_together(
        _post(app, staff_tokens["cashier"], f"/work-orders/{order['id']}/settle", {"tenders": tender}),
        _post(app, member["token"], f"/me/card-purchases/{purchase['id']}/refund", None, key="refund"),
        timeout=60,
    )

    assert sorted([settled.status_code, refunded.status_code]) == [200, 409], (settled.get_json(), refunded.get_json())
    uses, _days = period_ledger_holds(app, purchase["period_card_id"])
    if settled.status_code == 200:
        assert error_code(refunded) == "card_not_refundable" and uses == 1
    else:
        assert error_code(settled) == "period_card_not_active" and uses == 0


def test_the_member_paying_in_the_mini_program_and_the_counter_race_for_the_last_use_one_wins(
    app,
    api,
    staff_tokens,
    stores,
    catalog,
    member,  # noqa: F811
):
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    card = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])
    cashier = staff_tokens["cashier"]
    tender = [period_tender(card["id"], catalog["wash"])]
    mine, counter = (wash_order(api, cashier, stores[0], catalog["wash"]) for _ in range(2))
    status = api.post(f"/work-orders/{mine['id']}/status", cashier, json={"status": "completed"})
    assert status.status_code == 200, status.json

    results = run_together(
        _post(app, member["token"], f"/me/work-orders/{mine['id']}/pay", {"tenders": tender}, key="pay"),
        _post(app, cashier, f"/work-orders/{counter['id']}/settle", {"tenders": tender}),
        timeout=60,
    )

    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    assert error_code(next(r for r in results if r.status_code == 409)) == "period_card_daily_cap_reached"
    assert period_ledger_holds(app, card["id"]) == (1, {date(2026, 3, 2): 1})
