"""Flat query strings and headers read without a marshmallow load (app/common/arguments.py:
FlatLoader) give exactly what the schema's load gives, and leave every error to the schema."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import Headers, MultiDict

from app.common.arguments import FlatLoader
from app.extensions import _SmorestBlueprint


def _argument_schemas(app):
    """{schema class: location} of every query-string and header schema the routes read."""
    found = {}
    for view in app.view_functions.values():
        view_class = getattr(view, "view_class", None)
        handlers = [view] + [
            getattr(view_class, m)
            for m in ("get", "post", "patch", "put", "delete")
            if view_class and hasattr(view_class, m)
        ]
        for handler in handlers:
            for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if parameter["in"] in ("query", "headers"):
                    found[parameter["schema"]] = parameter["in"]
    return found


@pytest.fixture(scope="module")
def flat_schemas():
    from app import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    parser = _SmorestBlueprint.ARGUMENTS_PARSER
    schemas = []
    for schema_class, location in _argument_schemas(app).items():
        schema = parser._get_schema(schema_class, None)
        loader = FlatLoader.for_schema(schema)
        if loader is not None:
            keys = [field.data_key or name for name, field in schema.load_fields.items()]
            schemas.append((schema_class, location, loader, keys))
    return app, schemas


_ODD_VALUES = [
    "",
    "0",
    "1",
    "3",
    "20",
    "100",
    "101",
    "100000",
    "100001",
    "2147483647",
    "2147483648",
    "99999999999",
    "-1",
    "+1",
    " 1",
    "1 ",
    "1_0",
    "007",
    "１",
    "٣",
    "1e3",
    "1.0",
    "true",
    "abc",
    "B123",
    "粤B12345",
    "粤",
    "a\x00b",
    "x" * 16,
    "x" * 17,
    "x" * 2048,
    "x" * 2049,
    "2026-12-05",
    "unused",
    "draft",
    "cashier",
]
_VALUES = st.one_of(st.sampled_from(_ODD_VALUES), st.text(max_size=12), st.from_regex(r"\A[0-9]{1,12}\Z"))


def _answers(app, schema_class, location, values, loader):
    """For one request carrying ``values``: what the stock parser gives (a marshmallow load, its
    errors a 422) and what ``loader`` reads from the request's own query string or headers."""
    parser = _SmorestBlueprint.ARGUMENTS_PARSER
    if location == "headers":
        context = app.test_request_context("/", headers=Headers(list(values.items(multi=True))))
    else:
        context = app.test_request_context("/", query_string=values)
    with context:
        from flask import request

        fast = loader.load(request.headers if location == "headers" else request.args) if loader else None
        try:
            return FlaskParser.parse(parser, schema_class, request, location=location), fast
        except Exception as error:  # noqa: BLE001 -- the refusal is what is compared
            return type(error), fast


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flat_loading_answers_as_the_schema_or_leaves_it_to_the_schema(flat_schemas, data):
    app, schemas = flat_schemas
    schema_class, location, loader, keys = data.draw(st.sampled_from(schemas))
    names = st.sampled_from([*keys, "junk", *(key.lower() for key in keys)])
    pairs = data.draw(st.lists(st.tuples(names, _VALUES), max_size=6))
    if location == "headers":  # no header carries a line break
        pairs = [(name, value) for name, value in pairs if "\r" not in value and "\n" not in value]
    expected, fast = _answers(app, schema_class, location, MultiDict(pairs), loader)
    if isinstance(expected, type):  # the schema refuses it: so does the flat loader, leaving it the error
        assert fast is None
    elif fast is not None:
        assert fast == expected


def test_most_query_schemas_are_flat_and_the_counter_lookups_are(flat_schemas):
    _app, schemas = flat_schemas
    names = {schema_class.__name__ for schema_class, *_ in schemas}
    assert {"PlateQuery", "MemberCardHeader", "MemberSearchQuery", "PageQuery"} <= names
    assert len(names) >= 15


@pytest.mark.parametrize(
    ("query", "loaded"),
    [
        ({"plate": "B123"}, {"plate": "B123", "page": 1, "per_page": 20}),
        (
            {"plate": "粤B12345", "page": "3", "per_page": "10", "utm": "x"},
            {"plate": "粤B12345", "page": 3, "per_page": 10},
        ),
        ({}, {"page": 1, "per_page": 20}),
    ],
)
def test_the_plate_lookups_arguments_are_read_without_the_schema(flat_schemas, query, loaded):
    from app.members.schemas import PlateQuery

    app, schemas = flat_schemas
    loader = next(loader for schema_class, _location, loader, _keys in schemas if schema_class is PlateQuery)
    assert _answers(app, PlateQuery, "query", MultiDict(query), loader) == (loaded, loaded)


def test_a_scanned_card_header_is_read_without_the_schema(flat_schemas):
    from app.members.schemas import MemberCardHeader

    _app, schemas = flat_schemas
    loader = next(loader for schema_class, _location, loader, _keys in schemas if schema_class is MemberCardHeader)
    assert loader.load(Headers({"member-card-token": "abc.def.ghi"})) == {"card_token": "abc.def.ghi"}
    assert loader.load(Headers({"Authorization": "Bearer x"})) == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"plate": "B123", "per_page": "0"}, "per_page"),
        ({"plate": "B123", "page": "-1"}, "page"),
        ({"plate": "a\x00b"}, "plate"),
    ],
)
def test_a_refused_argument_is_still_the_schemas_error(api, staff_tokens, query, field):
    response = api.get("/vehicles", staff_tokens["cashier"], query_string=query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]["fields"]) == [field]
