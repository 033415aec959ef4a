"""Consequences deferred past the commit: a transactional outbox of events, each processed exactly once.

Some of what a request sets off only feeds figures people read later (the owner's statistics, the
segments' member figures, marketing's visit log; app/consequences.py lists which). Run inside the
request they would make the cashier wait for them, so the request writes ONE row here instead,
``defer(event, ...)``, in its own transaction: the row commits or rolls back with the work itself.

After the commit the row is processed by ``run_pending``:
 * in a web request, once the response has been sent (``unit_of_work`` hands it to the WSGI server's
   close of the response, so the caller does not wait); under the testing settings
   (``DEFERRED_AFTER_RESPONSE`` off) before the response, so a test sees the figures at once;
 * after a scheduled job that wrote some (``run_job``);
 * every minute by the ``deferred_events`` job, which picks up whatever a process that stopped
   between the commit and the processing left behind.
Each event runs its handlers in its own transaction, which also stamps ``processed_at``: the row is
taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite's write lock serialises), so two workers
never run one event, and the stamp commits with the handlers' writes or not at all: exactly once. A
handler that fails rolls its event back; the failure is counted on the row and logged, and the next
run tries again. ``catch_up`` runs an entity's pending events inside the caller's transaction, for
work that must follow them (a refund undoes what its settle's figures added, so those come first).

Handlers are registered with ``subscribe`` (app/consequences.py). Payload values are JSON: numbers,
text, None, and datetimes (stored as ISO text, given back as datetimes).
"""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, Index, String, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from app.common import clock
from app.common.db import UTCDateTime, is_sqlite, utcnow
from app.extensions import db

log = logging.getLogger(__name__)
_handlers = {}
PENDING_FLAG = "deferred_events_written"  # in the session's info: this transaction deferred something
_DATETIME = "$datetime"


class DeferredEvent(db.Model):
    __tablename__ = "deferred_events"
    __table_args__ = (
        Index("ix_deferred_events_ref", "ref_type", "ref_id"),
        Index(
            "ix_deferred_events_pending",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    ref_type: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[int]
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))


def subscribe(event, handler):
    """``handler(**payload)`` runs for each deferred ``event``, in its own transaction."""
    _handlers.setdefault(event, [])
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def _encode(payload):
    return {
        name: {_DATETIME: value.isoformat()} if isinstance(value, datetime) else value
        for name, value in payload.items()
    }


def _decode(payload):
    return {
        name: datetime.fromisoformat(value[_DATETIME]) if isinstance(value, dict) and _DATETIME in value else value
        for name, value in payload.items()
    }


def defer(event, *, ref_type, ref_id, now=None, **payload):
    """Record ``event`` for processing after the caller's transaction commits (one INSERT)."""
    if event not in _handlers:
        raise KeyError(f"nothing handles the deferred event {event!r}")
    db.session.execute(
        DeferredEvent.__table__.insert().values(
            event=event,
            ref_type=ref_type,
            ref_id=ref_id,
            payload=_encode({**payload, "now": now}),
            created_at=clock.now(),
            attempts=0,
        )
    )
    db.session.info[PENDING_FLAG] = True


def written_in_this_transaction():
    """Whether the session's last transaction deferred events (cleared by asking)."""
    return db.session.info.pop(PENDING_FLAG, False)


def _run(row):
    for handler in _handlers.get(row.event, ()):
        handler(**_decode(row.payload))
    db.session.execute(
        update(DeferredEvent)
        .where(DeferredEvent.id == row.id)
        .values(processed_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def _take(*conditions):
    statement = (
        select(DeferredEvent)
        .where(DeferredEvent.processed_at.is_(None), *conditions)
        .order_by(DeferredEvent.id)
        .limit(1)
    )
    if not is_sqlite(db.session):
        statement = statement.with_for_update(skip_locked=True)
    return db.session.scalar(statement)


def run_pending(limit=None):
    """Process pending events oldest first, each in its own transaction (commits); returns how many
    were processed. An event that fails is rolled back, counted and left for the next run."""
    done, failed = 0, []
    while limit is None or done + len(failed) < limit:
        row = _take(DeferredEvent.id.not_in(failed)) if failed else _take()
        if row is None:
            db.session.rollback()
            break
        try:
            _run(row)
            db.session.commit()
            done += 1
        except Exception as error:
            db.session.rollback()
            failed.append(row.id)
            log.exception("deferred event %s (%s) failed", row.id, row.event)
            db.session.execute(
                update(DeferredEvent)
                .where(DeferredEvent.id == row.id)
                .values(attempts=DeferredEvent.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:300])
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
    db.session.info.pop(PENDING_FLAG, None)
    return done


def catch_up(*, ref_type, ref_id):
    """Run the entity's pending events now, inside the caller's transaction (which commits them).
    On PostgreSQL an event a worker is processing right now is waited for, then seen processed."""
    while True:
        statement = (
            select(DeferredEvent)
            .where(
                DeferredEvent.ref_type == ref_type,
                DeferredEvent.ref_id == ref_id,
                DeferredEvent.processed_at.is_(None),
            )
            .order_by(DeferredEvent.id)
            .limit(1)
        )
        if not is_sqlite(db.session):
            statement = statement.with_for_update()
        row = db.session.scalar(statement.execution_options(populate_existing=True))
        if row is None:
            return
        _run(row)
        db.session.flush()


def after_response(response):
    """Process what the request deferred: once the response is sent (the WSGI server closes it), or
    at once under ``DEFERRED_AFTER_RESPONSE`` off (the testing settings)."""
    if not written_in_this_transaction():
        return response
    if not current_app.config.get("DEFERRED_AFTER_RESPONSE", True):
        run_pending()
        return response
    app = current_app._get_current_object()

    def process():
        with app.app_context():
            try:
                run_pending()
            except Exception:  # the response is gone; the minute job takes the rest
                log.exception("processing deferred events after a response failed")

    response.call_on_close(process)
    return response


def lag_seconds(ids):
    """{event id: seconds from being deferred to being processed} of processed events (benchmarks)."""
    rows = db.session.execute(
        select(DeferredEvent.id, DeferredEvent.created_at, DeferredEvent.processed_at).where(
            DeferredEvent.id.in_(ids), DeferredEvent.processed_at.is_not(None)
        )
    )
    return {row_id: (processed - created).total_seconds() for row_id, created, processed in rows}
