"""The OpenAPI document is exact enough for a code generator (openapi-typescript + openapi-fetch).

Each test walks the whole document (every operation, every schema reachable from it) and names
each place that breaks its rule, so a new route or schema that does not follow the conventions in
docs/api-conventions.md ("The OpenAPI document") fails here.
"""

import ast
import re
from pathlib import Path

import jsonschema_rs
import pytest
from flask_smorest import Blueprint
from flask_smorest.utils import load_info_from_docstring

from app import create_app
from app.common import error_codes
from app.common.auth import owner_only
from app.common.errors import AppError, Conflict
from app.common.openapi import handler_of
from app.common.transaction import unit_of_work
from app.stores import services as store_services
from app.stores.schemas import StoreRead
from tests.hardening.access_world import build_world, close_world_app, open_world_app
from tests.hardening.test_access_matrix import ACTORS, MATRIX, R, call
from tests.helpers import run_together

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")
# A choice string: a status, kind, type, role, tender, lifecycle or value class (alone or as a suffix).
CHOICE_NAME = re.compile(r"(^|_)(status|kind|type|role|tender|lifecycle|value_class)$")
# ``ref_type`` names the kind of row a ledger entry points at, ``entity_type`` the kind of row an
# audit entry is about; both are open-ended (each domain adds its own).
OPEN_CHOICES = {"ref_type", "used_ref_type", "entity_type"}
ID_NAME = re.compile(r"^(id|\w+_id)$")
ROLE_NOTE = re.compile(r"(Roles: [a-z, ]+\.|Public: no token needed\.)$")


@pytest.fixture(scope="module")
def application():
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture(scope="module")
def document(application):
    response = application.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method], item.get("parameters", [])


def _component(document, ref):
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _nodes(schema, where):
    """Every schema node inside ``schema`` (not following $ref), with where it is."""
    yield where, schema
    for name, prop in schema.get("properties", {}).items():
        yield from _nodes(prop, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], f"{where}{{}}")
    for key in ("allOf", "oneOf", "anyOf"):
        for index, option in enumerate(schema.get(key, ())):
            yield from _nodes(option, f"{where}.{key}[{index}]")


def _all_nodes(document):
    for name, schema in document["components"]["schemas"].items():
        yield from _nodes(schema, name)
    for path, method, operation, shared in _operations(document):
        for parameter in [*shared, *operation.get("parameters", [])]:
            yield from _nodes(parameter["schema"], f"{method.upper()} {path} {parameter['in']}:{parameter['name']}")


