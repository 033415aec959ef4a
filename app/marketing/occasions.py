"""Who gets which push on which day: the daily jobs' selections, each one ``INSERT ... SELECT``.

Every job takes ``today`` (the merchant's local date) and ``now`` (the instant the run stands for)
and is idempotent: rows are keyed by (member, kind, occasion) and a rerun inserts nothing.
Lead times: maintenance pushes go out 13 days before the due date (12 if the day before was
missed or the projected date moved), call-list entries 11 days before (10 likewise) unless the
push was delivered and acted on (a booking of the car, or a paid visit, since the push);
first maintenance is due ``first_maintenance_months`` after purchase and follows the same lead
times; service follow-ups 3 days after a settle (window 3-7 days); booking reminders the day
before; coupon-expiry notices 3 days before a coupon's last valid day; birthdays on the day
(Feb 29 birthdays on Feb 28 in non-leap years); win-back offers to at-risk and churned members at
most once per ``win_back_interval_days``.

Reading the bookings table for "acted on", and the member coupons issued for messages to link
them, is the same read-only exception as the segments'.
"""

import calendar
import logging
from datetime import timedelta

from sqlalchemy import String, and_, bindparam, case, cast, exists, func, literal, not_, or_, select, text, update

from app.common import clock
from app.common.errors import AppError
from app.extensions import db
from app.marketing.models import Message, Visit
from app.marketing.outbox import (
    enqueue_follow_ups,
    enqueue_messages,
    enqueue_rows,
    home_store,
    key,
    message_row,
)
from app.marketing.settings_services import marketing_settings
from app.members.models import Member, Vehicle
from app.members.tiers.models import Tier
from app.merchant.services import get_settings

log = logging.getLogger(__name__)
PUSH_DAYS_BEFORE = (13, 12)
CALL_DAYS_BEFORE = (11, 10)
FOLLOW_UP_AFTER_DAYS = (3, 7)
COUPON_REF_TYPE = "marketing_message"
LINK_CHUNK = 5_000
COUPON_NOTICE_DAYS_BEFORE = 3


def _days(day, count):
    return day + timedelta(days=count)


def _active_member():
    return Member.merged_into_id.is_(None)


# -- coupons that come with a push ---------------------------------------------------------------


def issue_occasion_coupons(*, kind, occasion_date, template_for, now, only=()):
    """Issue the coupon of each message of ``kind`` queued for ``occasion_date`` that has none yet
    (and matches the conditions ``only``, e.g. one holiday's messages);
    ``template_for(tier_id)`` names the coupon template (None: no coupon). Set-based: one bulk issue
    per template (members grouped by tier), then the messages are linked to their coupons. A refusal
    (stock, limit) leaves that member without one; a rerun tries again."""
    from app.coupons.issuing import issue_to_many

    tier_ids = [None, *db.session.scalars(select(Tier.id).order_by(Tier.id))]
    by_template = {}
    for tier_id in tier_ids:
        template_id = template_for(tier_id)
        if template_id is not None:
            by_template.setdefault(template_id, []).append(tier_id)
    pending = (Message.kind == kind, Message.occasion_date == occasion_date, Message.coupon_id.is_(None), *only)
    issued = 0
    for template_id, tiers in by_template.items():
        in_tiers = [Member.tier_id.in_([tier for tier in tiers if tier is not None])]
        if None in tiers:
            in_tiers.append(Member.tier_id.is_(None))
        recipients = (
            select(Message.member_id.label("member_id"), Message.id.label("ref_id"), Message.id.label("position"))
            .join(Member, Member.id == Message.member_id)
            .where(*pending, or_(*in_tiers))
        )
        try:
            coupons = issue_to_many(
                template_id=template_id, recipients=recipients, source=kind, ref_type=COUPON_REF_TYPE, now=now
            )
        except AppError as error:  # e.g. the template was deleted meanwhile
            log.info("%s coupons of template %s refused: %s", kind, template_id, error.code)
            continue
        link_coupons([(message_id, coupon_id) for coupon_id, _member_id, message_id in coupons])
        issued += len(coupons)
    return issued


def link_coupons(pairs):
    """Point messages at their coupons: ``pairs`` of (message_id, coupon_id). Joined by primary key
    from arrays on PostgreSQL (the rows were just written: a planner without statistics must not
    choose the join), one executemany elsewhere."""
    for start in range(0, len(pairs), LINK_CHUNK):
        chunk = pairs[start : start + LINK_CHUNK]
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text(
                    "UPDATE marketing_messages SET coupon_id = v.coupon_id"
                    " FROM unnest(CAST(:ids AS bigint[]), CAST(:coupon_ids AS bigint[])) AS v(id, coupon_id)"
                    " WHERE marketing_messages.id = v.id"
                ),
                {"ids": [message_id for message_id, _ in chunk], "coupon_ids": [coupon_id for _, coupon_id in chunk]},
            )
        else:
            db.session.execute(
                update(Message.__table__)
                .where(Message.__table__.c.id == bindparam("message_id"))
                .values(coupon_id=bindparam("coupon")),
                [{"message_id": message_id, "coupon": coupon_id} for message_id, coupon_id in chunk],
            )


