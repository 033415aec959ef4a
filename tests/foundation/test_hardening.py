"""Rate limits, log redaction, CORS and the proxy in front."""

import io
import logging

import pytest

from app import create_app
from app.common.http import redact
from tests.helpers import Api, error_code


@pytest.fixture
def limited_api(database_url):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
            "CORS_ORIGINS": ("https://console.example",),
        },
    )
    yield Api(app.test_client())
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_logins_are_rate_limited_per_client(limited_api):
    for _ in range(3):
        assert limited_api.post("/auth/wechat/login", json={"code": "alice"}).status_code == 200
    response = limited_api.post("/auth/wechat/login", json={"code": "alice"})
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    other_client = limited_api.post(
        "/auth/wechat/login", json={"code": "bob"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert other_client.status_code == 200


def test_a_limited_write_answers_the_limit_headers_and_a_read_none(limited_api):
    allowed = limited_api.post("/auth/wechat/login", json={"code": "carol"})
    assert allowed.status_code == 200
    assert allowed.headers["X-RateLimit-Limit"] == "3"
    assert allowed.headers["X-RateLimit-Remaining"] == "2"
    for _ in range(2):
        limited_api.post("/auth/wechat/login", json={"code": "carol"})
    refused = limited_api.post("/auth/wechat/login", json={"code": "carol"})
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0" and int(refused.headers["Retry-After"]) > 0
    token = allowed.json["token"]
    read = limited_api.get("/me", token)
    assert read.status_code == 200
    assert not [name for name in read.headers.keys() if name.startswith("X-RateLimit") or name == "Retry-After"]


def test_phones_and_tokens_are_redacted_from_logs():
    assert redact("called 13812345678 back") == "called 138****5678 back"
    assert "eyJ" not in redact("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIxIn0.sig")
    assert "eyJ" not in redact("token eyJhbGciOi.eyJzdWIiOiIxIn0.c2ln leaked")


def test_a_phone_or_token_logged_through_the_apps_loggers_comes_out_redacted(database_url):
    """A handler on the root logger (as a deployment's) gets the redacting filter when the app
    starts, so what any app logger writes there is cleaned."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
        logging.getLogger("app.members.services").warning("member %s searched", "13812345678")
        logging.getLogger("app.workorders.routes").warning(
            "request with Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIxIn0.c2ln and ?t=eyJhbGciOi.eyJzdWIiOiIyIn0.c2ln"
        )
    finally:
        root.removeHandler(handler)
    lines = written.getvalue().splitlines()
    assert lines[0] == "member 138****5678 searched"
    assert "Bearer [redacted]" in lines[1] and "?t=[token]" in lines[1]
    assert "13812345678" not in written.getvalue() and "eyJ" not in written.getvalue()


def test_cors_allows_only_the_configured_console(limited_api):
    allowed = limited_api.client.get("/api/v1/openapi.json", headers={"Origin": "https://console.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://console.example"
    # The console sends a scanned member card in a header of its own.
    assert "Member-Card-Token" in allowed.headers["Access-Control-Allow-Headers"]
    other = limited_api.client.get("/api/v1/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_page_sizes_are_capped(api, staff_tokens):
    response = api.get("/members", staff_tokens["cashier"], query_string={"per_page": 1000})
    assert response.status_code == 422


def test_every_rate_limited_route_is_a_write(app):
    """Reads skip the limiter (app/common/ratelimit.py), so a limit on a read would never apply."""
    from flask_limiter.util import get_qualified_name

    from app.extensions import limiter

    limited = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(getattr(view, "view_class", None), method.lower(), view)
            if get_qualified_name(handler) in limiter._marked_for_limiting:
                limited.append((method, rule.rule))
    assert ("POST", "/api/v1/auth/staff/login") in limited  # the check sees the limits there are
    assert [(method, path) for method, path in limited if method == "GET"] == []
