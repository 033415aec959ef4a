"""The workshop board's list: GET /work-orders?board_date= and the car's model on every order."""

from datetime import timedelta

from sqlalchemy import event

from app.common import clock
from app.extensions import db
from tests.factories import PLATE, open_order
from tests.helpers import settle

# START (tests/counter_fixtures.py) is 2026-03-02 10:00 in Shanghai.
TODAY, YESTERDAY, TOMORROW = "2026-03-02", "2026-03-01", "2026-03-03"


def _status(api, token, order_id, status):
    response = api.post(f"/work-orders/{order_id}/status", token, json={"status": status})
    assert response.status_code == 200, response.json


def _board(api, token, day, store_id):
    response = api.get(f"/work-orders?board_date={day}&store_id={store_id}&per_page=100", token)
    assert response.status_code == 200, response.json
    return {order["plate"]: order["status"] for order in response.json["items"]}


def test_board_holds_unfinished_orders_and_those_settled_that_day(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    wash = [{"service_item_id": catalog["wash"], "quantity": 1}]
    # Yesterday: one car left overnight, one settled, one cancelled.
    clock.set_now(clock.now() - timedelta(days=1))
    overnight = open_order(api, cashier, stores[0], wash, plate="粤B10001")
    _status(api, cashier, overnight["id"], "in_progress")
    settled_yesterday = open_order(api, cashier, stores[0], wash, plate="粤B10002")
    assert settle(api, cashier, settled_yesterday["id"], [{"type": "cash", "amount_fen": 5000}]).status_code == 200
    cancelled = open_order(api, cashier, stores[0], wash, plate="粤B10003")
    _status(api, cashier, cancelled["id"], "cancelled")
    # Opened yesterday, settled today: on today's board (settled), not on yesterday's any more.
    settled_today = open_order(api, cashier, stores[0], wash, plate="粤B10004")
    clock.set_now(clock.now() + timedelta(days=1))
    assert settle(api, cashier, settled_today["id"], [{"type": "cash", "amount_fen": 5000}]).status_code == 200
    open_order(api, cashier, stores[0], wash, plate="粤B10005")
    ready = open_order(api, cashier, stores[0], wash, plate="粤B10006")
    _status(api, cashier, ready["id"], "completed")
    open_order(api, staff_tokens["cashier2"], stores[1], wash, plate="粤C10007")

    assert _board(api, cashier, TODAY, stores[0]) == {
        "粤B10001": "in_progress",
        "粤B10004": "settled",
        "粤B10005": "open",
        "粤B10006": "completed",
    }
    assert _board(api, cashier, YESTERDAY, stores[0]) == {"粤B10001": "in_progress", "粤B10002": "settled"}
    # A day ahead: only the unfinished orders (nothing is settled tomorrow yet).
    assert set(_board(api, cashier, TOMORROW, stores[0])) == {"粤B10001", "粤B10005", "粤B10006"}
    # Combined with the other filters, and scoped to the caller's stores.
    assert api.get(f"/work-orders?board_date={TODAY}&status=open", cashier).json["total"] == 1
    assert api.get(f"/work-orders?board_date={TODAY}", staff_tokens["owner"]).json["total"] == 5
    assert api.get(f"/work-orders?board_date={TODAY}&store_id={stores[1]}", cashier).status_code == 403
    assert api.get("/work-orders?board_date=2026-13-01", cashier).status_code == 422


def test_board_day_is_the_merchants_day(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
    clock.set_now(clock.now().replace(day=1, hour=23, minute=30))
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    assert settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}]).status_code == 200
    assert _board(api, cashier, TODAY, stores[0]) == {PLATE: "settled"}
    assert _board(api, cashier, YESTERDAY, stores[0]) == {}


def test_orders_carry_the_cars_model_and_the_list_stays_one_statement_per_kind(
    app, api, staff_tokens, stores, catalog, member_login
):
    cashier = staff_tokens["cashier"]
    token, _ = member_login("bob")
    assert api.post("/me/vehicles", token, json={"plate": "粤B20000", "model": "比亚迪 汉"}).status_code == 201
    known = open_order(api, cashier, stores[0], [], plate="粤B20000")
    assert known["vehicle_model"] == "比亚迪 汉"
    assert api.get(f"/work-orders/{known['id']}", cashier).json["vehicle_model"] == "比亚迪 汉"
    for index in range(6):
        open_order(
            api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate=f"粤B3000{index}"
        )

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        page = api.get(f"/work-orders?board_date={TODAY}&per_page=10", cashier).json
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(page["items"]) == 7
    assert {order["plate"]: order["vehicle_model"] for order in page["items"]}["粤B20000"] == "比亚迪 汉"
    assert {order["vehicle_model"] for order in page["items"] if order["plate"] != "粤B20000"} == {None}
    vehicle_reads = [s for s in statements if "FROM vehicles" in s]
    # One read of the page's cars, whatever the page size (the count and page queries name no vehicle).
    assert len(vehicle_reads) == 1, vehicle_reads
    assert len([s for s in statements if "work_order" in s]) <= 5
