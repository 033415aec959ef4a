"""The Pitstop application factory."""
import importlib
import logging
from pathlib import Path

from flask import Flask

from app.config import load_config
from app.extensions import Api, db, migrate

# Every module that defines tables, so the metadata (and Alembic) sees the whole schema.
MODEL_MODULES = (
    "app.common.idempotency",
    "app.wechat.models",
    "app.merchant.models",
    "app.stores.models",
    "app.members.models",
)
BLUEPRINT_MODULES = (
    "app.auth.routes",
    "app.merchant.routes",
    "app.stores.routes",
    "app.members.routes",
    "app.members.tier_routes",
)


def create_app(config_name=None, overrides=None):
    app = Flask(__name__)
    app.config.from_object(load_config(config_name))
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    for module_name in MODEL_MODULES:
        importlib.import_module(module_name)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    app.extensions["pitstop_api"] = Api(app)
    # Domains register how their principals load from a token.
    from app.common.auth import register_principal_loader
    from app.members.services import load_member_actor
    from app.stores.services import load_staff_actor

    register_principal_loader("member", load_member_actor)
    register_principal_loader("staff", load_staff_actor)


def register_blueprints(app):
    api = app.extensions["pitstop_api"]
    for module_name in BLUEPRINT_MODULES:
        module = importlib.import_module(module_name)
        api.register_blueprint(module.blp, url_prefix="/api/v1")


def register_error_handlers(app):
    from app.common.errors import register_error_handlers as register

    register(app)


def register_commands(app):
    from app.cli import register_cli

    register_cli(app)
