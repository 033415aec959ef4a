"""Card fixtures: the coupons' catalog, member and clock, package-card and stamp-card templates.
The ledger readers are in tests/ledgers.py."""

import pytest

from app.cards import template_services
from app.extensions import db

# Kept importable from here for tests written before the helpers moved out of this conftest.
from tests.factories import (
    NOON_ISH,
    make_stamp_template,  # noqa: F401, I001
    make_template,
    new_member,
    pinned_clock,
    service_catalog,
)
from tests.ledgers import package_ledger_holds, stamp_ledger_holds  # noqa: F401


@pytest.fixture
def catalog(app):
    """{"wash": id, "oil": id, "paint": id} service items."""
    return service_catalog(app)


@pytest.fixture
def member_id(app):
    return new_member(app)


@pytest.fixture
def fixed_clock():
    yield from pinned_clock(NOON_ISH)


@pytest.fixture
def package_template(app, catalog):
    """A card of 3 washes and 1 oil service, valid 30 days, 150 yuan."""
    with app.app_context():
        template_id = template_services.create_package_template(
            data={
                "name": "洗车保养套餐",
                "price_fen": 15000,
                "valid_days": 30,
                "items": [
                    {"service_item_id": catalog["wash"], "count": 3},
                    {"service_item_id": catalog["oil"], "count": 1},
                ],
            }
        ).id
        db.session.commit()
    return template_id


@pytest.fixture
def reward_template(app, catalog):
    return make_template(
        app,
        name="免费洗车",
        kind="item_voucher",
        value_fen=None,
        threshold_fen=None,
        service_item_id=catalog["wash"],
        claimable=False,
        per_member_limit=None,
        valid_days=90,
    )
