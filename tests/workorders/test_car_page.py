"""GET /vehicles/{id}/page: the counter's car page in one answer, read with a fixed number of queries."""

from sqlalchemy import event

from app.extensions import db
from tests.factories import PLATE, give_coupon, open_order, sell_card, top_up
from tests.helpers import error_code, settle


def _page(app, api, token, vehicle_id):
    """The page and the number of SQL statements it took."""
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = api.get(f"/vehicles/{vehicle_id}/page", token)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.json
    return response.json, len(statements)


def _visit(api, token, store_id, catalog):
    order = open_order(api, token, store_id, [{"service_item_id": catalog["wash"], "quantity": 1}])
    assert settle(api, token, order["id"], [{"type": "cash", "amount_fen": order["total_fen"]}]).status_code == 200
    return order["id"]


def test_the_car_page_answers_what_the_part_endpoints_answer(app, api, staff_tokens, stores, catalog, member):
    cashier = staff_tokens["cashier"]
    top_up(app, member["id"], 10000)
    sell_card(app, member["id"], {catalog["wash"]: 3})
    give_coupon(app, member["id"], kind="cash_off", value_fen=500)
    visit = _visit(api, cashier, stores[0], catalog)

    page, _ = _page(app, api, cashier, member["vehicle_id"])
    path = f"/members/{member['id']}"
    assert page["vehicle"] == api.get(f"/vehicles/{member['vehicle_id']}", cashier).json
    assert page["member"] == api.get(path, cashier).json
    assert page["wallet"] == api.get(f"{path}/wallet", cashier).json
    assert page["package_cards"] == api.get(f"{path}/package-cards", cashier).json["items"]
    assert page["stamp_cards"] == api.get(f"{path}/stamp-cards", cashier).json["items"]
    assert page["coupons"] == api.get(f"{path}/coupons?status=unused&per_page=50", cashier).json
    assert [order["id"] for order in page["visits"]] == [visit]
    assert page["visits"][0] == api.get(f"/work-orders/{visit}", cashier).json
    assert page["vehicle"]["plate"] == PLATE and page["wallet"]["principal_fen"] == 10000


def test_the_car_page_costs_the_same_however_long_the_members_history(app, api, staff_tokens, stores, catalog, member):
    cashier = staff_tokens["cashier"]
    top_up(app, member["id"], 10000)
    sell_card(app, member["id"], {catalog["wash"]: 3})
    give_coupon(app, member["id"], kind="cash_off", value_fen=500)
    _visit(api, cashier, stores[0], catalog)
    _, few = _page(app, api, cashier, member["vehicle_id"])

    for _ in range(4):
        top_up(app, member["id"], 1000)
        sell_card(app, member["id"], {catalog["wash"]: 2})
        give_coupon(app, member["id"], kind="cash_off", value_fen=300)
        _visit(api, cashier, stores[0], catalog)
    page, many = _page(app, api, cashier, member["vehicle_id"])
    assert (len(page["package_cards"]), page["coupons"]["total"], len(page["visits"])) == (5, 5, 5)
    assert many == few


def test_a_walk_in_car_has_no_member_parts_and_staff_see_their_stores_visits(app, api, staff_tokens, stores, catalog):
    cashier, other = staff_tokens["cashier"], staff_tokens["cashier2"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="粤B77777")
    page, _ = _page(app, api, cashier, order["vehicle_id"])
    assert (page["member"], page["wallet"], page["package_cards"], page["stamp_cards"]) == (None, None, [], [])
    assert page["coupons"]["items"] == [] and [o["id"] for o in page["visits"]] == [order["id"]]
    assert _page(app, api, other, order["vehicle_id"])[0]["visits"] == []  # another store's cashier
    response = api.get("/vehicles/999999/page", cashier)
    assert response.status_code == 404 and error_code(response) == "vehicle_not_found"
    assert api.get(f"/vehicles/{order['vehicle_id']}/page", staff_tokens["marketing"]).status_code == 403
