"""The owner's satisfaction figures: ratings given in a period (merchant-local days), overall, by
store, by technician and by month, and the complaints they opened.

A rating counts for every technician (or advisor) who worked a line of the rated order, once per
technician whatever their share: the member rated the visit, not a line. Figures are the count
of ratings, the sum of their scores (exact) and the average rounded to two decimals; the months
are the merchant-local calendar months of the rating's moment.
"""

from sqlalchemy import func, select

from app.care.models import SCORES, Complaint, Rating
from app.common import clock
from app.extensions import db
from app.merchant.services import get_settings
from app.stats.periods import as_date, in_period, local_date, make_period
from app.stores.models import Store
from app.stores.services import get_store, staff_names
from app.workorders.models import WorkOrderLine, WorkOrderLineTechnician


def _figures(count, total):
    count, total = int(count or 0), int(total or 0)
    return {"count": count, "score_total": total, "average": round(total / count, 2) if count else None}


def satisfaction(*, first_day=None, last_day=None, store_id=None, now=None):
    """Ratings and complaints of the period (see the module docstring)."""
    if store_id is not None:
        get_store(store_id)
    now = now or clock.now()
    period = make_period(first_day=first_day, last_day=last_day, tz_name=get_settings().timezone, now=now)
    scope = [in_period(Rating.rated_at, period)]
    if store_id is not None:
        scope.append(Rating.store_id == store_id)

    by_score = dict.fromkeys((str(score) for score in SCORES), 0)
    for score, count in db.session.execute(select(Rating.score, func.count()).where(*scope).group_by(Rating.score)):
        by_score[str(score)] = count
    overall = _figures(*db.session.execute(select(func.count(), func.sum(Rating.score)).where(*scope)).one())

    stores = db.session.execute(
        select(Rating.store_id, Store.name, func.count(), func.sum(Rating.score))
        .join(Store, Store.id == Rating.store_id)
        .where(*scope)
        .group_by(Rating.store_id, Store.name)
        .order_by(Rating.store_id)
    ).all()
    by_store = [{"store_id": sid, "name": name, **_figures(count, total)} for sid, name, count, total in stores]

    # One row per (rating, technician): a technician on two lines of an order counts it once.
    worked = (
        select(Rating.id.label("rating_id"), Rating.score.label("score"), WorkOrderLineTechnician.staff_id)
        .join(WorkOrderLine, WorkOrderLine.work_order_id == Rating.work_order_id)
        .join(WorkOrderLineTechnician, WorkOrderLineTechnician.line_id == WorkOrderLine.id)
        .where(*scope)
        .distinct()
        .subquery()
    )
    technicians = db.session.execute(
        select(worked.c.staff_id, func.count(), func.sum(worked.c.score))
        .group_by(worked.c.staff_id)
        .order_by(worked.c.staff_id)
    ).all()
    names = staff_names(staff_id for staff_id, _, _ in technicians)
    by_technician = [
        {"staff_id": staff_id, "username": names.get(staff_id), **_figures(count, total)}
        for staff_id, count, total in technicians
    ]

    day = local_date(Rating.rated_at, period)
    months = {}
    for local_day, count, total in db.session.execute(
        select(day, func.count(), func.sum(Rating.score)).where(*scope).group_by(day)
    ):
        month = as_date(local_day).strftime("%Y-%m")
        sums = months.setdefault(month, [0, 0])
        sums[0] += count
        sums[1] += int(total or 0)
    by_month = [{"month": month, **_figures(*months[month])} for month in sorted(months)]

    complaint_scope = [] if store_id is None else [Complaint.store_id == store_id]
    opened = db.session.scalar(
        select(func.count()).select_from(Complaint).where(in_period(Complaint.opened_at, period), *complaint_scope)
    )
    resolved = db.session.scalar(
        select(func.count()).select_from(Complaint).where(in_period(Complaint.resolved_at, period), *complaint_scope)
    )
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.status != "resolved", Complaint.due_at < now, *complaint_scope)
    )
    return {
        "from": period.first_day,
        "to": period.last_day,
        "store_id": store_id,
        "timezone": period.tz_name,
        "overall": {**overall, "by_score": by_score},
        "by_store": by_store,
        "by_technician": by_technician,
        "by_month": by_month,
        "complaints": {"opened": opened, "resolved": resolved, "overdue_now": overdue},
    }
