"""The stock ledger of parts, per store.

Each store keeps its own stock of each part: one ``StorePartStock`` row per (store, part) holds the
on-hand figure, and every change to it is one append-only ``PartStockMovement``, so a store's on
hand equals the sum of its movements' deltas. Receipts (入库), stocktakes (盘点) and transfers
(调拨) are the documents behind the movements that are not sales: their movements carry the
document as their reference ("stock_receipt" / "stocktake" / "stock_transfer", id).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

# opening: stock a part was created with, or what a store held when stock became per store;
# settle / refund: a work order's parts leaving and coming back; stocktake: a counted difference.
# exchange: a part redeemed with points, handed over at the counter (app/rewards).
MOVEMENT_KINDS = ("opening", "receive", "settle", "refund", "stocktake", "transfer_out", "transfer_in", "exchange")
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in MOVEMENT_KINDS)


class StorePartStock(db.Model):
    """What one store has of one part. Negative only where the store allows selling below zero."""

    __tablename__ = "store_part_stocks"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), primary_key=True, index=True)
    on_hand: Mapped[int]


class PartStockMovement(db.Model):
    __tablename__ = "part_stock_movements"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="kind_known"),
        CheckConstraint("delta <> 0", name="delta_non_zero"),
        CheckConstraint("unit_cost_fen >= 0", name="unit_cost_non_negative"),
        Index("ix_part_stock_movements_ref", "ref_type", "ref_id"),
        # A part's movements, per store, newest first.
        Index("ix_part_stock_movements_part_store", "part_id", "store_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int]
    # The store's on hand of the part right after this movement.
    stock_after: Mapped[int]
    # What one unit cost from the supplier (receipts only).
    unit_cost_fen: Mapped[int | None]
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    # A refund names the settle movement it gives back; each movement is given back at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("part_stock_movements.id"), unique=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartLowStockAlert(db.Model):
    """Raised when a store's stock of a part falls to or below the part's threshold; resolved when it
    climbs above."""

    __tablename__ = "part_low_stock_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("part_stock_movements.id"))
    stock: Mapped[int]
    threshold: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class StockReceipt(db.Model):
    """A delivery booked in at a store (入库); its lines are the "receive" movements it references,
    each with its quantity and unit cost."""

    __tablename__ = "stock_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Stocktake(db.Model):
    """A count of some parts at a store (盘点): what was on hand, what was counted, and why they differ."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["StocktakeLine"]] = relationship(lazy="selectin", order_by="StocktakeLine.part_id")


class StocktakeLine(db.Model):
    __tablename__ = "stocktake_lines"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "part_id"),
        CheckConstraint("counted >= 0", name="counted_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    expected: Mapped[int]  # on hand when counted
    counted: Mapped[int]

    @property
    def difference(self):
        return self.counted - self.expected


class StockTransfer(db.Model):
    """Parts moved from one store to another (调拨); its lines are the transfer_out / transfer_in
    movements it references."""

    __tablename__ = "stock_transfers"
    __table_args__ = (CheckConstraint("from_store_id <> to_store_id", name="stores_differ"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    to_store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
