"""Wallet fixtures: a member made through the services. The ledger readers are in tests/ledgers.py."""

import pytest

from tests.factories import new_member

# Kept importable from here for tests written before the helpers moved out of this conftest.
from tests.ledgers import ledger_state  # noqa: F401, I001


@pytest.fixture
def member_id(app):
    return new_member(app)
