"""Column types and database behaviour shared by every domain."""

import threading
import weakref
from datetime import UTC

from sqlalchemy import DateTime, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from app.common import clock
from app.extensions import READ_CONNECTION


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant stored as UTC on every database (SQLite keeps no offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow():
    """Column default evaluated per row (never once at import time)."""
    return clock.now()


def dialect_name(bind):
    """ "sqlite" or "postgresql": the database behind a session, a connection or an engine."""
    return (bind.get_bind() if hasattr(bind, "get_bind") else bind).dialect.name


def is_sqlite(session_or_engine):
    return dialect_name(session_or_engine) == "sqlite"


def insert_for(bind, target):
    """An INSERT on ``target`` (a model or a table) for the database behind ``bind`` (a session,
    connection or engine, or a dialect name), with that dialect's ``on_conflict_do_nothing`` /
    ``on_conflict_do_update`` (and ``.excluded``), which SQLite and PostgreSQL spell alike: the one
    place that picks the dialect for an upsert."""
    name = bind if isinstance(bind, str) else dialect_name(bind)
    return (sqlite.insert if name == "sqlite" else postgresql.insert)(target)


# PostgreSQL's default random_page_cost (4) prices a page read out of key order as if it came from
# a spinning disk. Where the data is in memory or on SSD, as a running server's working set is, 1.1
# is the usual value: the planner then reads a narrow covering index in key order rather than every
# row of a table (the owner's overview), and probes an index per candidate rather than hashing a
# table of millions (a segment's count). Set per transaction by the reads that need it, not server-wide.
RANDOM_PAGE_COST_IN_MEMORY = "1.1"


def set_local(session, **settings):
    """For the rest of ``session``'s transaction on PostgreSQL, these server settings (SET LOCAL,
    all in one statement): a read's working memory or its planner's costs, never what it answers.
    Nothing on SQLite, which has no such settings."""
    if dialect_name(session) == "postgresql":
        session.execute(select(*(func.set_config(name, str(value), True) for name, value in settings.items())))


# A statement that runs often on a connection is prepared there (app/common/statement_cache.py),
# and after five runs PostgreSQL may give it a generic plan, made without its values. The analytical
# reads (a count over a date range, a segment's values) are planned for their own values on every
# run instead; the key lookups of the request path keep their generic plans.
PLAN_FOR_EACH_RUN = {"plan_cache_mode": "force_custom_plan"}


def plan_for_data_in_memory(session):
    """For the rest of ``session``'s transaction on PostgreSQL, plan with the in-memory
    random_page_cost, for each run's own values (plans change, never results)."""
    set_local(session, random_page_cost=RANDOM_PAGE_COST_IN_MEMORY, **PLAN_FOR_EACH_RUN)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_session_settings(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    # JIT compilation pays off for analytical queries that run for many seconds. The service's
    # largest (segment previews, the owner's overview) take well under one, and compiling them
    # added 50-400 ms to each call at a million members. This is the one place it is switched off:
    # for the whole session, so no query needs its own SET LOCAL.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()
    # A rollback keeps the connection's prepared statements (app/common/statement_cache.py).
    from app.common.statement_cache import keep_prepared_statements_on_rollback

    keep_prepared_statements_on_rollback(dbapi_connection)


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    # SQLite ignores FOR UPDATE; a deferred transaction that reads and then writes can lose the
    # race or fail with "database is locked". Taking the write lock at BEGIN serialises
    # transactions, which is what makes the ledgers' read-check-write safe on SQLite. It costs
    # read concurrency, which the embedded database does not need; PostgreSQL uses row locks.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# -- read-only views' connections (PostgreSQL) ----------------------------------------------------
# A view that only reads (app/common/transaction.py: read_only) runs on a connection of the reader
# engine: the same database, every connection in autocommit from its own pool, so a connection
# never changes mode between requests and a write request can never get one in autocommit.
_readers = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader_engine(engine, options):
    """The reader engine of ``engine`` (created on first use with the engine ``options`` of the
    app, e.g. its pool_recycle, and its statement logging); disposing ``engine`` disposes it too."""
    reader = _readers.get(engine)
    if reader is None:
        with _readers_lock:
            reader = _readers.get(engine)
            if reader is None:
                # Statement logging (SQLALCHEMY_ECHO) follows the app's engine, so a read-only
                # view's statements are logged like every other.
                reader = _readers[engine] = create_engine(
                    engine.url, **{**options, "isolation_level": "AUTOCOMMIT", "echo": engine.echo}
                )
                if not event.contains(engine, "engine_disposed", _dispose_reader):
                    event.listen(engine, "engine_disposed", _dispose_reader)
    return reader


def _dispose_reader(engine):
    reader = _readers.pop(engine, None)
    if reader is not None:
        reader.dispose()


def read_connection():
    """The connection of the read-only view running now, or None outside one."""
    return READ_CONNECTION.get()


def reading_on(connection):
    """Make ``connection`` the read connection until ``stop_reading(token)``."""
    return READ_CONNECTION.set(connection)


def stop_reading(token):
    READ_CONNECTION.reset(token)
