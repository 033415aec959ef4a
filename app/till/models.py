"""Shift closes (交班): append-only, one row per close, never updated."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db


class TillShift(db.Model):
    """A cashier's shift at a store, closed with the cash counted in the drawer.

    The shift covers [started_at, closed_at): from the cashier's previous close at this store on
    the same merchant-local day, or from the day's start. ``figures`` keeps what the till showed
    for the shift when it closed. UNIQUE (store, staff, started_at): of two closes racing from the
    same start, one is recorded."""

    __tablename__ = "till_shifts"
    __table_args__ = (
        CheckConstraint("counted_cash_fen >= 0", name="counted_non_negative"),
        CheckConstraint("opening_float_fen >= 0", name="float_non_negative"),
        CheckConstraint(
            "difference_fen = counted_cash_fen - expected_cash_fen", name="difference_is_counted_less_expected"
        ),
        CheckConstraint("closed_at >= started_at", name="closed_after_start"),
        UniqueConstraint("store_id", "staff_id", "started_at", name="uq_till_shifts_store_staff_start"),
        Index("ix_till_shifts_store_id_business_date", "store_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    business_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opening_float_fen: Mapped[int] = mapped_column(default=0)
    expected_cash_fen: Mapped[int]
    counted_cash_fen: Mapped[int]
    difference_fen: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(200))
    figures: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
