"""Human-readable work-order numbers: S<store>-<local date>-<sequence>, e.g. S1-20261125-007.

The sequence lives in one row per store and local day, bumped by a single UPDATE (the row lock
serialises concurrent openings on PostgreSQL; SQLite transactions are serialised already). The
first order of the day inserts the row; if a concurrent request inserted it first, the unique
index refuses ours and we bump theirs instead.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.extensions import db
from app.merchant.services import merchant_timezone
from app.workorders.models import WorkOrderSequence


def _bump(store_id, day):
    result = db.session.execute(
        update(WorkOrderSequence)
        .where(WorkOrderSequence.store_id == store_id, WorkOrderSequence.day == day)
        .values(last_number=WorkOrderSequence.last_number + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return db.session.scalar(
        select(WorkOrderSequence.last_number).where(
            WorkOrderSequence.store_id == store_id, WorkOrderSequence.day == day
        )
    )


def next_number(*, store_id, now=None):
    """The next number for ``store_id`` on the merchant's local day of ``now``; unique per store and day."""
    day = clock.local_today(merchant_timezone(), now or clock.now())
    sequence = _bump(store_id, day)
    if sequence is None:
        try:
            with db.session.begin_nested():
                db.session.add(WorkOrderSequence(store_id=store_id, day=day, last_number=1))
            sequence = 1
        except IntegrityError:
            sequence = _bump(store_id, day)
    return f"S{store_id}-{day:%Y%m%d}-{sequence:03d}"
