"""Campaigns: a segment, an optional coupon and a service-notice message, sent at a set time.

The ``campaign_sends`` job launches due campaigns: the campaign row is switched from ``scheduled``
to ``sent`` by a conditional UPDATE (a second scheduler finds nothing to switch), the audience is
snapshotted into the outbox with one ``INSERT ... SELECT`` over the segment's compiled rules, and the
campaign coupon is issued to each member of the snapshot through the coupons domain, all in one
transaction; ``send_outbox`` then pushes the messages.

Results read the outbox (audience, sent, skipped) and, for coupons used and the revenue of the work
orders that used them, one read-only query on the coupons and work-order tables (the same accepted
exception as the segments: a report joins what no single service exposes).
"""

import logging

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import distinct_on

from app.common.db import is_sqlite, set_local
from app.common.errors import AppError, Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.message_templates import check_campaign_message
from app.marketing.models import TEMPLATE_KEYS, Campaign, Message, Visit
from app.marketing.outbox import enqueue_messages, home_store, key
from app.marketing.segments import compile_rules, get_segment
from app.members.models import Member, Vehicle

log = logging.getLogger(__name__)
COUPON_SOURCE = "campaign"
REF_TYPE = "campaign"


def _check_coupon_template(template_id):
    from app.coupons.template_services import get_template

    try:
        get_template(template_id)
    except NotFound:
        raise Unprocessable(
            "coupon_template_not_found", "No such coupon template.", details={"coupon_template_id": template_id}
        ) from None


def create_campaign(*, name, segment_id, message, send_at, coupon_template_id=None, staff_id=None) -> Campaign:
    """Schedule a campaign. The segment and coupon template must exist; the message's template key
    is one of the known keys and its fields pass the template rules and the service-notice check."""
    try:
        get_segment(segment_id)
    except NotFound:
        raise Unprocessable("segment_not_found", "No such segment.", details={"segment_id": segment_id}) from None
    template_key = message.get("template_key", "campaign")
    if template_key not in TEMPLATE_KEYS:
        raise Unprocessable(
            "unknown_template_key",
            "Unknown subscribe-message template key.",
            details={"template_key": template_key, "known": list(TEMPLATE_KEYS)},
        )
    check_campaign_message(message["fields"], message.get("page"))
    if coupon_template_id is not None:
        _check_coupon_template(coupon_template_id)
    campaign = Campaign(
        name=name.strip(),
        segment_id=segment_id,
        coupon_template_id=coupon_template_id,
        template_key=template_key,
        fields=dict(message["fields"]),
        page=message.get("page"),
        send_at=send_at,
        status="scheduled",
        created_by_staff_id=staff_id,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def get_campaign(campaign_id) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign_not_found", "No such campaign.")
    return campaign


def list_campaigns(*, status=None, page=1, per_page=20):
    stmt = select(Campaign).order_by(Campaign.id.desc())
    if status:
        stmt = stmt.where(Campaign.status == status)
    return paginate(stmt, page, per_page)


def cancel_campaign(*, campaign_id) -> Campaign:
    """Cancel a campaign that has not been sent."""
    campaign = get_campaign(campaign_id)
    done = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "scheduled")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.refresh(campaign)
        raise Conflict("campaign_not_scheduled", f"A {campaign.status} campaign cannot be cancelled.")
    db.session.refresh(campaign)
    return campaign


def _first_plate(member_id_column):
    return (
        select(Vehicle.plate)
        .where(Vehicle.member_id == member_id_column)
        .order_by(Vehicle.id)
        .limit(1)
        .scalar_subquery()
    )


# Memory for the launch's sorts of every car and visit on PostgreSQL (SET LOCAL: this transaction).
LAUNCH_WORK_MEM = "64MB"


