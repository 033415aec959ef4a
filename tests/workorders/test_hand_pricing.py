"""Pricing a job by hand: hourly labor at the store's rate, custom lines, and manual discounts on a
line or on the order, within the role's limit (the owner's above it), shown on the quote and
written to the audit log."""

import pytest

from tests.conftest import error_code
from tests.workorders.conftest import open_order, settle, table_rows


@pytest.fixture
def rate(api, staff_tokens, stores):
    response = api.patch(f"/stores/{stores[0]}", staff_tokens["owner"], json={"labor_rate_fen": 12000})
    assert response.status_code == 200, response.json
    assert response.json["labor_rate_fen"] == 12000


def _discount(api, token, order, body, line=None):
    path = f"/work-orders/{order['id']}" + (f"/lines/{order['lines'][line]['id']}" if line is not None else "")
    return api.call("PUT", f"{path}/discount", token, json=body)


def _audit(api, staff_tokens, kind):
    response = api.get("/audit-log", staff_tokens["owner"], query_string={"kind": kind})
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_an_hourly_line_costs_its_hours_at_the_store_rate_and_a_custom_line_its_own_price(
    api, staff_tokens, stores, rate
):
    lines = [
        {"name": "更换刹车片工时", "hours": "1.25", "category": "repair"},
        {"name": "左前大灯总成(外购)", "unit_price_fen": 88000, "quantity": 1, "category": "part"},
    ]
    order = open_order(api, staff_tokens["cashier"], stores[0], lines, plate="粤B77777")
    hourly, custom = order["lines"]
    assert (hourly["kind"], hourly["labor_hours"], hourly["unit_price_fen"]) == ("hourly", "1.25", 15000)
    assert (custom["kind"], custom["name"], custom["line_total_fen"]) == ("custom", "左前大灯总成(外购)", 88000)
    assert order["total_fen"] == 103000
    # Each hand-made price names who made it, and is in the audit log.
    assert {hourly["added_by_staff_id"], custom["added_by_staff_id"]} != {None}
    logged = _audit(api, staff_tokens, "price_override")
    assert sorted(entry["after"]["unit_price_fen"] for entry in logged) == [15000, 88000]
    paid = settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 103000}], key="k")
    assert paid.status_code == 200, paid.json


@pytest.mark.parametrize(
    "line",
    [
        {"name": "x", "hours": "1.255"},
        {"hours": "1"},
        {"name": "x", "hours": "0"},
        {"name": "x", "hours": "2", "quantity": 2},
        {"unit_price_fen": 100},
        {"name": "洗车", "service_item_id": 1, "quantity": 1},
        {"name": "x", "unit_price_fen": 12.5},
    ],
)
def test_a_malformed_hand_line_is_refused(api, staff_tokens, stores, line):
    response = api.post(
        "/work-orders", staff_tokens["cashier"], json={"store_id": stores[0], "plate": "粤B77777", "lines": [line]}
    )
    assert response.status_code == 422, response.json


def test_a_line_discount_within_the_cashiers_limit_settles_and_shows_on_the_quote(
    api, app, staff_tokens, stores, catalog
):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["oil_change"], "quantity": 1}])
    # 10 % of 199.99 is 19.99 off: within 10 % and 50 yuan.
    response = _discount(api, cashier, order, {"kind": "percent", "value": 10, "reason": "老客户"}, line=0)
    assert response.status_code == 200, response.json
    line = response.json["lines"][0]
    assert (line["unit_net_fen"], line["discount_fen"], response.json["total_fen"]) == (17999, 2000, 17999)
    assert line["manual_discount"]["reason"] == "老客户" and line["manual_discount"]["by_staff_id"] is not None
    quote = api.post(f"/work-orders/{order['id']}/quote", cashier, json={"tenders": []}).json
    assert quote["lines"][0]["manual_discount"] == line["manual_discount"] and quote["total_fen"] == 17999
    [entry] = _audit(api, staff_tokens, "manual_discount")
    assert entry["reason"] == "老客户" and entry["after"]["unit_net_fen"] == 17999
    assert settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 17999}], key="s").status_code == 200


