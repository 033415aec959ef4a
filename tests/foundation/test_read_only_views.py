"""Read-only views on PostgreSQL run on the reader engine (app/common/db.py): connections in
autocommit from their own pool, with no session around the precompiled reads. A write request never
gets one of those connections, and every statement of a write runs in its transaction."""

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app.common.db import reader_engine
from app.extensions import db
from tests.helpers import ON_POSTGRES, error_code

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="SQLite keeps its IMMEDIATE transactions")


@pytest.fixture
def statements():
    """(first keyword, whether the connection was in autocommit, its engine) of every statement any
    engine sends while the test runs."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper(), conn.connection.dbapi_connection.autocommit, conn.engine))

    event.listen(Engine, "before_cursor_execute", listener)
    yield seen
    event.remove(Engine, "before_cursor_execute", listener)


def _engines(app):
    with app.app_context():
        return db.engine, reader_engine(db.engine, app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def test_reads_run_in_autocommit_on_the_reader_and_writes_in_a_transaction(app, api, staff_tokens, statements):
    cashier = staff_tokens["cashier"]
    created = api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    assert created.status_code == 201
    app_engine, reader = _engines(app)
    for _ in range(3):
        statements.clear()
        items = api.get("/vehicles", cashier, query_string={"plate": "345"}).json["items"]
        assert [item["vehicle"]["plate"] for item in items] == ["粤B12345"]
        # The member search reads through the session (ORM): on the same connection.
        [found] = api.post("/members/search", cashier, json={"q": "5678"}).json["items"]
        assert found["nickname"] == "张伟"
        reads = list(statements)
        assert len(reads) >= 3
        assert all(autocommit and engine is reader for _, autocommit, engine in reads), reads
        assert not {"BEGIN", "COMMIT", "ROLLBACK"} & {keyword for keyword, _, _ in reads}

        statements.clear()
        created = api.post("/members", cashier, json={"phone": f"1391234560{_}", "plate": f"粤A1234{_}"})
        assert created.status_code == 201
        writes = list(statements)
        assert {"INSERT", "SELECT"} <= {keyword for keyword, _, _ in writes}
        assert all(not autocommit and engine is app_engine for _, autocommit, engine in writes), writes


def test_a_read_only_view_gives_its_connection_back(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    _app_engine, reader = _engines(app)
    for fragment in ("123", "456", "1"):  # the last one is refused (422) inside the view
        api.get("/vehicles", cashier, query_string={"plate": fragment})
    assert reader.pool.checkedout() == 0
    assert reader.pool.checkedin() == 1  # one connection, used by each request in turn
    with app.app_context():
        db.engine.dispose()  # as the tests and the processes' shutdown do: the reader's go too
    assert reader.pool.checkedin() == 0
    assert _engines(app)[1] is not reader


def test_a_lost_reader_connection_is_let_go_and_the_next_request_reads_on_a_new_one(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    assert api.get("/vehicles", cashier, query_string={"plate": "123"}).status_code == 200
    _app_engine, reader = _engines(app)
    with reader.connect() as connection:
        pid = connection.connection.dbapi_connection.info.backend_pid
    killer = create_engine(reader.url, poolclass=NullPool)
    with killer.connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    killer.dispose()
    lost = api.get("/vehicles", cashier, query_string={"plate": "123"})
    assert lost.status_code == 503 and error_code(lost) == "database_unavailable"
    assert api.get("/vehicles", cashier, query_string={"plate": "123"}).status_code == 200


@pytest.mark.parametrize("echo", [True, False])
def test_the_reader_logs_its_statements_when_the_app_does(database_url, echo):
    from app import create_app

    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ECHO": echo})
    try:
        app_engine, reader = _engines(application)
        assert app_engine.echo is echo
        assert reader.echo is echo
    finally:
        with application.app_context():
            db.engine.dispose()
