"""Bulk writes for an import: COPY on PostgreSQL, executemany on SQLite (as bench/seed/loader.py).

Rows are dicts; every column a row names is written (Python-side column defaults do not apply, so
the import gives every NOT NULL column). ``new_ids`` takes ids from a table's own sequence first on
PostgreSQL, so rows that others refer to (members, cars, points lots) can be copied with their ids.
"""

import json

from sqlalchemy import JSON, text

from app.common.db import is_sqlite
from app.extensions import db

CHUNK = 2000


def chunks(items, size=CHUNK):
    """``items`` in lists of at most ``size`` (IN lists and bulk inserts stay bounded)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(model, rows):
    if not rows:
        return
    table = model.__table__
    if is_sqlite(db.session):
        db.session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name], ensure_ascii=False)
                        if name in json_columns and row[name] is not None
                        else row[name]
                        for name in columns
                    ]
                )


def insert_with_ids(model, rows):
    """Insert ``rows`` and answer their new ids in order."""
    if not rows:
        return []
    table = model.__table__
    if is_sqlite(db.session):
        return list(
            db.session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
        )
    ids = list(
        db.session.scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
            {"n": len(rows)},
        )
    )
    insert_rows(model, [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)])
    return ids
