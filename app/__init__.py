"""The Pitstop application factory."""

import importlib
import logging
from pathlib import Path

from flask import Flask

from app.common.http import init_http, install_log_redaction
from app.common.json_provider import ResponseJSONProvider
from app.common.openapi import ContractPlugin, finish_document
from app.common.ratelimit import init_rate_limits
from app.config import check_sms, load_config
from app.extensions import Api, db, migrate

# Domains are the packages under app/ (besides the shared ones). Each may have models.py (tables),
# routes.py (a flask-smorest Blueprint ``blp``, or a list ``blueprints``), jobs.py (scheduled jobs,
# declared with app.common.jobs.job when imported) and an ``init_app(app)`` in its __init__ (plugging
# itself into another domain's registry). Discovering them keeps this factory free of per-domain
# edits. What a settle, a refund or a login sets off across domains is listed in app/consequences.py.
SHARED_PACKAGES = {"common", "wechat"}


def domain_packages():
    root = Path(__file__).resolve().parent
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in SHARED_PACKAGES
    )


def _import_if_present(module_name):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return None


def import_models():
    """Import every table definition, so the metadata (and Alembic) sees the whole schema."""
    importlib.import_module("app.common.idempotency")
    importlib.import_module("app.common.deferred")
    importlib.import_module("app.common.scheduler_store")
    importlib.import_module("app.wechat.models")
    for name in domain_packages():
        _import_if_present(f"app.{name}.models")


def create_app(config_name=None, overrides=None):
    app = Flask(__name__)
    app.config.from_object(load_config(config_name))
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    check_sms(app.config)
    app.json = ResponseJSONProvider(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    register_extensions(app)
    register_blueprints(app)
    register_consequences()
    register_jobs()
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    import_models()
    db.init_app(app)
    init_rate_limits(app)
    init_http(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    contract = ContractPlugin(app)
    app.extensions["pitstop_api"] = Api(app, spec_kwargs={"extra_plugins": [contract]})
    app.extensions["pitstop_contract"] = contract
    # Domains register how their principals load from a token.
    from app.common.auth import register_principal_loader
    from app.members.services import load_member_actor
    from app.stores.services import load_staff_actor, staff_token_current

    register_principal_loader("member", load_member_actor)
    register_principal_loader("staff", load_staff_actor, current=staff_token_current)


def register_blueprints(app):
    api = app.extensions["pitstop_api"]
    for name in domain_packages():
        routes = _import_if_present(f"app.{name}.routes")
        for blueprint in getattr(routes, "blueprints", [getattr(routes, "blp", None)]):
            if blueprint is not None:
                api.register_blueprint(blueprint, url_prefix="/api/v1")
        package = importlib.import_module(f"app.{name}")
        if hasattr(package, "init_app"):
            package.init_app(app)
    finish_document(api, app.extensions["pitstop_contract"])


def register_consequences():
    """What a settle, a refund and a presented referral code set off in other domains (one module)."""
    from app import consequences

    consequences.subscribe()


def register_jobs():
    """Import every domain's jobs.py (its jobs register themselves); the jobs run in the merchant's timezone."""
    from app.common.jobs import register_timezone_provider
    from app.merchant.services import merchant_timezone

    register_timezone_provider(merchant_timezone)
    for name in domain_packages():
        _import_if_present(f"app.{name}.jobs")


def register_error_handlers(app):
    from app.common.errors import register_error_handlers as register

    register(app)


def register_commands(app):
    from app.cli import register_cli

    register_cli(app)
