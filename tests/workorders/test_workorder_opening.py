"""Opening work orders by plate, lines, numbers, status changes and listing."""

from datetime import timedelta

from sqlalchemy import event

from app.common import clock
from app.extensions import db
from tests.factories import PLATE, open_order
from tests.helpers import error_code


def test_known_plate_links_member_and_copies_prices(api, staff_tokens, stores, catalog, member):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 2}],
        plate="粤b·12345",
    )
    assert order["member_id"] == member["id"]
    assert order["plate"] == PLATE and order["status"] == "open"
    assert [(line["kind"], line["unit_price_fen"], line["quantity"]) for line in order["lines"]] == [
        ("labor", 5000, 1),
        ("part", 8000, 2),
    ]
    assert order["subtotal_fen"] == order["total_fen"] == 21000 and order["discount_fen"] == 0
    assert order["payments"] == []
    # A later price change does not touch the copied price.
    api.patch(f"/service-items/{catalog['wash']}", staff_tokens["owner"], json={"price_fen": 6000})
    again = api.get(f"/work-orders/{order['id']}", staff_tokens["cashier"]).json
    assert again["lines"][0]["unit_price_fen"] == 5000


def test_unknown_plate_creates_a_walk_in_vehicle(api, staff_tokens, stores, catalog):
    order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="京A99999"
    )
    assert order["member_id"] is None and order["plate"] == "京A99999"
    lookup = api.get("/vehicles?plate=A9999", staff_tokens["cashier"]).json
    assert [item["vehicle"]["plate"] for item in lookup["items"]] == ["京A99999"]
    assert lookup["items"][0]["member"] is None


def test_invalid_plate_and_lines_are_refused(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    bad_plate = api.post("/work-orders", cashier, json={"store_id": stores[0], "plate": "XX123", "lines": []})
    assert bad_plate.status_code == 422 and error_code(bad_plate) == "invalid_plate"
    both = api.post(
        "/work-orders",
        cashier,
        json={
            "store_id": stores[0],
            "plate": PLATE,
            "lines": [{"service_item_id": catalog["wash"], "part_id": catalog["oil"], "quantity": 1}],
        },
    )
    assert both.status_code == 422
    unknown = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": PLATE, "lines": [{"service_item_id": 999, "quantity": 1}]},
    )
    assert unknown.status_code == 422 and error_code(unknown) == "service_item_not_found"
    fractional = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": PLATE, "lines": [{"part_id": catalog["oil"], "quantity": 1.5}]},
    )
    assert fractional.status_code == 422


def test_cashier_works_only_at_their_own_store(api, staff_tokens, stores, catalog):
    other_store = api.post(
        "/work-orders", staff_tokens["cashier"], json={"store_id": stores[1], "plate": PLATE, "lines": []}
    )
    assert other_store.status_code == 403 and error_code(other_store) == "store_forbidden"
    order = open_order(api, staff_tokens["cashier2"], stores[1], [])
    assert api.get(f"/work-orders/{order['id']}", staff_tokens["cashier"]).status_code == 403
    assert api.get(f"/work-orders/{order['id']}", staff_tokens["owner"]).status_code == 200
    assert (
        api.post(
            "/work-orders", staff_tokens["marketing"], json={"store_id": stores[0], "plate": PLATE, "lines": []}
        ).status_code
        == 403
    )


def test_numbers_are_per_store_and_local_day(app, api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    first = open_order(api, owner, stores[0], [])["number"]
    second = open_order(api, owner, stores[0], [], plate="粤B22222")["number"]
    other = open_order(api, owner, stores[1], [], plate="粤B33333")["number"]
    assert (first, second) == (f"S{stores[0]}-20260302-001", f"S{stores[0]}-20260302-002")
    assert other == f"S{stores[1]}-20260302-001"
    # 16:30 UTC is already the next day in Shanghai.
    clock.set_now(clock.now().replace(hour=16, minute=30))
    assert open_order(api, owner, stores[0], [], plate="粤B44444")["number"] == f"S{stores[0]}-20260303-001"


def test_mileage_at_intake_moves_forward_only(api, staff_tokens, stores, member):
    cashier = staff_tokens["cashier"]
    open_order(api, cashier, stores[0], [], mileage_km=12000)
    vehicle = api.get(f"/me/vehicles/{member['vehicle_id']}", member["token"]).json
    assert vehicle["mileage_km"] == 12000
    backwards = api.post(
        "/work-orders", cashier, json={"store_id": stores[0], "plate": PLATE, "lines": [], "mileage_km": 11000}
    )
    assert backwards.status_code == 422 and error_code(backwards) == "mileage_backwards"
    corrected = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": PLATE, "lines": [], "mileage_km": 11000, "mileage_correction": True},
    )
    assert corrected.status_code == 201
    assert api.get(f"/me/vehicles/{member['vehicle_id']}", member["token"]).json["mileage_km"] == 11000


