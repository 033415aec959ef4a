"""The exchange catalog (rewards with a points price, a stock and a window) and the redemptions.

A reward is one of three kinds:
- ``coupon``: a coupon of a coupon template is issued to the member;
- ``service_item``: an item voucher (项目券) for one unit of a service item, issued from the
  issue-only template the reward was created with, so the member spends it at settle as any
  voucher (no new tender);
- ``part``: a part the member collects at the counter; the redemption waits ``awaiting_pickup``
  until staff hand it over, when the part leaves the handing store's stock.

A reward's stock is ``total_stock`` (NULL: unlimited) against ``redeemed_count``, moved only by a
conditional UPDATE under the reward's row lock (see ``redemptions.redeem``), as coupon stock is.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

REWARD_KINDS = ("coupon", "service_item", "part")
# issued: a coupon or voucher reached the member's coupons (final); awaiting_pickup → collected
# or cancelled for parts.
REDEMPTION_STATUSES = ("issued", "awaiting_pickup", "collected", "cancelled")


class ExchangeReward(db.Model):
    __tablename__ = "exchange_rewards"
    __table_args__ = (
        CheckConstraint("kind IN ('coupon', 'service_item', 'part')", name="kind_known"),
        CheckConstraint(
            "(kind = 'coupon' AND coupon_template_id IS NOT NULL AND part_id IS NULL AND service_item_id IS NULL)"
            " OR (kind = 'service_item' AND coupon_template_id IS NOT NULL AND service_item_id IS NOT NULL"
            " AND part_id IS NULL)"
            " OR (kind = 'part' AND part_id IS NOT NULL AND coupon_template_id IS NULL AND service_item_id IS NULL)",
            name="kind_fields",
        ),
        CheckConstraint("points_price > 0", name="points_price_positive"),
        CheckConstraint("total_stock IS NULL OR total_stock >= 0", name="stock_non_negative"),
        CheckConstraint("redeemed_count >= 0", name="redeemed_non_negative"),
        CheckConstraint("total_stock IS NULL OR redeemed_count <= total_stock", name="redeemed_within_stock"),
        CheckConstraint(
            "active_from IS NULL OR active_until IS NULL OR active_from <= active_until", name="window_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    coupon_template_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_templates.id"))
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    points_price: Mapped[int]
    total_stock: Mapped[int | None]  # NULL: unlimited
    redeemed_count: Mapped[int] = mapped_column(default=0)
    # Merchant-local days, inclusive; NULL: open on that side.
    active_from: Mapped[date | None] = mapped_column(Date)
    active_until: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining_stock(self):
        return None if self.total_stock is None else self.total_stock - self.redeemed_count


class ExchangeRedemption(db.Model):
    __tablename__ = "exchange_redemptions"
    __table_args__ = (
        CheckConstraint("status IN ('issued', 'awaiting_pickup', 'collected', 'cancelled')", name="status_known"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_exchange_redemptions_member_id", "member_id", "id"),
        Index("ix_exchange_redemptions_status_id", "status", "id"),
        Index("ix_exchange_redemptions_reward_id", "reward_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("exchange_rewards.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # Copied from the reward at redemption: a later change of the catalog does not rewrite it.
    kind: Mapped[str] = mapped_column(String(16))
    reward_name: Mapped[str] = mapped_column(String(100))
    points: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    member_coupon_id: Mapped[int | None] = mapped_column(ForeignKey("member_coupons.id"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    # Where and by whom a part was handed over.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "member" or "staff": who cancelled it.
    cancelled_by: Mapped[str | None] = mapped_column(String(8))

    # The counter's list shows whose it is; loaded in the same query (no N+1).
    member = relationship("Member", lazy="joined", viewonly=True)
