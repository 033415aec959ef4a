"""The member's own work orders, and paying a completed one from the mini-program."""

from datetime import timedelta

from app.common import clock
from app.extensions import db
from tests.cards.period_fixtures import (
    make_period_template,
    period_ledger_holds,
    period_tender,
    sell_period_card,
    wash_order,
)
from tests.factories import give_coupon, give_points, open_order, top_up
from tests.helpers import error_code, settle
from tests.ledgers import ledgers, package_ledger_holds, scalar, table_rows


def _pay(api, member, order_id, tenders, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/me/work-orders/{order_id}/pay", member["token"], json={"tenders": tenders}, headers=headers)


def test_members_see_only_their_own_orders(api, staff_tokens, stores, catalog, member, member_login, completed):
    open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="京A99999"
    )
    mine = api.get("/me/work-orders", member["token"]).json
    assert mine["total"] == 1 and mine["items"][0]["id"] == completed["id"]
    assert len(mine["items"][0]["lines"]) == 2 and mine["items"][0]["payments"] == []
    detail = api.get(f"/me/work-orders/{completed['id']}", member["token"])
    assert detail.status_code == 200 and detail.json["total_fen"] == 18000
    bob_token, _ = member_login("bob")
    other = api.get(f"/me/work-orders/{completed['id']}", bob_token)
    assert other.status_code == 404 and error_code(other) == "work_order_not_found"
    assert api.get("/me/work-orders", bob_token).json["total"] == 0
    assert api.get("/me/work-orders", staff_tokens["cashier"]).status_code == 403


def test_tenders_covering_everything_settle_at_once(app, api, member, completed):
    top_up(app, member["id"], 20000)
    response = _pay(api, member, completed["id"], [{"type": "stored_value", "amount_fen": 18000}])
    assert response.status_code == 200, response.json
    assert response.json["payment"] is None and response.json["pay_params"] is None
    assert response.json["work_order"]["status"] == "settled"
    assert ledgers(app, member["id"])["wallet"] == [(2000, 0, 2000)]


def test_remainder_through_wechat_holds_then_posts(app, api, staff_tokens, member, completed):
    top_up(app, member["id"], 5000)
    give_points(app, member["id"], 2000)
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000)
    response = _pay(
        api,
        member,
        completed["id"],
        [
            {"type": "stored_value", "amount_fen": 5000},
            {"type": "points", "points": 2000},
            {"type": "coupon", "member_coupon_id": coupon_id},
        ],
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["work_order"]["status"] == "paying"
    assert body["payment"]["amount_fen"] == 18000 - 8000 and body["pay_params"]["package"].startswith("prepay_id=")
    assert sorted((p["type"], p["status"]) for p in body["work_order"]["payments"]) == [
        ("coupon", "held"),
        ("points", "held"),
        ("stored_value", "held"),
        ("wechat", "pending"),
    ]
    held = ledgers(app, member["id"])
    assert held["wallet"] == [(0, 0, 0)] and held["points"] == [(0,)] and held["coupons"] == [(coupon_id, "used")]
    # Nothing else can settle or change it meanwhile.
    counter = settle(api, staff_tokens["cashier"], completed["id"], [{"type": "cash", "amount_fen": 18000}])
    assert counter.status_code == 409 and error_code(counter) == "work_order_paying"
    again = _pay(api, member, completed["id"], [])
    assert again.status_code == 409 and error_code(again) == "work_order_paying"

    out_trade_no = body["payment"]["out_trade_no"]
    confirmed = api.post(f"/dev/payments/{out_trade_no}/confirm")
    assert confirmed.status_code == 200, confirmed.json
    order = api.get(f"/me/work-orders/{completed['id']}", member["token"]).json
    assert order["status"] == "settled" and order["paid_fen"] == 5000 + 10000
    assert sorted((p["type"], p["amount_fen"], p["status"]) for p in order["payments"]) == [
        ("coupon", 1000, "posted"),
        ("points", 2000, "posted"),
        ("stored_value", 5000, "posted"),
        ("wechat", 10000, "posted"),
    ]
    assert order["points_earned"] == 150
    settled = table_rows(app)
    assert api.post(f"/dev/payments/{out_trade_no}/confirm").status_code == 200  # WeChat repeats: a no-op
    assert table_rows(app) == settled
    assert ledgers(app, member["id"])["member"][0][:2] == (1, 15000)


def test_a_closed_payment_releases_the_holds_and_a_new_attempt_works(app, api, staff_tokens, member, completed):
    from app.payments.services import close_expired_payments

    top_up(app, member["id"], 5000)
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000)
    before = ledgers(app, member["id"])
    tenders = [{"type": "stored_value", "amount_fen": 5000}, {"type": "coupon", "member_coupon_id": coupon_id}]
    first = _pay(api, member, completed["id"], tenders, key="pay-1").json
    clock.set_now(clock.now() + timedelta(minutes=31))
    with app.app_context():
        assert close_expired_payments(now=clock.now()) == 1
        db.session.commit()
    assert ledgers(app, member["id"]) == before
    order = api.get(f"/me/work-orders/{completed['id']}", member["token"]).json
    assert order["status"] == "completed"
    assert {p["status"] for p in order["payments"]} == {"released"}
    # A late confirmation of the closed payment settles nothing and spends nothing twice.
    assert api.post(f"/dev/payments/{first['payment']['out_trade_no']}/confirm").status_code == 200
    assert api.get(f"/me/work-orders/{completed['id']}", member["token"]).json["status"] == "completed"
    assert ledgers(app, member["id"]) == before
    assert scalar(app, "SELECT status FROM work_order_pay_attempts ORDER BY id") == "paid_late"

    second = _pay(api, member, completed["id"], tenders, key="pay-2")
    assert second.status_code == 200, second.json
    assert api.post(f"/dev/payments/{second.json['payment']['out_trade_no']}/confirm").status_code == 200
    assert api.get(f"/me/work-orders/{completed['id']}", member["token"]).json["status"] == "settled"
    refund = api.post(f"/work-orders/{completed['id']}/refund", staff_tokens["owner"], json={"reason": "test"})
    assert refund.status_code == 200
    after = ledgers(app, member["id"])
    assert after.pop("points") == [(0,)]  # the account the earning opened, back at zero
    assert after == {name: value for name, value in before.items() if name != "points"}


