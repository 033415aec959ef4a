"""Property-based fuzzing of the whole API against its own OpenAPI document (schemathesis).

Every documented operation gets generated requests (valid and invalid) as a caller its route
allows: a member, or staff as owner, cashier or marketing. A response must never be a server error,
and its status code, content type and body must be the ones the document promises.

The run is bounded (a dozen examples per operation, a fixed seed) so it stays fast and the
same in CI; widen it locally with FUZZ_EXAMPLES=500.
"""

import os
import re
import shutil

import hypothesis
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
from tests.helpers import ON_POSTGRES, Api, login_member
from tests.helpers import truncate_all as _truncate_all

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
        _truncate_all(url)


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
        db.session.commit()
    tokens = {}
    for role in ("owner", "marketing", "cashier"):
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