def _audience(campaign, now):
    """The campaign's outbox rows as a SELECT: each member of the segment, with their first car's
    plate and their home store (``outbox.home_store``)."""
    rules = compile_rules(campaign.segment.rules, now=now)
    dedupe_key = key("campaign", campaign.id, Member.id).label("dedupe_key")
    if is_sqlite(db.session):
        return select(
            Member.id.label("member_id"),
            dedupe_key,
            literal(campaign.id).label("campaign_id"),
            _first_plate(Member.id).label("plate"),
            home_store(Member.id, Member.registered_store_id).label("store_id"),
        ).where(rules)
    # The same plate and store from one pass over the cars and one over the visits, joined by
    # member: looked up per member, they were two index searches for each of hundreds of thousands.
    set_local(db.session, work_mem=LAUNCH_WORK_MEM)
    first_cars = (
        select(Vehicle.member_id, Vehicle.plate)
        .where(Vehicle.member_id.is_not(None))
        .order_by(Vehicle.member_id, Vehicle.id)
        .ext(distinct_on(Vehicle.member_id))
        .subquery()
    )
    last_visits = (
        select(Visit.member_id, Visit.store_id)
        .where(Visit.refunded_at.is_(None))
        .order_by(Visit.member_id, Visit.settled_at.desc())
        .ext(distinct_on(Visit.member_id))
        .subquery()
    )
    return (
        select(
            Member.id.label("member_id"),
            dedupe_key,
            literal(campaign.id).label("campaign_id"),
            first_cars.c.plate.label("plate"),
            func.coalesce(last_visits.c.store_id, Member.registered_store_id).label("store_id"),
        )
        .outerjoin(first_cars, first_cars.c.member_id == Member.id)
        .outerjoin(last_visits, last_visits.c.member_id == Member.id)
        .where(rules)
    )


def _issue_coupons(campaign, now):
    """Issue the campaign coupon to each member of the snapshot that has none yet, in one bulk
    issue (a refusal, such as the template's stock running out, leaves that member without one),
    then link the messages to their coupons."""
    from app.coupons.issuing import issue_to_many
    from app.marketing.occasions import link_coupons

    pending = (Message.campaign_id == campaign.id, Message.coupon_id.is_(None))
    recipients = select(
        Message.member_id.label("member_id"), literal(campaign.id).label("ref_id"), Message.id.label("position")
    ).where(*pending)
    message_of = dict(db.session.execute(select(Message.member_id, Message.id).where(*pending)).all())
    try:
        coupons = issue_to_many(
            template_id=campaign.coupon_template_id,
            recipients=recipients,
            source=COUPON_SOURCE,
            ref_type=REF_TYPE,
            now=now,
        )
    except AppError as error:
        log.info("campaign %s: no coupons issued (%s)", campaign.id, error.code)
        return 0
    link_coupons([(message_of[member_id], coupon_id) for coupon_id, member_id, _ref_id in coupons])
    return len(coupons)


