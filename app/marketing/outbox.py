"""Queueing pushes and call-list entries in bulk: one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``.

Jobs describe who gets a message as a SELECT (labelled with the outbox's column names) and this
module turns it into a single insert; the UNIQUE dedupe key makes a rerun insert nothing. There is
never a Python loop over members here.
"""

from sqlalchemy import String, cast, func, literal, select

from app.common.db import insert_for, is_sqlite
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.models import KIND_TEMPLATES, FollowUp, Message, Visit


def insert_ignoring_duplicates(model, stmt, constants):
    """INSERT INTO model (labelled columns of ``stmt`` + constants) SELECT ... skipping rows whose
    unique keys exist already. Returns the number of rows inserted."""
    columns = [column.name for column in stmt.selected_columns]
    full = stmt.add_columns(
        *[literal(value, getattr(model, name).type).label(name) for name, value in constants.items()]
    )
    if is_sqlite(db.session):
        # SQLite needs a WHERE in an INSERT ... SELECT that carries an upsert clause.
        full = full.where(literal(True))
    # A Core insert on the table: the ORM's bulk path reports no row counts.
    insert = (
        insert_for(db.session, model.__table__).from_select(columns + list(constants), full).on_conflict_do_nothing()
    )
    return db.session.execute(insert.execution_options(preserve_rowcount=True)).rowcount


def key(*parts):
    """A dedupe key as an SQL expression: parts joined by ':' (columns are cast to text)."""
    expression = None
    for index, part in enumerate(parts):
        piece = cast(part, String) if hasattr(part, "type") else literal(str(part), String)
        if index:
            piece = literal(":", String) + piece
        expression = piece if expression is None else expression + piece
    return expression


def home_store(member_id, registered_store_id):
    """The store a member belongs to: the store of their last paid visit, else where they registered
    (both arguments are SQL expressions of the enclosing query)."""
    last_visit_store = (
        select(Visit.store_id)
        .where(Visit.member_id == member_id, Visit.refunded_at.is_(None))
        .order_by(Visit.settled_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(last_visit_store, registered_store_id)


def enqueue_messages(stmt, *, kind, now, template_key=None):
    """Queue one message per row of ``stmt`` (labelled member_id, dedupe_key and any of ref_type,
    ref_id, store_id, plate, occasion_date, detail, campaign_id, coupon_id). Returns rows queued."""
    constants = {
        "kind": kind,
        "template_key": template_key or KIND_TEMPLATES[kind],
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_ignoring_duplicates(Message, stmt, constants)


def message_row(kind, member_id, occasion, now, **values):
    """One ready-made outbox row for ``enqueue_rows``, keyed (kind, member, occasion)."""
    return {
        "member_id": member_id,
        "kind": kind,
        "template_key": KIND_TEMPLATES[kind],
        "dedupe_key": f"{kind}:{member_id}:{occasion}",
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "ref_type": None,
        "ref_id": None,
        "store_id": None,
        "plate": None,
        "occasion_date": None,
        "detail": None,
        **values,
    }


def enqueue_rows(rows):
    """Queue ready-made message rows, skipping existing dedupe keys: one INSERT ... ON CONFLICT DO
    NOTHING executed for many rows (compiled once, sent in batches); RETURNING counts the new ones."""
    if not rows:
        return 0
    insert = insert_for(db.session, Message.__table__).on_conflict_do_nothing().returning(Message.id)
    return len(db.session.execute(insert, rows).all())


def enqueue_follow_ups(stmt, *, kind, reason, due_date, now):
    """Put one call-list entry per row of ``stmt`` (labelled member_id, dedupe_key and any of
    store_id, message_id, ref_type, ref_id). Returns entries created."""
    constants = {"kind": kind, "reason": reason, "due_date": due_date, "status": "open", "created_at": now}
    return insert_ignoring_duplicates(FollowUp, stmt, constants)


def list_messages(*, member_id=None, kind=None, status=None, campaign_id=None, page=1, per_page=20):
    """The outbox, newest first, filtered by member, kind, status or campaign."""
    stmt = select(Message).order_by(Message.id.desc())
    if member_id is not None:
        stmt = stmt.where(Message.member_id == member_id)
    if kind is not None:
        stmt = stmt.where(Message.kind == kind)
    if status is not None:
        stmt = stmt.where(Message.status == status)
    if campaign_id is not None:
        stmt = stmt.where(Message.campaign_id == campaign_id)
    return paginate(stmt, page, per_page)
