"""Settled visits as marketing sees them, fed by the work-order events (see models.Visit).

The settle event names the order; its store, plate and time come from the work-orders service.
A refund marks the visit refunded, so no follow-up is sent for it and it no longer counts for a
segment's store condition.
"""

from sqlalchemy import update

from app.common import clock
from app.extensions import db
from app.marketing.models import Visit
from app.merchant.services import get_settings


def on_work_order_settled(*, work_order_id, member_id, paid_fen=0, now=None, **_payload):
    if member_id is None:
        return
    from app.workorders.services import get_work_order

    order = get_work_order(work_order_id=work_order_id)
    settled_at = order.settled_at or now or clock.now()
    values = {
        "member_id": member_id,
        "store_id": order.store_id,
        "plate": order.plate,
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


def on_work_order_refunded(*, work_order_id, now=None, **_payload):
    db.session.execute(
        update(Visit)
        .where(Visit.work_order_id == work_order_id, Visit.refunded_at.is_(None))
        .values(refunded_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )
