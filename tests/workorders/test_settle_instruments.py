"""Settling with stored value, points, coupons and package cards, alone and combined."""

import pytest

from tests.factories import give_coupon, give_points, open_order, sell_card, top_up
from tests.helpers import error_code, settle
from tests.ledgers import ledgers, table_rows

TOTAL = 5000 * 2 + 19999 + 8000  # two washes, an oil change, a filter


@pytest.fixture
def order(api, staff_tokens, stores, catalog, member):
    return open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [
            {"service_item_id": catalog["wash"], "quantity": 2},
            {"service_item_id": catalog["oil_change"], "quantity": 1},
            {"part_id": catalog["filter"], "quantity": 1},
        ],
    )


@pytest.fixture
def wash_order(api, staff_tokens, stores, catalog, member):
    return open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])


def _pay(api, staff_tokens, order, tenders):
    response = settle(api, staff_tokens["cashier"], order["id"], tenders)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "settled"
    return response.json


def test_stored_value_alone(app, api, staff_tokens, order, member):
    top_up(app, member["id"], 100000)
    body = _pay(api, staff_tokens, order, [{"type": "stored_value", "amount_fen": TOTAL}])
    assert body["paid_fen"] == TOTAL and body["points_earned"] == TOTAL // 100
    after = ledgers(app, member["id"])
    assert after["wallet"] == [(100000 - TOTAL, 0, 100000 - TOTAL)]
    assert after["wallet_entries"] == [(100000 - TOTAL, 0)]
    assert after["points"] == [(TOTAL // 100,)]


def test_points_alone_when_the_merchant_allows_it(app, api, staff_tokens, order, member):
    assert api.patch("/settings", staff_tokens["owner"], json={"points_max_redeem_percent": 100}).status_code == 200
    give_points(app, member["id"], 50000)
    body = _pay(api, staff_tokens, order, [{"type": "points", "points": TOTAL}])  # 100 points = 1 yuan
    assert [(p["type"], p["points"], p["amount_fen"]) for p in body["payments"]] == [("points", TOTAL, TOTAL)]
    assert body["paid_fen"] == 0 and body["points_earned"] == 0
    assert ledgers(app, member["id"])["points"] == [(50000 - TOTAL,)]


def test_points_are_capped_by_the_redeem_percent(app, api, staff_tokens, order, member):
    give_points(app, member["id"], 50000)
    before = table_rows(app)
    over = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [{"type": "points", "points": TOTAL // 2 + 1}, {"type": "cash", "amount_fen": TOTAL - TOTAL // 2 - 1}],
    )
    assert over.status_code == 422 and error_code(over) == "points_over_limit"
    assert over.json["error"]["details"]["max_points"] == TOTAL // 2
    assert table_rows(app) == before
    _pay(
        api,
        staff_tokens,
        order,
        [{"type": "points", "points": TOTAL // 2}, {"type": "cash", "amount_fen": TOTAL - TOTAL // 2}],
    )


def test_cash_off_coupon_alone(app, api, staff_tokens, order, member):
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=TOTAL)
    body = _pay(api, staff_tokens, order, [{"type": "coupon", "member_coupon_id": coupon_id}])
    assert body["payments"][0]["amount_fen"] == TOTAL and body["paid_fen"] == 0
    assert ledgers(app, member["id"])["coupons"] == [(coupon_id, "used")]


def test_item_voucher_alone_covers_one_unit(app, api, staff_tokens, wash_order, member, catalog):
    coupon_id = give_coupon(app, member["id"], kind="item_voucher", service_item_id=catalog["wash"])
    body = _pay(api, staff_tokens, wash_order, [{"type": "coupon", "member_coupon_id": coupon_id}])
    payment = body["payments"][0]
    assert (payment["amount_fen"], payment["line_id"]) == (5000, body["lines"][0]["id"])


def test_package_card_alone(app, api, staff_tokens, wash_order, member, catalog):
    card_id = sell_card(app, member["id"], {catalog["wash"]: 3})
    body = _pay(
        api,
        staff_tokens,
        wash_order,
        [{"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}],
    )
    assert body["payments"][0]["amount_fen"] == 5000 and body["paid_fen"] == 0
    assert [remaining for _, remaining in ledgers(app, member["id"])["card_items"]] == [2]


def test_every_tender_together(app, api, staff_tokens, order, member, catalog):
    top_up(app, member["id"], 20000)
    give_points(app, member["id"], 3000)
    card_id = sell_card(app, member["id"], {catalog["wash"]: 1})
    voucher = give_coupon(app, member["id"], kind="item_voucher", service_item_id=catalog["wash"])
    cash_off = give_coupon(app, member["id"], kind="cash_off", value_fen=2000, threshold_fen=10000)
    tenders = [
        {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},  # 5000
        {"type": "coupon", "member_coupon_id": voucher},  # 5000
        {"type": "coupon", "member_coupon_id": cash_off},  # 2000
        {"type": "points", "points": 1000},  # 1000
        {"type": "stored_value", "amount_fen": 10000},
        {"type": "wechat", "amount_fen": 4000},
        {"type": "cash", "amount_fen": TOTAL - 27000},
    ]
    quote = api.post(f"/work-orders/{order['id']}/quote", staff_tokens["cashier"], json={"tenders": tenders})
    assert quote.status_code == 200 and quote.json["remaining_fen"] == 0, quote.json
    assert quote.json["points_max_redeemable"] == 3000  # all they hold; half of the 25,999 fen left is more
    body = _pay(api, staff_tokens, order, tenders)
    assert [(p["type"], p["amount_fen"]) for p in body["payments"]] == [
        ("package_card", 5000),
        ("coupon", 5000),
        ("coupon", 2000),
        ("points", 1000),
        ("stored_value", 10000),
        ("wechat", 4000),
        ("cash", TOTAL - 27000),
    ]
    assert [(t["type"], t["amount_fen"]) for t in quote.json["tenders"]] == [
        (p["type"], p["amount_fen"]) for p in body["payments"]
    ]
    wash_lines = {line["id"] for line in body["lines"] if line["service_item_id"] == catalog["wash"]}
    assert body["payments"][0]["line_id"] in wash_lines and body["payments"][1]["line_id"] in wash_lines
    paid = 10000 + 4000 + TOTAL - 27000
    assert body["paid_fen"] == paid and body["points_earned"] == paid // 100
    after = ledgers(app, member["id"])
    assert after["wallet"] == [(10000, 0, 10000)]
    assert after["points"] == [(3000 - 1000 + paid // 100,)]
    assert after["coupons"] == [(voucher, "used"), (cash_off, "used")]
    assert [remaining for _, remaining in after["card_items"]] == [0]


def test_percent_off_applies_to_what_the_units_left(app, api, staff_tokens, order, member, catalog):
    card_id = sell_card(app, member["id"], {catalog["wash"]: 2})
    percent = give_coupon(app, member["id"], kind="percent_off", percent_off=10, max_off_fen=100000)
    tenders = [
        {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},
        {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},
        {"type": "coupon", "member_coupon_id": percent},
    ]
    quote = api.post(f"/work-orders/{order['id']}/quote", staff_tokens["cashier"], json={"tenders": tenders}).json
    rest = TOTAL - 10000
    assert [t["amount_fen"] for t in quote["tenders"]] == [5000, 5000, rest // 10]
    _pay(api, staff_tokens, order, tenders + [{"type": "alipay", "amount_fen": rest - rest // 10}])


@pytest.mark.parametrize(
    "case",
    ["two_cash_off", "cash_and_percent", "card_twice", "voucher_and_card", "item_not_on_order", "same_coupon_twice"],
)
def test_stacking_rules(app, api, staff_tokens, wash_order, member, catalog, case):
    card_id = sell_card(app, member["id"], {catalog["wash"]: 5, catalog["oil_change"]: 1})
    cash_a = give_coupon(app, member["id"], kind="cash_off", value_fen=100)
    cash_b = give_coupon(app, member["id"], kind="cash_off", value_fen=200)
    percent = give_coupon(app, member["id"], kind="percent_off", percent_off=5)
    voucher = give_coupon(app, member["id"], kind="item_voucher", service_item_id=catalog["wash"])
    card = {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}
    tenders, code = {
        "two_cash_off": (
            [
                {"type": "coupon", "member_coupon_id": cash_a},
                {"type": "coupon", "member_coupon_id": cash_b},
                {"type": "cash", "amount_fen": 4700},
            ],
            "coupons_do_not_stack",
        ),
        "cash_and_percent": (
            [
                {"type": "coupon", "member_coupon_id": cash_a},
                {"type": "coupon", "member_coupon_id": percent},
                {"type": "cash", "amount_fen": 4655},
            ],
            "coupons_do_not_stack",
        ),
        "card_twice": ([card, card], "unit_already_covered"),
        "voucher_and_card": ([card, {"type": "coupon", "member_coupon_id": voucher}], "unit_already_covered"),
        "item_not_on_order": (
            [{**card, "service_item_id": catalog["oil_change"]}, {"type": "cash", "amount_fen": 5000}],
            "no_matching_line",
        ),
        "same_coupon_twice": (
            [
                {"type": "coupon", "member_coupon_id": cash_a},
                {"type": "coupon", "member_coupon_id": cash_a},
                {"type": "cash", "amount_fen": 4800},
            ],
            "duplicate_tender",
        ),
    }[case]
    before = table_rows(app)
    response = settle(api, staff_tokens["cashier"], wash_order["id"], tenders)
    assert response.status_code == 422 and error_code(response) == code, response.json
    assert table_rows(app) == before


def test_used_coupon_is_409_and_changes_nothing(app, api, staff_tokens, stores, catalog, member, wash_order):
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000)
    _pay(
        api,
        staff_tokens,
        wash_order,
        [{"type": "coupon", "member_coupon_id": coupon_id}, {"type": "cash", "amount_fen": 4000}],
    )
    second = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    top_up(app, member["id"], 10000)
    before = table_rows(app)
    response = settle(
        api,
        staff_tokens["cashier"],
        second["id"],
        [{"type": "stored_value", "amount_fen": 4000}, {"type": "coupon", "member_coupon_id": coupon_id}],
    )
    assert response.status_code == 409 and error_code(response) == "coupon_used"
    assert table_rows(app) == before


def test_empty_card_item_is_409_and_changes_nothing(app, api, staff_tokens, stores, catalog, member, wash_order):
    card_id = sell_card(app, member["id"], {catalog["wash"]: 1})
    card = {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}
    _pay(api, staff_tokens, wash_order, [card])
    second = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["oil"], "quantity": 1}],
    )
    top_up(app, member["id"], 50000)
    give_points(app, member["id"], 1000)
    before = table_rows(app)
    response = settle(
        api,
        staff_tokens["cashier"],
        second["id"],
        [{"type": "stored_value", "amount_fen": 29000}, {"type": "points", "points": 1000}, card],
    )
    assert response.status_code == 409 and error_code(response) == "card_item_empty"
    assert table_rows(app) == before


def test_insufficient_balance_is_409_and_changes_nothing(app, api, staff_tokens, order, member, catalog):
    top_up(app, member["id"], 10000)
    give_points(app, member["id"], 500)
    card_id = sell_card(app, member["id"], {catalog["wash"]: 2})
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000)
    before = table_rows(app)
    tenders = [
        {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},
        {"type": "coupon", "member_coupon_id": coupon_id},
        {"type": "points", "points": 500},
        {"type": "stored_value", "amount_fen": TOTAL - 6500},
    ]
    response = settle(api, staff_tokens["cashier"], order["id"], tenders)
    assert response.status_code == 409 and error_code(response) == "insufficient_balance"
    assert table_rows(app) == before


def test_insufficient_points_is_409(app, api, staff_tokens, order, member):
    give_points(app, member["id"], 100)
    before = table_rows(app)
    response = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [{"type": "points", "points": 200}, {"type": "cash", "amount_fen": TOTAL - 200}],
    )
    assert response.status_code == 409 and error_code(response) == "insufficient_points"
    assert table_rows(app) == before


def test_another_members_coupon_or_card_is_refused(app, api, staff_tokens, wash_order, member, member_login, catalog):
    _, bob = member_login("bob")
    coupon_id = give_coupon(app, bob["id"], kind="cash_off", value_fen=5000)
    card_id = sell_card(app, bob["id"], {catalog["wash"]: 1})
    before = table_rows(app)
    coupon = settle(api, staff_tokens["cashier"], wash_order["id"], [{"type": "coupon", "member_coupon_id": coupon_id}])
    card = settle(
        api,
        staff_tokens["cashier"],
        wash_order["id"],
        [{"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}],
    )
    assert coupon.status_code == 404 and card.status_code == 404
    assert table_rows(app) == before


def test_quote_refuses_a_package_card_settle_would_refuse(app, api, staff_tokens, stores, catalog, member):
    """Expired, used-up, or asked for more units than it has left: the quote answers as settle does."""
    from datetime import timedelta

    from app.cards.models import PackageCard
    from app.common import clock
    from app.extensions import db

    two_washes = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 2}]
    )
    card_id = sell_card(app, member["id"], {catalog["wash"]: 1})
    card = {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}

    def quote(tenders):
        return api.post(f"/work-orders/{two_washes['id']}/quote", staff_tokens["cashier"], json={"tenders": tenders})

    half = two_washes["total_fen"] // 2
    assert quote([card, {"type": "cash", "amount_fen": two_washes["total_fen"] - half}]).status_code == 200
    response = quote([card, card])  # two units asked of a card with one left
    assert response.status_code == 409 and error_code(response) == "card_item_empty"
    assert response.json["error"]["details"]["service_item_id"] == catalog["wash"]
    assert settle(api, staff_tokens["cashier"], two_washes["id"], [card, card]).status_code == 409

    with app.app_context():
        db.session.get(PackageCard, card_id).expires_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
    response = quote([card, {"type": "cash", "amount_fen": two_washes["total_fen"] - half}])
    assert response.status_code == 409 and error_code(response) == "card_expired"
