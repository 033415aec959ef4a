"""Ratings of settled work orders and the satisfaction rules.

The 3-day follow-up (app/marketing/occasions.py ``service_follow_ups``) asks for a score of 1 to 5
and a comment: the member answers in the mini-program (the notice opens the order's rating page,
named by the work order id only), or staff record what the member said on the follow-up call.

One rating per work order: the first one stands. A later rating of the same order, from either
source, is refused (409 ``work_order_already_rated``, naming the source of the one kept): a score
is the member's word at one moment, and changing it silently would rewrite a complaint's cause.
Only a settled order is rated (409 ``work_order_not_rateable``); a member rates their own orders
only (another's is 404, as if missing). A score at or below the rules' ``complaint_max_score``
(default 2) opens a complaint in the same transaction (app/care/complaints.py).
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.care.complaints import open_complaint
from app.care.models import CareSettings, Rating
from app.common import clock
from app.common.db import insert_for
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.workorders.models import WorkOrder


def care_settings() -> CareSettings:
    """The row, created with the defaults on first use (two requests may race to create it)."""
    settings = db.session.get(CareSettings, 1)
    if settings is None:
        db.session.execute(
            insert_for(db.session, CareSettings.__table__)
            .values(complaint_max_score=2, complaint_due_hours=48, updated_at=clock.now())
            .on_conflict_do_nothing()
        )
        settings = db.session.get(CareSettings, 1)
    return settings


def update_care_settings(*, changes) -> CareSettings:
    """The owner changes which score opens a complaint (0 to 5; 0: none) and its due time in hours."""
    settings = care_settings()
    for name, value in changes.items():
        setattr(settings, name, value)
    db.session.flush()
    return settings


def _check_score(score):
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Unprocessable("invalid_score", "A score is a whole number from 1 to 5.")


def _record(*, order, score, comment, source, follow_up_id=None, staff_id=None, now=None) -> Rating:
    _check_score(score)
    if order.status != "settled":
        raise Conflict(
            "work_order_not_rateable", "Only a settled work order is rated.", details={"status": order.status}
        )
    existing = db.session.scalar(select(Rating).where(Rating.work_order_id == order.id))
    if existing is not None:
        raise Conflict(
            "work_order_already_rated",
            "This work order has a rating already.",
            details={"source": existing.source, "score": existing.score},
        )
    now = now or clock.now()
    rating = Rating(
        work_order_id=order.id,
        member_id=order.member_id,
        store_id=order.store_id,
        score=score,
        comment=(comment or "").strip() or None,
        source=source,
        follow_up_id=follow_up_id,
        recorded_by_staff_id=staff_id,
        rated_at=now,
    )
    db.session.add(rating)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Two answers at once (the member in the app while staff record the call): one stands.
        raise Conflict("work_order_already_rated", "This work order has a rating already.") from None
    settings = care_settings()
    if score <= settings.complaint_max_score:
        open_complaint(rating=rating, due_hours=settings.complaint_due_hours, staff_id=staff_id, now=now)
    return rating


def rate_by_member(*, member_id, work_order_id, score, comment=None, now=None) -> Rating:
    """A member rates one of their own settled work orders, once (see the module docstring)."""
    order = db.session.get(WorkOrder, work_order_id)
    if order is None or order.member_id != member_id:
        raise NotFound("work_order_not_found", "No such work order.")
    return _record(order=order, score=score, comment=comment, source="member", now=now)


def rate_from_call(*, work_order_id, member_id, score, comment=None, follow_up_id=None, staff_id=None, now=None):
    """Staff record the score a member gave on the follow-up call about that work order."""
    order = db.session.get(WorkOrder, work_order_id)
    if order is None or order.member_id != member_id:
        raise NotFound("work_order_not_found", "No such work order.")
    return _record(
        order=order,
        score=score,
        comment=comment,
        source="call",
        follow_up_id=follow_up_id,
        staff_id=staff_id,
        now=now,
    )


def ratings_of_orders(work_order_ids) -> dict:
    """{work order id: Rating} for the given orders, in one query (the call list shows them)."""
    ids = sorted({order_id for order_id in work_order_ids if order_id is not None})
    if not ids:
        return {}
    return {
        rating.work_order_id: rating
        for rating in db.session.scalars(select(Rating).where(Rating.work_order_id.in_(ids)))
    }
