"""Booking fixtures: a configured store, a timed service item, members with cars, a pinned clock.

Times: the merchant's timezone is Asia/Shanghai (+08:00). The clock is pinned to Monday
2026-11-30 10:00 local; DAY is Tuesday 2026-12-01, when store 1 opens 09:00-18:00 with 30-minute
slots and 2 bays.
"""

import pytest

from app.common import clock
from tests.bookings.helpers import (  # noqa: F401  (also importable from here by older tests)
    DAY,
    NOW,
    SHANGHAI,
    WEEK_HOURS,
    Booker,
    _login,
    at,
    configure_store,
)


@pytest.fixture(autouse=True)
def pinned_clock():
    """Pinned before any token is issued (tokens expire by the service clock); the app fixture resets it."""
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def booker(app, api, stores, staff_tokens):
    configure_store(api, staff_tokens["owner"], stores[0])
    booker = Booker(api, staff_tokens, stores, item_id=None)
    booker.item_id = booker.service_item(60)  # an hour: two 30-minute slots
    return booker
