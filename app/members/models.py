from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.tiers.models import Tier


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberTag(db.Model):
    __tablename__ = "member_tags"
    # A tag's members from the index alone (a segment's tag condition, a tag's deletion).
    __table_args__ = (Index("ix_member_tags_tag_id_member_id", "tag_id", "member_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Member(db.Model):
    __tablename__ = "members"
    __table_args__ = (
        # A WeChat user is (appid, openid); NULL openids (counter registrations) do not collide.
        UniqueConstraint("appid", "openid", name="uq_members_appid_openid"),
        CheckConstraint("gender IN ('male', 'female', 'unknown')", name="gender_known"),
        CheckConstraint("paid_visit_count >= 0", name="visit_count_non_negative"),
        Index("ix_members_birthday_md", "birthday_month", "birthday_day"),
        # Segments (app/marketing/segments.py) read live members' own columns from this index alone:
        # the members of some tiers by range, every other column a member condition compares as
        # included values -- tens of MB against the table's hundreds (migration 0015). INCLUDE is
        # PostgreSQL's; SQLite indexes the keys.
        Index(
            "ix_members_segment",
            "tier_id",
            "id",
            postgresql_include=[
                "last_paid_visit_at",
                "paid_visit_count",
                "total_paid_fen",
                "average_ticket_fen",
                "lifecycle",
                "value_class",
                "birthday_month",
                "registered_store_id",
            ],
            postgresql_where=text("merged_into_id IS NULL"),
            sqlite_where=text("merged_into_id IS NULL"),
        ),
        # The accounts merged into a member (a settle looks for their pending referral): few rows (0017).
        Index(
            "ix_members_merged_into_id",
            "merged_into_id",
            postgresql_where=text("merged_into_id IS NOT NULL"),
            sqlite_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appid: Mapped[str | None] = mapped_column(String(64))
    openid: Mapped[str | None] = mapped_column(String(64))
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Never leaves the server and is never logged or serialised.
    session_key: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(8), default="unknown")
    birthday: Mapped[date | None] = mapped_column(Date)
    # Month and day apart so the birthday job finds today's members by index.
    birthday_month: Mapped[int | None]
    birthday_day: Mapped[int | None]
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    referral_code: Mapped[str] = mapped_column(String(12), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="wechat")
    registered_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # Set when a counter-registered member and a WeChat login turn out to be the same person.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    last_paid_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_paid_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_visit_count: Mapped[int] = mapped_column(default=0)
    total_paid_fen: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Derived visit metrics (app/members/metrics.py): kept current on settle/refund, recomputable in bulk.
    average_ticket_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    mean_visit_interval_days: Mapped[int | None]
    lifecycle: Mapped[str] = mapped_column(String(16), default="new", server_default="new", index=True)
    value_class: Mapped[str] = mapped_column(String(8), default="none", server_default="none", index=True)
    # Bumped on logout and when the owner blocks the member: older tokens stop working.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # A blocked member cannot log in; the owner says why.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(200))
    # Profile facts staff keep (app/members/profile.py; migration 0031): optional, for segments and stats.
    birth_year: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(50))
    occupation: Mapped[str | None] = mapped_column(String(16))
    car_use: Mapped[str | None] = mapped_column(String(16))
    acquisition_channel: Mapped[str | None] = mapped_column(String(16))

    tier: Mapped[Tier | None] = relationship(lazy="joined")
    # Loaded when read (a list that shows tags asks for them with selectinload): loading a member
    # to settle an order or value a tender needs no tags.
    tags: Mapped[list[Tag]] = relationship(secondary="member_tags", order_by=Tag.id)
    # Read only (cars are claimed and moved through app/members/vehicle_services.py); staff read a
    # member with their cars, and a list that shows them asks for them with selectinload.
    vehicles: Mapped[list["Vehicle"]] = relationship(viewonly=True, order_by="Vehicle.id")


# The annual-inspection classes staff can record on a car (app/marketing/inspection.py).
INSPECTION_CLASSES = ("small_passenger", "van", "commercial")


class Vehicle(db.Model):
    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("mileage_km >= 0", name="mileage_non_negative"),
        CheckConstraint(
            f"inspection_class IS NULL OR inspection_class IN ({', '.join(repr(c) for c in INSPECTION_CLASSES)})",
            name="inspection_class_known",
        ),
        # The counter's search by any part of the plate (LIKE '%fragment%'): a trigram index on
        # PostgreSQL (migration 0012 adds pg_trgm); SQLite has a plain index of the same name.
        Index("ix_vehicles_plate_trgm", "plate", postgresql_using="gin", postgresql_ops={"plate": "gin_trgm_ops"}),
        # Segments' car age: whether a member has a car bought in a window, from the index alone (0015).
        Index("ix_vehicles_member_id_purchase_date", "member_id", "purchase_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for walk-in cars the counter has seen but no member has claimed.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10), unique=True)
    model: Mapped[str | None] = mapped_column(String(100))
    purchase_date: Mapped[date | None] = mapped_column(Date, index=True)
    mileage_km: Mapped[int | None]
    mileage_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # First reading, so the car's own km/day can be projected.
    first_mileage_km: Mapped[int | None]
    first_mileage_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_maintenance_date: Mapped[date | None] = mapped_column(Date)
    last_maintenance_km: Mapped[int | None]
    next_maintenance_due_date: Mapped[date | None] = mapped_column(Date, index=True)
    next_maintenance_due_km: Mapped[int | None]
    # The calendar rule's date of the last maintenance (months after it), kept apart so a new
    # mileage reading can move the km rule's date without losing it (app/members/maintenance.py).
    next_maintenance_months_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    # The counter's record (migration 0026): VIN with its check digit, registration (行驶证注册日期,
    # which the annual inspection counts from) and the insurance policy's end (续保提醒).
    vin: Mapped[str | None] = mapped_column(String(17), index=True, unique=True)
    registration_date: Mapped[date | None] = mapped_column(Date, index=True)
    insurance_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    # How the annual-inspection rule applies (migration 0031): NULL (not recorded) is taken as a
    # non-commercial small passenger car, the usual member's car; vans and commercial cars follow
    # other schedules and get no inspection reminder.
    inspection_class: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member | None] = relationship()


class PlateTrigram(db.Model):
    """Each run of three characters in a car's plate (粤B12345: 粤B1, B12, 123, 234, 345), for the
    counter's lookup (app/members/counter_lookup.py): its primary key is the B-tree that counts a
    fragment's cars and gives the first of them by plate from the index alone.

    Written only by the database: triggers on vehicles (migration 0042) add a car's rows when it is
    inserted, replace them when its plate changes and remove them when it is deleted, in the same
    transaction, whichever code or bulk load writes the car; so no foreign key to check per row."""

    __tablename__ = "plate_trigrams"

    trigram: Mapped[str] = mapped_column(String(3), primary_key=True)
    plate: Mapped[str] = mapped_column(String(10), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(primary_key=True)


class PlateTrigramCount(db.Model):
    """How many cars hold a plate trigram, as rows to add up: each statement that adds or removes
    cars' trigrams adds one row per trigram it touched (+n, -n), so writers never wait on a shared
    row; the nightly ``plate_trigram_counts`` job folds each trigram's rows into one. The counter's
    lookup of a three-character fragment reads its total here rather than counting the cars.

    Written only by the database: triggers on ``plate_trigrams`` (migration 0045)."""

    __tablename__ = "plate_trigram_counts"
    __table_args__ = (Index("ix_plate_trigram_counts_trigram_cars", "trigram", "cars"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trigram: Mapped[str] = mapped_column(String(3))
    cars: Mapped[int]


class MemberMetricCuts(db.Model):
    """The value-class cut points of the last bulk recomputation (one row), so a single member's
    class can be re-derived on settle without ranking the whole population again."""

    __tablename__ = "member_metric_cuts"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    cuts: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
