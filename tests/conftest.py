"""Test fixtures: a fresh database per test, built by the Alembic migrations.

SQLite (always): the migrations run once into a template file, copied for every test.
PostgreSQL (when TEST_DATABASE_URL is set): the migrations run once; every test starts from
empty tables (truncated after each test), so tests may commit and use real concurrent connections.
"""

import os
import shutil

import pytest
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.common import clock
from app.extensions import db
from app.wechat import fake as fake_wechat

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)


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


def _truncate_all(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    if ON_POSTGRES:
        yield database_template
        _truncate_all(database_template)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    fake_wechat.SENT.clear()
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


class Api:
    """A thin client: JSON in, (status, json) out, tokens by name."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, token=None, json=None, headers=None, **kwargs):
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(f"/api/v1{path}", method=method, json=json, headers=all_headers, **kwargs)
        return response

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def post(self, path, token=None, json=None, **kwargs):
        return self.call("POST", path, token, json=json, **kwargs)

    def patch(self, path, token=None, json=None, **kwargs):
        return self.call("PATCH", path, token, json=json, **kwargs)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def stores(app):
    from app.stores.services import create_store

    with app.app_context():
        ids = [create_store(name="南山店").id, create_store(name="福田店").id]
        db.session.commit()
    return ids


@pytest.fixture
def staff_tokens(app, api, stores):
    """Tokens for owner, marketing, cashier (store 1) and cashier2 (store 2)."""
    from app.stores.services import create_staff

    accounts = {
        "owner": ("owner", stores),
        "marketing": ("marketing", stores),
        "cashier": ("cashier", [stores[0]]),
        "cashier2": ("cashier", [stores[1]]),
    }
    with app.app_context():
        for username, (role, store_ids) in accounts.items():
            create_staff(username=username, password="password-123", role=role, store_ids=store_ids)
        db.session.commit()
    tokens = {}
    for username in accounts:
        response = api.post("/auth/staff/login", json={"username": username, "password": "password-123"})
        assert response.status_code == 200, response.json
        tokens[username] = response.json["token"]
    return tokens


def login_member(api, code):
    response = api.post("/auth/wechat/login", json={"code": code})
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


@pytest.fixture
def member_login(api):
    return lambda code: login_member(api, code)


def error_code(response):
    body = response.get_json()
    assert body is not None and "error" in body, response.data[:300]
    return body["error"]["code"]
