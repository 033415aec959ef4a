"""Marketing tables: segments, campaigns, the outbox of subscribe messages, grants, the call list.

Every push is a row of ``marketing_messages`` with a UNIQUE ``dedupe_key`` naming (member, kind,
occasion): jobs only insert rows (``ON CONFLICT DO NOTHING``), so a rerun, a crash and restart or a
second scheduler never queues a push twice. The call list (``marketing_follow_ups``) is keyed the
same way.
"""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member

TEMPLATE_KEYS = (
    "birthday_greeting",
    "maintenance_due",
    "win_back_offer",
    "service_follow_up",
    "booking_reminder",
    "coupon_expiring",
    "campaign",
    "car_ready",
    "extra_work_approval",
    "insurance_renewal",
    "annual_inspection",
    "anniversary",
    "holiday_greeting",
)
# A message's kind is the job's occasion; each kind is sent with one template key.
KIND_TEMPLATES = {
    "birthday": "birthday_greeting",
    "maintenance_due": "maintenance_due",
    "first_maintenance": "maintenance_due",
    "win_back": "win_back_offer",
    "follow_up": "service_follow_up",
    "booking_reminder": "booking_reminder",
    "coupon_expiring": "coupon_expiring",
    "campaign": "campaign",
    # Service notices queued by the work orders as they happen (app/marketing/notices.py).
    "car_ready": "car_ready",
    "extra_work_approval": "extra_work_approval",
    # The care reminders (app/marketing/care_reminders.py, holidays.py).
    "insurance_renewal": "insurance_renewal",
    "annual_inspection": "annual_inspection",
    "member_anniversary": "anniversary",
    "purchase_anniversary": "anniversary",
    "holiday": "holiday_greeting",
}
MESSAGE_KINDS = tuple(KIND_TEMPLATES)
# queued (waiting or being sent under a lease) -> sent | skipped_no_grant | failed (failure_reason says why)
MESSAGE_STATUSES = ("queued", "sent", "skipped_no_grant", "failed")
FAILURE_REASONS = (
    "refused",
    "invalid_user",
    "template_invalid",
    "template_not_configured",
    "retries_exhausted",
    "sms_rejected",
    "sms_opted_out",
)
CHANNELS = ("wechat", "sms")
# A message without a WeChat grant: not by SMS because (no_phone, opted_out, over_cap, not_by_sms:
# a marketing kind), or its SMS was sent / failed.
SMS_OUTCOMES = ("no_phone", "opted_out", "over_cap", "not_by_sms", "sent", "failed")
SMS_OPT_OUT_SOURCES = ("member", "staff", "provider")
# What the carrier reported of an SMS the provider accepted.
SMS_DELIVERIES = ("delivered", "undelivered")
FOLLOW_UP_RESULTS = ("reached", "booked", "no_answer", "wrong_number", "lost")
# Why an entry is on the call list: a push skipped for lack of a grant, not delivered or not acted
# on, a personal call for the top tiers, or a call back a colleague asked for in an earlier outcome.
FOLLOW_UP_REASONS = ("no_grant", "not_delivered", "no_response", "tier_care", "callback")
CHURN_REASONS = ("poor_service", "repair_quality", "price", "distance", "insurer", "other")
CAMPAIGN_STATUSES = ("scheduled", "sent", "cancelled")


def _in(values):
    return ", ".join(f"'{value}'" for value in values)


