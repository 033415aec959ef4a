"""Extension objects, created unbound; create_app() binds them. Imports nothing from the app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _SmorestApi
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

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
    """``<int:...>`` in a URL: at most a database integer, so a longer id is a 404, and the document says so."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(map, *args, **kwargs)


class Api(_SmorestApi):
    """flask-smorest Api whose errors use the one envelope of the whole service."""

    ERROR_SCHEMA = ErrorEnvelope

    def init_app(self, app, *args, **kwargs):
        # Before any blueprint: the routes are compiled with the converter present when they are added.
        app.url_map.converters["int"] = DatabaseIdConverter
        super().init_app(app, *args, **kwargs)

    def _register_error_handlers(self):
        # app.common.errors registers the handlers for every failure, HTTP ones included.
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)
# The OpenAPI-documenting Api holds one spec per app, so create_app() makes one per app.