def _refs(node, found):
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"] not in found:
            found.add(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _reachable(document, start):
    seen, todo = set(), list(_refs(start, set()))
    while todo:
        ref = todo.pop()
        if ref in seen or not ref.startswith("#/components/schemas/"):
            continue
        seen.add(ref)
        todo.extend(_refs(_component(document, ref), set()))
    return {ref.rsplit("/", 1)[1] for ref in seen}


def _response_schemas(document):
    responses = [operation["responses"] for _, _, operation, _ in _operations(document)]
    return _reachable(document, responses) - {
        "ErrorEnvelope",
        "ErrorBody",
        "ErrorCode",
        "ErrorDetail",
        "ErrorDetailObject",
    }


def _typed(node):
    return any(key in node for key in ("type", "$ref", "allOf", "oneOf", "anyOf"))


def test_every_schema_node_has_a_type_and_no_open_object(document):
    untyped = [where for where, node in _all_nodes(document) if not _typed(node)]
    open_objects = [
        where
        for where, node in _all_nodes(document)
        if node.get("type") == "object"
        and "properties" not in node
        and not isinstance(node.get("additionalProperties"), dict)
        or node.get("additionalProperties") == {}
    ]
    untyped_items = [
        where for where, node in _all_nodes(document) if node.get("type") == "array" and not node.get("items")
    ]
    assert untyped == [] and open_objects == [] and untyped_items == []


def test_every_response_schema_requires_every_field_it_always_dumps(document):
    names = _response_schemas(document)
    assert {"WorkOrderRead", "MemberStaffRead", "WorkOrderPage"} <= names
    missing = []
    for name in sorted(names):
        schema = document["components"]["schemas"][name]
        for prop, node in schema.get("properties", {}).items():
            if prop not in schema.get("required", ()) and not node.get("x-omitted"):
                missing.append(f"{name}.{prop}")
    assert missing == []


def test_every_choice_string_has_an_enum(document):
    missing = []
    for where, node in _all_nodes(document):
        name = re.split(r"[.:]", where)[-1].removesuffix("[]")
        inner = node.get("items", node) if node.get("type") == "array" else node
        if CHOICE_NAME.search(name) and name not in OPEN_CHOICES and inner.get("type") == "string":
            if "enum" not in inner:
                missing.append(where)
    assert missing == []


def test_nullable_fields_read_as_t_or_null(document):
    problems = []
    for where, node in _all_nodes(document):
        if {"type": "object", "nullable": True} in node.get("anyOf", ()):
            problems.append(f"{where}: nullable $ref as anyOf (a generator reads an empty object)")
        if node.get("nullable") and "enum" in node and None not in node["enum"]:
            problems.append(f"{where}: nullable enum without null")
        if "$ref" in node and len(node) > 1:
            problems.append(f"{where}: $ref with siblings (ignored in OpenAPI 3.0)")
    assert problems == []
    nullable = document["components"]["schemas"]["WorkOrderRead"]["properties"]["settled_at"]
    assert nullable["nullable"] is True and nullable["type"] == "string"
    nested = document["components"]["schemas"]["VehicleRead"]["properties"]["next_maintenance"]
    assert nested["nullable"] is True and nested["allOf"] == [{"$ref": "#/components/schemas/NextMaintenance"}]


def test_ids_start_at_one(document):
    wrong = []
    for where, node in _all_nodes(document):
        name = re.split(r"[.:]", where)[-1]
        if name.endswith("_ids[]"):
            name = "x_id"
        if ID_NAME.match(name) and node.get("type") == "integer" and node.get("minimum") != 1:
            wrong.append(f"{where}: minimum {node.get('minimum')}")
    assert wrong == []


def _idempotent_views():
    """(module, function qualname) of every view decorated with unit_of_work(idempotent=True), read
    from the routes' source: independent of the flag the document is built from."""
    found = set()
    for path in sorted((ROOT / "app").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for parent in ast.walk(tree):
            if not isinstance(parent, (ast.Module, ast.ClassDef)):
                continue
            for node in parent.body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                for decorator in node.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and getattr(decorator.func, "id", None) == "unit_of_work"
                        and any(k.arg == "idempotent" and getattr(k.value, "value", None) for k in decorator.keywords)
                    ):
                        prefix = f"{parent.name}." if isinstance(parent, ast.ClassDef) else ""
                        found.add((module, prefix + node.name))
    return found


def _innermost(function):
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def _operation_handlers(application, document):
    """(path, method) of the document -> the function the route runs."""
    handlers = {}
    for rule in application.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if path in document["paths"]:
                handlers[(path, method.lower())] = handler_of(application, rule, method)
    return handlers


def test_idempotency_key_is_declared_on_exactly_the_value_moving_operations(application, document):
    expected = _idempotent_views()
    assert len(expected) >= 10  # settle, refunds, top-ups, payments, card sales...
    handlers = _operation_handlers(application, document)
    wrong, covered = [], set()
    for path, method, operation, _ in _operations(document):
        view = _innermost(handlers[(path, method)])
        key = (view.__module__, view.__qualname__)
        declares = any(
            p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in operation.get("parameters", ())
        )
        if declares != (key in expected):
            wrong.append(f"{method.upper()} {path}: declares {declares}")
        covered.add(key)
    assert wrong == []
    assert expected <= covered, "an idempotent view that no documented operation runs"


def test_each_operation_lists_the_codes_it_can_answer_under_its_statuses(document):
    catalogue = document["x-error-codes"]
    problems = []
    for path, method, operation, _ in _operations(document):
        where = f"{method.upper()} {path}"
        codes = operation.get("x-error-codes")
        if not codes:
            problems.append(f"{where}: no x-error-codes")
            continue
        problems += [f"{where}: {code} not in the catalogue" for code in codes if code not in catalogue]
        statuses = {s for s in operation["responses"] if s != "default"}
        for code in codes:
            if code in catalogue and not {str(s) for s in catalogue[code]["statuses"]} & statuses:
                problems.append(f"{where}: {code} answers a status the operation does not list")
        for status, response in operation["responses"].items():
            if status not in ("default",) and int(status) >= 400:
                named = set(re.findall(r"`(\w+)`", response.get("description", "")))
                if not named or not named <= set(codes):
                    problems.append(f"{where}: {status} names no codes, or codes it does not list")
        if operation.get("security") and not {"missing_token", "forbidden", "token_expired"} <= set(codes):
            problems.append(f"{where}: a secured operation without the token codes")
    assert problems == []


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        ("post", "/api/v1/auth/staff/login", {"invalid_credentials", "validation_error", "rate_limited"}),
        (
            "post",
            "/api/v1/work-orders/{work_order_id}/settle",
            {"tenders_do_not_add_up", "insufficient_balance", "idempotency_key_reused", "work_order_not_found"},
        ),
        ("post", "/api/v1/members/{member_id}/topups", {"topup_plan_not_found", "invalid_idempotency_key"}),
        ("get", "/api/v1/stores", {"missing_token", "token_revoked"}),
    ],
)
def test_codes_are_followed_from_the_view_through_the_services_it_calls(document, method, path, codes):
    assert codes <= set(document["paths"][path][method]["x-error-codes"])


