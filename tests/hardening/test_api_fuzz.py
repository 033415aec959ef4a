"""Property-based fuzzing of the whole API against its own OpenAPI document (schemathesis).

Every documented operation gets generated requests (valid and invalid) as a caller its route
allows: a member, or staff as owner, cashier or marketing. A response must never be a server error,
and its status code, content type and body must be the ones the document promises.

The run is bounded (a dozen examples per operation, a fixed seed) so it stays fast and the
same in CI; widen it locally with FUZZ_EXAMPLES=500.
"""

import io
import json
import os
import re
import shutil

import hypothesis
import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.common import clock
from app.extensions import db
from tests.helpers import ON_POSTGRES, Api, empty_tables, login_member

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))


def status_code_listed(ctx, response, case):
    """The status is one the operation lists by number: ``default`` only covers the unforeseen."""
    listed = {str(code) for code in case.operation.responses.status_codes if code != "default"}
    if response.status_code < 500 and str(response.status_code) not in listed:  # 5xx: not_a_server_error
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code}, which it does not list: {sorted(listed)}"
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    status_code_listed,
    content_type_conformance,
    response_schema_conformance,
]

# The document comes from the application itself; building it touches no database.
_spec_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _spec_app)
schema.config.seed = 20240909
# Generated cases only: the request examples in the document name rows that need not exist here, and
# schemathesis cannot run them through this test's own strategies (`given(data=...)`).
schema.config.phases.update(phases=["fuzzing"])
schema.config.generation.update(max_examples=EXAMPLES)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, ids in the path are the seeded rows' (1 to 3) rather than any number."""
    ids = {name: st.integers(1, 3) for name, value in (path_parameters or {}).items() if type(value) is int}
    if not ids:
        return st.just(path_parameters)
    seeded = st.fixed_dictionaries({name: st.just(value) for name, value in path_parameters.items()} | ids)
    return st.one_of(st.just(path_parameters), seeded)


def _roles_by_operation(app):
    """(OpenAPI path, method) -> the roles the route's auth decorator admits (empty: public)."""
    roles = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(getattr(view, "view_class", None), method.lower(), view)
            roles[(path, method)] = tuple(sorted(getattr(handler, "_roles", ())))
    return roles


ROLES = _roles_by_operation(_spec_app)


@pytest.fixture(scope="module")
def fuzz_app(database_template, tmp_path_factory):
    """One database for the whole run (seeding per operation would cost more than fuzzing it)."""
    if ON_POSTGRES:
        url = database_template
    else:
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield application
    clock.set_now(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        empty_tables(url)


STAFF_CALLERS = ("owner", "marketing", "cashier", "advisor", "technician")


@pytest.fixture(scope="module")
def callers(fuzz_app):
    """Tokens per role, and a little real data (stores, a member with a car, a service item, a work
    order) so generated ids, which are mostly small, often hit rows."""
    from app.stores.services import create_staff, create_store

    api = Api(fuzz_app.test_client())
    with fuzz_app.app_context():
        stores = [create_store(name="南山店").id, create_store(name="福田店").id]
        create_staff(username="owner", password="password-123", role="owner", store_ids=stores)
        create_staff(username="marketing", password="password-123", role="marketing", store_ids=stores)
        create_staff(username="cashier", password="password-123", role="cashier", store_ids=stores[:1])
        create_staff(username="advisor", password="password-123", role="advisor", store_ids=stores[:1])
        create_staff(username="technician", password="password-123", role="technician", store_ids=stores[:1])
        db.session.commit()
    tokens = {}
    for role in STAFF_CALLERS:
        response = api.post("/auth/staff/login", json={"username": role, "password": "password-123"})
        assert response.status_code == 200, response.json
        tokens[role] = response.json["token"]
    tokens["member"], _ = login_member(api, "fuzz-member")
    response = api.post("/me/vehicles", tokens["member"], json={"plate": "粤B12345", "mileage_km": 20000})
    assert response.status_code == 201, response.json
    response = api.post(
        "/service-items", tokens["marketing"], json={"name": "精洗", "category": "wash", "price_fen": 5000}
    )
    assert response.status_code == 201, response.json
    # An open work order for that car, so quoting and settling reach their rules.
    response = api.post(
        "/work-orders",
        tokens["cashier"],
        json={
            "store_id": stores[0],
            "plate": "粤B12345",
            "lines": [{"service_item_id": response.json["id"], "quantity": 1}],
        },
    )
    assert response.status_code == 201, response.json
    return tokens


@schema.parametrize()
@schema.given(data=st.data())
@hypothesis.settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case, data, fuzz_app, callers):
    roles = ROLES[(case.operation.path, case.method.upper())] or ("anonymous",)
    role = data.draw(st.sampled_from(roles), label="role")
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {callers[role]}"
    case.call_and_validate(app=fuzz_app, headers=headers, checks=CHECKS)
    if case.operation.path in REVOKING:
        _renew_callers(fuzz_app, callers)


