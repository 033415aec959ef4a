"""work orders, lines, payments, stock movements

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "part_stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('out', 'return', 'receive', 'adjust')", name=op.f("ck_part_stock_movements_kind_known")
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_part_stock_movements_delta_non_zero")),
        sa.CheckConstraint("stock_after >= 0", name=op.f("ck_part_stock_movements_stock_after_non_negative")),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_part_stock_movements_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["part_stock_movements.id"],
            name=op.f("fk_part_stock_movements_reverses_id_part_stock_movements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_stock_movements")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_part_stock_movements_reverses_id")),
    )
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_stock_movements_part_id"), ["part_id"], unique=False)
        batch_op.create_index("ix_part_stock_movements_ref", ["ref_type", "ref_id"], unique=False)
    op.create_table(
        "part_low_stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["part_stock_movements.id"],
            name=op.f("fk_part_low_stock_alerts_movement_id_part_stock_movements"),
        ),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_part_low_stock_alerts_part_id_parts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_low_stock_alerts")),
    )
    with op.batch_alter_table("part_low_stock_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_low_stock_alerts_part_id"), ["part_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_part_low_stock_alerts_resolved_at"), ["resolved_at"], unique=False)
    op.create_table(
        "tier_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_tier_id", sa.Integer(), nullable=True),
        sa.Column("to_tier_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("spend_12m_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('upgrade', 'review_upgrade', 'review_downgrade')", name=op.f("ck_tier_changes_reason_known")
        ),
        sa.ForeignKeyConstraint(["from_tier_id"], ["tiers.id"], name=op.f("fk_tier_changes_from_tier_id_tiers")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_tier_changes_member_id_members")),
        sa.ForeignKeyConstraint(["to_tier_id"], ["tiers.id"], name=op.f("fk_tier_changes_to_tier_id_tiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
    )
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.create_index("ix_tier_changes_member_id_id", ["member_id", "id"], unique=False)
    op.create_table(
        "work_order_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_work_order_sequences_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_sequences")),
        sa.UniqueConstraint("store_id", "day", name="uq_work_order_sequences_store_id_day"),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mileage_km", sa.Integer(), nullable=True),
        sa.Column("subtotal_fen", sa.Integer(), nullable=False),
        sa.Column("discount_fen", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("points_earned", sa.Integer(), nullable=False),
        sa.Column("opened_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("settled_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'completed', 'paying', 'settled', 'cancelled', 'refunded')",
            name=op.f("ck_work_orders_status_known"),
        ),
        sa.CheckConstraint("paid_fen >= 0", name=op.f("ck_work_orders_paid_non_negative")),
        sa.CheckConstraint(
            "subtotal_fen >= 0 AND discount_fen >= 0 AND total_fen >= 0",
            name=op.f("ck_work_orders_amounts_non_negative"),
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_work_orders_member_id_members")),
        sa.ForeignKeyConstraint(
            ["opened_by_staff_id"], ["staff.id"], name=op.f("fk_work_orders_opened_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["settled_by_staff_id"], ["staff.id"], name=op.f("fk_work_orders_settled_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_work_orders_store_id_stores")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_work_orders_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_work_orders_number")),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_orders_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_work_orders_member_id_created_at", ["member_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_orders_plate"), ["plate"], unique=False)
        batch_op.create_index("ix_work_orders_settled_at", ["settled_at"], unique=False)
        batch_op.create_index("ix_work_orders_store_id_status", ["store_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_orders_vehicle_id"), ["vehicle_id"], unique=False)
    op.create_table(
        "work_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("unit_net_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'labor' AND service_item_id IS NOT NULL AND part_id IS NULL) OR (kind = 'part' AND part_id IS NOT NULL AND service_item_id IS NULL)",
            name=op.f("ck_work_order_lines_one_catalog_reference"),
        ),
        sa.CheckConstraint("kind IN ('labor', 'part')", name=op.f("ck_work_order_lines_kind_known")),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_work_order_lines_discount_percent_range")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_work_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price_fen >= 0 AND unit_net_fen >= 0 AND unit_net_fen <= unit_price_fen",
            name=op.f("ck_work_order_lines_unit_prices_valid"),
        ),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_work_order_lines_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_work_order_lines_service_item_id_service_items")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_lines_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_lines")),
    )
    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_lines_work_order_id"), ["work_order_id"], unique=False)
    op.create_table(
        "work_order_pay_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("payment_order_id", sa.Integer(), nullable=True),
        sa.Column("remainder_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'closed', 'paid_late')", name=op.f("ck_work_order_pay_attempts_status_known")
        ),
        sa.CheckConstraint("remainder_fen > 0", name=op.f("ck_work_order_pay_attempts_remainder_positive")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_work_order_pay_attempts_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_pay_attempts_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_pay_attempts")),
        sa.UniqueConstraint("payment_order_id", name=op.f("uq_work_order_pay_attempts_payment_order_id")),
    )
    with op.batch_alter_table("work_order_pay_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_pay_attempts_work_order_id"), ["work_order_id"], unique=False)
    op.create_table(
        "work_order_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("member_coupon_id", sa.Integer(), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("ref_type", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('posted', 'held', 'pending', 'released')", name=op.f("ck_work_order_payments_status_known")
        ),
        sa.CheckConstraint(
            "type IN ('stored_value', 'points', 'coupon', 'package_card', 'cash', 'wechat', 'alipay', 'card')",
            name=op.f("ck_work_order_payments_type_known"),
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_work_order_payments_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["work_order_pay_attempts.id"],
            name=op.f("fk_work_order_payments_attempt_id_work_order_pay_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["work_order_lines.id"],
            name=op.f("fk_work_order_payments_line_id_work_order_lines"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_payments_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_payments")),
    )
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_payments_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_payments_work_order_id"), ["work_order_id"], unique=False)


def downgrade():
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_payments_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_payments_attempt_id"))
    op.drop_table("work_order_payments")
    with op.batch_alter_table("work_order_pay_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_pay_attempts_work_order_id"))
    op.drop_table("work_order_pay_attempts")
    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_lines_work_order_id"))
    op.drop_table("work_order_lines")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_orders_vehicle_id"))
        batch_op.drop_index("ix_work_orders_store_id_status")
        batch_op.drop_index("ix_work_orders_settled_at")
        batch_op.drop_index(batch_op.f("ix_work_orders_plate"))
        batch_op.drop_index("ix_work_orders_member_id_created_at")
        batch_op.drop_index(batch_op.f("ix_work_orders_booking_id"))
    op.drop_table("work_orders")
    op.drop_table("work_order_sequences")
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_tier_changes_member_id_id")
    op.drop_table("tier_changes")
    with op.batch_alter_table("part_low_stock_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_low_stock_alerts_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_part_low_stock_alerts_part_id"))
    op.drop_table("part_low_stock_alerts")
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_part_stock_movements_ref")
        batch_op.drop_index(batch_op.f("ix_part_stock_movements_part_id"))
    op.drop_table("part_stock_movements")