def test_only_a_completed_own_order_with_member_tenders_can_be_paid(
    app, api, staff_tokens, stores, catalog, member, member_login, completed
):
    open_one = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}]
    )
    not_done = _pay(api, member, open_one["id"], [])
    assert not_done.status_code == 409 and error_code(not_done) == "work_order_not_payable"
    cash = _pay(api, member, completed["id"], [{"type": "cash", "amount_fen": 18000}])
    assert cash.status_code == 422 and error_code(cash) == "tender_not_allowed"
    bob_token, _ = member_login("bob")
    other = api.post(f"/me/work-orders/{completed['id']}/pay", bob_token, json={"tenders": []})
    assert other.status_code == 404
    top_up(app, member["id"], 50000)
    too_much = _pay(api, member, completed["id"], [{"type": "stored_value", "amount_fen": 18001}])
    assert too_much.status_code == 422 and error_code(too_much) == "tenders_exceed_total"


def _card_units(app, card_id):
    with app.app_context():
        return package_ledger_holds(card_id)


def test_a_member_pays_with_their_package_and_period_cards_and_a_released_payment_gives_the_units_back(
    app, api, staff_tokens, stores, catalog, member, member_login, completed
):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    template = api.post(
        "/package-card-templates",
        owner,
        json={
            "name": "洗车5次卡",
            "price_fen": 20000,
            "valid_days": 365,
            "items": [{"service_item_id": catalog["wash"], "count": 5}],
        },
    ).json
    sale = {"template_id": template["id"], "paid_via": "cash", "store_id": stores[0]}
    package = api.post(
        f"/members/{member['id']}/package-cards", cashier, json=sale, headers={"Idempotency-Key": "p"}
    ).json
    monthly = make_period_template(api, owner, [catalog["wash"]])
    period = sell_period_card(api, cashier, member, monthly["id"], stores[0])
    tenders = [
        {"type": "package_card", "card_id": package["id"], "service_item_id": catalog["wash"]},
        period_tender(period["id"], catalog["wash"]),
    ]

    # Someone else's card is refused, and nothing is held.
    _, bob = member_login("bob")
    bobs = api.post(f"/members/{bob['id']}/package-cards", cashier, json=sale, headers={"Idempotency-Key": "b"}).json
    foreign = _pay(api, member, completed["id"], [{**tenders[0], "card_id": bobs["id"]}])
    assert foreign.status_code == 404, foreign.json
    assert api.get(f"/me/work-orders/{completed['id']}", member["token"]).json["status"] == "completed"

    # The two washes on the cards, the filter (8000) through WeChat Pay: the units are held.
    first = _pay(api, member, completed["id"], tenders, key="pay-1")
    assert first.status_code == 200, first.json
    assert first.json["payment"]["amount_fen"] == 8000
    assert sorted((p["type"], p["status"]) for p in first.json["work_order"]["payments"]) == [
        ("package_card", "held"),
        ("period_card", "held"),
        ("wechat", "pending"),
    ]
    assert _card_units(app, package["id"]) == {catalog["wash"]: 4}
    assert period_ledger_holds(app, period["id"])[0] == 1
    # The held use is the day's: the car's next order cannot take it at the counter.
    next_order = wash_order(api, cashier, stores[0], catalog["wash"])
    capped = api.post(f"/work-orders/{next_order['id']}/quote", cashier, json={"tenders": [tenders[1]]})
    assert (capped.status_code, error_code(capped)) == (409, "period_card_daily_cap_reached")

    # The payment lapses: the unit and the day's use come back.
    from app.payments.services import close_expired_payments

    clock.set_now(clock.now() + timedelta(minutes=31))
    with app.app_context():
        assert close_expired_payments(now=clock.now()) == 1
        db.session.commit()
    assert _card_units(app, package["id"]) == {catalog["wash"]: 5}
    assert period_ledger_holds(app, period["id"])[0] == 0

    # Paid on the second attempt: settled with both cards; a refund gives both back again.
    second = _pay(api, member, completed["id"], tenders, key="pay-2")
    assert second.status_code == 200, second.json
    assert api.post(f"/dev/payments/{second.json['payment']['out_trade_no']}/confirm").status_code == 200
    order = api.get(f"/me/work-orders/{completed['id']}", member["token"]).json
    assert order["status"] == "settled"
    assert sorted((p["type"], p["status"]) for p in order["payments"] if p["status"] != "released") == [
        ("package_card", "posted"),
        ("period_card", "posted"),
        ("wechat", "posted"),
    ]
    assert _card_units(app, package["id"]) == {catalog["wash"]: 4}
    assert period_ledger_holds(app, period["id"])[0] == 1
    refund = api.post(f"/work-orders/{completed['id']}/refund", owner, json={"reason": "test"})
    assert refund.status_code == 200, refund.json
    assert _card_units(app, package["id"]) == {catalog["wash"]: 5}
    assert period_ledger_holds(app, period["id"])[0] == 0
