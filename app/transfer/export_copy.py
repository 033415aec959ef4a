"""The members CSV on PostgreSQL: the database writes the rows (``COPY ... TO STDOUT``), streamed
into the file chunk by chunk, instead of Python formatting a million rows one cell at a time.

Every cell is formatted in SQL exactly as ``exports._members`` and ``csv_export._cell`` format it
(yuan from fen with two decimals, instants as the merchant's local dates, 男/女, the apostrophe
before a formula start), so the file is byte for byte the one the Python path writes
(tests/transfer/test_export_copy.py):

- an empty text cell is written as NULL, since PostgreSQL quotes an empty string (``""``) where
  Python's csv module writes nothing;
- PostgreSQL quotes a field holding a comma, a quote, CR or LF and doubles its quotes, as Python's
  csv module does (QUOTE_MINIMAL);
- COPY ends rows with LF: each LF outside quotes becomes CRLF, the line end the Python path writes.
"""

from sqlalchemy import Integer, Numeric, String, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from app.common.csv_export import FORMULA_STARTS
from app.extensions import db

# Literals inlined into the COPY statement (it takes no parameters); a named paramstyle keeps a
# '%' in them single.
_DIALECT = PGDialect_psycopg(paramstyle="named")


def _text(value):
    """A text cell: empty for NULL or '', an apostrophe before a formula start."""
    value = func.nullif(value, "")
    return case((func.left(value, 1).in_(FORMULA_STARTS), literal("'") + value), else_=value)


def _yuan(fen):
    """Yuan from fen with two decimals, as ``exports._yuan`` (the sign makes it a formula start)."""
    return _text(cast(cast(cast(fen, Numeric) / 100, Numeric(20, 2)), String))


def _day(value):
    return func.to_char(value, "YYYY-MM-DD")


def _local_day(instant, tz_name):
    # As exports._day: the instant's date in the merchant's timezone.
    return _day(func.timezone(tz_name, instant))


def _number(value):
    return cast(value, String)


def members_copy_sql(statement, tz_name):
    """The ``COPY (SELECT ...) TO STDOUT`` writing the rows of ``exports.members_statement()``, its
    instants as dates in ``tz_name``."""
    rows = statement.order_by(None).subquery()
    c = rows.c
    cells = select(
        _text(c.phone),
        _text(c.nickname),
        case((c.gender == "male", "男"), (c.gender == "female", "女")),
        _day(c.birthday),
        _text(c.tier),
        _text(c.tags),
        _text(c.plate),
        _text(c.model),
        _number(c.mileage_km),
        _yuan(func.coalesce(c.principal_fen, 0)),
        _yuan(func.coalesce(c.bonus_fen, 0)),
        _number(func.coalesce(c.points, literal(0, Integer))),
        _local_day(c.first_paid_visit_at, tz_name),
        _local_day(c.last_paid_visit_at, tz_name),
        _number(c.paid_visit_count),
        _yuan(c.total_paid_fen),
    ).order_by(c.id)
    query = cells.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"


class _CrLf:
    """Turns COPY's LF line ends into CRLF: an LF is a line end when an even number of quotes
    precede it (inside a quoted field, where a doubled quote counts twice, it is the cell's own)."""

    def __init__(self):
        self.quoted = False

    def __call__(self, chunk):
        if b'"' not in chunk:
            return chunk if self.quoted else chunk.replace(b"\n", b"\r\n")
        parts = chunk.split(b'"')
        start = 1 if self.quoted else 0
        for index in range(start, len(parts), 2):
            parts[index] = parts[index].replace(b"\n", b"\r\n")
        # An odd number of pieces means an even number of quotes: the state carries over as it was.
        if len(parts) % 2 == 0:
            self.quoted = not self.quoted
        return b'"'.join(parts)


def write_members_csv(statement, handle, *, tz_name):
    """Write the data rows of the members CSV to the binary file ``handle`` (instants as dates in
    ``tz_name``); answers their number."""
    sql = members_copy_sql(statement, tz_name)
    connection = db.session.connection().connection.driver_connection
    to_crlf = _CrLf()
    with connection.cursor() as cursor:
        with cursor.copy(sql) as copy:
            for chunk in copy:
                handle.write(to_crlf(bytes(chunk)))
        return cursor.rowcount