# -- birthdays -----------------------------------------------------------------------------------


def birthday_condition(today):
    """Members whose birthday is ``today``; Feb 29 birthdays are greeted on Feb 28 in non-leap years."""
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        return and_(Member.birthday_month == 2, Member.birthday_day.in_((28, 29)))
    return and_(Member.birthday_month == today.month, Member.birthday_day == today.day)


def birthday_greetings(*, today, now):
    settings = marketing_settings()
    chosen = (_active_member(), birthday_condition(today))
    occasion = key("birthday", Member.id, today.year)
    queued = enqueue_messages(
        select(
            Member.id.label("member_id"),
            occasion.label("dedupe_key"),
            literal(today).label("occasion_date"),
            home_store(Member.id, Member.registered_store_id).label("store_id"),
        ).where(*chosen),
        kind="birthday",
        now=now,
    )
    coupons = settings.birthday_coupons or {}
    issued = issue_occasion_coupons(
        kind="birthday",
        occasion_date=today,
        now=now,
        template_for=lambda tier_id: coupons.get(str(tier_id)) or coupons.get("default"),
    )
    calls = 0
    if settings.birthday_call_min_tier_rank is not None:
        calls = enqueue_follow_ups(
            select(
                Member.id.label("member_id"),
                occasion.label("dedupe_key"),
                home_store(Member.id, Member.registered_store_id).label("store_id"),
            )
            .join(Tier, Tier.id == Member.tier_id)
            .where(*chosen, Tier.rank >= settings.birthday_call_min_tier_rank),
            kind="birthday",
            reason="tier_care",
            due_date=today,
            now=now,
        )
    return {"queued": queued, "coupons": issued, "calls": calls}


# -- maintenance ---------------------------------------------------------------------------------


def _acted_on(message_created_at):
    from app.bookings.models import Booking

    # Nested two levels deep: correlate explicitly (only bookings is this subquery's own table).
    booked = (
        exists()
        .where(
            Booking.vehicle_id == Vehicle.id,
            Booking.status.in_(("booked", "checked_in")),
            Booking.created_at >= message_created_at,
        )
        .correlate_except(Booking)
    )
    visited = Member.last_paid_visit_at >= message_created_at
    return or_(booked, visited)


def _remind(*, kind, due, occasion, vehicle_filter, today, now):
    """Push ``kind`` for cars due 12-13 days out, and call-list entries for cars due 10-11 days
    out whose push was not delivered or not acted on. ``due`` is the due-date expression."""
    base = (
        select(Vehicle.member_id.label("member_id"), occasion.label("dedupe_key"))
        .join(Member, Member.id == Vehicle.member_id)
        .where(_active_member(), *vehicle_filter)
    )
    push_window = due.between(_days(today, PUSH_DAYS_BEFORE[1]), _days(today, PUSH_DAYS_BEFORE[0]))
    queued = enqueue_messages(
        base.add_columns(
            literal("vehicle").label("ref_type"),
            Vehicle.id.label("ref_id"),
            Vehicle.plate.label("plate"),
            due.label("occasion_date"),
            home_store(Member.id, Member.registered_store_id).label("store_id"),
        ).where(push_window),
        kind=kind,
        now=now,
    )
    call_window = due.between(_days(today, CALL_DAYS_BEFORE[1]), _days(today, CALL_DAYS_BEFORE[0]))
    delivered = exists().where(Message.dedupe_key == occasion, Message.status == "sent")
    acted = exists().where(Message.dedupe_key == occasion, Message.status == "sent", _acted_on(Message.created_at))
    entries = base.add_columns(
        literal("vehicle").label("ref_type"),
        Vehicle.id.label("ref_id"),
        home_store(Member.id, Member.registered_store_id).label("store_id"),
    ).where(call_window)
    calls = enqueue_follow_ups(
        entries.where(not_(delivered)), kind=kind, reason="not_delivered", due_date=today, now=now
    )
    calls += enqueue_follow_ups(
        entries.where(delivered, not_(acted)), kind=kind, reason="no_response", due_date=today, now=now
    )
    return {"queued": queued, "calls": calls}


def maintenance_reminders(*, today, now):
    cycle = func.coalesce(cast(Vehicle.last_maintenance_date, String), "first")
    return _remind(
        kind="maintenance_due",
        due=Vehicle.next_maintenance_due_date,
        occasion=key("maintenance_due", Vehicle.member_id, Vehicle.id, cycle),
        vehicle_filter=(Vehicle.next_maintenance_due_date.is_not(None),),
        today=today,
        now=now,
    )


def purchase_dates_due_on(due_day, months):
    """Purchase dates whose first maintenance (purchase + months, clamped to month end) is ``due_day``."""
    first = clock.add_months(due_day, -months)
    candidates = [_days(first, offset) for offset in range(4)]
    return [day for day in candidates if clock.add_months(day, months) == due_day]


