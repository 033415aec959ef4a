"""Coupon fixtures: a small catalog, members made through the services, templates, and a helper
that runs a function in many threads at once (each with its own app context and connection)."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.catalog.services import create_service_item
from app.common import clock
from app.common.errors import AppError
from app.coupons import template_services
from app.extensions import db
from app.members.services import register_at_counter

# 2026-03-10 10:00 in Shanghai.
NOON_ISH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def catalog(app):
    """{"wash": id, "oil": id, "paint": id} service items."""
    with app.app_context():
        items = {
            "wash": create_service_item(data={"name": "精致洗车", "category": "wash", "price_fen": 5000}).id,
            "oil": create_service_item(data={"name": "机油保养", "category": "maintenance", "price_fen": 30000}).id,
            "paint": create_service_item(data={"name": "补漆", "category": "repair", "price_fen": 80000}).id,
        }
        db.session.commit()
    return items


def new_member(app, phone="13900000001", nickname="车主"):
    with app.app_context():
        member_id = register_at_counter(phone=phone, nickname=nickname).id
        db.session.commit()
    return member_id


@pytest.fixture
def member_id(app):
    return new_member(app)


def make_template(app, **fields):
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


def count_rows(app, model, *conditions):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def run_concurrently(app, function, count):
    """Call ``function(index)`` in ``count`` threads released together; each commits on success
    and rolls back on an AppError. Returns the list of outcomes: "ok" or the error code."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def worker(index):
        with app.app_context():
            barrier.wait()
            try:
                function(index)
                db.session.commit()
                outcomes[index] = "ok"
            except AppError as error:
                db.session.rollback()
                outcomes[index] = error.code
            except Exception as error:  # reported, so a failure names what went wrong
                db.session.rollback()
                outcomes[index] = f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def fixed_clock():
    clock.set_now(NOON_ISH)
    yield NOON_ISH
    clock.set_now(None)


def labor(item_id, unit_price_fen, quantity=1, category="wash"):
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
    return {
        "kind": "part",
        "service_item_id": None,
        "part_id": part_id,
        "category": None,
        "unit_price_fen": unit_price_fen,
        "quantity": quantity,
        "line_total_fen": unit_price_fen * quantity,
    }
