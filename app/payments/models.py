from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

PAYMENT_STATUSES = ("pending", "paid", "closed")


class PaymentOrder(db.Model):
    """One WeChat Pay JSAPI order: what the member is paying for, and whether it was paid.

    ``transaction_id`` is WeChat's id of the payment; it is UNIQUE, so one payment credits once.
    """

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'paid', 'closed')", name="status_known"),
        CheckConstraint("status <> 'paid' OR transaction_id IS NOT NULL", name="paid_has_transaction"),
        Index("ix_payment_orders_status_expires_at", "status", "expires_at"),
        Index("ix_payment_orders_purpose_ref", "purpose", "purpose_ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    purpose_ref_id: Mapped[int | None]
    amount_fen: Mapped[int]
    description: Mapped[str] = mapped_column(String(127))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    openid: Mapped[str | None] = mapped_column(String(64))
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
