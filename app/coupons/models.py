"""Coupon templates (what marketing defines) and member coupons (what a member holds).

A member coupon is a one-shot instrument: its stored status is ``unused``, ``used`` or ``void``
(an earned reward taken back). "Expired" is not stored: an unused coupon whose ``valid_until``
has passed reads as expired, so no job has to run for the status to be right.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

COUPON_KINDS = ("cash_off", "percent_off", "item_voucher")
STORED_STATUSES = ("unused", "used", "void")
# Statuses a member or the counter can ask for ("expired" is derived from valid_until).
LISTED_STATUSES = ("unused", "used", "expired")


class CouponTemplate(db.Model):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("kind IN ('cash_off', 'percent_off', 'item_voucher')", name="kind_known"),
        CheckConstraint("value_fen IS NULL OR value_fen > 0", name="value_positive"),
        CheckConstraint("percent_off IS NULL OR (percent_off BETWEEN 1 AND 99)", name="percent_range"),
        CheckConstraint("max_off_fen IS NULL OR max_off_fen > 0", name="max_off_positive"),
        CheckConstraint("threshold_fen >= 0", name="threshold_non_negative"),
        # Validity is either N days from issue or a fixed window, never both.
        CheckConstraint(
            "(valid_days IS NOT NULL AND valid_from IS NULL AND valid_until IS NULL)"
            " OR (valid_days IS NULL AND valid_from IS NOT NULL AND valid_until IS NOT NULL"
            " AND valid_from <= valid_until)",
            name="validity_one_way",
        ),
        CheckConstraint("valid_days IS NULL OR valid_days > 0", name="valid_days_positive"),
        CheckConstraint("total_stock IS NULL OR total_stock >= 0", name="stock_non_negative"),
        CheckConstraint("issued_count >= 0", name="issued_non_negative"),
        CheckConstraint("total_stock IS NULL OR issued_count <= total_stock", name="issued_within_stock"),
        CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    value_fen: Mapped[int | None]  # cash_off
    percent_off: Mapped[int | None]  # percent_off
    max_off_fen: Mapped[int | None]  # percent_off cap (NULL: no cap)
    threshold_fen: Mapped[int] = mapped_column(default=0)
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))  # item_voucher
    # Optional restriction of cash_off / percent_off to labor lines of these categories or items.
    applicable_categories: Mapped[list | None] = mapped_column(JSON)
    applicable_item_ids: Mapped[list | None] = mapped_column(JSON)
    valid_days: Mapped[int | None]
    valid_from: Mapped[date | None] = mapped_column(Date)  # merchant-local days, inclusive
    valid_until: Mapped[date | None] = mapped_column(Date)
    total_stock: Mapped[int | None]  # NULL: unlimited
    # Coupons issued against the stock; moved only by a conditional UPDATE (see issuing.issue).
    issued_count: Mapped[int] = mapped_column(default=0)
    per_member_limit: Mapped[int | None]  # NULL: unlimited
    claimable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining_stock(self):
        return None if self.total_stock is None else self.total_stock - self.issued_count


class MemberCoupon(db.Model):
    __tablename__ = "member_coupons"
    __table_args__ = (
        CheckConstraint("status IN ('unused', 'used', 'void')", name="status_known"),
        CheckConstraint("seq > 0", name="seq_positive"),
        # The n-th coupon of a template for a member exists once: the per-member limit holds
        # under concurrent claims even where no row lock is taken.
        UniqueConstraint("template_id", "member_id", "seq", name="uq_member_coupons_template_member_seq"),
        Index("ix_member_coupons_member_status", "member_id", "status"),
        Index("ix_member_coupons_used_ref", "used_ref_type", "used_ref_id"),
        Index("ix_member_coupons_issue_ref", "ref_type", "ref_id"),
        # A member's unused coupons with their expiries, from this alone (0014): the counter's count
        # of usable coupons, a segment's count per member.
        Index(
            "ix_member_coupons_unused_member",
            "member_id",
            "valid_until",
            sqlite_where=text("status = 'unused'"),
            postgresql_where=text("status = 'unused'"),
        ),
        # The unused coupons still valid at an instant, a range of this index (0041): who holds one
        # (a segment's condition, hashed from here) and which end on a day (the expiry notices).
        Index(
            "ix_member_coupons_unused_valid_until",
            "valid_until",
            "member_id",
            sqlite_where=text("status = 'unused'"),
            postgresql_where=text("status = 'unused'"),
        ),
        # The owner's overview (0016): coupons issued in a period by source, redeemed in a period,
        # and a campaign's used coupons (campaign results), each read from its index alone.
        Index("ix_member_coupons_created_at_source", "created_at", "source"),
        Index(
            "ix_member_coupons_used_at",
            "used_at",
            sqlite_where=text("status = 'used'"),
            postgresql_where=text("status = 'used'"),
        ),
        Index(
            "ix_member_coupons_used_issue_ref",
            "ref_type",
            "ref_id",
            postgresql_include=["id"],
            sqlite_where=text("status = 'used'"),
            postgresql_where=text("status = 'used'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="unused")
    source: Mapped[str] = mapped_column(String(32))
    ref_type: Mapped[str | None] = mapped_column(String(32))  # what issued it
    ref_id: Mapped[int | None]
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)  # exclusive
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_ref_type: Mapped[str | None] = mapped_column(String(32))  # what it paid for
    used_ref_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[CouponTemplate] = relationship(lazy="joined", innerjoin=True)

    def status_at(self, now):
        if self.status == "unused" and self.valid_until <= now:
            return "expired"
        return self.status


class CouponEvent(db.Model):
    """Append-only history of a member coupon: issue, use, restore, void."""

    __tablename__ = "coupon_events"
    __table_args__ = (
        CheckConstraint("kind IN ('issue', 'use', 'restore', 'void')", name="kind_known"),
        # A coupon pays for a given reference at most once (and is restored from it at most once).
        UniqueConstraint("member_coupon_id", "kind", "ref_type", "ref_id", name="uq_coupon_events_once"),
        Index("ix_coupon_events_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_coupon_id: Mapped[int] = mapped_column(ForeignKey("member_coupons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
