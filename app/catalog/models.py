from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.catalog.stock_models import StorePartStock
from app.common.db import UTCDateTime, utcnow
from app.extensions import db

SERVICE_CATEGORIES = ("wash", "maintenance", "repair", "beauty", "other")


class ServiceItem(db.Model):
    """A unit of labor the shop sells (a wash, an oil change), priced in fen."""

    __tablename__ = "service_items"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("category IN ('wash', 'maintenance', 'repair', 'beauty', 'other')", name="category_known"),
        CheckConstraint("maintenance_interval_months > 0", name="interval_months_positive"),
        CheckConstraint("maintenance_interval_km > 0", name="interval_km_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16), index=True)
    price_fen: Mapped[int]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    maintenance_interval_months: Mapped[int | None]
    maintenance_interval_km: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Part(db.Model):
    """A stocked part (机油, 滤芯). Each store keeps its own stock of it (app/catalog/stock_models.py);
    ``stock`` is the total over the chain, read-only."""

    __tablename__ = "parts"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_non_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    price_fen: Mapped[int]
    # The threshold applies at each store: a store at or below it has the part on its low-stock list.
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stock: Mapped[int] = column_property(
        select(func.coalesce(func.sum(StorePartStock.on_hand), 0))
        .where(StorePartStock.part_id == id)
        .correlate_except(StorePartStock)
        .scalar_subquery()
    )
