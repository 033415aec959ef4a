"""The stock ledger of parts: every change of ``Part.stock`` is one movement row.

A part's stock equals the stock it was created with plus the sum of its movements' deltas.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

MOVEMENT_KINDS = ("out", "return", "receive", "adjust")


class PartStockMovement(db.Model):
    __tablename__ = "part_stock_movements"
    __table_args__ = (
        CheckConstraint("kind IN ('out', 'return', 'receive', 'adjust')", name="kind_known"),
        CheckConstraint("delta <> 0", name="delta_non_zero"),
        CheckConstraint("stock_after >= 0", name="stock_after_non_negative"),
        Index("ix_part_stock_movements_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    delta: Mapped[int]
    stock_after: Mapped[int]
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    # A return names the movement it gives back; each movement is given back at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("part_stock_movements.id"), unique=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartLowStockAlert(db.Model):
    """Raised when a part's stock falls to or below its threshold; resolved when it climbs above."""

    __tablename__ = "part_low_stock_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("part_stock_movements.id"))
    stock: Mapped[int]
    threshold: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