# Operations that revoke tokens (the caller's logout, the owner blocking a member): after one, the
# callers get fresh tokens, so the rest of the run is not all 401.
REVOKING = {"/api/v1/auth/logout", "/api/v1/members/{member_id}/block"}


def _renew_callers(fuzz_app, callers):
    from sqlalchemy import update

    from app.members.models import Member

    with fuzz_app.app_context():
        db.session.execute(update(Member).values(blocked_at=None, blocked_reason=None))
        db.session.commit()
    api = Api(fuzz_app.test_client())
    for role in STAFF_CALLERS:
        response = api.post("/auth/staff/login", json={"username": role, "password": "password-123"})
        assert response.status_code == 200, response.json
        callers[role] = response.json["token"]
    callers["member"], _ = login_member(api, "fuzz-member")


# -- Hostile inputs, every operation ------------------------------------------------------------
# Generated requests rarely hold what an attacker sends on purpose, so each of these is sent to
# every operation it applies to, once (bounded: a few hundred requests in all). Each found a server
# error (or a wrong status) before: a body nested 20,000 deep, a lone surrogate in text, a date past
# year 9999's last day, a signed token with odd claims, a chunked body over the limit, a body not
# declared JSON.

DOCUMENT = _spec_app.test_client().get("/api/v1/openapi.json").get_json()
LONE_SURROGATE = "\ud83d"
FAR_DATES = ("9999-12-31", "0001-01-01")
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}")
DEEP_BODY = b"[" * 20_000
LARGE_BODY = b'{"x": "' + b"a" * 3_000_000 + b'"}'
_plates = iter(range(10_000, 99_999))

# Bodies valid enough to reach storage or computation, so that one hostile value gets that far
# (an otherwise invalid body stops at 422 first). Other operations start from their required fields.
SEED_BODIES = {
    ("/api/v1/auth/wechat/login", "post"): lambda: {"code": "fuzz-seed"},
    ("/api/v1/auth/staff/login", "post"): lambda: {"username": "owner", "password": "password-123"},
    ("/api/v1/me", "patch"): lambda: {"nickname": "阿强", "birthday": "1990-05-01"},
    ("/api/v1/me/vehicles", "post"): lambda: {"plate": f"粤F{next(_plates)}", "model": "Model Y"},
    ("/api/v1/members", "post"): lambda: {"phone": f"139{next(_plates):08d}", "nickname": "老王"},
    ("/api/v1/segments/preview", "post"): lambda: {
        "rules": {"all": [{"field": "last_visit", "op": "before", "value": "2026-01-01"}]}
    },
}


def _operations(with_body=None, secured=None):
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if with_body is not None and ("requestBody" in operation) != with_body:
                continue
            if secured is not None and bool(operation.get("security")) != secured:
                continue
            yield path, method, operation


def _resolve_schema(schema):
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body_schema(operation):
    return _resolve_schema(operation["requestBody"]["content"]["application/json"]["schema"])


