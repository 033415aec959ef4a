"""What the counter's work-order screen needs besides lines and prices: the people it may assign to
a line (派工 picker) and the mileage the car came in with, recorded on an order already open."""

import pytest

from app.extensions import db
from tests.factories import open_order
from tests.helpers import error_code


@pytest.fixture
def crew(app, stores):
    """At store 1: two technicians, an advisor, a disabled technician and a cashier; at store 2 a technician."""
    from app.stores.services import create_staff, disable_staff

    people = {
        "tech-b": ("technician", 0),
        "tech-a": ("technician", 0),
        "adv": ("advisor", 0),
        "gone": ("technician", 0),
        "till": ("cashier", 0),
        "far": ("technician", 1),
    }
    with app.app_context():
        ids = {
            name: create_staff(username=name, password="password-123", role=role, store_ids=[stores[index]]).id
            for name, (role, index) in people.items()
        }
        disable_staff(staff_id=ids["gone"])
        db.session.commit()
    return ids


def test_the_picker_lists_the_active_technicians_and_advisors_of_the_store(api, staff_tokens, stores, crew):
    response = api.get(f"/stores/{stores[0]}/technicians", staff_tokens["cashier"])
    assert response.status_code == 200
    assert [(row["username"], row["role"]) for row in response.json["items"]] == [
        ("adv", "advisor"),
        ("tech-a", "technician"),
        ("tech-b", "technician"),
    ]
    assert response.json["items"][0]["id"] == crew["adv"]
    other = api.get(f"/stores/{stores[1]}/technicians", staff_tokens["owner"]).json
    assert [row["username"] for row in other["items"]] == ["far"]


def test_the_picker_of_another_store_is_refused(api, staff_tokens, stores, crew):
    refused = api.get(f"/stores/{stores[1]}/technicians", staff_tokens["cashier"])
    assert refused.status_code == 403 and error_code(refused) == "store_forbidden"
    assert api.get("/stores/999/technicians", staff_tokens["owner"]).status_code == 404
    assert api.get(f"/stores/{stores[0]}/technicians", staff_tokens["marketing"]).status_code == 403


def test_mileage_is_recorded_on_an_open_order_and_on_the_car(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="京A55501")
    assert order["mileage_km"] is None
    updated = api.patch(f"/work-orders/{order['id']}", cashier, json={"mileage_km": 42000})
    assert updated.status_code == 200 and updated.json["mileage_km"] == 42000
    car = api.get(f"/vehicles/{order['vehicle_id']}", cashier).json
    assert car["mileage_km"] == 42000
    # A reading below the car's last one is refused; the order keeps its reading.
    backwards = api.patch(f"/work-orders/{order['id']}", cashier, json={"mileage_km": 41000})
    assert backwards.status_code == 422 and error_code(backwards) == "mileage_backwards"
    assert api.get(f"/work-orders/{order['id']}", cashier).json["mileage_km"] == 42000


def test_mileage_cannot_change_once_the_order_is_settled(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="京A55502")
    settled = api.post(
        f"/work-orders/{order['id']}/settle",
        cashier,
        json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
        headers={"Idempotency-Key": "mileage-settle"},
    )
    assert settled.status_code == 200
    refused = api.patch(f"/work-orders/{order['id']}", cashier, json={"mileage_km": 50000})
    assert refused.status_code == 409 and error_code(refused) == "work_order_not_editable"
    other_store = api.patch(f"/work-orders/{order['id']}", staff_tokens["cashier2"], json={"mileage_km": 50000})
    assert other_store.status_code == 403
