"""Period cards (月卡/年卡): unlimited use of chosen service items for a period, capped per day.

Ledgers:
- ``period_cards.uses`` is the card's net use count, the sum of its ``period_card_uses`` entries
  (use +1, reversal -1); a refund of the card itself needs it at zero.
- ``period_card_days.used`` is the uses on one merchant-local day, the sum of that day's entries;
  CHECK ``used <= cap`` (the card's daily cap, copied onto the row) holds the daily cap in the
  database itself.

Mini-program purchases (``card_purchases``) of package cards and period cards: one row per WeChat
Pay order; the card is issued when the signed payment notice arrives.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

PERIOD_KINDS = ("month", "year", "days")
PERIOD_CARD_STATUSES = ("active", "refunded")
PERIOD_USE_KINDS = ("use", "reversal")
PURCHASE_KINDS = ("package", "period")
PURCHASE_STATUSES = ("pending", "issued", "closed", "refunded")


class PeriodCardTemplate(db.Model):
    __tablename__ = "period_card_templates"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("period_kind IN ('month', 'year', 'days')", name="period_kind_known"),
        CheckConstraint("(period_kind = 'days') = (period_days IS NOT NULL)", name="days_only_for_days"),
        CheckConstraint("period_days IS NULL OR period_days > 0", name="period_days_positive"),
        CheckConstraint("daily_cap > 0", name="daily_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    price_fen: Mapped[int]
    period_kind: Mapped[str] = mapped_column(String(8))
    period_days: Mapped[int | None]
    daily_cap: Mapped[int]
    # A car wash monthly card covers one plate: a card of such a template is bound to a car.
    per_vehicle: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["PeriodCardTemplateItem"]] = relationship(
        lazy="selectin", order_by="PeriodCardTemplateItem.service_item_id", cascade="all, delete-orphan"
    )

    @property
    def service_item_ids(self):
        return [item.service_item_id for item in self.items]


class PeriodCardTemplateItem(db.Model):
    __tablename__ = "period_card_template_items"

    template_id: Mapped[int] = mapped_column(
        ForeignKey("period_card_templates.id", ondelete="CASCADE"), primary_key=True
    )
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), primary_key=True)


class PeriodCard(db.Model):
    """A period card sold to a member (and a car, when its template is per vehicle); name, price,
    items and daily cap are copied from the template. Valid in [starts_at, expires_at)."""

    __tablename__ = "period_cards"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("paid_via IN ('cash', 'wechat', 'alipay', 'card')", name="paid_via_known"),
        CheckConstraint("status IN ('active', 'refunded')", name="status_known"),
        CheckConstraint("daily_cap > 0", name="daily_cap_positive"),
        CheckConstraint("uses >= 0", name="uses_non_negative"),
        CheckConstraint("expires_at > starts_at", name="period_positive"),
        Index("ix_period_cards_member_id_expires_at", "member_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("period_card_templates.id"))
    name: Mapped[str] = mapped_column(String(100))
    price_fen: Mapped[int]
    paid_via: Mapped[str] = mapped_column(String(8))  # a mini-program purchase: wechat
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    sold_by: Mapped[str | None] = mapped_column(String(40))
    daily_cap: Mapped[int]
    # Net uses over the card's life (uses minus reversals): moved only by conditional UPDATEs.
    uses: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # exclusive
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    items: Mapped[list["PeriodCardItem"]] = relationship(lazy="selectin", order_by="PeriodCardItem.service_item_id")

    @property
    def service_item_ids(self):
        return [item.service_item_id for item in self.items]

    def status_at(self, now):
        if self.status == "refunded":
            return "refunded"
        if now < self.starts_at:
            return "not_started"
        return "active" if now < self.expires_at else "expired"


class PeriodCardItem(db.Model):
    __tablename__ = "period_card_items"

    card_id: Mapped[int] = mapped_column(ForeignKey("period_cards.id"), primary_key=True)
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), primary_key=True)


class PeriodCardDay(db.Model):
    """Uses of a card on one merchant-local day; the CHECK holds the daily cap."""

    __tablename__ = "period_card_days"
    __table_args__ = (
        CheckConstraint("used >= 0", name="used_non_negative"),
        CheckConstraint("used <= cap", name="used_within_cap"),
    )

    card_id: Mapped[int] = mapped_column(ForeignKey("period_cards.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    cap: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)


class PeriodCardUse(db.Model):
    """Append-only: use (+1 on ``day``), reversal (-1, of one use, on the use's day)."""

    __tablename__ = "period_card_uses"
    __table_args__ = (
        CheckConstraint("kind IN ('use', 'reversal')", name="kind_known"),
        CheckConstraint("(kind = 'use' AND delta = 1) OR (kind = 'reversal' AND delta = -1)", name="delta_of_kind"),
        # A use is reversed at most once.
        UniqueConstraint("reverses_use_id", name="uq_period_card_uses_reverses_use_id"),
        Index("ix_period_card_uses_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("period_cards.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    delta: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    ref_type: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int]
    reverses_use_id: Mapped[int | None] = mapped_column(ForeignKey("period_card_uses.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardPurchase(db.Model):
    """A member buying a package card or a period card in the mini-program with WeChat Pay.

    pending (the payment is open) → issued (the notice arrived: ``package_card_id`` or
    ``period_card_id`` set) → refunded (within the card's terms, money back through WeChat Pay);
    or pending → closed (the payment lapsed). UNIQUE ``payment_order_id``: one card per payment.
    """

    __tablename__ = "card_purchases"
    __table_args__ = (
        CheckConstraint("kind IN ('package', 'period')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'issued', 'closed', 'refunded')", name="status_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    template_id: Mapped[int]  # a package-card or period-card template, by kind
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    payment_order_id: Mapped[int | None] = mapped_column(ForeignKey("payment_orders.id"), unique=True)
    package_card_id: Mapped[int | None] = mapped_column(ForeignKey("package_cards.id"), unique=True)
    period_card_id: Mapped[int | None] = mapped_column(ForeignKey("period_cards.id"), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
