"""Tier discounts and the quote, which changes nothing."""

from tests.factories import open_order
from tests.helpers import error_code
from tests.ledgers import table_rows


def _make_gold(api, staff_tokens, member, gold):
    response = api.patch(f"/members/{member['id']}", staff_tokens["owner"], json={"tier_id": gold["id"]})
    assert response.status_code == 200, response.json


def test_tier_discounts_labor_and_parts_per_unit_rounded_down(api, staff_tokens, stores, catalog, member, gold):
    _make_gold(api, staff_tokens, member, gold)
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [
            {"service_item_id": catalog["oil_change"], "quantity": 1},  # 19999 × 90 % = 17999.1 → 17999
            {"part_id": catalog["filter"], "quantity": 3},  # 8000 × 95 % = 7600 each
        ],
    )
    labor, part = order["lines"]
    assert (labor["discount_percent"], labor["unit_net_fen"], labor["discount_fen"]) == (10, 17999, 2000)
    assert (part["discount_percent"], part["unit_net_fen"], part["line_total_fen"]) == (5, 7600, 22800)
    assert order["subtotal_fen"] == 19999 + 24000
    assert order["total_fen"] == 17999 + 22800
    assert order["discount_fen"] == order["subtotal_fen"] - order["total_fen"]


def test_walk_in_pays_list_price(api, staff_tokens, stores, catalog, gold):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["oil_change"], "quantity": 2}],
        plate="京A99999",
    )
    assert order["discount_fen"] == 0 and order["total_fen"] == 39998


def test_quote_values_tenders_and_changes_nothing(app, api, staff_tokens, stores, catalog, member, gold):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["oil"], "quantity": 1}],
    )
    # The member turns gold after the order was opened: the quote and the settlement use the tier now.
    _make_gold(api, staff_tokens, member, gold)
    before = table_rows(app)
    response = api.post(
        f"/work-orders/{order['id']}/quote",
        staff_tokens["cashier"],
        json={"tenders": [{"type": "cash", "amount_fen": 10000}, {"type": "wechat", "amount_fen": 5000}]},
    )
    assert response.status_code == 200, response.json
    quote = response.json
    assert quote["total_fen"] == 4500 + 28500
    assert [(t["type"], t["amount_fen"]) for t in quote["tenders"]] == [("cash", 10000), ("wechat", 5000)]
    assert quote["tendered_fen"] == 15000 and quote["remaining_fen"] == 33000 - 15000
    assert quote["points_max_redeemable"] == 0  # the member has no points yet
    assert table_rows(app) == before
    # The stored order still shows the prices it was opened with until it is priced again.
    assert api.get(f"/work-orders/{order['id']}", staff_tokens["cashier"]).json["total_fen"] == 35000


def test_quote_reports_rule_breaks_like_settle(api, staff_tokens, stores, catalog):
    order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="京A99999"
    )
    response = api.post(
        f"/work-orders/{order['id']}/quote",
        staff_tokens["cashier"],
        json={"tenders": [{"type": "stored_value", "amount_fen": 5000}]},
    )
    assert response.status_code == 422 and error_code(response) == "member_required"
    malformed = api.post(
        f"/work-orders/{order['id']}/quote", staff_tokens["cashier"], json={"tenders": [{"type": "cash", "points": 5}]}
    )
    assert malformed.status_code == 422
