"""Accounts (挂账客户), the receivables their charges create, repayments (回款) and how they were allocated.

The money lives in append-only rows: ``account_entries`` (charges +, repayments −, refunds −; their
sum is the account's ``balance_fen``: charges − repayments − refunds) and ``account_allocations``
(which repayment or credit paid which receivable, and how much). ``balance_fen``, ``credit_fen`` and
a receivable's ``open_fen`` are kept beside them, changed only under the account's row lock, and
always equal what the entries and allocations add up to:

  receivable.open_fen  = amount_fen − Σ its allocations − cancelled_fen (the open part a refund cancelled)
  account.credit_fen   = Σ repayments + Σ allocations of refunded receivables − Σ allocations  (≥ 0)
  account.balance_fen  = Σ entries = Σ open receivables − credit_fen
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

ACCOUNT_KINDS = ("company", "fleet", "insurer")
ACCOUNT_STATUSES = ("active", "suspended")
SUSPENDED_BY = ("owner", "overdue")
ENTRY_KINDS = ("charge", "repayment", "refund")
REPAID_VIA = ("transfer", "cash", "wechat", "alipay", "card", "cheque")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind_known"),
        CheckConstraint(_in("status", ACCOUNT_STATUSES), name="status_known"),
        CheckConstraint("suspended_by IS NULL OR " + _in("suspended_by", SUSPENDED_BY), name="suspended_by_known"),
        CheckConstraint("credit_limit_fen >= 0", name="credit_limit_non_negative"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_non_negative"),
        CheckConstraint(
            "suspend_after_overdue_days IS NULL OR suspend_after_overdue_days >= 1", name="suspend_after_positive"
        ),
        CheckConstraint("credit_fen >= 0", name="credit_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    tax_number: Mapped[str | None] = mapped_column(String(30))
    credit_limit_fen: Mapped[int] = mapped_column(default=0)
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    # Suspended automatically when a receivable is more than this many days past its terms (NULL: never).
    suspend_after_overdue_days: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    suspended_by: Mapped[str | None] = mapped_column(String(10))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))
    # Σ entries: what the account owes (negative when its credit exceeds its open receivables).
    balance_fen: Mapped[int] = mapped_column(default=0)
    # Paid in and not allocated to a receivable (an overpayment, or what a refund gave back).
    credit_fen: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AccountVehicle(db.Model):
    """A car allowed to charge to the account."""

    __tablename__ = "account_vehicles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), primary_key=True, index=True)


class AccountMember(db.Model):
    """A member allowed to charge to the account (any car they bring)."""

    __tablename__ = "account_members"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)


class AccountReceivable(db.Model):
    """What one work order charged to the account; due ``payment_terms_days`` after the local charge day."""

    __tablename__ = "account_receivables"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("open_fen >= 0 AND open_fen <= amount_fen", name="open_range"),
        CheckConstraint("cancelled_fen >= 0 AND cancelled_fen <= amount_fen", name="cancelled_range"),
        Index("ix_account_receivables_account_id_charged_at", "account_id", "charged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # An order charges one account once.
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    plate: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    amount_fen: Mapped[int]
    open_fen: Mapped[int]
    charged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_fen: Mapped[int] = mapped_column(default=0)
    # Over the credit limit with the owner's approval: who approved it.
    over_limit_approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class AccountRepayment(db.Model):
    """Money the account paid (回款), recorded once per Idempotency-Key."""

    __tablename__ = "account_repayments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(_in("paid_via", REPAID_VIA), name="paid_via_known"),
        Index("ix_account_repayments_account_id_received_at", "account_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_fen: Mapped[int]
    paid_via: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class AccountEntry(db.Model):
    """One movement of what the account owes; signed (a charge > 0, a repayment or refund < 0)."""

    __tablename__ = "account_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'charge' AND amount_fen > 0) OR (kind <> 'charge' AND amount_fen < 0)", name="amount_sign"
        ),
        CheckConstraint("(kind = 'repayment') = (repayment_id IS NOT NULL)", name="repayment_reference"),
        CheckConstraint("(kind = 'repayment') = (receivable_id IS NULL)", name="receivable_reference"),
        # A receivable is charged once and refunded once.
        Index(
            "uq_account_entries_receivable_once",
            "receivable_id",
            "kind",
            unique=True,
            sqlite_where=text("receivable_id IS NOT NULL"),
            postgresql_where=text("receivable_id IS NOT NULL"),
        ),
        Index("ix_account_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int]
    balance_after_fen: Mapped[int]
    receivable_id: Mapped[int | None] = mapped_column(ForeignKey("account_receivables.id"))
    repayment_id: Mapped[int | None] = mapped_column(ForeignKey("account_repayments.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountAllocation(db.Model):
    """Part of a repayment (or of the account's credit, ``repayment_id`` NULL) applied to a receivable."""

    __tablename__ = "account_allocations"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_account_allocations_receivable_id", "receivable_id"),
        UniqueConstraint("repayment_id", "receivable_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("account_receivables.id"))
    repayment_id: Mapped[int | None] = mapped_column(ForeignKey("account_repayments.id"))
    amount_fen: Mapped[int]
    # Chosen by the cashier, or oldest first (automatic).
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
