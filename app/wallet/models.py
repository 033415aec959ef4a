"""Stored value (储值) and points (积分): balances, append-only ledgers, top-up plans.

Each balance row equals the sum of its ledger entries and carries CHECK (>= 0); the entries are
never updated or deleted. Once-only facts (a referenced top-up, spend, earn or redeem; the
reversal of an entry; the expiry of a lot) each have a UNIQUE index.
"""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

WALLET_ENTRY_KINDS = ("topup", "spend", "refund", "reversal", "adjustment", "opening")
PAID_VIA = ("cash", "wechat", "alipay", "card")
POINTS_ENTRY_KINDS = ("earn", "redeem", "reversal", "expiry", "adjustment", "opening")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TopupPlan(db.Model):
    """Pay ``pay_fen``, get ``bonus_fen`` on top; optionally lifts the member to a tier."""

    __tablename__ = "topup_plans"
    __table_args__ = (
        CheckConstraint("pay_fen > 0", name="pay_positive"),
        CheckConstraint("bonus_fen >= 0", name="bonus_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    pay_fen: Mapped[int]
    bonus_fen: Mapped[int] = mapped_column(default=0)
    grants_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Wallet(db.Model):
    """A member's stored value: principal (money paid in) and bonus (given by plans) apart."""

    __tablename__ = "wallets"
    __table_args__ = (
        CheckConstraint("principal_fen >= 0", name="principal_non_negative"),
        CheckConstraint("bonus_fen >= 0", name="bonus_non_negative"),
        CheckConstraint("balance_fen >= 0", name="balance_non_negative"),
        CheckConstraint("balance_fen = principal_fen + bonus_fen", name="balance_is_sum"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, autoincrement=False)
    principal_fen: Mapped[int] = mapped_column(default=0)
    bonus_fen: Mapped[int] = mapped_column(default=0)
    balance_fen: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WalletEntry(db.Model):
    """One movement of stored value; amounts are signed deltas (credit > 0, debit < 0)."""

    __tablename__ = "wallet_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", WALLET_ENTRY_KINDS), name="kind_known"),
        CheckConstraint("paid_via IS NULL OR " + _in("paid_via", PAID_VIA), name="paid_via_known"),
        CheckConstraint("amount_fen = principal_fen + bonus_fen", name="amount_is_sum"),
        CheckConstraint("balance_after_fen >= 0", name="balance_after_non_negative"),
        # A reference tops up once and spends once (a work order pays with stored value once).
        Index(
            "uq_wallet_entries_ref_once",
            "ref_type",
            "ref_id",
            "kind",
            unique=True,
            sqlite_where=text("ref_type IS NOT NULL AND kind IN ('topup', 'spend')"),
            postgresql_where=text("ref_type IS NOT NULL AND kind IN ('topup', 'spend')"),
        ),
        Index("ix_wallet_entries_member_id_id", "member_id", "id"),
        Index("ix_wallet_entries_ref", "ref_type", "ref_id"),
        Index("ix_wallet_entries_store_id_created_at", "store_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int]
    principal_fen: Mapped[int]
    bonus_fen: Mapped[int]
    balance_after_fen: Mapped[int]
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    # An entry is reversed at most once.
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_entries.id"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("topup_plans.id"))
    paid_via: Mapped[str | None] = mapped_column(String(16))
    # The store whose till took (or paid out) the money of a counter top-up or principal refund.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsAccount(db.Model):
    """A member's points balance: the sum of their entries and of their lots' remaining points."""

    __tablename__ = "points_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_non_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, autoincrement=False)
    balance: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsLot(db.Model):
    """Points credited together, expiring together; used and expired first-in-first-out."""

    __tablename__ = "points_lots"
    __table_args__ = (
        CheckConstraint("earned > 0", name="earned_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= earned", name="remaining_range"),
        Index("ix_points_lots_member_id_expires_at", "member_id", "expires_at"),
        Index("ix_points_lots_expiry_due", "expires_at", "expired_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    earned: Mapped[int]
    remaining: Mapped[int]
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the earning was reversed: the lot takes no points back afterwards.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]


class PointsEntry(db.Model):
    """One movement of points (signed); ``shortfall`` is what a reversal could not take back."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", POINTS_ENTRY_KINDS), name="kind_known"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        CheckConstraint("shortfall >= 0", name="shortfall_non_negative"),
        # A reference earns once and redeems once.
        Index(
            "uq_points_entries_ref_once",
            "ref_type",
            "ref_id",
            "kind",
            unique=True,
            sqlite_where=text("ref_type IS NOT NULL AND kind IN ('earn', 'redeem')"),
            postgresql_where=text("ref_type IS NOT NULL AND kind IN ('earn', 'redeem')"),
        ),
        # A lot expires once.
        Index(
            "uq_points_entries_lot_expiry",
            "lot_id",
            unique=True,
            sqlite_where=text("kind = 'expiry'"),
            postgresql_where=text("kind = 'expiry'"),
        ),
        Index("ix_points_entries_member_id_id", "member_id", "id"),
        Index("ix_points_entries_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    balance_after: Mapped[int]
    shortfall: Mapped[int] = mapped_column(default=0)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("points_lots.id"))
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsLotUse(db.Model):
    """Which lots a debit took its points from, so a reversal can put them back."""

    __tablename__ = "points_lot_uses"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("points_lots.id"), primary_key=True, index=True)
    points: Mapped[int]
