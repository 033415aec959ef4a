"""Fixtures for the counter: a catalog, tiers, a member with a car, and helpers to seed instruments."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app.common import clock
from app.extensions import db

PLATE = "粤B12345"
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


def open_order(api, token, store_id, lines, plate=PLATE, **extra):
    response = api.post("/work-orders", token, json={"store_id": store_id, "plate": plate, "lines": lines, **extra})
    assert response.status_code == 201, response.json
    return response.json


def settle(api, token, work_order_id, tenders, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/work-orders/{work_order_id}/settle", token, json={"tenders": tenders}, headers=headers)


# --- seeding instruments through their services ---------------------------------------------------


def top_up(app, member_id, amount_fen):
    from app.wallet import services

    with app.app_context():
        services.top_up(member_id=member_id, amount_fen=amount_fen, paid_via="cash")
        db.session.commit()


def give_points(app, member_id, points):
    from app.wallet import points as ledger

    with app.app_context():
        ledger.adjust_points(member_id=member_id, points=points, reason="test seed")
        db.session.commit()


def give_coupon(app, member_id, **template):
    from app.coupons import services, template_services

    with app.app_context():
        data = {"name": f"{template['kind']} coupon", "valid_days": 30, "claimable": False, **template}
        created = template_services.create_template(data=data)
        coupon = services.issue(template_id=created.id, member_id=member_id, source="staff")
        db.session.commit()
        return coupon.id


def sell_card(app, member_id, items, price_fen=10000):
    """A package card with {service_item_id: count}."""
    from app.cards import services, template_services

    with app.app_context():
        template = template_services.create_package_template(
            data={
                "name": "Card",
                "price_fen": price_fen,
                "valid_days": 365,
                "items": [{"service_item_id": item_id, "count": count} for item_id, count in items.items()],
            }
        )
        card = services.sell_package_card(member_id=member_id, template_id=template.id, paid_via="cash")
        db.session.commit()
        return card.id


# --- ledgers, read raw so the tests trust no service ----------------------------------------------


def table_rows(app, exclude=("idempotency_records",)):
    """Every row of every table: a failure that "changes nothing" leaves this identical."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in exclude:
                continue
            result = db.session.execute(table.select()).all()
            rows[table.name] = sorted(tuple(map(repr, row)) for row in result)
        db.session.rollback()
        return rows


def scalar(app, sql, **params):
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.rollback()
        return value


def ledgers(app, member_id):
    """Every balance and count a settlement can touch, read with plain SQL."""
    queries = {
        "wallet": "SELECT principal_fen, bonus_fen, balance_fen FROM wallets WHERE member_id = :m",
        "wallet_entries": "SELECT COALESCE(SUM(principal_fen), 0), COALESCE(SUM(bonus_fen), 0) FROM wallet_entries "
        "WHERE member_id = :m",
        "points": "SELECT balance FROM points_accounts WHERE member_id = :m",
        "points_entries": "SELECT COALESCE(SUM(points), 0) FROM points_entries WHERE member_id = :m",
        "points_lots": (
            "SELECT COALESCE(SUM(remaining), 0) FROM points_lots WHERE member_id = :m AND expired_at IS NULL"
        ),
        "card_items": "SELECT i.id, i.remaining FROM package_card_items i JOIN package_cards c ON c.id = i.card_id "
        "WHERE c.member_id = :m ORDER BY i.id",
        "card_entries": "SELECT COALESCE(SUM(e.delta), 0) FROM package_card_entries e JOIN package_cards c "
        "ON c.id = e.card_id WHERE c.member_id = :m",
        "coupons": "SELECT id, status FROM member_coupons WHERE member_id = :m ORDER BY id",
        "stamps": "SELECT COALESCE(SUM(stamps), 0) FROM stamp_cards WHERE member_id = :m",
        "stamp_entries": "SELECT COALESCE(SUM(delta), 0) FROM stamp_entries WHERE member_id = :m",
        "stock": "SELECT part_id, SUM(on_hand) FROM store_part_stocks GROUP BY part_id ORDER BY part_id",
        "member": "SELECT paid_visit_count, total_paid_fen, first_paid_visit_at, last_paid_visit_at, tier_id "
        "FROM members WHERE id = :m",
    }
    with app.app_context():
        result = {
            name: [tuple(row) for row in db.session.execute(text(sql), {"m": member_id})]
            for name, sql in queries.items()
        }
        db.session.rollback()
    return result


def travel(api, staff_tokens, delta, member=None):
    """Move the clock and log everyone in again (tokens live a week)."""
    clock.set_now(clock.now() + delta)
    for username in staff_tokens:
        response = api.post("/auth/staff/login", json={"username": username, "password": "password-123"})
        staff_tokens[username] = response.json["token"]
    if member is not None:
        member["token"] = api.post("/auth/wechat/login", json={"code": "alice"}).json["token"]


def stamp_card_for(app, service_item_id, stamps_required=5):
    """A stamp card: N stamps of the service item earn a voucher for it."""
    from app.cards import template_services
    from app.coupons import template_services as coupon_templates

    with app.app_context():
        reward = coupon_templates.create_template(
            data={"name": "Free one", "kind": "item_voucher", "service_item_id": service_item_id, "valid_days": 30}
        )
        template = template_services.create_stamp_template(
            data={
                "name": "Stamps",
                "service_item_ids": [service_item_id],
                "stamps_required": stamps_required,
                "reward_coupon_template_id": reward.id,
            }
        )
        db.session.commit()
        return template.id
