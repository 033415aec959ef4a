from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class MerchantSettings(db.Model):
    """One row (id 1): a deployment serves one merchant."""

    __tablename__ = "merchant_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("points_per_yuan >= 0", name="points_per_yuan_non_negative"),
        CheckConstraint("points_per_yuan_redeemed > 0", name="points_redeem_rate_positive"),
        CheckConstraint(
            "points_max_redeem_percent >= 0 AND points_max_redeem_percent <= 100", name="redeem_percent_range"
        ),
        CheckConstraint("at_risk_after_days < churned_after_days", name="lifecycle_order"),
        CheckConstraint("topup_bonus_max_percent BETWEEN 0 AND 1000", name="topup_bonus_max_range"),
        CheckConstraint("tier_labor_discount_max_percent BETWEEN 0 AND 100", name="tier_labor_discount_max_range"),
        CheckConstraint("tier_parts_discount_max_percent BETWEEN 0 AND 100", name="tier_parts_discount_max_range"),
        CheckConstraint("referral_reward_max_points >= 0", name="referral_reward_max_non_negative"),
        CheckConstraint("console_lock_minutes BETWEEN 1 AND 240", name="console_lock_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(100), default="Pitstop")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    points_per_yuan: Mapped[int] = mapped_column(default=1)
    points_per_yuan_redeemed: Mapped[int] = mapped_column(default=100)
    points_max_redeem_percent: Mapped[int] = mapped_column(default=50)
    points_valid_months: Mapped[int] = mapped_column(default=24)
    at_risk_after_days: Mapped[int] = mapped_column(default=182)
    churned_after_days: Mapped[int] = mapped_column(default=365)
    # Referrals (app/referrals): the new member's welcome coupon; the referrer's reward (points
    # and/or a coupon) for the new member's first paid order of at least referral_min_order_fen,
    # frozen for referral_reward_freeze_days; at most referral_monthly_cap referrals per referrer
    # and local month (NULL: no cap); the mini-program page a share code opens.
    referral_welcome_coupon_template_id: Mapped[int | None]
    referral_reward_points: Mapped[int] = mapped_column(default=0, server_default="0")
    referral_reward_coupon_template_id: Mapped[int | None]
    referral_min_order_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    referral_reward_freeze_days: Mapped[int] = mapped_column(default=7, server_default="7")
    referral_monthly_cap: Mapped[int | None] = mapped_column(default=10, server_default="10")
    referral_share_page: Mapped[str] = mapped_column(
        String(128), default="pages/index/index", server_default="pages/index/index"
    )
    # The owner's bounds on the rules that give money away (checked when a plan, a tier or the
    # referral reward is created or changed; existing ones are left as they are): a top-up plan's
    # bonus as a percentage of what it pays, a tier's discounts, the referrer's reward in points.
    topup_bonus_max_percent: Mapped[int] = mapped_column(default=100, server_default="100")
    tier_labor_discount_max_percent: Mapped[int] = mapped_column(default=50, server_default="50")
    tier_parts_discount_max_percent: Mapped[int] = mapped_column(default=50, server_default="50")
    referral_reward_max_points: Mapped[int] = mapped_column(default=10000, server_default="10000")
    # The staff console locks after this many quiet minutes (a counter PC is shared).
    console_lock_minutes: Mapped[int] = mapped_column(default=5, server_default="5")
