"""Extension objects, created unbound; create_app() binds them. Imports nothing from the app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _SmorestApi
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

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


class Api(_SmorestApi):
    """flask-smorest Api whose errors use the one envelope of the whole service."""

    ERROR_SCHEMA = ErrorEnvelope

    def _register_error_handlers(self):
        # app.common.errors registers the handlers for every failure, HTTP ones included.
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)
# The OpenAPI-documenting Api holds one spec per app, so create_app() makes one per app.