def launch(*, campaign_id, now):
    """Send one campaign now: snapshot the audience into the outbox and issue its coupons.
    Returns False when the campaign was not scheduled (already launched or cancelled)."""
    switched = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == "scheduled")
        .values(status="sent", launched_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not switched:
        return False
    campaign = db.session.get(Campaign, campaign_id, populate_existing=True)
    # Every message of the campaign is queued here: its dedupe keys name it, and only the switch
    # above, once, leads here. So the rows inserted are its audience (counting them again would
    # read hundreds of thousands of fresh index entries).
    campaign.audience = enqueue_messages(
        _audience(campaign, now), kind="campaign", template_key=campaign.template_key, now=now
    )
    if campaign.coupon_template_id is not None:
        campaign.coupons_issued = _issue_coupons(campaign, now)
    db.session.flush()
    return True


def due_campaign_ids(*, now):
    return db.session.scalars(
        select(Campaign.id).where(Campaign.status == "scheduled", Campaign.send_at <= now).order_by(Campaign.send_at)
    ).all()


def _coupon_results(campaign_ids):
    """{campaign id: (coupons used, revenue_fen)} for campaigns that issued coupons.

    Both start from the campaigns' used coupons, which a partial index holds by issuing campaign (a
    few thousand entries); their orders come from the posted coupon tenders, which another partial
    index holds by coupon (app/stats/models.py): joined to every coupon tender of every order,
    PostgreSQL read millions of payment rows. A posted coupon tender of a settled order is always
    a used coupon's (only refunding that order gives the coupon back)."""
    from app.coupons.models import MemberCoupon
    from app.workorders.models import WorkOrder, WorkOrderPayment

    used_coupons = (
        MemberCoupon.ref_type == REF_TYPE,
        MemberCoupon.ref_id.in_(campaign_ids),
        MemberCoupon.status == "used",
    )
    used = dict(
        db.session.execute(
            select(MemberCoupon.ref_id, func.count()).where(*used_coupons).group_by(MemberCoupon.ref_id)
        ).all()
    )
    # DISTINCT counts an order once per campaign, however many of its coupons the order used.
    paying = (
        select(MemberCoupon.ref_id.label("campaign_id"), WorkOrderPayment.work_order_id)
        .join(WorkOrderPayment, WorkOrderPayment.member_coupon_id == MemberCoupon.id)
        .where(*used_coupons, WorkOrderPayment.type == "coupon", WorkOrderPayment.status == "posted")
        .distinct()
        .subquery()
    )
    revenue = dict(
        db.session.execute(
            select(paying.c.campaign_id, func.sum(WorkOrder.total_fen))
            .join(WorkOrder, WorkOrder.id == paying.c.work_order_id)
            .where(WorkOrder.status == "settled")
            .group_by(paying.c.campaign_id)
        ).all()
    )
    return {campaign_id: (used.get(campaign_id, 0), int(revenue.get(campaign_id) or 0)) for campaign_id in campaign_ids}


def results_of(campaigns):
    """{campaign id: results} of several campaigns (see ``campaign_results``), in three queries
    whatever their number."""
    ids = [campaign.id for campaign in campaigns]
    if not ids:
        return {}
    by_status, sms_usage = {}, {}
    for campaign_id, status, channel, count, cost_fen in db.session.execute(message_counts(ids)):
        statuses = by_status.setdefault(campaign_id, {})
        statuses[status] = statuses.get(status, 0) + count
        if channel == "sms" and status == "sent":
            sms_usage[campaign_id] = (count, int(cost_fen or 0))
    with_coupons = [campaign.id for campaign in campaigns if campaign.coupon_template_id is not None]
    coupons = _coupon_results(with_coupons) if with_coupons else {}
    results = {}
    for campaign in campaigns:
        statuses = by_status.get(campaign.id, {})
        coupons_used, revenue_fen = coupons.get(campaign.id, (0, 0))
        results[campaign.id] = {
            "audience": sum(statuses.values()),
            "sent": statuses.get("sent", 0),
            "skipped_no_grant": statuses.get("skipped_no_grant", 0),
            "failed": statuses.get("failed", 0),
            "queued": statuses.get("queued", 0),
            "coupons_issued": campaign.coupons_issued,
            "coupons_used": coupons_used,
            "revenue_fen": revenue_fen,
            "sms_sent": sms_usage.get(campaign.id, (0, 0))[0],
            "sms_cost_fen": sms_usage.get(campaign.id, (0, 0))[1],
        }
    return results


def message_counts(campaign_ids):
    """SELECT of the campaigns' messages counted by (campaign, status, channel), with their SMS
    cost: read from the campaign results index alone on PostgreSQL (migration 0043)."""
    return (
        select(Message.campaign_id, Message.status, Message.channel, func.count(), func.sum(Message.cost_fen))
        .where(Message.campaign_id.in_(campaign_ids))
        .group_by(Message.campaign_id, Message.status, Message.channel)
    )


def campaign_results(campaign):
    """{"audience", "sent", "skipped_no_grant", "failed", "queued", "coupons_issued", "coupons_used",
    "revenue_fen", "sms_sent", "sms_cost_fen"} of a campaign: its messages by status (and those sent by
    SMS, with their cost); the campaign coupons used now; the totals of the settled work orders that a
    posted coupon tender of one of them paid (each order once)."""
    return results_of([campaign])[campaign.id]


def campaign_with_results(campaign_id):
    campaign = get_campaign(campaign_id)
    campaign.results = campaign_results(campaign)
    return campaign
