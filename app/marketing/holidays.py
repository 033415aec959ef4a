"""The holiday calendar marketing keeps, and the daily greeting it drives.

A holiday is a day and a name (春节, 中秋节...); ``days_before`` says how many days ahead the greeting
goes out (0: on the day). On that day every reachable member (not merged, not blocked) is greeted
once per holiday: the outbox key is (member, holiday), so a rerun, a replay or a later edit of the
holiday's day or lead never greets anyone twice for it.

A holiday may carry a coupon template, issued with each greeting as birthdays' are: the calendar
then shapes money, so every creation, change and deletion is written to the audit log (kind
"holiday"). Marketing staff and the owner keep the calendar.
"""

from datetime import date, timedelta

from sqlalchemy import literal, select

from app.audit.services import record_change, snapshot
from app.common.errors import Conflict, NotFound
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.models import Holiday, Message
from app.marketing.occasions import issue_occasion_coupons
from app.marketing.outbox import enqueue_messages, home_store, key
from app.marketing.settings_services import check_coupon_template
from app.members.models import Member

FIELDS = ("name", "day", "days_before", "coupon_template_id", "active")
MAX_DAYS_BEFORE = 30


def list_holidays(*, year=None, page=1, per_page=50):
    """The calendar by day (one year when ``year`` is given)."""
    stmt = select(Holiday).order_by(Holiday.day, Holiday.id)
    if year is not None:
        stmt = stmt.where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31)))
    return paginate(stmt, page, per_page)


def get_holiday(holiday_id) -> Holiday:
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None:
        raise NotFound("holiday_not_found", "No such holiday.")
    return holiday


def _check(values, holiday_id=None):
    if values.get("coupon_template_id") is not None:
        check_coupon_template(values["coupon_template_id"], "coupon_template_id")
    taken = db.session.scalar(
        select(Holiday.id).where(
            Holiday.day == values["day"], Holiday.name == values["name"], Holiday.id != (holiday_id or 0)
        )
    )
    if taken is not None:
        raise Conflict(
            "holiday_taken", "The calendar already has this holiday on this day.", details={"holiday_id": taken}
        )


def create_holiday(*, actor, values) -> Holiday:
    """Add a day to the calendar; a coupon template named must exist; one holiday per (day, name)
    (409 ``holiday_taken``). Audited."""
    values = {"days_before": 0, "coupon_template_id": None, "active": True, **values}
    _check(values)
    holiday = Holiday(**values)
    db.session.add(holiday)
    db.session.flush()
    record_change(
        actor=actor,
        kind="holiday",
        entity_type="holiday",
        entity_id=holiday.id,
        before=None,
        after=snapshot(holiday, FIELDS),
    )
    return holiday


def update_holiday(*, actor, holiday_id, changes) -> Holiday:
    """Change a holiday (same checks as adding one). Members already greeted for it are not
    greeted again. Audited."""
    holiday = get_holiday(holiday_id)
    before = snapshot(holiday, FIELDS)
    _check({**before, **changes}, holiday_id=holiday.id)
    for name, value in changes.items():
        setattr(holiday, name, value)
    db.session.flush()
    record_change(
        actor=actor,
        kind="holiday",
        entity_type="holiday",
        entity_id=holiday.id,
        before=before,
        after=snapshot(holiday, FIELDS),
    )
    return holiday


def delete_holiday(*, actor, holiday_id):
    """Remove a holiday from the calendar (greetings already queued stay). Audited."""
    holiday = get_holiday(holiday_id)
    before = snapshot(holiday, FIELDS)
    db.session.delete(holiday)
    db.session.flush()
    record_change(actor=actor, kind="holiday", entity_type="holiday", entity_id=holiday_id, before=before, after=None)


def holidays_greeted_on(today):
    """The active holidays whose greeting goes out ``today`` (``days_before`` their day)."""
    candidates = db.session.scalars(
        select(Holiday)
        .where(Holiday.active.is_(True), Holiday.day.between(today, today + timedelta(days=MAX_DAYS_BEFORE)))
        .order_by(Holiday.day, Holiday.id)
    ).all()
    return [holiday for holiday in candidates if holiday.day - timedelta(days=holiday.days_before) == today]


def holiday_greetings(*, today, now):
    """Greet every reachable member for each holiday whose greeting day is today, once per member
    and holiday, with the holiday's coupon when it has one."""
    queued = issued = 0
    for holiday in holidays_greeted_on(today):
        queued += enqueue_messages(
            select(
                Member.id.label("member_id"),
                key("holiday", Member.id, holiday.id).label("dedupe_key"),
                literal("holiday").label("ref_type"),
                literal(holiday.id).label("ref_id"),
                literal(holiday.day).label("occasion_date"),
                literal(holiday.name).label("detail"),
                home_store(Member.id, Member.registered_store_id).label("store_id"),
            ).where(Member.merged_into_id.is_(None), Member.blocked_at.is_(None)),
            kind="holiday",
            now=now,
        )
        if holiday.coupon_template_id is not None:
            template_id = holiday.coupon_template_id
            issued += issue_occasion_coupons(
                kind="holiday",
                occasion_date=holiday.day,
                now=now,
                template_for=lambda tier_id, template_id=template_id: template_id,
                only=(Message.ref_id == holiday.id,),
            )
    return {"queued": queued, "coupons": issued}
