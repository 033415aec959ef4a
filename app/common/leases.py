"""Work rows leased to one worker at a time: the outbox's messages and the WeChat Pay refunds.

A worker claims a batch of due rows in one short transaction (each gets ``claim_token``,
``claimed_until`` and one more ``attempts``), commits, calls WeChat with no transaction open, then
records each outcome only if its lease still holds. PostgreSQL skips rows another worker has
locked (``FOR UPDATE SKIP LOCKED``) and re-checks the lease of rows committed meanwhile; SQLite
transactions take the database's write lock at BEGIN, which serialises claims. A worker that dies
leaves its lease to run out, and the row is claimed again.

The model needs ``id``, ``next_attempt_at``, ``attempts``, ``claim_token`` and ``claimed_until``.
"""

import uuid

from sqlalchemy import select, update

from app.common.db import is_sqlite
from app.extensions import db


def claim_due(model, *conditions, now, lease, limit):
    """Lease up to ``limit`` rows matching ``conditions`` whose ``next_attempt_at`` has come and
    that nobody holds; returns (claim token, row ids) in due order."""
    stmt = (
        select(model.id)
        .where(
            *conditions, model.next_attempt_at <= now, (model.claimed_until.is_(None)) | (model.claimed_until <= now)
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
    )
    if not is_sqlite(db.session):
        stmt = stmt.with_for_update(skip_locked=True)
    ids = db.session.scalars(stmt).all()
    token = uuid.uuid4().hex
    if ids:
        db.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(claim_token=token, claimed_until=now + lease, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return token, ids


def finish_claimed(model, row_id, token, **values):
    """Write an outcome if our lease still holds, releasing the lease with it; False when another
    worker has taken the row over (our lease ran out), and then nothing is written."""
    values.update(claim_token=None, claimed_until=None)
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
