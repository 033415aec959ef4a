"""The counter's search by part of a plate: fragment length, escaping, and the trigram index."""
import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.members.models import Vehicle
from app.members.vehicle_services import _like_pattern, plate_contains
from tests.conftest import ON_POSTGRES, error_code


def test_a_fragment_needs_three_characters_after_normalising(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    for fragment in ("45", "粤b", "b·1", " 4 5 "):
        response = api.get("/vehicles", cashier, query_string={"plate": fragment})
        assert response.status_code == 422, fragment
        assert error_code(response) == "plate_fragment_too_short"
        assert response.json["error"]["details"]["min_length"] == 3
    for fragment in ("345", "b·123", "粤B12345"):
        items = api.get("/vehicles", cashier, query_string={"plate": fragment}).json["items"]
        assert [item["vehicle"]["plate"] for item in items] == ["粤B12345"], fragment


def test_like_wildcards_in_a_fragment_match_only_themselves(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "plate": "粤B12345"})
    assert api.get("/vehicles", cashier, query_string={"plate": "1%5"}).json["items"] == []
    assert api.get("/vehicles", cashier, query_string={"plate": "B_2"}).json["items"] == []
    assert _like_pattern("A%_\\") == "%A\\%\\_\\\\%"


@pytest.mark.skipif(not ON_POSTGRES, reason="the trigram index exists on PostgreSQL only")
def test_the_plate_search_can_use_the_trigram_index(app):
    with app.app_context():
        stmt = select(Vehicle.id).where(plate_contains("123"))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        # An empty table is cheapest to scan; forbid that so the plan shows whether the index applies.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        db.session.rollback()
    assert "ix_vehicles_plate_trgm" in plan, plan