def first_maintenance_reminders(*, today, now):
    """New cars never maintained here (no last maintenance, no due date yet)."""
    months = marketing_settings().first_maintenance_months
    due_days = [_days(today, offset) for offset in range(CALL_DAYS_BEFORE[1], PUSH_DAYS_BEFORE[0] + 1)]
    by_purchase = {purchase: due_day for due_day in due_days for purchase in purchase_dates_due_on(due_day, months)}
    if not by_purchase:
        return {"queued": 0, "calls": 0}
    due = case(by_purchase, value=Vehicle.purchase_date, else_=None)
    return _remind(
        kind="first_maintenance",
        due=due,
        occasion=key("first_maintenance", Vehicle.member_id, Vehicle.id),
        vehicle_filter=(
            Vehicle.purchase_date.in_(list(by_purchase)),
            Vehicle.last_maintenance_date.is_(None),
            Vehicle.next_maintenance_due_date.is_(None),
        ),
        today=today,
        now=now,
    )


# -- win-back, follow-ups ------------------------------------------------------------------------


def win_back_offers(*, today, now):
    settings, rules = get_settings(), marketing_settings()
    lapsed_before = now - timedelta(days=settings.at_risk_after_days)
    # "No offer within the interval" as the member's last offer, read per lapsed member from
    # (member_id, kind, created_at), not as NOT EXISTS: PostgreSQL plans that as an anti-join on its
    # statistics of the outbox, and the day after the first run floods it with win-back rows those
    # still count none, so it rescanned every offer for every lapsed member (25 s at 100,000).
    last_offer = (
        select(Message.created_at)
        .where(Message.member_id == Member.id, Message.kind == "win_back")
        .order_by(Message.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    recent_offer = func.coalesce(last_offer > now - timedelta(days=rules.win_back_interval_days), False)
    queued = enqueue_messages(
        select(
            Member.id.label("member_id"),
            key("win_back", Member.id, today.isoformat()).label("dedupe_key"),
            literal(today).label("occasion_date"),
            home_store(Member.id, Member.registered_store_id).label("store_id"),
        ).where(_active_member(), Member.last_paid_visit_at < lapsed_before, not_(recent_offer)),
        kind="win_back",
        now=now,
    )
    template_id = rules.win_back_coupon_template_id
    issued = issue_occasion_coupons(
        kind="win_back", occasion_date=today, now=now, template_for=lambda tier_id: template_id
    )
    return {"queued": queued, "coupons": issued}


def service_follow_ups(*, today, now):
    """One follow-up per settled (not refunded) visit 3 to 7 days ago."""
    first, last = _days(today, -FOLLOW_UP_AFTER_DAYS[1]), _days(today, -FOLLOW_UP_AFTER_DAYS[0])
    queued = enqueue_messages(
        select(
            Visit.member_id.label("member_id"),
            key("follow_up", Visit.member_id, Visit.work_order_id).label("dedupe_key"),
            literal("work_order").label("ref_type"),
            Visit.work_order_id.label("ref_id"),
            Visit.store_id.label("store_id"),
            Visit.plate.label("plate"),
            Visit.settled_on.label("occasion_date"),
        )
        .join(Member, Member.id == Visit.member_id)
        .where(_active_member(), Visit.refunded_at.is_(None), Visit.settled_on.between(first, last)),
        kind="follow_up",
        now=now,
    )
    return {"queued": queued}


# -- bookings and coupons (their domains list what is due) ---------------------------------------


def booking_reminders(*, today, now):
    from app.bookings.services import bookings_for_reminder

    tomorrow = _days(today, 1)
    zone = clock.zone(get_settings().timezone)
    rows = [
        message_row(
            "booking_reminder",
            booking.member_id,
            booking.id,
            now,
            ref_type="booking",
            ref_id=booking.id,
            store_id=booking.store_id,
            plate=booking.plate,
            occasion_date=tomorrow,
            detail=booking.start_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        for booking in bookings_for_reminder(day=tomorrow)
        if booking.member_id is not None
    ]
    return {"queued": enqueue_rows(rows)}


def coupon_expiry_notices(*, today, now):
    """Unused coupons whose last valid day is 3 days away. A validity ends (exclusively) at the end
    of its last day, so that day's window is (start of day, end of day]."""
    from app.coupons.services import coupons_expiring

    last_day = _days(today, COUPON_NOTICE_DAYS_BEFORE)
    start, end = clock.local_day_bounds(last_day, get_settings().timezone)
    tick = timedelta(microseconds=1)
    expiring = coupons_expiring(start=start + tick, end=end + tick).subquery()
    recipients = select(
        expiring.c.member_id.label("member_id"),
        key("coupon_expiring", expiring.c.member_id, expiring.c.member_coupon_id).label("dedupe_key"),
        literal("member_coupon").label("ref_type"),
        expiring.c.member_coupon_id.label("ref_id"),
        literal(last_day).label("occasion_date"),
        func.substr(expiring.c.template_name, 1, 100).label("detail"),
    )
    return {"queued": enqueue_messages(recipients, kind="coupon_expiring", now=now)}
