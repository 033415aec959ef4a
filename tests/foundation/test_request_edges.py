"""Malformed requests are refused with a JSON 4xx and a stable code, in the request path before any
route: each of these was a server error (or the wrong status) before."""

import io

import jwt
import pytest

from tests.conftest import error_code

DEEP = b"[" * 20_000


@pytest.mark.parametrize("path", ["/auth/wechat/login", "/auth/staff/login", "/me/vehicles"])
def test_a_deeply_nested_body_is_invalid_json(api, member_login, path):
    token, _ = member_login("deep")
    response = api.call("POST", path, token, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


def test_a_body_nested_deeper_than_the_limit_is_refused_even_when_python_could_parse_it(api):
    body = '{"code": ' + "[" * 100 + "]" * 100 + "}"
    response = api.call("POST", "/auth/wechat/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.json["error"]["message"]


LONE = '"\\ud83d"'  # JSON text for a lone high surrogate


def _with_lone(template):
    return template.replace("LONE", LONE)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/auth/wechat/login", _with_lone('{"code": LONE}')),
        ("POST", "/auth/staff/login", _with_lone('{"username": LONE, "password": "x"}')),
        ("PATCH", "/me", _with_lone('{"nickname": LONE}')),
        ("POST", "/me/vehicles", _with_lone('{"plate": LONE}')),
        ("POST", "/me/vehicles", _with_lone('{"plate": "粤B12345", "model": LONE}')),
        ("POST", "/auth/wechat/login", _with_lone('{LONE: "x", "code": "y"}')),  # in a key, too
    ],
)
def test_a_lone_surrogate_in_text_is_invalid_json(api, member_login, method, path, body):
    token, _ = member_login("surrogate")
    response = api.call(method, path, token, data=body, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


def test_paired_surrogates_are_ordinary_text(api, member_login):
    token, _ = member_login("emoji")
    response = api.call("PATCH", "/me", token, data='{"nickname": "\\ud83d\\ude97"}', content_type="application/json")
    assert response.status_code == 200
    assert response.json["nickname"] == "🚗"


def test_a_segment_date_past_the_handled_years_is_a_rule_error(api, staff_tokens):
    for day in ("9999-12-31", "0001-01-01"):
        rules = {"all": [{"field": "last_visit", "op": "before", "value": day}]}
        response = api.post("/segments/preview", staff_tokens["marketing"], json={"rules": rules})
        assert response.status_code == 422, response.json
        assert error_code(response) == "invalid_segment_rules"
    rules = {"all": [{"field": "last_visit", "op": "between", "value": ["2020-01-01", "9999-12-31"]}]}
    assert api.post("/segments/preview", staff_tokens["marketing"], json={"rules": rules}).status_code == 422


def _signed(app, **changes):
    claims = {"sub": "1", "kind": "staff", "role": "owner", "ver": 0, "typ": "access", "iat": 1, "exp": 2**40}
    claims.update(changes)
    return jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": "99999999999"},
        {"exp": True},
        {"iat": "1"},
        {"sub": "1" * 23},
        {"sub": "1" * 23, "kind": "member", "role": "member"},
        {"sub": "0"},
        {"sub": "-1"},
        {"sub": "١"},  # an Arabic-Indic digit: str.isdigit() says yes
        {"sub": 1},
    ],
)
def test_a_correctly_signed_token_with_odd_claims_is_invalid(app, api, staff_tokens, changes):
    response = api.get("/members", _signed(app, **changes))
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_a_streamed_body_over_the_limit_is_too_large(api):
    body = b'{"code": "' + b"a" * 3_000_000 + b'"}'
    response = api.client.post(
        "/api/v1/auth/wechat/login",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it for a chunked body
    )
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_a_streamed_body_under_the_limit_is_read_whole(api):
    response = api.client.post(
        "/api/v1/auth/wechat/login",
        input_stream=io.BytesIO(b'{"code": "streamed"}'),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200, response.json


def test_a_declared_body_over_the_limit_is_too_large(api):
    response = api.call("POST", "/auth/wechat/login", data=b"x" * 3_000_000, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_unsupported(api, content_type):
    response = api.call("POST", "/auth/wechat/login", data='{"code": "x"}', content_type=content_type)
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_no_body_at_all_is_judged_by_the_routes_schema(api):
    response = api.call("POST", "/auth/wechat/login")
    assert response.status_code == 422
    assert "code" in response.json["error"]["details"]["fields"]


def test_the_document_lists_415_where_a_body_is_read(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "415" in spec["paths"]["/api/v1/auth/wechat/login"]["post"]["responses"]
