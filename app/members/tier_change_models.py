"""The log of automatic tier changes (upgrades by spend, review downgrades)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db


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