def _codes_written_in_app():
    """Every code written in app/, found by pattern (a second reading, independent of the AST walk):
    the first argument of an AppError class or of a helper whose first parameter is ``code``, a
    ``code=`` keyword of an AppError class, an ``error_response`` call, a class's ``code = "..."``."""
    classes, todo = set(), [AppError]
    while todo:
        cls = todo.pop()
        classes.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    sources = [path.read_text() for path in (ROOT / "app").rglob("*.py")]
    helpers = {name for text in sources for name in re.findall(r"def (\w+)\(code\b", text)}
    names = "|".join(sorted(classes | helpers))
    patterns = [
        re.compile(rf"\b(?:{names})\(\s*\"([a-z][a-z0-9_]*)\""),
        re.compile(rf"\b(?:{names})\([^()]*?\bcode=\"([a-z][a-z0-9_]*)\""),
        re.compile(r"\berror_response\(\s*\"([a-z][a-z0-9_]*)\""),
        re.compile(r"^\s+code = \"([a-z][a-z0-9_]*)\"", re.MULTILINE),
    ]
    found = set()
    for text in sources:
        for pattern in patterns:
            found.update(pattern.findall(text))
    return found


def test_the_catalogue_has_every_code_written_in_app_with_its_meaning(document):
    catalogue = document["x-error-codes"]
    written = _codes_written_in_app()
    assert len(written) > 100
    assert sorted(written - set(catalogue)) == []
    assert sorted(set(error_codes._HTTP_CODES.values()) - set(catalogue)) == []
    assert [code for code, entry in catalogue.items() if not entry["meaning"].strip()] == []
    assert document["components"]["schemas"]["ErrorCode"]["enum"] == list(catalogue)
    assert document["components"]["schemas"]["ErrorBody"]["properties"]["code"] == {
        "$ref": "#/components/schemas/ErrorCode"
    }


def test_docs_errors_md_is_the_catalogue_rendered():
    path = ROOT / "docs" / "errors.md"
    assert path.read_text() == error_codes.render_markdown(), "run: flask openapi errors-doc"


EXAMPLES = [
    ("post", "/api/v1/auth/staff/login"),
    ("post", "/api/v1/auth/wechat/login"),
    ("post", "/api/v1/work-orders"),
    ("post", "/api/v1/work-orders/{work_order_id}/settle"),
    ("post", "/api/v1/work-orders/{work_order_id}/quote"),
    ("post", "/api/v1/me/topups"),
    ("post", "/api/v1/members/{member_id}/topups"),
    ("post", "/api/v1/segments"),
    ("post", "/api/v1/segments/preview"),
    ("post", "/api/v1/campaigns"),
]


def _json_schema(node):
    """OpenAPI 3.0 nullable as JSON Schema, for checking examples."""
    if isinstance(node, list):
        return [_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items() if not key.startswith("x-")}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.mark.parametrize(("method", "path"), EXAMPLES)
