"""Package cards (套餐卡/次卡) and stamp cards (集章卡).

Both are ledgers: a count on the card (per item for package cards, stamps for stamp cards) that
always equals the sum of the card's append-only entries, with CHECK (>= 0) on the count.
"""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

PAID_VIA = ("cash", "wechat", "alipay", "card")
PACKAGE_ENTRY_KINDS = ("sale", "redeem", "reversal", "expiry", "refund")
STAMP_ENTRY_KINDS = ("stamp", "removal", "carry", "revoke", "expiry")


class PackageCardTemplate(db.Model):
    __tablename__ = "package_card_templates"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("valid_days > 0", name="valid_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    price_fen: Mapped[int]
    valid_days: Mapped[int]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["PackageCardTemplateItem"]] = relationship(
        lazy="selectin", order_by="PackageCardTemplateItem.id", cascade="all, delete-orphan"
    )


class PackageCardTemplateItem(db.Model):
    __tablename__ = "package_card_template_items"
    __table_args__ = (
        CheckConstraint("count > 0", name="count_positive"),
        UniqueConstraint("template_id", "service_item_id", name="uq_package_card_template_items_template_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("package_card_templates.id", ondelete="CASCADE"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    count: Mapped[int]


class PackageCard(db.Model):
    """A package card sold to a member; name, price and items are copied from the template."""

    __tablename__ = "package_cards"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("paid_via IN ('cash', 'wechat', 'alipay', 'card')", name="paid_via_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("package_card_templates.id"))
    name: Mapped[str] = mapped_column(String(100))
    price_fen: Mapped[int]
    paid_via: Mapped[str] = mapped_column(String(8))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    sold_by: Mapped[str | None] = mapped_column(String(40))  # actor key of the cashier
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # exclusive
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set once by the expiry job
    # Set when a card bought in the mini-program is refunded unused (its units written off).
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    items: Mapped[list["PackageCardItem"]] = relationship(lazy="selectin", order_by="PackageCardItem.id")

    def status_at(self, now):
        if self.refunded_at is not None:
            return "refunded"
        if self.expires_at <= now:
            return "expired"
        return "active" if any(item.remaining > 0 for item in self.items) else "used_up"


class PackageCardItem(db.Model):
    __tablename__ = "package_card_items"
    __table_args__ = (
        CheckConstraint("remaining >= 0", name="remaining_non_negative"),
        CheckConstraint("initial_count > 0", name="initial_positive"),
        UniqueConstraint("card_id", "service_item_id", name="uq_package_card_items_card_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("package_cards.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    initial_count: Mapped[int]
    # Equal to the sum of this item's entries; moved only by conditional UPDATEs.
    remaining: Mapped[int]


class PackageCardEntry(db.Model):
    """Append-only: sale (+count), redeem (-1), reversal (+1, of one redeem), expiry (-remaining),
    refund (-remaining: an unused card bought in the mini-program, refunded)."""

    __tablename__ = "package_card_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'redeem', 'reversal', 'expiry', 'refund')", name="kind_known"),
        # A redemption is reversed at most once.
        UniqueConstraint("reverses_entry_id", name="uq_package_card_entries_reverses_entry_id"),
        Index("ix_package_card_entries_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("package_cards.id"), index=True)
    card_item_id: Mapped[int] = mapped_column(ForeignKey("package_card_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    delta: Mapped[int]
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("package_card_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StampCardTemplate(db.Model):
    __tablename__ = "stamp_card_templates"
    __table_args__ = (
        CheckConstraint("stamps_required > 0", name="stamps_required_positive"),
        CheckConstraint("valid_days IS NULL OR valid_days > 0", name="valid_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    stamps_required: Mapped[int]
    reward_coupon_template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    valid_days: Mapped[int | None]  # from a card's first stamp; NULL: no expiry
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["StampCardTemplateItem"]] = relationship(
        lazy="selectin", order_by="StampCardTemplateItem.service_item_id", cascade="all, delete-orphan"
    )

    @property
    def service_item_ids(self):
        return [item.service_item_id for item in self.items]


class StampCardTemplateItem(db.Model):
    """A service item that earns a stamp on the template's cards."""

    __tablename__ = "stamp_card_template_items"

    template_id: Mapped[int] = mapped_column(
        ForeignKey("stamp_card_templates.id", ondelete="CASCADE"), primary_key=True
    )
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), primary_key=True, index=True)


class StampCard(db.Model):
    """One round of stamps. ``is_open`` is TRUE on the member's open card of a template and NULL
    otherwise, so UNIQUE (member, template, is_open) allows exactly one open card."""

    __tablename__ = "stamp_cards"
    __table_args__ = (
        CheckConstraint("stamps >= 0", name="stamps_non_negative"),
        CheckConstraint("stamps <= stamps_required", name="stamps_within_required"),
        CheckConstraint("status IN ('active', 'completed', 'revoked', 'expired')", name="status_known"),
        CheckConstraint("is_open IS NULL OR is_open", name="open_true_or_null"),
        UniqueConstraint("member_id", "template_id", "is_open", name="uq_stamp_cards_member_template_open"),
        # A card's reward is issued once.
        UniqueConstraint("reward_coupon_id", name="uq_stamp_cards_reward_coupon_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("stamp_card_templates.id"))
    stamps: Mapped[int] = mapped_column(default=0)
    stamps_required: Mapped[int]  # copied from the template when the card starts
    status: Mapped[str] = mapped_column(String(10), default="active")
    is_open: Mapped[bool | None] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by the first stamp
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reward_coupon_id: Mapped[int | None] = mapped_column(ForeignKey("member_coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[StampCardTemplate] = relationship(lazy="joined", innerjoin=True)


class StampEntry(db.Model):
    """Append-only: stamp (+n), removal (-n, a reference taken back), carry (+required, stamps of a
    revoked card), revoke (-required), expiry (-stamps)."""

    __tablename__ = "stamp_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('stamp', 'removal', 'carry', 'revoke', 'expiry')", name="kind_known"),
        # A reference stamps (and is taken back from) a card at most once.
        UniqueConstraint("card_id", "kind", "ref_type", "ref_id", name="uq_stamp_entries_card_kind_ref"),
        Index("ix_stamp_entries_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("stamp_cards.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("stamp_card_templates.id"))
    kind: Mapped[str] = mapped_column(String(8))
    delta: Mapped[int]
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