def _value_for(schema):
    """A plain value of a property's declared type (the first enum value where one is listed)."""
    schema = _resolve_schema(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        return {"date": "2026-12-01", "date-time": "2026-12-01T10:00:00+08:00"}.get(schema.get("format"), "x")
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value_for(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "object":
        return {
            name: _value_for(prop)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", ())
        }
    return "x"


def _base_body(path, method, operation):
    seed = SEED_BODIES.get((path, method))
    return seed() if seed else _value_for(_body_schema(operation))


def _hostile_variants(value):
    """Copies of ``value`` with one text leaf replaced by a lone surrogate, or one date by a far one."""
    if isinstance(value, dict):
        for key, item in value.items():
            for variant in _hostile_variants(item):
                yield {**value, key: variant}
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for variant in _hostile_variants(item):
                yield [*value[:index], variant, *value[index + 1 :]]
    elif isinstance(value, str):
        yield LONE_SURROGATE
        if DATE_TEXT.match(value):
            yield from FAR_DATES


def _hostile_bodies(path, method, operation):
    base = _base_body(path, method, operation)
    yield from _hostile_variants(base)
    if isinstance(base, dict):  # optional text and date properties too, one at a time
        for name, prop in _body_schema(operation).get("properties", {}).items():
            if name not in base and _resolve_schema(prop).get("type") == "string":
                for value in _hostile_variants(_value_for(prop)):
                    yield {**base, name: value}


def _url(path):
    return re.sub(r"\{\w+\}", "1", path)


def _headers(callers, path, method):
    roles = ROLES[(path, method.upper())] or ("anonymous",)
    return {"Authorization": f"Bearer {callers[roles[0]]}"} if roles[0] != "anonymous" else {}


def _assert_refused_cleanly(response, path, method, operation, sent):
    label = f"{method.upper()} {path} with {sent!r:.120}"
    assert response.status_code < 500, f"{label}: {response.status_code} {response.data[:300]!r}"
    listed = {str(code) for code in operation["responses"] if code != "default"}
    if response.status_code >= 400:
        assert str(response.status_code) in listed, f"{label}: {response.status_code} is not listed: {sorted(listed)}"
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and body.get("error", {}).get("code"), f"{label}: not the envelope"


def test_hostile_bodies_are_refused_with_a_listed_4xx(fuzz_app, callers):
    client = fuzz_app.test_client()
    for path, method, operation in _operations(with_body=True):
        headers = _headers(callers, path, method)
        url = _url(path)
        attempts = [
            ("20,000 nested [", {"data": DEEP_BODY, "content_type": "application/json"}),
            ("no Content-Type", {"data": b'{"x": 1}'}),
            ("text/plain", {"data": b'{"x": 1}', "content_type": "text/plain"}),
            ("3 MB declared", {"data": LARGE_BODY, "content_type": "application/json"}),
            (
                "3 MB chunked",
                {
                    "input_stream": io.BytesIO(LARGE_BODY),
                    "headers": {**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
                    "environ_overrides": {"wsgi.input_terminated": True},
                },
            ),
        ]
        for sent, kwargs in attempts:
            kwargs.setdefault("headers", headers)
            response = client.open(url, method=method.upper(), **kwargs)
            _assert_refused_cleanly(response, path, method, operation, sent)
            expected = {"20,000 nested [": 400, "no Content-Type": 415, "text/plain": 415}.get(sent, 413)
            if "application/json" not in operation["requestBody"]["content"]:
                expected = 415  # an upload: a body that is not multipart cannot carry the file
            if response.status_code not in (401, 403, 404, 405):  # refused before the body is read
                assert response.status_code == expected, f"{method.upper()} {path} with {sent}: {response.status_code}"
        if "application/json" not in operation["requestBody"]["content"]:
            continue  # an upload: every JSON body was refused with 415 above
        for body in _hostile_bodies(path, method, operation):
            data = json.dumps(body, ensure_ascii=True)  # a lone surrogate travels as the escape \ud83d
            response = client.open(
                url, method=method.upper(), data=data, content_type="application/json", headers=headers
            )
            _assert_refused_cleanly(response, path, method, operation, body)


def _odd_tokens(app):
    base = {"sub": "1", "kind": "staff", "role": "owner", "ver": 0, "typ": "access", "iat": 1, "exp": 2**40}
    oddities = [
        {"exp": "99999999999"},
        {"iat": "1"},
        {"sub": "1" * 23},
        {"sub": "1" * 23, "kind": "member", "role": "member"},
        {"sub": "-1", "kind": "member", "role": "member"},
    ]
    return [jwt.encode({**base, **odd}, app.config["SECRET_KEY"], algorithm="HS256") for odd in oddities]


def test_signed_tokens_with_odd_claims_are_refused_everywhere(fuzz_app, callers):
    client = fuzz_app.test_client()
    tokens = _odd_tokens(fuzz_app)
    for path, method, operation in _operations(secured=True):
        for token in tokens:
            response = client.open(_url(path), method=method.upper(), headers={"Authorization": f"Bearer {token}"})
            _assert_refused_cleanly(response, path, method, operation, "odd claims")
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
