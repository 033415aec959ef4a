"""Extension objects, created unbound; create_app() binds them. From the app it imports only how
requests are read (app/common/arguments.py), which imports nothing from the app."""

import threading
from contextvars import ContextVar
from http import HTTPStatus

from apispec import BasePlugin
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint as _SmorestBlueprint
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

from app.common.arguments import ArgumentsParser

# Ids are 32-bit integer columns; a longer number must never reach the database (SQLite and
# PostgreSQL both fail on it with a server error).
DATABASE_INT_MAX = 2**31 - 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorBody, required=True)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in a URL: an id from 1 to the largest database integer, so another number is a 404,
    and the document says so."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(map, *args, **kwargs)


class ErrorResponsesPlugin(BasePlugin):
    """Documents the error envelope's statuses on every operation, from what the route declares.

    A route with a bearer token answers 401 and 403; one with ids in its path, body or query 404;
    one that reads a body or query 400 (malformed JSON or a broken business rule) and 422; one that
    writes 409 (a conflict with the current state); a body may be too large (413) or not JSON (415); a rate-limited
    route 429. Routes add their own (a login's 401) with ``alt_response``.
    Anything else (503 while the database is away) stays under ``default``.
    """

    WRITES = ("post", "put", "patch", "delete")

    def __init__(self, api):
        super().__init__()
        self.api = api

    def _rate_limited(self, rule, method):
        view = self.api._app.view_functions.get(rule.endpoint)
        handler = getattr(getattr(view, "view_class", None), method, view)
        # Flask-Limiter keeps the names of the views its decorators limit.
        return handler is not None and get_qualified_name(handler) in limiter._marked_for_limiting

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            reads_input = (
                "requestBody" in operation
                or any(isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", ()))
                or "422" in map(str, responses)
            )
            statuses = []
            if reads_input or method in self.WRITES:
                statuses.append(400)
            if operation.get("security"):
                statuses += [401, 403]
            if reads_input or (rule is not None and rule.arguments):
                statuses.append(404)  # an id in the path, body or query names no row
            if method in self.WRITES:
                statuses.append(409)
            if "requestBody" in operation:
                statuses += [413, 415]
            if reads_input:
                statuses.append(422)
            if rule is not None and self._rate_limited(rule, method):
                statuses.append(429)
            documented = set(map(str, responses))
            for status in statuses:
                if str(status) not in documented:
                    responses[str(status)] = HTTPStatus(status).name


class Api(_SmorestApi):
    """flask-smorest Api whose errors use the one envelope of the whole service, and whose routes are
    documented when the document is first asked for (``document``), not at every start of the app."""

    ERROR_SCHEMA = ErrorEnvelope

    def init_app(self, app, *args, **kwargs):
        # Before any blueprint: the routes are compiled with the converter present when they are added.
        app.url_map.converters["int"] = DatabaseIdConverter
        self._undocumented = []  # (blueprint, name, parameters) registered and not yet in the document
        self._documenting = threading.Lock()
        super().init_app(app, *args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        # flask-smorest's, with the documenting put off: building the document from the schemas was
        # three quarters of create_app(), paid by every worker, the scheduler and every test, while
        # only /openapi.json and `flask openapi` read it.
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def document(self):
        """Adds the blueprints registered so far to the document, in the order they were registered
        (what flask-smorest does in register_blueprint); idempotent and safe from concurrent requests."""
        with self._documenting:
            while self._undocumented:
                blp, name, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                self.spec.tag({"name": name, "description": blp.description})

    def _init_spec(self, *, extra_plugins=None, **kwargs):
        # The statuses first: plugins given by the app (app/common/openapi.py) document their codes.
        plugins = [ErrorResponsesPlugin(self), *(extra_plugins or ())]
        super()._init_spec(extra_plugins=plugins, **kwargs)

    def _register_error_handlers(self):
        # app.common.errors registers the handlers for every failure, HTTP ones included.
        pass


# Set before any routes module is imported: each route's argument decorator takes the parser then.
_SmorestBlueprint.ARGUMENTS_PARSER = ArgumentsParser()


# The connection of the read-only view running now (app/common/transaction.py: read_only; set and
# read through app/common/db.py).
READ_CONNECTION = ContextVar("read_connection", default=None)


class _Session(_FlaskSession):
    """Flask-SQLAlchemy's session, except that inside a read-only view every statement runs on
    that view's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            reading = READ_CONNECTION.get()
            if reading is not None:
                return reading
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": _Session})
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)
# The OpenAPI-documenting Api holds one spec per app, so create_app() makes one per app.
