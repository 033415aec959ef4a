"""Bulk loading for the benchmark data set: COPY on PostgreSQL, executemany on SQLite.

Rows arrive as tuples in the column order given with them. PostgreSQL takes them through
``COPY ... FROM STDIN`` on the raw psycopg connection (JSON values are encoded here, since COPY
does not run the column types); SQLite goes through SQLAlchemy's ``insert`` so its date and time
storage format stays the one the application reads.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import JSON, text

from app.extensions import db


class BulkLoader:
    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.loaded = {}
        # PostgreSQL works on one chunk while the next is generated: one thread, one COPY at a time.
        self._worker = ThreadPoolExecutor(max_workers=1) if self.postgres else None
        self._pending = None

    def load_chunk(self, tables):
        """Load ``[(table, columns, rows), ...]`` in order; on PostgreSQL in the background (``wait`` joins)."""
        self.wait()
        if self._worker is None:
            for table_name, columns, rows in tables:
                self.load(table_name, columns, rows)
        else:
            self._pending = self._worker.submit(
                lambda: [self.load(table_name, columns, rows) for table_name, columns, rows in tables]
            )

    def wait(self):
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def load(self, table_name, columns, rows):
        """Append ``rows`` (tuples in ``columns`` order) to ``table_name``."""
        if not rows:
            return
        table = db.metadata.tables[table_name]
        if self.postgres:
            self._copy(table, columns, rows)
        else:
            self.connection.execute(table.insert(), [dict(zip(columns, row, strict=False)) for row in rows])
        self.loaded[table_name] = self.loaded.get(table_name, 0) + len(rows)

    def _copy(self, table, columns, rows):
        json_positions = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
        if json_positions:
            rows = [
                tuple(
                    json.dumps(value, ensure_ascii=False) if i in json_positions and value is not None else value
                    for i, value in enumerate(row)
                )
                for row in rows
            ]
        raw = self.connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self):
        """Wait for the last chunk and move every id sequence past the ids loaded here (PostgreSQL)."""
        self.wait()
        if self._worker is not None:
            self._worker.shutdown()
        if not self.postgres:
            return
        for table_name in self.loaded:
            table = db.metadata.tables[table_name]
            if "id" not in table.c or not table.c.id.autoincrement or table.c.id.foreign_keys:
                continue
            sequence = self.connection.execute(
                text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table_name}
            ).scalar()
            if sequence:
                self.connection.execute(
                    text(f"SELECT setval('{sequence}', GREATEST((SELECT coalesce(max(id), 0) FROM {table_name}), 1))")
                )


@contextmanager
def indexes_deferred(connection, table_names):
    """On PostgreSQL, drop the secondary indexes and foreign keys of ``table_names`` for the load and
    build them again afterwards (one build is far cheaper than millions of index and FK checks).

    Primary keys and unique constraints stay. Everything happens in the caller's transaction, so
    a failed load leaves the schema as it was.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    names = list(table_names)
    indexes = connection.execute(
        text("""
        SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(:names) AND t.relnamespace = 'public'::regnamespace AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"""),
        {"names": names},
    ).all()
    foreign_keys = connection.execute(
        text("""
        SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'f' AND t.relname = ANY(:names) AND t.relnamespace = 'public'::regnamespace"""),
        {"names": names},
    ).all()
    for name, table, _definition in foreign_keys:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _definition in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for _name, definition in indexes:
        connection.execute(text(definition))
    for name, table, definition in foreign_keys:
        connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
