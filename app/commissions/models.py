"""Commission rules and the commission ledger."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

METHODS = ("percent", "fixed")
# A work-order line's category: the service item's category, or "part".
CATEGORIES = ("wash", "maintenance", "repair", "beauty", "other", "part")
ENTRY_KINDS = ("earned", "reversed")


class CommissionRule(db.Model):
    """What working a line pays: ``percent`` of the line's amount, or ``fixed_fen`` per unit.

    A rule names exactly one target: a service item, a part, or a line category. The most specific
    rule wins (item or part over category); one rule per target."""

    __tablename__ = "commission_rules"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN service_item_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN part_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN category IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        CheckConstraint("method IN ('percent', 'fixed')", name="method_known"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_in_range"),
        CheckConstraint("fixed_fen >= 0", name="fixed_non_negative"),
        UniqueConstraint("service_item_id"),
        UniqueConstraint("part_id"),
        UniqueConstraint("category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    category: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    percent: Mapped[int] = mapped_column(default=0)
    fixed_fen: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommissionEntry(db.Model):
    """One staff member's commission for one line of a settled order (``earned``), or its exact
    negative when the order is refunded (``reversed``). Append-only; a staff member's commission
    over a period is the sum of its entries."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        UniqueConstraint("work_order_id", "line_id", "staff_id", "kind"),
        CheckConstraint("kind IN ('earned', 'reversed')", name="kind_known"),
        Index("ix_commission_entries_staff_id_created_at", "staff_id", "created_at"),
        Index("ix_commission_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("work_order_lines.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("commission_rules.id"))
    kind: Mapped[str] = mapped_column(String(8))
    basis_fen: Mapped[int]  # the line's amount the rule was applied to
    share_percent: Mapped[int]
    amount_fen: Mapped[int]  # negative for a reversal
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
