"""Tokens and roles: who may call what."""

from datetime import UTC, datetime, timedelta

import jwt

from app.common import clock
from tests.helpers import error_code


def test_no_token_is_401(api):
    for path in ("/me", "/members", "/tiers", "/settings"):
        response = api.get(path)
        assert response.status_code == 401, path
        assert error_code(response) == "missing_token"


def test_expired_token_is_401(api, member_login):
    token, _ = member_login("alice")
    clock.set_now(datetime.now(UTC) + timedelta(days=8))
    response = api.get("/me", token)
    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_tampered_token_and_unsigned_token_are_401(api, member_login):
    token, member = member_login("alice")
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload, signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")])
    response = api.get("/me", tampered)
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["role"] = "owner"
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert api.get("/me", unsigned).status_code == 401
    forged = jwt.encode(claims, key="guessed-secret-guessed-secret-guessed!", algorithm="HS256")
    assert api.get("/members", forged).status_code == 401


def test_member_token_cannot_call_staff_endpoints(api, member_login, staff_tokens):
    token, _ = member_login("alice")
    for method, path in (("GET", "/members"), ("GET", "/vehicles?plate=粤B"), ("POST", "/tiers"), ("GET", "/settings")):
        response = api.call(method, path, token, json={} if method == "POST" else None)
        assert response.status_code == 403, path
        assert error_code(response) == "forbidden"


def test_member_cannot_read_another_members_vehicle(api, member_login):
    alice, _ = member_login("alice")
    bob, _ = member_login("bob")
    vehicle = api.post("/me/vehicles", alice, json={"plate": "粤B12345"}).json
    response = api.get(f"/me/vehicles/{vehicle['id']}", bob)
    assert response.status_code == 404
    assert error_code(response) == "vehicle_not_found"
    assert api.patch(f"/me/vehicles/{vehicle['id']}", bob, json={"mileage_km": 5}).status_code == 404
    assert api.get(f"/me/vehicles/{vehicle['id']}", alice).status_code == 200


def test_cashier_cannot_manage_tiers_or_tags(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    assert (
        api.post("/tiers", cashier, json={"name": "金卡", "rank": 2, "labor_discount_percent": 10}).status_code == 403
    )
    assert api.post("/tags", cashier, json={"name": "VIP"}).status_code == 403
    assert api.get("/tiers", cashier).status_code == 200
    marketing = staff_tokens["marketing"]
    assert api.post("/tags", marketing, json={"name": "VIP"}).status_code == 201


def test_only_the_owner_changes_settings(api, staff_tokens):
    assert api.patch("/settings", staff_tokens["marketing"], json={"points_per_yuan": 2}).status_code == 403
    response = api.patch("/settings", staff_tokens["owner"], json={"points_per_yuan": 2})
    assert response.status_code == 200
    assert response.json["points_per_yuan"] == 2
    response = api.patch("/settings", staff_tokens["owner"], json={"at_risk_after_days": 400})
    assert response.status_code == 422
    assert error_code(response) == "invalid_lifecycle_thresholds"


def test_staff_login_rejects_a_wrong_password(api, staff_tokens):
    response = api.post("/auth/staff/login", json={"username": "owner", "password": "wrong-password"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    response = api.post("/auth/staff/login", json={"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_staff_login_returns_role_and_stores(api, staff_tokens, stores):
    response = api.post("/auth/staff/login", json={"username": "cashier", "password": "password-123"})
    assert response.json["staff"]["role"] == "cashier"
    assert response.json["staff"]["store_ids"] == [stores[0]]


def test_disabling_a_staff_account_revokes_its_tokens(app, api, staff_tokens):
    from sqlalchemy import select

    from app.extensions import db
    from app.stores.models import Staff
    from app.stores.services import disable_staff

    token = staff_tokens["cashier"]
    assert api.get("/members", token).status_code == 200
    with app.app_context():
        disable_staff(staff_id=db.session.scalar(select(Staff.id).where(Staff.username == "cashier")))
        db.session.commit()
    response = api.get("/members", token)
    assert response.status_code == 401
    assert api.post("/auth/staff/login", json={"username": "cashier", "password": "password-123"}).status_code == 401


def test_the_token_clock_is_the_service_clock(api, member_login):
    clock.set_now(datetime(2030, 1, 1, tzinfo=UTC))
    token, _ = member_login("alice")
    clock.set_now(datetime(2030, 1, 7, tzinfo=UTC))
    assert api.get("/me", token).status_code == 200
    clock.set_now(datetime(2030, 1, 9, tzinfo=UTC))
    assert api.get("/me", token).status_code == 401
