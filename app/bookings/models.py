from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

BOOKING_STATUSES = ("booked", "checked_in", "cancelled", "no_show")
# A booking holds a bay while it is booked or the car is in (checked in); cancelled and
# no-show bookings free it.
HOLDS_A_BAY = ("booked", "checked_in")


class Booking(db.Model):
    """One car booked into one store for one service item, from ``start_at`` to ``end_at``.

    ``end_at`` is the end of the slots the item's duration occupies (its duration rounded up to
    whole slots), so capacity is counted by overlap with each slot.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'checked_in', 'cancelled', 'no_show')", name="status_known"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint("cancelled_by IN ('member', 'staff')", name="cancelled_by_known"),
        # The day's bookings of a store: the slot grid, the staff list and the capacity count.
        Index("ix_bookings_store_id_start_at", "store_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    # The plate when booked, so staff lists need no join into the members domain.
    plate: Mapped[str] = mapped_column(String(10))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    # The work order opened at check-in (a plain id: the work-orders domain owns that table).
    work_order_id: Mapped[int | None] = mapped_column(unique=True)
    reschedule_count: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(8))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
