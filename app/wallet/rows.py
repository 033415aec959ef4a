"""Balance rows created on first use and locked before they are read for a change."""

from sqlalchemy import select

from app.common.db import insert_for
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
