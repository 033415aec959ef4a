"""Settled visits as marketing sees them, recorded by each settle and refund (app/consequences.py;
see models.Visit). The settle passes the order's store, plate, amount and time in. A refund marks
the visit refunded, so no follow-up is sent for it and it no longer counts for a segment's store
condition.
"""

from sqlalchemy import update

from app.common import clock
from app.extensions import db
from app.marketing.models import Visit
from app.merchant.services import get_settings


def record_visit(*, work_order_id, member_id, store_id, plate, paid_fen, settled_at):
    """A member's order was settled: their visit (a rerun of the same order overwrites it)."""
    values = {
        "member_id": member_id,
        "store_id": store_id,
        "plate": plate,
        "paid_fen": paid_fen or 0,
        "settled_at": settled_at,
        "refunded_at": None,
        "settled_on": clock.local_today(get_settings().timezone, settled_at),
    }
    visit = db.session.get(Visit, work_order_id)
    if visit is None:
        db.session.add(Visit(work_order_id=work_order_id, **values))
    else:
        for name, value in values.items():
            setattr(visit, name, value)
    db.session.flush()


def mark_refunded(*, work_order_id, refunded_at):
    """The order was refunded: its visit (if it has one) no longer counts."""
    db.session.execute(
        update(Visit)
        .where(Visit.work_order_id == work_order_id, Visit.refunded_at.is_(None))
        .values(refunded_at=refunded_at)
        .execution_options(synchronize_session=False)
    )
