"""Coupon fixtures: a small catalog, a member, the clock pinned at NOON_ISH. The factories
(templates, members, priced lines) are in tests/factories.py."""

import pytest

# Kept importable from here for tests written before the helpers moved out of this conftest.
from tests.factories import NOON_ISH, labor, make_template, new_member, part, pinned_clock, service_catalog  # noqa: F401, I001
from tests.helpers import run_concurrently  # noqa: F401
from tests.ledgers import count_rows  # noqa: F401


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
