"""The counter's fixtures: a pinned clock, a catalog made through the API, a tier, a member with
a car, a completed order. The work-order tests get them from their conftest; tests of other
packages that settle orders import them from here."""

from datetime import UTC, datetime

import pytest

from app.common import clock
from tests.factories import PLATE, open_order

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def fixed_clock(app):
    clock.set_now(START)
    yield
    clock.set_now(None)


@pytest.fixture
def catalog(api, staff_tokens):
    """Two labor items (a wash; an oil change with a 6-month / 5,000 km interval) and two parts."""
    owner = staff_tokens["owner"]

    def post(path, body):
        response = api.post(path, owner, json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    return {
        "wash": post("/service-items", {"name": "Wash", "category": "wash", "price_fen": 5000}),
        "oil_change": post(
            "/service-items",
            {
                "name": "Oil change",
                "category": "maintenance",
                "price_fen": 19999,
                "maintenance_interval_months": 6,
                "maintenance_interval_km": 5000,
            },
        ),
        "filter": post(
            "/parts", {"name": "Oil filter", "sku": "F-1", "price_fen": 8000, "stock": 10, "low_stock_threshold": 3}
        ),
        "oil": post(
            "/parts", {"name": "Engine oil 4L", "sku": "O-4", "price_fen": 30000, "stock": 5, "low_stock_threshold": 1}
        ),
    }


@pytest.fixture
def gold(api, staff_tokens):
    response = api.post(
        "/tiers",
        staff_tokens["owner"],
        json={
            "name": "Gold",
            "rank": 2,
            "labor_discount_percent": 10,
            "parts_discount_percent": 5,
            "min_spend_12m_fen": 1_000_000,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def member(api, member_login):
    """A WeChat member (alice) with a car that has a mileage history."""
    token, body = member_login("alice")
    response = api.post("/me/vehicles", token, json={"plate": PLATE, "mileage_km": 10000})
    assert response.status_code == 201, response.json
    return {"token": token, "id": body["id"], "plate": PLATE, "vehicle_id": response.json["id"]}


@pytest.fixture
def completed(api, staff_tokens, stores, catalog, member):
    """A completed order of the member's car at store 1, ready to pay: two washes and a filter (18000)."""
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 2}, {"part_id": catalog["filter"], "quantity": 1}],
    )
    response = api.post(f"/work-orders/{order['id']}/status", staff_tokens["cashier"], json={"status": "completed"})
    assert response.status_code == 200
    return response.json
