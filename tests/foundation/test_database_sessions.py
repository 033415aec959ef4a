"""Session settings every connection to the database gets (app/common/db.py)."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.helpers import ON_POSTGRES


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's JIT setting")
def test_postgresql_sessions_run_without_jit_in_and_out_of_transactions(app):
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.rollback()  # a rolled-back transaction does not undo the session's setting
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            assert connection.scalar(text("SHOW jit")) == "off"


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's pragmas")
def test_sqlite_connections_enforce_foreign_keys_and_wait_for_locks(app):
    with app.app_context():
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 15000
