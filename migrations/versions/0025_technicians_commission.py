"""technicians and advisors; who worked each line; commission rules and the commission ledger

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('cashier', 'marketing', 'owner')"
NEW_ROLES = "role IN ('cashier', 'advisor', 'technician', 'marketing', 'owner')"


def upgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", NEW_ROLES)

    op.create_table(
        "work_order_line_technicians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=False),
        sa.Column("assigned_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "share_percent >= 1 AND share_percent <= 100", name=op.f("ck_work_order_line_technicians_share_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_staff_id"], ["staff.id"], name=op.f("fk_work_order_line_technicians_assigned_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["work_order_lines.id"], name=op.f("fk_work_order_line_technicians_line_id_work_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_work_order_line_technicians_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_line_technicians")),
        sa.UniqueConstraint("line_id", "staff_id", name=op.f("uq_work_order_line_technicians_line_id_staff_id")),
    )  # fmt: skip
    with op.batch_alter_table("work_order_line_technicians", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_line_technicians_line_id", ["line_id"], unique=False)
        batch_op.create_index("ix_work_order_line_technicians_staff_id", ["staff_id"], unique=False)

    op.create_table(
        "commission_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("fixed_fen", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN service_item_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN part_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN category IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_commission_rules_one_target"),
        ),
        sa.CheckConstraint("method IN ('percent', 'fixed')", name=op.f("ck_commission_rules_method_known")),
        sa.CheckConstraint("percent >= 0 AND percent <= 100", name=op.f("ck_commission_rules_percent_in_range")),
        sa.CheckConstraint("fixed_fen >= 0", name=op.f("ck_commission_rules_fixed_non_negative")),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_commission_rules_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_commission_rules_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rules")),
        sa.UniqueConstraint("category", name=op.f("uq_commission_rules_category")),
        sa.UniqueConstraint("part_id", name=op.f("uq_commission_rules_part_id")),
        sa.UniqueConstraint("service_item_id", name=op.f("uq_commission_rules_service_item_id")),
    )

    op.create_table(
        "commission_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("basis_fen", sa.Integer(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('earned', 'reversed')", name=op.f("ck_commission_entries_kind_known")),
        sa.ForeignKeyConstraint(["line_id"], ["work_order_lines.id"], name=op.f("fk_commission_entries_line_id_work_order_lines")),
        sa.ForeignKeyConstraint(["rule_id"], ["commission_rules.id"], name=op.f("fk_commission_entries_rule_id_commission_rules")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_commission_entries_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_commission_entries_store_id_stores")),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"], name=op.f("fk_commission_entries_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
        sa.UniqueConstraint(
            "work_order_id", "line_id", "staff_id", "kind",
            name=op.f("uq_commission_entries_work_order_id_line_id_staff_id_kind"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.create_index("ix_commission_entries_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_commission_entries_staff_id_created_at", ["staff_id", "created_at"], unique=False)
        batch_op.create_index("ix_commission_entries_work_order_id", ["work_order_id"], unique=False)


def downgrade():
    op.drop_table("commission_entries")
    op.drop_table("commission_rules")
    op.drop_table("work_order_line_technicians")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", OLD_ROLES)
