"""Referral fixtures: members joining with a code, a shop at the counter (helpers in helpers.py)."""

import pytest

from tests.referrals.helpers import (  # noqa: F401  (also importable from here by older tests)
    Shop,
    add_car,
    join,
    mark_visited,
    referral_rows,
    refusal_rows,
    set_rules,
)


@pytest.fixture
def joiner(api):
    return lambda code, referral_code=None: join(api, code, referral_code)


@pytest.fixture
def shop(api, staff_tokens, stores):
    return Shop(api, staff_tokens, stores[0])
