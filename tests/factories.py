"""Factories: stores, staff, members, catalog items, coupon and card templates, work orders and
instrument balances, made through the services (or the API) the way the shop makes them.

Each takes the app (or an Api client) and commits, so a test can call it outside an app context.
"""

from datetime import UTC, datetime

from app.common import clock
from app.extensions import db

STAFF_PASSWORD = "password-123"
PLATE = "粤B12345"
NOON_ISH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 2026-03-10 10:00 in Shanghai


def pinned_clock(instant):
    """For a fixture: ``yield from pinned_clock(t)`` holds the service clock at ``t`` for the test."""
    clock.set_now(instant)
    yield instant
    clock.set_now(None)


# --- the shop ------------------------------------------------------------------------------------------


def make_stores(app, *names):
    """Stores by name (default: 南山店 and 福田店); returns their ids in order."""
    from app.stores.services import create_store

    with app.app_context():
        ids = [create_store(name=name).id for name in names or ("南山店", "福田店")]
        db.session.commit()
    return ids


def make_staff(app, accounts, password=STAFF_PASSWORD):
    """Staff accounts from {username: (role, [store ids])}, all with ``password``."""
    from app.stores.services import create_staff

    with app.app_context():
        for username, (role, store_ids) in accounts.items():
            create_staff(username=username, password=password, role=role, store_ids=store_ids)
        db.session.commit()


def new_member(app, phone="13900000001", nickname="车主"):
    """A member registered at the counter; returns the id."""
    from app.members.services import register_at_counter

    with app.app_context():
        member_id = register_at_counter(phone=phone, nickname=nickname).id
        db.session.commit()
    return member_id


def service_catalog(app):
    """{"wash": id, "oil": id, "paint": id}: three service items made through the catalog service."""
    from app.catalog.services import create_service_item

    with app.app_context():
        items = {
            "wash": create_service_item(data={"name": "精致洗车", "category": "wash", "price_fen": 5000}).id,
            "oil": create_service_item(data={"name": "机油保养", "category": "maintenance", "price_fen": 30000}).id,
            "paint": create_service_item(data={"name": "补漆", "category": "repair", "price_fen": 80000}).id,
        }
        db.session.commit()
    return items


# --- coupons and cards ---------------------------------------------------------------------------------


def make_template(app, **fields):
    """A coupon template (default: claimable 满100减20 for 30 days); ``fields`` override the defaults."""
    from app.coupons import template_services

    data = {
        "name": "满100减20",
        "kind": "cash_off",
        "value_fen": 2000,
        "threshold_fen": 10000,
        "valid_days": 30,
        "claimable": True,
    }
    data.update(fields)
    # None drops a default field (e.g. valid_days=None for a fixed window); limits keep None (unlimited).
    data = {
        name: value for name, value in data.items() if value is not None or name in ("per_member_limit", "total_stock")
    }
    with app.app_context():
        template_id = template_services.create_template(data=data).id
        db.session.commit()
    return template_id


def make_stamp_template(app, item_ids, reward_template_id, stamps_required=5, valid_days=None):
    from app.cards import template_services

    with app.app_context():
        template_id = template_services.create_stamp_template(
            data={
                "name": "洗车集章",
                "service_item_ids": item_ids,
                "stamps_required": stamps_required,
                "reward_coupon_template_id": reward_template_id,
                "valid_days": valid_days,
            }
        ).id
        db.session.commit()
    return template_id


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


# --- a member's instruments ------------------------------------------------------------------------------


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
    from app.coupons import issuing, template_services

    with app.app_context():
        data = {"name": f"{template['kind']} coupon", "valid_days": 30, "claimable": False, **template}
        created = template_services.create_template(data=data)
        coupon = issuing.issue(template_id=created.id, member_id=member_id, source="staff")
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


# --- work orders -----------------------------------------------------------------------------------------


def open_order(api, token, store_id, lines, plate=PLATE, **extra):
    """A work order opened by plate through the API; returns its JSON."""
    response = api.post("/work-orders", token, json={"store_id": store_id, "plate": plate, "lines": lines, **extra})
    assert response.status_code == 201, response.json
    return response.json


def labor(item_id, unit_price_fen, quantity=1, category="wash"):
    """A priced labor line as the pricing service hands it to the coupon checks."""
    return {
        "kind": "labor",
        "service_item_id": item_id,
        "part_id": None,
        "category": category,
        "unit_price_fen": unit_price_fen,
        "quantity": quantity,
        "line_total_fen": unit_price_fen * quantity,
    }


def part(part_id, unit_price_fen, quantity=1):
    """A priced part line as the pricing service hands it to the coupon checks."""
    return {
        "kind": "part",
        "service_item_id": None,
        "part_id": part_id,
        "category": None,
        "unit_price_fen": unit_price_fen,
        "quantity": quantity,
        "line_total_fen": unit_price_fen * quantity,
    }