def test_lines_and_status_changes(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    added = api.post(
        f"/work-orders/{order['id']}/lines", cashier, json={"lines": [{"part_id": catalog["oil"], "quantity": 1}]}
    )
    assert added.status_code == 200 and added.json["total_fen"] == 35000
    line_id = added.json["lines"][0]["id"]
    removed = api.call("DELETE", f"/work-orders/{order['id']}/lines/{line_id}", cashier)
    assert removed.status_code == 200 and removed.json["total_fen"] == 30000
    for status in ("in_progress", "completed"):
        response = api.post(f"/work-orders/{order['id']}/status", cashier, json={"status": status})
        assert response.status_code == 200 and response.json["status"] == status
    locked = api.post(
        f"/work-orders/{order['id']}/lines", cashier, json={"lines": [{"part_id": catalog["oil"], "quantity": 1}]}
    )
    assert locked.status_code == 409 and error_code(locked) == "work_order_not_editable"
    cancelled = api.post(f"/work-orders/{order['id']}/status", cashier, json={"status": "cancelled"})
    assert cancelled.json["status"] == "cancelled"
    reopen = api.post(f"/work-orders/{order['id']}/status", cashier, json={"status": "in_progress"})
    assert reopen.status_code == 409 and error_code(reopen) == "invalid_status_change"
    settle = api.post(
        f"/work-orders/{order['id']}/settle", cashier, json={"tenders": [{"type": "cash", "amount_fen": 30000}]}
    )
    assert settle.status_code == 409 and error_code(settle) == "work_order_not_settleable"


def test_list_filters_paginates_and_scopes_to_stores(app, api, staff_tokens, stores, catalog):
    cashier, cashier2 = staff_tokens["cashier"], staff_tokens["cashier2"]
    for index in range(5):
        open_order(
            api,
            cashier,
            stores[0],
            [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 1}],
            plate=f"粤B1000{index}",
        )
    open_order(api, cashier2, stores[1], [], plate="粤C20000")
    page = api.get("/work-orders?per_page=2&page=2", cashier).json
    assert page["total"] == 5 and len(page["items"]) == 2 and page["items"][0]["plate"] == "粤B10002"
    assert api.get("/work-orders?plate=b10003", cashier).json["total"] == 1
    assert api.get("/work-orders?status=settled", cashier).json["total"] == 0
    assert api.get(f"/work-orders?store_id={stores[1]}", cashier).status_code == 403
    assert api.get("/work-orders", staff_tokens["owner"]).json["total"] == 6

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert len(api.get("/work-orders?per_page=5", cashier).json["items"]) == 5
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    work_order_queries = [s for s in statements if "work_order" in s]
    # count + page + lines + payments + the lines' technicians, whatever the page size.
    assert len(work_order_queries) <= 5, work_order_queries


def test_open_work_order_service_for_bookings(app, stores, catalog, member):
    from app.common.auth import Actor
    from app.workorders.services import open_work_order

    with app.app_context():
        actor = Actor(kind="staff", id=1, role="cashier", store_ids=(stores[0],))
        order = open_work_order(
            actor=actor,
            store_id=stores[0],
            plate=PLATE,
            booking_id=77,
            lines=[{"service_item_id": catalog["oil_change"], "quantity": 1}],
        )
        assert (order.booking_id, order.member_id, order.total_fen) == (77, member["id"], 19999)
        db.session.rollback()


def test_next_day_rollover_keeps_sequences_apart(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    open_order(api, owner, stores[0], [])
    clock.set_now(clock.now() + timedelta(days=1))
    assert open_order(api, owner, stores[0], [], plate="粤B55555")["number"].endswith("-20260303-001")


def test_a_retried_open_with_the_same_idempotency_key_opens_one_order(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    body = {"store_id": stores[0], "plate": PLATE, "lines": [{"service_item_id": catalog["wash"], "quantity": 1}]}

    first = api.post("/work-orders", cashier, json=body, headers={"Idempotency-Key": "open-1"})
    retried = api.post("/work-orders", cashier, json=body, headers={"Idempotency-Key": "open-1"})
    reused = api.post(
        "/work-orders", cashier, json={**body, "plate": "京A99999"}, headers={"Idempotency-Key": "open-1"}
    )
    fresh = api.post("/work-orders", cashier, json=body, headers={"Idempotency-Key": "open-2"})

    assert first.status_code == retried.status_code == 201
    assert retried.json == first.json and retried.headers["Idempotent-Replayed"] == "true"
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"
    assert fresh.status_code == 201 and fresh.json["id"] != first.json["id"]
    listed = api.get(f"/work-orders?plate={PLATE[-5:]}", cashier).json["items"]
    assert sorted(order["id"] for order in listed) == sorted([first.json["id"], fresh.json["id"]])