def test_over_the_limit_is_refused_with_the_approval_needed_and_the_owner_gives_it(
    api, app, staff_tokens, stores, catalog
):
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    order = open_order(
        api,
        cashier,
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 2}, {"part_id": catalog["oil"], "quantity": 1}],
    )
    before = table_rows(app)
    # 60.00 off 400.00: 15 %, over both limits.
    refused = _discount(api, cashier, order, {"kind": "amount", "value": 6000, "reason": "抹零"})
    assert (refused.status_code, error_code(refused)) == (403, "discount_needs_owner_approval")
    assert refused.json["error"]["details"]["max_percent"] == 10 and refused.json["error"]["details"]["max_fen"] == 5000
    # 8 % but 32.00 of 400.00 is within; 12 % of a 50.00 wash is 6.00 but 12 % is over.
    over_percent = _discount(api, cashier, order, {"kind": "percent", "value": 12, "reason": "熟人"}, line=0)
    assert (over_percent.status_code, error_code(over_percent)) == (403, "discount_needs_owner_approval")
    assert table_rows(app) == before
    given = _discount(api, owner, order, {"kind": "amount", "value": 6000, "reason": "店长同意抹零"})
    assert given.status_code == 200, given.json
    assert given.json["total_fen"] == 40000 - 6000
    assert (
        given.json["manual_discount"]["discount_fen"] == 6000
        and given.json["manual_discount"]["reason"] == "店长同意抹零"
    )


def test_the_owner_moves_the_limit_and_the_change_is_audited(api, staff_tokens, stores, catalog):
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    assert (
        api.call(
            "PUT", "/discount-limits", cashier, json={"role": "cashier", "max_percent": 90, "max_fen": 10**6}
        ).status_code
        == 403
    )
    changed = api.call("PUT", "/discount-limits", owner, json={"role": "cashier", "max_percent": 20, "max_fen": 10000})
    assert changed.status_code == 200, changed.json
    limits = {row["role"]: row for row in api.get("/discount-limits", cashier).json["items"]}
    assert (limits["cashier"]["max_percent"], limits["cashier"]["max_fen"]) == (20, 10000)
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 2}])
    assert _discount(api, cashier, order, {"kind": "percent", "value": 15, "reason": "活动"}).status_code == 200
    [entry] = _audit(api, staff_tokens, "discount_limit")
    assert entry["entity_type"] == "cashier_discount_limit"
    assert entry["after"] == {"max_percent": 20, "max_fen": 10000}
    assert entry["before"] == {"max_percent": 10, "max_fen": 5000}


def test_a_manual_unit_price_replaces_the_price_but_never_above_the_list(
    api, staff_tokens, stores, catalog, gold, member, app
):
    from app.extensions import db
    from app.members.models import Member

    with app.app_context():
        db.session.get(Member, member["id"]).tier_id = gold["id"]
        db.session.commit()
    owner = staff_tokens["owner"]
    order = open_order(api, owner, stores[0], [{"service_item_id": catalog["oil_change"], "quantity": 2}])
    assert order["lines"][0]["unit_net_fen"] == 17999  # the gold tier's 10 %
    above = _discount(api, owner, order, {"kind": "unit_price", "value": 20000, "reason": "改价"}, line=0)
    assert (above.status_code, error_code(above)) == (422, "unit_price_above_list")
    priced = _discount(api, owner, order, {"kind": "unit_price", "value": 15000, "reason": "改价"}, line=0)
    assert priced.json["lines"][0]["line_total_fen"] == 30000 and priced.json["discount_fen"] == 2 * 19999 - 30000
    cleared = api.call("DELETE", f"/work-orders/{order['id']}/lines/{order['lines'][0]['id']}/discount", owner)
    assert cleared.status_code == 200 and cleared.json["lines"][0]["manual_discount"] is None
    assert cleared.json["total_fen"] == 2 * 17999


def test_an_order_discount_and_a_package_card_still_add_up(api, app, staff_tokens, stores, catalog, member):
    from tests.workorders.conftest import sell_card

    owner = staff_tokens["owner"]
    card = sell_card(app, member["id"], {catalog["wash"]: 5})
    order = open_order(api, owner, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    # The whole 50.00 wash is discounted by 45.00: the card's unit is worth what is left, 5.00.
    response = _discount(api, owner, order, {"kind": "amount", "value": 4500, "reason": "补偿"})
    assert response.json["total_fen"] == 500
    tenders = [{"type": "package_card", "card_id": card, "service_item_id": catalog["wash"]}]
    quote = api.post(f"/work-orders/{order['id']}/quote", owner, json={"tenders": tenders}).json
    assert (quote["tenders"][0]["amount_fen"], quote["remaining_fen"]) == (500, 0)
    assert settle(api, owner, order["id"], tenders, key="c").status_code == 200


def test_a_settled_order_cannot_be_discounted(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    assert settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}], key="x").status_code == 200
    late = _discount(api, cashier, order, {"kind": "amount", "value": 100, "reason": "晚了"})
    assert (late.status_code, error_code(late)) == (409, "work_order_not_editable")
