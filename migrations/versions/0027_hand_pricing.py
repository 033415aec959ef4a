"""pricing by hand: hourly and custom lines, manual discounts on lines and orders, each role's
discount limit, and each store's labor rate

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('labor', 'part')"
NEW_KINDS = "kind IN ('labor', 'part', 'hourly', 'custom')"
OLD_REFERENCE = (
    "(kind = 'labor' AND service_item_id IS NOT NULL AND part_id IS NULL)"
    " OR (kind = 'part' AND part_id IS NOT NULL AND service_item_id IS NULL)"
)
NEW_REFERENCE = OLD_REFERENCE + " OR (kind IN ('hourly', 'custom') AND service_item_id IS NULL AND part_id IS NULL)"


def upgrade():
    # Added in place, its CHECK on the column (as 0006 did), so that older downgrades can still drop
    # the stores columns before it on SQLite.
    op.add_column(
        "stores",
        sa.Column(
            "labor_rate_fen",
            sa.Integer(),
            sa.CheckConstraint("labor_rate_fen >= 0", name=op.f("ck_stores_labor_rate_non_negative")),
            server_default="10000",
            nullable=False,
        ),
    )

    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labor_hours_x100", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("added_by_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_value", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_by_staff_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_work_order_lines_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_work_order_lines_one_catalog_reference"), type_="check")
        batch_op.create_check_constraint("kind_known", NEW_KINDS)
        batch_op.create_check_constraint("one_catalog_reference", NEW_REFERENCE)
        batch_op.create_check_constraint("hours_on_hourly_lines", "(kind = 'hourly') = (labor_hours_x100 IS NOT NULL)")
        batch_op.create_check_constraint(
            "manual_discount_kind_known", "manual_discount_kind IN ('percent', 'unit_price')"
        )
        batch_op.create_foreign_key(
            op.f("fk_work_order_lines_added_by_staff_id_staff"), "staff", ["added_by_staff_id"], ["id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_work_order_lines_manual_discount_by_staff_id_staff"),
            "staff",
            ["manual_discount_by_staff_id"],
            ["id"],
        )

    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual_discount_kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_value", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("manual_discount_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("manual_discount_by_staff_id", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("manual_discount_kind_known", "manual_discount_kind IN ('amount', 'percent')")
        batch_op.create_check_constraint("manual_discount_non_negative", "manual_discount_fen >= 0")
        batch_op.create_foreign_key(
            op.f("fk_work_orders_manual_discount_by_staff_id_staff"), "staff", ["manual_discount_by_staff_id"], ["id"]
        )

    op.create_table(
        "discount_limits",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("max_percent", sa.Integer(), nullable=False),
        sa.Column("max_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_percent >= 0 AND max_percent <= 100", name=op.f("ck_discount_limits_max_percent_range")
        ),
        sa.CheckConstraint("max_fen >= 0", name=op.f("ck_discount_limits_max_fen_non_negative")),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_discount_limits")),
    )


def downgrade():
    op.drop_table("discount_limits")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_work_orders_manual_discount_by_staff_id_staff"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_work_orders_manual_discount_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_work_orders_manual_discount_kind_known"), type_="check")
        for column in ("manual_discount_by_staff_id", "manual_discount_reason", "manual_discount_fen",
                       "manual_discount_value", "manual_discount_kind"):  # fmt: skip
            batch_op.drop_column(column)
    op.execute("DELETE FROM work_order_lines WHERE kind IN ('hourly', 'custom')")
    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_work_order_lines_manual_discount_by_staff_id_staff"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_work_order_lines_added_by_staff_id_staff"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_work_order_lines_manual_discount_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_work_order_lines_hours_on_hourly_lines"), type_="check")
        batch_op.drop_constraint(op.f("ck_work_order_lines_one_catalog_reference"), type_="check")
        batch_op.drop_constraint(op.f("ck_work_order_lines_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", OLD_KINDS)
        batch_op.create_check_constraint("one_catalog_reference", OLD_REFERENCE)
        for column in ("manual_discount_by_staff_id", "manual_discount_reason", "manual_discount_value",
                       "manual_discount_kind", "added_by_staff_id", "labor_hours_x100"):  # fmt: skip
            batch_op.drop_column(column)
    op.drop_column("stores", "labor_rate_fen")
