"""Fixtures for the counter (tests/counter_fixtures.py: a pinned clock, a catalog, tiers, a member
with a car); the factories and ledger readers are in tests/factories.py and tests/ledgers.py."""

from tests.counter_fixtures import START, catalog, completed, fixed_clock, gold, member  # noqa: F401  (fixtures)

# Kept importable from here for tests written before the helpers moved out of this conftest.
from tests.factories import (  # noqa: F401, I001
    PLATE,
    give_coupon,
    give_points,
    open_order,
    sell_card,
    stamp_card_for,
    top_up,
)
from tests.helpers import settle, travel  # noqa: F401
from tests.ledgers import ledgers, scalar, table_rows  # noqa: F401
