"""The yardsticks for HTTP throughput, served by gunicorn with the same settings as the service in
bench/bench_scale.py.

- ``GET /ping`` returns a small JSON object: the ratio of the service's request rate to this one's
  shows what the service's own work (auth, query, serialisation) costs.
- ``GET /lookup-sql?plate=<fragment>`` runs the service's plate-lookup statement (the very SQL
  ``search_by_plate`` sends, compiled from ``_lookup_statement`` for PostgreSQL) through plain
  psycopg, one autocommit connection per thread, and returns its rows as JSON: nothing else (no
  auth, validation, ORM or schema). Its rate is the ceiling for the service's lookup, since no
  Python-side work can make the service cheaper than its one statement. Needs DATABASE_URL: with
  it set, each worker imports the application once as it starts, to build the statement (``/ping``
  itself touches none of it).
"""

import os
import threading
from datetime import UTC, date, datetime

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify({"ok": True, "items": [{"plate": "粤B12345"}]})


PER_PAGE = 20  # the lookup's default page (page 1)
_connections = threading.local()


def _compile_lookup():
    """A function from a fragment to the SQL text the service sends for it (psycopg's %(name)s
    style) and its parameters but the time and the page (its trigram, LIKE pattern and the
    statement's constants), built once per worker from the service's own code."""
    from sqlalchemy.dialects import postgresql

    from app import create_app  # gunicorn runs from the repository root
    from app.common.plates import normalize_plate
    from app.members import services
    from app.members.counter_lookup import MIN_PLATE_FRAGMENT, _lookup_statement, lookup_parameters

    service = create_app("testing", {"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    dialect = postgresql.psycopg.dialect()
    if dialect.paramstyle != "pyformat":
        raise RuntimeError(f"expected psycopg's %(name)s parameters, the dialect uses {dialect.paramstyle}")
    by_kind = {}  # counted: the statement for a three-character fragment (its trigram's count is its total)
    with service.app_context():
        for counted in (False, True):
            lookup, _figures = _lookup_statement(services.summary_providers(), counted=counted)
            compiled = lookup.statement().compile(dialect=dialect)
            constants = {
                name: value
                for name, value in compiled.params.items()
                if name not in ("trigram", "pattern", "now", "limit", "offset")
            }
            by_kind[counted] = (compiled.string, constants)

    def statement_for(fragment):
        fragment = normalize_plate(fragment)
        sql, constants = by_kind[len(fragment) == MIN_PLATE_FRAGMENT]
        return sql, {**constants, **lookup_parameters(fragment)}

    return statement_for


def _connection():
    connection = getattr(_connections, "connection", None)
    if connection is None:
        import psycopg

        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        connection = _connections.connection = psycopg.connect(url, autocommit=True)
    return connection


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# Built as each worker starts (gunicorn imports this module per worker), so no request pays for it.
LOOKUP = _compile_lookup() if os.environ.get("DATABASE_URL") else None


@app.get("/lookup-sql")
def lookup_sql():
    sql, parameters = LOOKUP(request.args.get("plate", ""))
    cursor = _connection().execute(sql, {**parameters, "now": datetime.now(UTC), "limit": PER_PAGE, "offset": 0})
    names = [column.name for column in cursor.description]
    rows = cursor.fetchall()
    return jsonify([{name: _plain(value) for name, value in zip(names, row, strict=False)} for row in rows])
