"""Work orders, their lines, the tenders that paid them and the number sequence per store and day."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

# open → in_progress → completed → settled (or cancelled); settled → refunded. "paying" is a completed
# order whose remainder is waiting for a WeChat payment started from the mini-program.
STATUSES = ("open", "in_progress", "completed", "paying", "settled", "cancelled", "refunded")
SETTLEABLE = ("open", "in_progress", "completed")
# On the workshop board until settled or cancelled (the car is still at the shop).
UNFINISHED = ("open", "in_progress", "completed", "paying")
EDITABLE = ("open", "in_progress")
# Extra work (增项) waits for the member: lines added once work has started, or flagged by the advisor.
# not_needed and approved lines are charged; pending lines block settling; declined lines stay on the
# order, priced out. Decided in the mini-program by the member or recorded by staff after a phone call.
APPROVALS = ("not_needed", "pending", "approved", "declined")
APPROVAL_CHANNELS = ("mini_program", "phone")
TENDER_TYPES = (
    "stored_value",
    "points",
    "coupon",
    "package_card",
    "period_card",
    "cash",
    "wechat",
    "alipay",
    "card",
    "on_account",
)
MONEY_TYPES = ("cash", "wechat", "alipay", "card")
# A tender row's status (WorkOrderPayment.status): see the model's docstring.
TENDER_STATUSES = ("posted", "held", "pending", "released")
LINE_KINDS = ("labor", "part", "hourly", "custom")


class WorkOrder(db.Model):
    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'in_progress', 'completed', 'paying', 'settled', 'cancelled', 'refunded')",
            name="status_known",
        ),
        CheckConstraint("subtotal_fen >= 0 AND discount_fen >= 0 AND total_fen >= 0", name="amounts_non_negative"),
        CheckConstraint("paid_fen >= 0", name="paid_non_negative"),
        CheckConstraint("manual_discount_kind IN ('amount', 'percent')", name="manual_discount_kind_known"),
        CheckConstraint("manual_discount_fen >= 0", name="manual_discount_non_negative"),
        Index("ix_work_orders_store_id_status", "store_id", "status"),
        Index("ix_work_orders_member_id_created_at", "member_id", "created_at"),
        Index("ix_work_orders_settled_at", "settled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # The booking this order was opened from (bookings link back through their own table).
    booking_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    mileage_km: Mapped[int | None]
    subtotal_fen: Mapped[int] = mapped_column(default=0)
    discount_fen: Mapped[int] = mapped_column(default=0)
    total_fen: Mapped[int] = mapped_column(default=0)
    # Money the customer paid for this order: cash, WeChat, Alipay, bank card and stored value.
    paid_fen: Mapped[int] = mapped_column(default=0)
    points_earned: Mapped[int] = mapped_column(default=0)
    opened_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    settled_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # When work began (first in_progress, or completed straight from open) and when the car was last
    # reported ready (cleared when the order goes back to in_progress): what the member follows.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_reason: Mapped[str | None] = mapped_column(String(200))
    # A manual discount on the whole order (整单折扣, migration 0027): ``amount`` fen off, or
    # ``percent`` off what the lines come to; ``manual_discount_fen`` is what it took off.
    manual_discount_kind: Mapped[str | None] = mapped_column(String(10))
    manual_discount_value: Mapped[int | None]
    manual_discount_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    manual_discount_reason: Mapped[str | None] = mapped_column(String(200))
    manual_discount_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def manual_discount(self):
        if self.manual_discount_kind is None:
            return None
        return {
            "kind": self.manual_discount_kind,
            "value": self.manual_discount_value,
            "discount_fen": self.manual_discount_fen,
            "reason": self.manual_discount_reason,
            "by_staff_id": self.manual_discount_by_staff_id,
        }

    lines: Mapped[list["WorkOrderLine"]] = relationship(
        back_populates="work_order", order_by="WorkOrderLine.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["WorkOrderPayment"]] = relationship(order_by="WorkOrderPayment.id")
    # The car, read-only, for its model on lists and the workshop board (lists load it for the
    # whole page in one statement; one order reads it when dumped).
    vehicle = relationship("Vehicle", foreign_keys=[vehicle_id], viewonly=True)

    @property
    def vehicle_model(self):
        return self.vehicle.model if self.vehicle is not None else None

    @property
    def billable_lines(self):
        """The lines the member pays for: every line but the declined extra work."""
        return [line for line in self.lines if line.approval != "declined"]

    @property
    def pending_line_ids(self):
        return [line.id for line in self.lines if line.approval == "pending"]


class WorkOrderLine(db.Model):
    """One labor item or part. Prices are copied when the line is added; the tier discount is set
    when the order is priced (per unit, rounded down in the customer's favour)."""

    __tablename__ = "work_order_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('labor', 'part', 'hourly', 'custom')", name="kind_known"),
        CheckConstraint(
            "(kind = 'labor' AND service_item_id IS NOT NULL AND part_id IS NULL)"
            " OR (kind = 'part' AND part_id IS NOT NULL AND service_item_id IS NULL)"
            " OR (kind IN ('hourly', 'custom') AND service_item_id IS NULL AND part_id IS NULL)",
            name="one_catalog_reference",
        ),
        CheckConstraint("(kind = 'hourly') = (labor_hours_x100 IS NOT NULL)", name="hours_on_hourly_lines"),
        CheckConstraint("manual_discount_kind IN ('percent', 'unit_price')", name="manual_discount_kind_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "unit_price_fen >= 0 AND unit_net_fen >= 0 AND unit_net_fen <= unit_price_fen", name="unit_prices_valid"
        ),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_percent_range"),
        CheckConstraint("approval IN ('not_needed', 'pending', 'approved', 'declined')", name="approval_known"),
        CheckConstraint("approval_via IS NULL OR approval_via IN ('mini_program', 'phone')", name="approval_via_known"),
        # A decision always says how it was made, and a phone approval carries the advisor's note.
        CheckConstraint(
            "approval NOT IN ('approved', 'declined') OR approval_via IS NOT NULL", name="approval_decided"
        ),
        CheckConstraint(
            "approval_via IS NULL OR approval_via <> 'phone' OR approval_note IS NOT NULL", name="phone_note"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16))  # the service item's category, or "part"
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    discount_percent: Mapped[int] = mapped_column(default=0)
    unit_net_fen: Mapped[int]
    approval: Mapped[str] = mapped_column(String(12), default="not_needed", server_default="not_needed")
    # Who decided and how: the member in the mini-program, or staff recording a phone call (with a note).
    approval_via: Mapped[str | None] = mapped_column(String(16))
    approval_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    approval_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approval_note: Mapped[str | None] = mapped_column(String(200))
    approval_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hand pricing (migration 0027). An hourly line (自由工时) costs its hours (in hundredths) × the
    # store's labor rate; a custom line (自定义项目) carries the price staff gave it. Who added a
    # line is kept for every line: on those two it is who made the price.
    labor_hours_x100: Mapped[int | None]
    added_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # A manual discount (手工折扣 / 改价) on the line, per unit so every unit keeps a whole-fen price:
    # ``percent`` off the unit's price after the tier discount, or ``unit_price`` the new unit price.
    manual_discount_kind: Mapped[str | None] = mapped_column(String(10))
    manual_discount_value: Mapped[int | None]
    manual_discount_reason: Mapped[str | None] = mapped_column(String(200))
    manual_discount_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    work_order: Mapped[WorkOrder] = relationship(back_populates="lines")
    # Read with the lines (one more statement per set of lines, never one per line).
    technicians: Mapped[list["WorkOrderLineTechnician"]] = relationship(
        order_by="WorkOrderLineTechnician.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def labor_hours(self):
        """The hours of an hourly line as written, e.g. "1.50" (None on other lines)."""
        if self.labor_hours_x100 is None:
            return None
        whole, hundredths = divmod(self.labor_hours_x100, 100)
        return f"{whole}.{hundredths:02d}"

    @property
    def manual_discount(self):
        if self.manual_discount_kind is None:
            return None
        return {
            "kind": self.manual_discount_kind,
            "value": self.manual_discount_value,
            "reason": self.manual_discount_reason,
            "by_staff_id": self.manual_discount_by_staff_id,
        }

    @property
    def gross_fen(self):
        return self.unit_price_fen * self.quantity

    @property
    def line_total_fen(self):
        return self.unit_net_fen * self.quantity

    @property
    def discount_fen(self):
        return self.gross_fen - self.line_total_fen


class DiscountLimit(db.Model):
    """How far a role may discount by hand without the owner (the owner has no limit): a discount
    is within it when it takes off at most ``max_percent`` of what it applies to and at most
    ``max_fen``. A role without a row has the default (discounts.DEFAULT_LIMIT)."""

    __tablename__ = "discount_limits"
    __table_args__ = (
        CheckConstraint("max_percent >= 0 AND max_percent <= 100", name="max_percent_range"),
        CheckConstraint("max_fen >= 0", name="max_fen_non_negative"),
    )

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    max_percent: Mapped[int]
    max_fen: Mapped[int]


class WorkOrderLineTechnician(db.Model):
    """A technician (or the advisor) who worked a line, with their share of it in percent; the
    shares of a line add up to 100 (services enforce it). Commission is split by these shares."""

    __tablename__ = "work_order_line_technicians"
    __table_args__ = (
        UniqueConstraint("line_id", "staff_id"),
        CheckConstraint("share_percent >= 1 AND share_percent <= 100", name="share_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("work_order_lines.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    share_percent: Mapped[int]
    assigned_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff = relationship("Staff", foreign_keys=[staff_id], lazy="joined", viewonly=True)

    @property
    def username(self):
        return self.staff.username


class WorkOrderPayment(db.Model):
    """One tender of a settlement with the value the server gave it.

    ``status``: posted (part of the settlement), held (debited for a pending mini-program payment),
    pending (the WeChat remainder not yet paid), released (a hold given back when the payment closed).
    ``ref_type``/``ref_id`` name the reference the instrument's ledger entry carries.
    """

    __tablename__ = "work_order_payments"
    __table_args__ = (
        CheckConstraint(
            "type IN ('stored_value', 'points', 'coupon', 'package_card', 'period_card', 'cash', 'wechat',"
            " 'alipay', 'card', 'on_account')",
            name="type_known",
        ),
        CheckConstraint("status IN ('posted', 'held', 'pending', 'released')", name="status_known"),
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="posted")
    points: Mapped[int | None]
    member_coupon_id: Mapped[int | None] = mapped_column(index=True)  # campaign results join on it
    card_id: Mapped[int | None]
    service_item_id: Mapped[int | None]
    line_id: Mapped[int | None] = mapped_column(ForeignKey("work_order_lines.id", ondelete="SET NULL"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("work_order_pay_attempts.id"), index=True)
    # The account an on_account tender charged (挂账, migration 0028).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    ref_type: Mapped[str] = mapped_column(String(32), default="work_order")
    ref_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkOrderPayAttempt(db.Model):
    """A member paying a completed order from the mini-program: the tenders held under this
    attempt's reference and the WeChat payment for the remainder."""

    __tablename__ = "work_order_pay_attempts"
    __table_args__ = (
        # paid_late: WeChat reported success after the attempt was closed and its holds released.
        CheckConstraint("status IN ('pending', 'paid', 'closed', 'paid_late')", name="status_known"),
        CheckConstraint("remainder_fen > 0", name="remainder_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    payment_order_id: Mapped[int | None] = mapped_column(unique=True)
    remainder_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkOrderSequence(db.Model):
    """The last number handed out per store and local day (S1-20261125-007)."""

    __tablename__ = "work_order_sequences"
    __table_args__ = (UniqueConstraint("store_id", "day", name="uq_work_order_sequences_store_id_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    day: Mapped[date] = mapped_column(Date)
    last_number: Mapped[int] = mapped_column(default=0)
