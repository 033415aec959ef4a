"""What a settlement records besides the tenders: stock, points, stamps, visits, tier, maintenance, events."""

from datetime import UTC, date, datetime, timedelta

from app.common import clock, events
from app.extensions import db
from tests.factories import PLATE, open_order, top_up
from tests.helpers import error_code, settle, travel
from tests.ledgers import ledgers, scalar, table_rows


def test_parts_leave_stock_with_a_movement_and_a_low_stock_alert(app, api, staff_tokens, stores, catalog, member):
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"part_id": catalog["filter"], "quantity": 7}])
    assert settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 56000}]).status_code == 200
    part = api.get(f"/parts/{catalog['filter']}", staff_tokens["cashier"]).json
    assert (part["stock"], part["low_stock"]) == (3, True)
    low = api.get("/parts?low_stock=true", staff_tokens["cashier"]).json
    assert [p["id"] for p in low["items"]] == [catalog["filter"]]
    assert (
        scalar(
            app,
            "SELECT COUNT(*) FROM part_low_stock_alerts WHERE part_id = :p AND resolved_at IS NULL",
            p=catalog["filter"],
        )
        == 1
    )
    assert (
        scalar(
            app,
            "SELECT SUM(delta) FROM part_stock_movements WHERE ref_type = 'work_order' AND ref_id = :o",
            o=order["id"],
        )
        == -7
    )


def test_short_stock_is_409_and_changes_nothing(app, api, staff_tokens, stores, catalog, member):
    top_up(app, member["id"], 200000)
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"part_id": catalog["oil"], "quantity": 6}])
    before = table_rows(app)
    response = settle(api, staff_tokens["cashier"], order["id"], [{"type": "stored_value", "amount_fen": 180000}])
    assert response.status_code == 409 and error_code(response) == "insufficient_stock"
    assert response.json["error"]["details"] == {
        "store_id": stores[0],
        "part_id": catalog["oil"],
        "stock": 5,
        "requested": 6,
    }
    assert table_rows(app) == before


def test_points_are_earned_on_money_and_stored_value_only(app, api, staff_tokens, stores, catalog, member):
    top_up(app, member["id"], 3000)
    from tests.factories import give_coupon

    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000)
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 2}])
    response = settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [
            {"type": "coupon", "member_coupon_id": coupon_id},
            {"type": "stored_value", "amount_fen": 3000},
            {"type": "cash", "amount_fen": 5999},
            {"type": "wechat", "amount_fen": 1},
        ],
    )
    body = response.json
    assert body["paid_fen"] == 9000 and body["points_earned"] == 90


def test_visit_statistics_and_event(app, api, staff_tokens, stores, catalog, member):
    seen = []
    handler = lambda **payload: seen.append(payload)  # noqa: E731
    events.subscribe(events.WORK_ORDER_SETTLED, handler)
    try:
        first = open_order(
            api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}]
        )
        settle(api, staff_tokens["cashier"], first["id"], [{"type": "cash", "amount_fen": 5000}])
        travel(api, staff_tokens, timedelta(days=30))
        second = open_order(api, staff_tokens["cashier"], stores[0], [{"part_id": catalog["filter"], "quantity": 1}])
        settle(api, staff_tokens["cashier"], second["id"], [{"type": "card", "amount_fen": 8000}])
    finally:
        events._handlers[events.WORK_ORDER_SETTLED].remove(handler)
    count, total, first_at, last_at, _ = ledgers(app, member["id"])["member"][0]
    assert (count, total) == (2, 13000)
    assert [p["work_order_id"] for p in seen] == [first["id"], second["id"]]
    assert seen[1] == {
        "work_order_id": second["id"],
        "member_id": member["id"],
        "vehicle_id": second["vehicle_id"],
        "store_id": stores[0],
        "plate": second["plate"],
        "paid_fen": 8000,
        "settled_at": clock.now(),
        "now": clock.now(),
    }
    staff_view = api.get(f"/members/{member['id']}", staff_tokens["owner"]).json
    assert staff_view["paid_visit_count"] == 2 and staff_view["total_paid_fen"] == 13000
    assert staff_view["last_visit_at"].startswith("2026-04-01")


def test_tier_upgrade_when_rolling_spend_reaches_the_threshold(app, api, staff_tokens, stores, catalog, member, gold):
    def spend(lines, amount):
        order = open_order(api, staff_tokens["cashier"], stores[0], lines)
        response = settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": amount}])
        assert response.status_code == 200, response.json

    def tier():
        return api.get(f"/members/{member['id']}", staff_tokens["owner"]).json["tier"]

    # Gold needs 10,000 yuan paid within 12 months.
    spend([{"service_item_id": catalog["oil_change"], "quantity": 50}], 999950)
    assert tier() is None
    travel(api, staff_tokens, timedelta(days=400))  # that spend has left the window
    spend([{"service_item_id": catalog["wash"], "quantity": 1}], 5000)
    assert tier() is None
    travel(api, staff_tokens, timedelta(days=1))
    spend([{"service_item_id": catalog["oil_change"], "quantity": 50}], 999950)
    assert tier()["id"] == gold["id"]
    assert scalar(app, "SELECT reason FROM tier_changes WHERE member_id = :m", m=member["id"]) == "upgrade"
    next_order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}]
    )
    assert next_order["total_fen"] == 4500  # the gold labor discount applies from the next order


def test_settled_order_moves_next_maintenance_by_the_item_interval(app, api, staff_tokens, stores, catalog, member):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["oil_change"], "quantity": 1}],
        mileage_km=10500,
    )
    settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 19999}])
    vehicle = api.get(f"/me/vehicles/{member['vehicle_id']}", member["token"]).json
    # Too little mileage history for a km/day pace: the 6-month interval decides the date.
    assert vehicle["next_maintenance"] == {"due_date": "2026-09-02", "due_mileage_km": 15500}

    # 90 days later at 13,500 km: 3,500 km in 90 days since the first reading (10,000 km on 2026-03-02)
    # → 38.9 km/day; 5,000 km takes 128 days → 2026-10-06, earlier than 2026-11-30 (6 months).
    travel(api, staff_tokens, datetime(2026, 5, 31, 2, 0, tzinfo=UTC) - clock.now(), member=member)
    again = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["oil_change"], "quantity": 1}],
        mileage_km=13500,
    )
    settle(api, staff_tokens["cashier"], again["id"], [{"type": "cash", "amount_fen": 19999}])
    vehicle = api.get(f"/me/vehicles/{member['vehicle_id']}", member["token"]).json
    assert vehicle["next_maintenance"] == {"due_date": "2026-10-06", "due_mileage_km": 18500}
    with app.app_context():
        from app.members.models import Vehicle

        car = db.session.get(Vehicle, member["vehicle_id"])
        assert (car.last_maintenance_date, car.last_maintenance_km) == (date(2026, 5, 31), 13500)
        db.session.rollback()


def test_a_wash_does_not_touch_the_maintenance_schedule(app, api, staff_tokens, stores, catalog, member):
    order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate=PLATE
    )
    settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 5000}])
    assert api.get(f"/me/vehicles/{member['vehicle_id']}", member["token"]).json["next_maintenance"] is None
