"""Losing the database connection in the middle of a request, on purpose.

``ConnectionDrop`` hooks the app's engine and breaks the connection of the request under test just
before the ``nth`` statement that starts with ``statement`` (or just before COMMIT):

- ``terminate`` (PostgreSQL): ``pg_terminate_backend`` on that connection's server process, from a
  separate connection, so the server ends the session and rolls back what it held, as when the
  database restarts or a proxy cuts the link. The statement then meets a dead socket.
- ``close`` (SQLite): the DBAPI connection is closed underneath SQLAlchemy.
- ``raise`` (SQLite): the driver raises ``OperationalError`` as if the disk or link failed.

``LostCommitAcknowledgement`` lets the server commit and then loses the connection before the
answer is read: the one case where the client is told of a failure for work that was kept.
"""

import sqlite3

from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool


class ConnectionDrop:
    def __init__(self, engine, *, how, statement=None, nth=1, at_commit=False):
        if how not in ("terminate", "close", "raise") or (how == "raise" and at_commit):
            # SQLAlchemy runs the commit hook outside its error handling: a raise there is no driver error.
            raise ValueError(f"cannot drop by {how!r} {'at commit' if at_commit else ''}")
        self.engine, self.how, self.statement, self.nth, self.at_commit = engine, how, statement, nth, at_commit
        self.seen = 0
        self.dropped = False
        self._killer = create_engine(engine.url, poolclass=NullPool) if how == "terminate" else None

    def __enter__(self):
        if self.at_commit:
            event.listen(self.engine, "commit", self._before_commit)
        else:
            event.listen(self.engine, "before_cursor_execute", self._before_statement)
        return self

    def __exit__(self, *exc):
        if self.at_commit:
            event.remove(self.engine, "commit", self._before_commit)
        else:
            event.remove(self.engine, "before_cursor_execute", self._before_statement)
        if self._killer is not None:
            self._killer.dispose()

    def _before_statement(self, conn, cursor, statement, parameters, context, executemany):
        # Compared with its whitespace collapsed: a compiled WITH breaks its line after "AS".
        if self.dropped or not " ".join(statement.split()).startswith(self.statement):
            return
        self.seen += 1
        if self.seen == self.nth:
            self._drop(conn)

    def _before_commit(self, conn):
        if not self.dropped:
            self._drop(conn)

    def _drop(self, conn):
        self.dropped = True
        dbapi_connection = conn.connection.dbapi_connection
        if self.how == "terminate":
            pid = dbapi_connection.info.backend_pid
            with self._killer.connect() as killer:
                # The timeout makes the call wait until the process is gone, so the next statement
                # surely meets a closed connection.
                ended = killer.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            assert ended, f"backend {pid} survived"
        elif self.how == "close":
            dbapi_connection.close()
        else:
            raise sqlite3.OperationalError("disk I/O error")


class LostCommitAcknowledgement:
    """The first COMMIT succeeds on the server, then the connection is gone before the reply is read."""

    def __init__(self, engine):
        self.dialect = engine.dialect
        self.committed = 0

    def __enter__(self):
        original = type(self.dialect).do_commit

        def do_commit(pooled):  # SQLAlchemy passes the pool's proxy of the DBAPI connection
            original(self.dialect, pooled)
            if self.committed:
                return
            self.committed += 1
            pooled.dbapi_connection.close()
            raise self.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

        self.dialect.do_commit = do_commit
        return self

    def __exit__(self, *exc):
        del self.dialect.do_commit
