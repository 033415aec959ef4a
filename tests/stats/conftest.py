"""A small, varied shop built through the domains' services on an injected clock, and raw readers.

The period under test is March 2026 in Asia/Shanghai (UTC+8); the figures are read on 2 April.
"""

import pytest

from tests.stats.helpers import (  # noqa: F401  (also importable from here by older tests)
    NOW,
    SHANGHAI,
    Shop,
    _at,
    _order,
    build_shop,
    days_between,
    local,
    local_day,
    rows,
)


@pytest.fixture
def shop(app, stores, staff_tokens):
    return build_shop(app, stores)


@pytest.fixture
def tokens(api, shop):
    """Staff tokens issued at NOW (the shop was built on other dates)."""
    result = {}
    for username in ("owner", "marketing", "cashier"):
        response = api.post("/auth/staff/login", json={"username": username, "password": "password-123"})
        assert response.status_code == 200, response.json
        result[username] = response.json["token"]
    return result
