"""Tiers, and the log of automatic tier changes (upgrades by spend, review downgrades)."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db


class Tier(db.Model):
    __tablename__ = "tiers"
    __table_args__ = (
        CheckConstraint("labor_discount_percent BETWEEN 0 AND 100", name="labor_discount_range"),
        CheckConstraint("parts_discount_percent BETWEEN 0 AND 100", name="parts_discount_range"),
        CheckConstraint("points_multiplier >= 0", name="points_multiplier_non_negative"),
        CheckConstraint("min_spend_12m_fen >= 0", name="min_spend_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    rank: Mapped[int] = mapped_column(unique=True)  # higher rank = better tier
    labor_discount_percent: Mapped[int] = mapped_column(default=0)
    parts_discount_percent: Mapped[int] = mapped_column(default=0)
    points_multiplier: Mapped[float] = mapped_column(Numeric(4, 2, asdecimal=False), default=1)
    min_spend_12m_fen: Mapped[int] = mapped_column(default=0)
    care_note: Mapped[str | None] = mapped_column(String(200))
    # Set by the owner: a cashier may put a member on (or take them off) this tier at the counter.
    counter_assignable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierChange(db.Model):
    __tablename__ = "tier_changes"
    __table_args__ = (
        CheckConstraint("reason IN ('upgrade', 'review_upgrade', 'review_downgrade')", name="reason_known"),
        Index("ix_tier_changes_member_id_id", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    reason: Mapped[str] = mapped_column(String(20))
    spend_12m_fen: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
