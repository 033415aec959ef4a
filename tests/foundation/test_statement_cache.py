"""PostgreSQL connections keep their prepared statements across a rollback
(app/common/statement_cache.py), and still forget them when the schema or the session's
statements change."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.helpers import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="psycopg's prepared statements on PostgreSQL")

STATEMENT = text("SELECT count(*) FROM stores WHERE id > :floor")
PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM stores WHERE id >%'")


def _run_often(connection, times=6):
    # psycopg prepares a statement the sixth time it runs on a connection (prepare_threshold 5).
    return [connection.scalar(STATEMENT, {"floor": n}) for n in range(times)]


def test_a_rollback_keeps_the_statements_prepared_on_the_connection(app):
    with app.app_context(), db.engine.connect() as connection:
        _run_often(connection)
        assert connection.scalar(PREPARED) == 1
        connection.rollback()  # what ends every request that only read
        assert connection.scalar(PREPARED) == 1
        assert _run_often(connection, 2) == [0, 0]  # run from the kept statement, no error
        connection.rollback()


def test_a_savepoint_rolled_back_and_a_failed_transaction_keep_them_too(app):
    with app.app_context(), db.engine.connect() as connection:
        savepoint = connection.begin_nested()  # a quote prices in a savepoint it rolls back
        _run_often(connection)
        savepoint.rollback()
        assert connection.scalar(PREPARED) == 1
        with pytest.raises(Exception, match="division by zero"):
            connection.scalar(text("SELECT 1 / 0"))
        connection.rollback()
        assert connection.scalar(PREPARED) == 1
        assert connection.scalar(STATEMENT, {"floor": 0}) == 0
        connection.rollback()


def test_a_change_of_the_sessions_statements_clears_them_as_psycopg_does(app):
    with app.app_context(), db.engine.connect() as connection:
        _run_often(connection)
        connection.exec_driver_sql("DEALLOCATE ALL")
        assert connection.scalar(PREPARED) == 0
        # psycopg forgot them as well: the next runs prepare the statement again, without an error.
        assert _run_often(connection) == [0] * 6
        assert connection.scalar(PREPARED) == 1
        connection.exec_driver_sql("CREATE TEMPORARY TABLE scratch (id integer)")
        connection.exec_driver_sql("DROP TABLE scratch")
        assert connection.scalar(PREPARED) == 0
        connection.rollback()