def test_main_request_bodies_have_an_example_their_schema_accepts(document, method, path):
    content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    assert content.get("example"), "no example"
    root = {"components": _json_schema(document["components"]), **_json_schema(content["schema"])}
    jsonschema_rs.validator_for(root).validate(content["example"])


def test_descriptions_keep_the_docstring_beside_the_roles_the_decorators_admit(application, document):
    handlers = _operation_handlers(application, document)
    wrong = []
    for path, method, operation, _ in _operations(document):
        handler = handlers[(path, method)]
        roles = getattr(handler, "_roles", None)
        note = f"Roles: {', '.join(roles)}." if roles else "Public: no token needed."
        description = operation.get("description", "")
        docstring = load_info_from_docstring(_innermost(handler).__doc__).get("description")
        if not description.endswith(note) or (docstring and not description.startswith(docstring)):
            wrong.append(f"{method.upper()} {path}: {description!r}")
        if not operation.get("summary"):
            wrong.append(f"{method.upper()} {path}: no summary (the docstring's first line)")
    assert wrong == []


@pytest.fixture(scope="module")
def world(database_template, tmp_path_factory):
    app, url = open_world_app(database_template, tmp_path_factory)
    yield build_world(app, url)
    close_world_app(app, url)


def test_every_read_answers_what_its_document_promises_on_real_rows(world):
    """Every GET of the access matrix, as each caller that may read it, over the access world's rows
    (one of everything): the body must match its documented schema, so a field dumped as null
    without nullable, a value outside its enum or a required field left out fails here."""
    document = world.api.client.get("/api/v1/openapi.json").get_json()
    components = _json_schema(document["components"])
    failures, checked = [], 0
    for (method, rule), who in MATRIX.items():
        if method != "GET":
            continue
        path = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
        if path not in document["paths"]:  # the document itself
            continue
        content = document["paths"][path]["get"]["responses"]["200"].get("content", {}).get("application/json")
        if content is None:
            continue
        validator = jsonschema_rs.validator_for({"components": components, **_json_schema(content["schema"])})
        for actor, expected in zip(ACTORS, who.expected, strict=False):
            if expected != R:
                continue
            response = call(world, actor, method, rule)
            checked += 1
            errors = [f"{e.instance_path}: {e.message}"[:200] for e in validator.iter_errors(response.get_json())]
            if errors:
                failures.append(f"GET {rule} as {actor}: {errors[:3]}")
    assert checked > 50
    assert failures == []


def test_a_new_route_is_documented_from_its_decorators_and_the_code_it_reaches():
    """No list to update: a route added tomorrow gets its roles, its Idempotency-Key and its codes."""
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    blueprint = Blueprint("probe", __name__)

    @blueprint.route("/probes/<int:store_id>", methods=["POST"])
    @owner_only
    @unit_of_work(idempotent=True)
    @blueprint.response(200, StoreRead)
    def probe(store_id):
        """Probe a store

        Refuses a store that is already probed.
        """
        store = store_services.get_store(store_id)
        if store.name:
            raise Conflict("store_already_probed", "This store was probed.")
        return store

    application.extensions["pitstop_api"].register_blueprint(blueprint, url_prefix="/api/v1")
    document = application.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/probes/{store_id}"]["post"]
    assert operation["summary"] == "Probe a store"
    assert operation["description"] == "Refuses a store that is already probed.\n\nRoles: owner."
    assert {"store_already_probed", "store_not_found", "idempotency_key_reused", "missing_token"} <= set(
        operation["x-error-codes"]
    )
    assert "store_already_probed" in operation["responses"]["409"]["description"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]


def test_the_app_starts_without_the_document_and_builds_it_once_when_first_asked_for(document):
    """Building the document is most of a start; workers, the scheduler and tests start without it."""
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    api = application.extensions["pitstop_api"]
    registered = [name for _, name, _ in api._undocumented]  # routed, not yet documented
    assert {"work-orders", "wallet", "stores"} <= set(registered)
    assert application.url_map.bind("localhost").match("/api/v1/stores", method="GET")

    # Three first readers at once: each gets the whole document, built once, as a fresh app builds it.
    answers = run_together(*[lambda: application.test_client().get("/api/v1/openapi.json").get_json()] * 3)
    assert api._undocumented == []
    assert answers == [document] * 3
    assert [tag["name"] for tag in document["tags"]] == registered
