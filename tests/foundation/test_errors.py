"""Bad input gets a clear JSON error with a stable code, and writes nothing."""

from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member, Vehicle
from tests.helpers import error_code


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Member.id))), db.session.scalar(select(func.count(Vehicle.id))))


def test_malformed_json_is_400(api, member_login, app):
    token, _ = member_login("alice")
    before = _counts(app)
    response = api.call("POST", "/me/vehicles", token, data='{"plate": "粤B12345"', content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    assert _counts(app) == before


def test_wrong_types_and_unknown_fields_are_422_with_field_details(api, member_login, app):
    token, _ = member_login("alice")
    before = _counts(app)
    response = api.post("/me/vehicles", token, json={"plate": "粤B12345", "mileage_km": "12"})
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert "mileage_km" in response.json["error"]["details"]["fields"]
    response = api.post("/me/vehicles", token, json={"plate": "粤B12345", "owner_id": 3})
    assert response.status_code == 422
    assert "owner_id" in response.json["error"]["details"]["fields"]
    response = api.post("/me/vehicles", token, json={"plate": "粤B12345", "mileage_km": 12.5})
    assert response.status_code == 422
    assert _counts(app) == before


def test_invalid_plate_is_422_and_nothing_written(api, member_login, app):
    token, _ = member_login("alice")
    before = _counts(app)
    response = api.post("/me/vehicles", token, json={"plate": "ABC123"})
    assert response.status_code == 422
    assert error_code(response) == "invalid_plate"
    assert _counts(app) == before


def test_oversized_body_is_413(api, member_login):
    token, _ = member_login("alice")
    response = api.patch("/me", token, json={"nickname": "x" * 100_000})
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_unknown_route_and_wrong_method_answer_json(api, member_login):
    response = api.get("/no-such-thing")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    token, _ = member_login("alice")
    response = api.call("DELETE", "/me", token)
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_unexpected_failure_is_500_without_a_stack_trace(app, api, member_login, monkeypatch):
    from app.members import services

    def explode(member_id):
        raise RuntimeError("secret internals")

    token, _ = member_login("alice")
    monkeypatch.setattr(services, "get_member", explode)
    response = api.get("/me", token)
    assert response.status_code == 500
    assert error_code(response) == "internal_error"
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_query_strings_ignore_unknown_parameters(api, staff_tokens):
    response = api.get("/members?q=138&utm_source=poster", staff_tokens["cashier"])
    assert response.status_code == 200
