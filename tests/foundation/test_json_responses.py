"""Responses written by orjson (app/common/json_provider.py) are the bytes Flask's own provider wrote."""

import dataclasses
import datetime as dt
import decimal
import json
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from app.common.json_provider import ResponseJSONProvider


class _StandardProvider(DefaultJSONProvider):
    """What the service used before: Flask's provider, non-ASCII kept, keys in their order."""

    ensure_ascii = False
    sort_keys = False


class _OrjsonOnly(ResponseJSONProvider):
    """Ours, with the standard library's fallback taken away: what orjson alone writes."""

    def response(self, *args, **kwargs):
        original, DefaultJSONProvider.response = DefaultJSONProvider.response, None
        try:
            return super().response(*args, **kwargs)
        finally:
            DefaultJSONProvider.response = original


def _apps(debug=False, provider=ResponseJSONProvider):
    ours, standard = Flask("ours"), Flask("standard")
    ours.json, standard.json = provider(ours), _StandardProvider(standard)
    ours.debug = standard.debug = debug
    return ours, standard


def _outcome(app, document):
    with app.app_context():
        try:
            response = app.json.response(document)
        except Exception as error:  # the same failure, not a different one, is what is compared
            return type(error)
        return response.status_code, response.mimetype, response.get_data()


@dataclasses.dataclass
class _Line:
    name: str
    amount_fen: int


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.text(),  # every code point but lone surrogates: control characters, U+2028, emoji, Chinese
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-(10**6), 10**6)), children, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_DOCUMENTS)
def test_every_json_document_is_written_as_flask_wrote_it(document):
    ours, standard = _apps(provider=_OrjsonOnly)
    assert _outcome(ours, document) == _outcome(standard, document)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_the_same_numbers(number):
    ours, standard = _apps(provider=_OrjsonOnly)
    status, mimetype, body = _outcome(ours, {"value": number})
    assert (status, mimetype) == (200, "application/json")
    assert json.loads(body) == json.loads(_outcome(standard, {"value": number})[2])


@pytest.mark.parametrize(
    "document",
    [
        {"plate": "粤B12345", "nickname": '老王\n\t"引号"\\', "line": "\u2028"},
        {"on": dt.date(2026, 12, 5), "at": dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC)},  # Flask's HTTP date
        {"line": _Line("机油", 12800), "amount": decimal.Decimal("12.50"), "id": uuid.UUID(int=7)},
        {1: "integer key", None: "null key", 2.5: "float key"},
        {"too large for 64 bits": 2**64, "negative": -(2**63) - 1},  # written by the standard library
        ["nested" for _ in range(3)],
        json.loads("[" * 200 + "]" * 200),  # within orjson's limit
        {"lone surrogate": "\ud83d"},  # neither can encode it
        {"not json": object()},
        {"time of day": dt.time(8, 30)},
    ],
)
def test_odd_values_end_as_they_did(document):
    ours, standard = _apps()
    assert _outcome(ours, document) == _outcome(standard, document)


def test_deep_nesting_orjson_refuses_falls_back_to_the_standard_library():
    ours, standard = _apps()
    document = []
    for _ in range(400):  # past orjson's 254 levels
        document = [document]
    outcome = _outcome(ours, document)
    assert outcome == _outcome(standard, document)
    assert outcome[2].startswith(b"[[[[")


def test_debug_mode_answers_indented_json_as_before():
    ours, standard = _apps(debug=True)
    document = {"plate": "粤B12345", "items": [1, 2]}
    assert _outcome(ours, document) == _outcome(standard, document)
    assert b'\n  "plate": "\xe7\xb2\xa4B12345"' in _outcome(ours, document)[2]


def test_the_service_answers_through_it(client):
    assert isinstance(client.application.json, ResponseJSONProvider)
    response = client.get("/api/v1/vehicles?plate=粤B")  # no token: the error envelope
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_data().endswith(b"}\n")
    assert response.get_json()["error"]["code"] == "missing_token"
