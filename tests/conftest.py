"""Test fixtures: a fresh database per test, built by the Alembic migrations.

SQLite (always): the migrations run once into a template file, copied for every test.
PostgreSQL (when TEST_DATABASE_URL is set): the migrations run once; every test starts from
empty tables (emptied after each test), so tests may commit and use real concurrent connections.
"""

import os
import shutil

import pytest
import responses
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.common import clock
from app.extensions import db
from app.sms import fake as fake_sms
from app.wechat import fake as fake_wechat
from tests.factories import make_staff, make_stores
from tests.helpers import (  # noqa: F401  (Api, error_code: still importable from here by older tests)
    ON_POSTGRES,
    TEST_DATABASE_URL,
    Api,
    empty_tables,
    error_code,
    login_member,
    login_staff,
)
from tests.wechat_live import live_application


def _worker_database(url):
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the given one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _migrate(url):
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    if ON_POSTGRES:
        url = _worker_database(TEST_DATABASE_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(database_template, tmp_path):
    if ON_POSTGRES:
        yield database_template
        empty_tables(database_template)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    fake_wechat.SENT.clear()
    fake_sms.SENT.clear()
    fake_sms.REPLIES.clear()
    fake_sms.REPORTS.clear()
    yield application
    clock.set_now(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def stores(app):
    return make_stores(app)


@pytest.fixture
def staff_tokens(app, api, stores):
    """Tokens for owner, marketing, cashier (store 1) and cashier2 (store 2)."""
    accounts = {
        "owner": ("owner", stores),
        "marketing": ("marketing", stores),
        "cashier": ("cashier", [stores[0]]),
        "cashier2": ("cashier", [stores[1]]),
    }
    make_staff(app, accounts)
    return {username: login_staff(api, username) for username in accounts}


@pytest.fixture
def member_login(api):
    return lambda code: login_member(api, code)


# --- WeChat in live mode: every call to WeChat is mocked ----------------------------------------------


@pytest.fixture
def live_settings():
    """Settings the live-mode app takes on top of the live WeChat ones; a module overrides this
    fixture to add its own (e.g. WECHAT_TEMPLATE_IDS)."""
    return {}


@pytest.fixture
def live_app(app, database_url, live_settings):
    """An app in WECHAT_MODE=live on the same database as ``app`` (which is made first, so a test
    may use both: members log in through the fake one)."""
    yield from live_application(database_url, **live_settings)


@pytest.fixture
def live_api(live_app):
    return Api(live_app.test_client())


@pytest.fixture
def wx():
    """Every WeChat call must be mocked (an unmocked one raises ConnectionError) and every mock used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
