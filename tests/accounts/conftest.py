"""The counter's fixtures (a pinned clock, a catalog, a member with a car) and an account factory."""

import pytest

from tests.counter_fixtures import START, catalog, completed, fixed_clock, member  # noqa: F401  (fixtures)


@pytest.fixture
def make_account(api, staff_tokens):
    def make(**fields):
        body = {"name": "平安保险", "kind": "insurer", "credit_limit_fen": 1_000_000, "payment_terms_days": 30}
        body.update(fields)
        response = api.post("/accounts", staff_tokens["owner"], json=body)
        assert response.status_code == 201, response.json
        return response.json

    return make