class MarketingSettings(db.Model):
    """The marketing rules of the merchant (one row): lead times, coupons, win-back spacing."""

    __tablename__ = "marketing_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("win_back_interval_days > 0", name="win_back_interval_positive"),
        CheckConstraint("first_maintenance_months > 0", name="first_maintenance_months_positive"),
        CheckConstraint("inspection_reminder_days BETWEEN 1 AND 90", name="inspection_reminder_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # {"<tier_id>": coupon_template_id, "default": coupon_template_id}: the birthday coupon by tier.
    birthday_coupons: Mapped[dict] = mapped_column(JSON, default=dict)
    # Members whose tier rank is at least this also go on the call list on their birthday (personal call).
    birthday_call_min_tier_rank: Mapped[int | None]
    win_back_coupon_template_id: Mapped[int | None]
    win_back_interval_days: Mapped[int] = mapped_column(default=90)
    first_maintenance_months: Mapped[int] = mapped_column(default=6)
    # SMS fallback (docs/rules.md): quiet hours in merchant time as minutes after midnight (start ==
    # end: none), the per-member caps over rolling windows, the price of one billed SMS part.
    sms_quiet_start_minute: Mapped[int] = mapped_column(
        CheckConstraint("sms_quiet_start_minute BETWEEN 0 AND 1439", name="sms_quiet_start_minute_range"),
        default=21 * 60,
        server_default="1260",
    )
    sms_quiet_end_minute: Mapped[int] = mapped_column(
        CheckConstraint("sms_quiet_end_minute BETWEEN 0 AND 1439", name="sms_quiet_end_minute_range"),
        default=8 * 60,
        server_default="480",
    )
    sms_daily_cap: Mapped[int] = mapped_column(
        CheckConstraint("sms_daily_cap >= 0", name="sms_daily_cap_non_negative"), default=1, server_default="1"
    )
    sms_weekly_cap: Mapped[int] = mapped_column(
        CheckConstraint("sms_weekly_cap >= 0", name="sms_weekly_cap_non_negative"), default=3, server_default="3"
    )
    sms_cost_fen: Mapped[int] = mapped_column(
        CheckConstraint("sms_cost_fen >= 0", name="sms_cost_fen_non_negative"), default=5, server_default="5"
    )
    # Days before a car's insurance expiry a renewal reminder goes out (one push per entry).
    insurance_reminder_days: Mapped[list] = mapped_column(JSON, default=lambda: [30, 7], server_default="[30, 7]")
    inspection_reminder_days: Mapped[int] = mapped_column(default=30, server_default="30")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Holiday(db.Model):
    """A day of the holiday calendar marketing keeps: every active member is greeted ``days_before``
    the day, once; an optional coupon template comes with the greeting (so changes are audited)."""

    __tablename__ = "marketing_holidays"
    __table_args__ = (
        UniqueConstraint("day", "name", name="uq_marketing_holidays_day_name"),
        CheckConstraint("days_before BETWEEN 0 AND 30", name="days_before_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date, index=True)
    days_before: Mapped[int] = mapped_column(default=0)
    coupon_template_id: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Segment(db.Model):
    __tablename__ = "marketing_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rules: Mapped[dict] = mapped_column(JSON)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(db.Model):
    __tablename__ = "marketing_campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(CAMPAIGN_STATUSES)})", name="status_known"),
        Index("ix_marketing_campaigns_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    segment_id: Mapped[int] = mapped_column(ForeignKey("marketing_segments.id"), index=True)
    coupon_template_id: Mapped[int | None]
    template_key: Mapped[str] = mapped_column(String(32))
    fields: Mapped[dict] = mapped_column(JSON)  # template field -> text with {placeholders}
    page: Mapped[str | None] = mapped_column(String(200))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    audience: Mapped[int] = mapped_column(default=0)
    coupons_issued: Mapped[int] = mapped_column(default=0)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    segment: Mapped[Segment] = relationship(lazy="joined")


class Message(db.Model):
    """One subscribe-message push (the outbox). ``plate``, ``occasion_date`` and ``detail`` carry
    what the template's placeholders need, filled in by the job's INSERT ... SELECT."""

    __tablename__ = "marketing_messages"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_marketing_messages_dedupe_key"),
        CheckConstraint(f"status IN ({_in(MESSAGE_STATUSES)})", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The sender's scan: queued rows that are due.
        Index("ix_marketing_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # Win-back offers: a member's last offer of a kind, newest first (0038); its first two
        # columns serve every look-up of a member's messages of a kind (it replaced that index).
        Index("ix_marketing_messages_member_id_kind_created_at", "member_id", "kind", "created_at"),
        # The occasion jobs' coupons: the day's messages of a kind. Only messages with a day: a
        # campaign's hundreds of thousands have none and write no entry (0039).
        Index(
            "ix_marketing_messages_kind_occasion_date",
            "kind",
            "occasion_date",
            postgresql_where=text("occasion_date IS NOT NULL"),
            sqlite_where=text("occasion_date IS NOT NULL"),
        ),
        # Campaign results: a campaign's messages counted by status and channel, with the SMS cost,
        # from the index alone (0043; a year of campaigns is hundreds of thousands of messages, read
        # from their rows it was a fifth of the owner's yearly overview); also every other look-up
        # by campaign. Only campaign messages: the others are never looked up by campaign.
        Index(
            "ix_marketing_messages_campaign_results",
            "campaign_id",
            "status",
            "channel",
            postgresql_include=["cost_fen"],
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
        # The SMS usage report: messages queued in a period that have an SMS outcome (0039: only those).
        Index(
            "ix_marketing_messages_created_at",
            "created_at",
            postgresql_where=text("sms_outcome IS NOT NULL"),
            sqlite_where=text("sms_outcome IS NOT NULL"),
        ),
        # A delivery report finds its SMS by the provider's serial number (0044: only SMS have one).
        Index(
            "ix_marketing_messages_sms_serial",
            "sms_serial",
            postgresql_where=text("sms_serial IS NOT NULL"),
            sqlite_where=text("sms_serial IS NOT NULL"),
        ),
        # The SMS cap: a member's SMS of the last days (0031); only messages sent by SMS (0039).
        Index(
            "ix_marketing_messages_member_id_sms_at",
            "member_id",
            "sms_at",
            postgresql_where=text("sms_at IS NOT NULL"),
            sqlite_where=text("sms_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(24))
    template_key: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Found by the (campaign_id, status) index above: no index of its own (0039).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_campaigns.id"))
    ref_type: Mapped[str | None] = mapped_column(String(24))
    ref_id: Mapped[int | None]
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    plate: Mapped[str | None] = mapped_column(String(10))
    occasion_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(String(100))
    coupon_id: Mapped[int | None]  # the member coupon issued with this message (birthday, win-back, campaign)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The sender's lease: a claimed row is left alone until claimed_until passes.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wechat_msgid: Mapped[str | None] = mapped_column(String(64))
    # How it went out: "wechat" or "sms" (None until then, or when it went neither way).
    channel: Mapped[str | None] = mapped_column(
        String(8), CheckConstraint("channel IN ('wechat', 'sms')", name="channel_known")
    )
    # Why a message without a grant did not go by SMS, or how its SMS went (SMS_OUTCOMES).
    sms_outcome: Mapped[str | None] = mapped_column(String(16))
    # When the SMS was taken from the member's cap (cleared if it is to be tried again).
    sms_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_serial: Mapped[str | None] = mapped_column(String(64))
    # The carrier's delivery report (SMS_DELIVERIES), pulled from the provider after the send.
    sms_delivery: Mapped[str | None] = mapped_column(
        String(12), CheckConstraint(f"sms_delivery IN ({_in(SMS_DELIVERIES)})", name="sms_delivery_known")
    )
    sms_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cost_fen: Mapped[int] = mapped_column(default=0, server_default="0")  # what the SMS cost (fen)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriptionGrant(db.Model):
    """How many one-time subscribe grants a member has left for a template (WeChat offers no API to
    read it): +1 per accept, -1 per send, 0 when a send answers 43101."""

    __tablename__ = "marketing_subscription_grants"
    __table_args__ = (CheckConstraint("remaining >= 0", name="remaining_non_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    template_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    remaining: Mapped[int] = mapped_column(default=0)
    accepted_total: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(db.Model):
    """An entry of the staff call list; ``dedupe_key`` names (member, kind, occasion)."""

    __tablename__ = "marketing_follow_ups"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_marketing_follow_ups_dedupe_key"),
        CheckConstraint("status IN ('open', 'done')", name="status_known"),
        CheckConstraint(f"result IS NULL OR result IN ({_in(FOLLOW_UP_RESULTS)})", name="result_known"),
        CheckConstraint(f"churn_reason IS NULL OR churn_reason IN ({_in(CHURN_REASONS)})", name="churn_reason_known"),
        Index("ix_marketing_follow_ups_status_due_date", "status", "due_date"),
        Index("ix_marketing_follow_ups_handled_at", "handled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(24))  # one of FOLLOW_UP_REASONS
    dedupe_key: Mapped[str] = mapped_column(String(120))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_messages.id"))
    ref_type: Mapped[str | None] = mapped_column(String(24))
    ref_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(8), default="open")
    result: Mapped[str | None] = mapped_column(String(16))
    churn_reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    handled_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)


class Visit(db.Model):
    """Settled work orders as marketing sees them (fed by the settle and refund events): what the
    follow-up job scans and what the segments' store condition matches."""

    __tablename__ = "marketing_visits"
    __table_args__ = (
        Index("ix_marketing_visits_member_id_settled_at", "member_id", "settled_at"),
        # "Has the member a visit to these stores?" (a segment's store condition, the outbox's store
        # of a member's message), answered from the index alone, one entry per visit not refunded.
        Index(
            "ix_marketing_visits_member_store_unrefunded",
            "member_id",
            "store_id",
            postgresql_where=text("refunded_at IS NULL"),
            sqlite_where=text("refunded_at IS NULL"),
        ),
    )

    work_order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    plate: Mapped[str | None] = mapped_column(String(10))
    paid_fen: Mapped[int] = mapped_column(default=0)
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_on: Mapped[date] = mapped_column(Date, index=True)  # the merchant-local day
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SmsOptOut(db.Model):
    """A member who asked for no SMS (退订): the row is the opt-out, gone when they opt in again.
    Who and how is kept here and, for every change, in the audit log (kind "sms_opt_out")."""

    __tablename__ = "marketing_sms_opt_outs"
    __table_args__ = (CheckConstraint(f"source IN ({_in(SMS_OPT_OUT_SOURCES)})", name="source_known"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # member (mini-program), staff (on request), provider
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
