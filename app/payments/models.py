from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    # Its refund through WeChat Pay, once one was promised (read-only here: refunds.py writes it).
    refund: Mapped["PaymentRefund | None"] = relationship(viewonly=True, uselist=False)


REFUND_STATUSES = ("pending", "processing", "succeeded", "closed", "abnormal", "failed")


class PaymentRefund(db.Model):
    """A paid WeChat Pay order's money going back to the member through WeChat Pay, in full.

    At most one per payment order (UNIQUE ``payment_order_id``), so a payment is never refunded
    twice here; ``out_refund_no`` is fixed when the row is made and reused on every retry, so WeChat
    never refunds twice either. Statuses: ``pending`` (not yet accepted by WeChat: sent, and retried
    with backoff), ``processing`` (accepted; polled), and the final ``succeeded``, ``closed`` and
    ``abnormal`` (WeChat's words: the member's account could not take the money) or ``failed``
    (WeChat refused the request, or retries ran out). The last three need the owner.
    """

    __tablename__ = "payment_refunds"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('pending', 'processing', 'succeeded', 'closed', 'abnormal', 'failed')", name="status_known"
        ),
        # The sender's scan: due refunds still in WeChat's hands.
        Index("ix_payment_refunds_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"), unique=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    refund_id: Mapped[str | None] = mapped_column(String(64))  # WeChat's id, once it accepted the refund
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[PaymentOrder] = relationship(viewonly=True)
