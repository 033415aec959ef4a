"""Balance rows created on first use and locked before they are read for a change, and moved
together with the ledger row that records the move."""

from sqlalchemy import insert, literal, select, true
from sqlalchemy.orm import make_transient_to_detached

from app.common.db import dialect_name, insert_for
from app.common.errors import Unprocessable
from app.extensions import db


def insert_if_missing(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING: two first uses at once create the row once."""
    db.session.execute(insert_for(db.session, model).values(**values).on_conflict_do_nothing())


def lock_or_create_row(model, member_id, **empty):
    """The member's balance row locked as ``lock_row`` does, created empty (``empty``: its column
    values) when missing. The common case, a row that exists, takes one statement; a missing row
    is inserted with ON CONFLICT DO NOTHING (two first uses at once create it once) and locked."""
    row = lock_row(model, member_id)
    if row is None:
        insert_if_missing(model, member_id=member_id, **empty)
        row = lock_row(model, member_id)
    return row


def lock_row(model, member_id):
    """The member's balance row, freshly read under a row lock (PostgreSQL ``FOR UPDATE``).

    On SQLite the transaction already holds the database's write lock (BEGIN IMMEDIATE), so the
    read is just as safe. Returns None when the row does not exist yet.
    """
    stmt = select(model).where(model.member_id == member_id).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def check_amount(value, name, *, allow_zero=False):
    """Service-level guard: amounts are integers (never floats or bools), never negative."""
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise Unprocessable(
            f"invalid_{name}",
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} integer.",
            details={name: repr(value)},
        )
    return value


def move_and_append(move, entry, *, balance_after, lot=None):
    """Run ``move`` -- a conditional UPDATE of a locked balance row RETURNING the new balance alone --
    and append ``entry`` (a new ledger row, transient) with that balance as its ``balance_after``;
    ``lot``: a new points lot (transient) written with the entry, which refers to it (``lot_id``).
    Returns the new balance, or None when the UPDATE matched no row: then nothing is written.

    On PostgreSQL this is one statement (a data-modifying WITH: the INSERTs select from the UPDATE's
    RETURNING, so they write nothing when it matched no row); elsewhere the UPDATE, then the rows
    are flushed. Either way the rows are written with the same values, and ``entry`` and ``lot``
    end up in the session as written, with their ids."""
    if dialect_name(db.session) != "postgresql":
        # The caller keeps the locked row's attributes itself (the session does not evaluate the SET).
        moved = db.session.execute(move.execution_options(synchronize_session=False)).one_or_none()
        if moved is None:
            return None
        if lot is not None:
            db.session.add(lot)
            db.session.flush()
            entry.lot_id = lot.id
        setattr(entry, balance_after, moved[0])
        db.session.add(entry)
        db.session.flush()
        return moved[0]
    moved = move.cte("moved")
    sources, computed = [moved], {balance_after: moved.c[0]}
    if lot is not None:
        written_lot = _insert_from(lot, {}, [moved]).returning(type(lot).__table__.c.id).cte("lot")
        sources.append(written_lot)
        computed["lot_id"] = written_lot.c.id
    table = type(entry).__table__
    returned = [table.c.id, table.c[balance_after], *([table.c.lot_id] if lot is not None else [])]
    row = db.session.execute(_insert_from(entry, computed, sources).returning(*returned)).one_or_none()
    if row is None:
        return None
    entry_id, balance, *lot_id = row
    if lot is not None:
        lot.id = entry.lot_id = lot_id[0]
        _attach(lot)
    entry.id = entry_id
    setattr(entry, balance_after, balance)
    _attach(entry)
    return balance


def _values(obj):
    """Every column value of a transient row, its column defaults applied (as a flush would) and
    set on it, so the object holds what is written."""
    values = {}
    table = type(obj).__table__
    for column in table.columns:
        if column is table.autoincrement_column:
            continue
        value = obj.__dict__.get(column.key)
        if value is None and column.default is not None:
            default = column.default
            value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, column.key, value)
        values[column.key] = value
    return values


def _insert_from(obj, computed, sources):
    """INSERT ... SELECT of ``obj``'s values (``computed``: columns taken from ``sources``)."""
    table = type(obj).__table__
    values = {**_values(obj), **computed}
    columns = [
        value if name in computed else literal(value, table.c[name].type).label(name) for name, value in values.items()
    ]
    source = sources[0]
    for other in sources[1:]:  # one row each (or none): joined on nothing
        source = source.join(other, true())
    return insert(table).from_select(list(values), select(*columns).select_from(source))


def _attach(obj):
    """Put a row just written by a statement into the session as persistent (no flush, no read)."""
    make_transient_to_detached(obj)
    db.session.add(obj)
