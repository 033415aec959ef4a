"""A day at store 1 built through the API on an injected clock (Asia/Shanghai, 2 March 2026)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.common import clock
from app.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = "2026-03-02"


def local(text):
    """'2026-03-02 23:30' in Shanghai as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    clock.set_now(local(f"{DAY} 08:00"))
    yield
    clock.set_now(None)


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@dataclass
class Day:
    stores: list
    tokens: dict
    staff_ids: dict
    orders: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)


def _staff_ids(app):
    from sqlalchemy import select

    from app.stores.models import Staff

    with app.app_context():
        return dict(db.session.execute(select(Staff.username, Staff.id)).all())


@pytest.fixture
def shop(app, api, stores, staff_tokens, member_login):
    """Catalog, two members with cars (alice has 2,000 points), the staff of the two stores."""
    owner = staff_tokens["owner"]
    bodies = {
        "wash": ("/service-items", {"name": "精洗", "category": "wash", "price_fen": 5000}),
        "oil": ("/service-items", {"name": "小保养", "category": "maintenance", "price_fen": 20000}),
        "filter": ("/parts", {"name": "机滤", "sku": "F-1", "price_fen": 8000, "stock": 10}),
    }
    items = {name: ok(api.post(path, owner, json=body), 201) for name, (path, body) in bodies.items()}
    members = {}
    for code, plate in (("alice", "粤B12345"), ("bob", "粤B54321")):
        token, body = member_login(code)
        ok(api.post("/me/vehicles", token, json={"plate": plate}), 201)
        members[code] = {"id": body["id"], "token": token, "plate": plate}
    from app.wallet import points

    with app.app_context():
        points.adjust_points(member_id=members["alice"]["id"], points=2000, reason="opening balance")
        db.session.commit()
    return {"items": {name: item["id"] for name, item in items.items()}, "members": members}


def at(text):
    clock.set_now(local(text))


def open_order(api, token, store_id, plate, lines):
    return ok(api.post("/work-orders", token, json={"store_id": store_id, "plate": plate, "lines": lines}), 201)


def settle(api, token, order_id, tenders):
    return ok(api.post(f"/work-orders/{order_id}/settle", token, json={"tenders": tenders}))


@pytest.fixture
def staff_ids(app, staff_tokens):
    return _staff_ids(app)
