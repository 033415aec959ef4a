"""Ratings of settled work orders, the complaints low ratings open, their history, and the rules."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

SCORES = (1, 2, 3, 4, 5)
# Where a rating came from: the member in the mini-program, or staff recording the follow-up call.
RATING_SOURCES = ("member", "call")
# open → in_hand → resolved; a complaint may also be resolved straight from open (settled on the phone).
COMPLAINT_STATUSES = ("open", "in_hand", "resolved")
COMPLAINT_MOVES = {"open": ("in_hand", "resolved"), "in_hand": ("resolved",), "resolved": ()}


class CareSettings(db.Model):
    """The merchant's satisfaction rules (one row): which score opens a complaint, and how long the
    shop has to resolve it."""

    __tablename__ = "care_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("complaint_max_score >= 0 AND complaint_max_score <= 5", name="max_score_in_range"),
        CheckConstraint("complaint_due_hours > 0", name="due_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # A rating at or below this opens a complaint (0: never).
    complaint_max_score: Mapped[int] = mapped_column(default=2)
    complaint_due_hours: Mapped[int] = mapped_column(default=48)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Rating(db.Model):
    """One rating per work order (the first one stands; see app/care/services.py)."""

    __tablename__ = "service_ratings"
    __table_args__ = (
        CheckConstraint("score >= 1 AND score <= 5", name="score_in_range"),
        CheckConstraint("source IN ('member', 'call')", name="source_known"),
        # The statistics read ratings by when they were given, per store.
        Index("ix_service_ratings_rated_at_store_id", "rated_at", "store_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(8))
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_follow_ups.id"))
    recorded_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(db.Model):
    """A complaint for the owner, opened by a low rating; moved open → in_hand → resolved."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_hand', 'resolved')", name="status_known"),
        Index("ix_complaints_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("service_ratings.id"), unique=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComplaintEvent(db.Model):
    """One step of a complaint: opened, moved or a note, with who and when (append-only)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
