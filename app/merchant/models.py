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
