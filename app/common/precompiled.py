"""Reads compiled once per process: the hottest statements (every staff request's account check,
the counter's plate lookup) sent as SQL text through the session's connection.

Executing a Core statement, SQLAlchemy walks it to build its cache key and turns every value of
every row through a processor chain; for a statement of forty columns that costs more Python than
the statement's own round trip. Here the statement is compiled once per dialect, and each execution
sends the compiled text on the session's connection, in its transaction, and applies the bind and
result processors of the statement's own types (UTCDateTime's, SQLite's date strings), so the rows
are the ones ``session.execute(statement)`` returns (tests/foundation/test_precompiled_reads.py
holds the two to the same rows on both databases).

The text goes to the driver's cursor directly: even ``exec_driver_sql`` builds an execution context
and the result's column metadata from the cursor's description on every call, half the CPU of a
lookup's statement. Errors still go through SQLAlchemy's handling (translation to its exceptions,
a lost connection invalidated in the pool); while anything listens to the connection's statement
events (a statement counter, a fault injected by a test) the read goes through ``exec_driver_sql``,
so the listeners see it like any other statement.

In a read-only view whose caller is still to be confirmed (app/common/auth.py), the read carries one
more column, whether the caller's token is still good, and a yes confirms the caller: the view
needs no statement of its own for its caller.
"""

import threading

from sqlalchemy import Integer, bindparam

from app.common.auth import checking_in_read
from app.common.db import read_connection
from app.extensions import db

# The column a read carries for the caller's check.
_CALLER_CURRENT = "caller_token_current"

# The connection events a statement of SQLAlchemy's own execution would fire.
_STATEMENT_EVENTS = ("before_execute", "after_execute", "before_cursor_execute", "after_cursor_execute")


def _autocommit(connection):
    """Whether ``connection`` runs each statement on its own (a read-only view's): then nothing
    is begun on it that SQLAlchemy would have to know about."""
    return getattr(connection.connection.dbapi_connection, "autocommit", False) is True


def _statement_listeners(connection):
    """Whether anything listens to the statements of ``connection`` (its own listeners, or its
    engine's, which include those set on every engine)."""
    engine_events = connection.engine.dispatch
    return connection._has_events or any(getattr(engine_events, name) for name in _STATEMENT_EVENTS)


class PrecompiledRead:
    """A SELECT built by ``build()`` once, run with ``mappings(params)``: a list of dicts keyed by
    the statement's column labels. Only named bind parameters (no IN-lists expanded per call)."""

    def __init__(self, build):
        self._build = build
        self._by_dialect = {}
        self._lock = threading.Lock()

    def statement(self):
        """The statement as built (for tooling that compiles it itself)."""
        return self._build()

    def mappings(self, params):
        connection = read_connection() or db.session.connection()
        caller = checking_in_read()
        if caller is None:
            return self._compiled_for(connection.dialect).run(connection, params)
        compiled = self._compiled_for(connection.dialect, caller)
        rows = compiled.run(connection, {**params, **caller.parameters})
        if rows and rows[0][_CALLER_CURRENT]:
            caller.confirmed = True
        for row in rows:
            del row[_CALLER_CURRENT]
        return rows

    def _compiled_for(self, dialect, caller=None):
        key = (dialect.name, caller.actor.kind if caller is not None else None)
        compiled = self._by_dialect.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._by_dialect.get(key)
                if compiled is None:
                    statement = self._build()
                    if caller is not None:
                        current = caller.condition(
                            bindparam("actor_id", type_=Integer), bindparam("actor_version", type_=Integer)
                        )
                        statement = statement.add_columns(current.label(_CALLER_CURRENT))
                    compiled = self._by_dialect[key] = _Compiled(statement, dialect)
        return compiled


class _Compiled:
    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.keys = tuple(statement.selected_columns.keys())
        binds = {}
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError(f"a precompiled read cannot expand the list parameter {bind.key!r}")
            if bind.callable is not None:
                raise ValueError(f"a precompiled read cannot call the parameter {bind.key!r} per run")
            binds[name] = bind
        self.processors = {
            name: processor
            for name, bind in binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        # Values written into the statement (literals, constants) are processed once, here; the
        # parameters left without a value are each run's.
        self.constants = {name: self._processed(name, bind.value) for name, bind in binds.items() if not bind.required}
        self.runtime = {bind.key: name for name, bind in binds.items() if bind.required}
        self.order = compiled.positiontup if compiled.positional else None
        # Only the columns whose type converts the driver's value (an instant's timezone, SQLite's
        # dates): the rest are taken as the driver returns them.
        self.row_processors = tuple(
            (key, processor)
            for key, column in zip(self.keys, statement.selected_columns, strict=True)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        )

    def _processed(self, name, value):
        processor = self.processors.get(name)
        return value if processor is None or value is None else processor(value)

    def run(self, connection, params):
        values = dict(self.constants)
        for key, name in self.runtime.items():
            value = params[key]
            values[name] = self._processed(name, value)
        arguments = tuple(values[name] for name in self.order) if self.order is not None else values
        if (connection.in_transaction() or _autocommit(connection)) and not _statement_listeners(connection):
            rows = self._fetch_on_cursor(connection, arguments)
        else:
            result = connection.exec_driver_sql(self.sql, arguments)
            try:
                rows = result.cursor.fetchall()
            finally:
                result.close()
        keys = self.keys
        mappings = [dict(zip(keys, row, strict=True)) for row in rows]
        for key, processor in self.row_processors:
            for mapping in mappings:
                value = mapping[key]
                if value is not None:
                    mapping[key] = processor(value)
        return mappings

    def _fetch_on_cursor(self, connection, arguments):
        cursor = None
        try:
            cursor = connection.connection.cursor()
            cursor.execute(self.sql, arguments)
            return cursor.fetchall()
        except connection.dialect.loaded_dbapi.Error as error:
            # Translated and, for a lost connection, invalidated as SQLAlchemy's execution does.
            connection._handle_dbapi_exception(error, self.sql, arguments, cursor, None)
        finally:
            if cursor is not None:
                cursor.close()
