from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db


class Store(db.Model):
    __tablename__ = "stores"
    __table_args__ = (
        CheckConstraint("bays >= 1", name="bays_positive"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("booking_cancel_cutoff_minutes >= 0", name="cancel_cutoff_non_negative"),
        CheckConstraint("labor_rate_fen >= 0", name="labor_rate_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Booking capacity (工位). Hours and dates are in the merchant's timezone:
    # opening_hours {"mon": ["09:00", "18:00"], ...} (a missing weekday is closed),
    # closed_dates ["2026-12-25", ...] (sorted ISO dates). No hours at all: not bookable.
    bays: Mapped[int] = mapped_column(default=1, server_default="1")
    slot_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    closed_dates: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Members may cancel or reschedule until this many minutes before the start; staff any time.
    booking_cancel_cutoff_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    # Whether a settle may take a part's stock below zero (many shops fit the part before it is booked
    # in); a receipt later brings it back. Transfers never take a store below zero.
    allow_negative_stock: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # 工时单价: what one hour of labor costs at this store, for lines priced by hours (fen per hour).
    labor_rate_fen: Mapped[int] = mapped_column(default=10000, server_default="10000")


class StaffStore(db.Model):
    __tablename__ = "staff_stores"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)


class Staff(db.Model):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('cashier', 'advisor', 'technician', 'marketing', 'owner')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the account is disabled or its password changes: older tokens stop working.
    token_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stores: Mapped[list[Store]] = relationship(secondary="staff_stores", lazy="selectin", order_by=Store.id)

    @property
    def store_ids(self):
        return [store.id for store in self.stores]
