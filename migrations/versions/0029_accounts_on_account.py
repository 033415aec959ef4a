"""on account (挂账): company, fleet and insurer accounts, their receivables, repayments,
allocations and append-only entries; the on_account tender on work order payments

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

OLD_TYPES = "type IN ('stored_value', 'points', 'coupon', 'package_card', 'cash', 'wechat', 'alipay', 'card')"
NEW_TYPES = (
    "type IN ('stored_value', 'points', 'coupon', 'package_card', 'cash', 'wechat', 'alipay', 'card', 'on_account')"
)

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("tax_number", sa.String(length=30), nullable=True),
        sa.Column("credit_limit_fen", sa.Integer(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("suspend_after_overdue_days", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("suspended_by", sa.String(length=10), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("balance_fen", sa.Integer(), nullable=False),
        sa.Column("credit_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('company', 'fleet', 'insurer')", name=op.f("ck_accounts_kind_known")),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_accounts_status_known")),
        sa.CheckConstraint(
            "suspended_by IS NULL OR suspended_by IN ('owner', 'overdue')", name=op.f("ck_accounts_suspended_by_known")
        ),
        sa.CheckConstraint("credit_fen >= 0", name=op.f("ck_accounts_credit_non_negative")),
        sa.CheckConstraint("credit_limit_fen >= 0", name=op.f("ck_accounts_credit_limit_non_negative")),
        sa.CheckConstraint("payment_terms_days >= 0", name=op.f("ck_accounts_payment_terms_non_negative")),
        sa.CheckConstraint(
            "suspend_after_overdue_days IS NULL OR suspend_after_overdue_days >= 1",
            name=op.f("ck_accounts_suspend_after_positive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "account_repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_via", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "paid_via IN ('transfer', 'cash', 'wechat', 'alipay', 'card', 'cheque')",
            name=op.f("ck_account_repayments_paid_via_known"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_account_repayments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_repayments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_staff_id"], ["staff.id"], name=op.f("fk_account_repayments_created_by_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_repayments")),
    )
    with op.batch_alter_table("account_repayments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_repayments_account_id_received_at", ["account_id", "received_at"], unique=False
        )

    op.create_table(
        "account_members",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_members_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_account_members_member_id_members")),
        sa.PrimaryKeyConstraint("account_id", "member_id", name=op.f("pk_account_members")),
    )
    with op.batch_alter_table("account_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_members_member_id"), ["member_id"], unique=False)

    op.create_table(
        "account_vehicles",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_vehicles_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_account_vehicles_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("account_id", "vehicle_id", name=op.f("pk_account_vehicles")),
    )
    with op.batch_alter_table("account_vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_vehicles_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "account_receivables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("open_fen", sa.Integer(), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_fen", sa.Integer(), nullable=False),
        sa.Column("over_limit_approved_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_account_receivables_amount_positive")),
        sa.CheckConstraint(
            "cancelled_fen >= 0 AND cancelled_fen <= amount_fen", name=op.f("ck_account_receivables_cancelled_range")
        ),
        sa.CheckConstraint("open_fen >= 0 AND open_fen <= amount_fen", name=op.f("ck_account_receivables_open_range")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_receivables_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_account_receivables_member_id_members")),
        sa.ForeignKeyConstraint(
            ["over_limit_approved_by"], ["staff.id"], name=op.f("fk_account_receivables_over_limit_approved_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_account_receivables_vehicle_id_vehicles")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_account_receivables_work_order_id_work_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_receivables")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_account_receivables_work_order_id")),
    )
    with op.batch_alter_table("account_receivables", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_receivables_account_id_charged_at", ["account_id", "charged_at"], unique=False
        )

    op.create_table(
        "account_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("receivable_id", sa.Integer(), nullable=False),
        sa.Column("repayment_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_account_allocations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_allocations_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["receivable_id"],
            ["account_receivables.id"],
            name=op.f("fk_account_allocations_receivable_id_account_receivables"),
        ),
        sa.ForeignKeyConstraint(
            ["repayment_id"],
            ["account_repayments.id"],
            name=op.f("fk_account_allocations_repayment_id_account_repayments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_allocations")),
        sa.UniqueConstraint(
            "repayment_id", "receivable_id", name=op.f("uq_account_allocations_repayment_id_receivable_id")
        ),
    )
    with op.batch_alter_table("account_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_allocations_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_account_allocations_receivable_id", ["receivable_id"], unique=False)

    op.create_table(
        "account_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("balance_after_fen", sa.Integer(), nullable=False),
        sa.Column("receivable_id", sa.Integer(), nullable=True),
        sa.Column("repayment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'charge' AND amount_fen > 0) OR (kind <> 'charge' AND amount_fen < 0)",
            name=op.f("ck_account_entries_amount_sign"),
        ),
        sa.CheckConstraint(
            "(kind = 'repayment') = (receivable_id IS NULL)", name=op.f("ck_account_entries_receivable_reference")
        ),
        sa.CheckConstraint(
            "(kind = 'repayment') = (repayment_id IS NOT NULL)", name=op.f("ck_account_entries_repayment_reference")
        ),
        sa.CheckConstraint("kind IN ('charge', 'repayment', 'refund')", name=op.f("ck_account_entries_kind_known")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_account_entries_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["receivable_id"],
            ["account_receivables.id"],
            name=op.f("fk_account_entries_receivable_id_account_receivables"),
        ),
        sa.ForeignKeyConstraint(
            ["repayment_id"], ["account_repayments.id"], name=op.f("fk_account_entries_repayment_id_account_repayments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_entries")),
        sa.UniqueConstraint("repayment_id", name=op.f("uq_account_entries_repayment_id")),
    )
    with op.batch_alter_table("account_entries", schema=None) as batch_op:
        batch_op.create_index("ix_account_entries_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index(
            "uq_account_entries_receivable_once",
            ["receivable_id", "kind"],
            unique=True,
            sqlite_where=sa.text("receivable_id IS NOT NULL"),
            postgresql_where=sa.text("receivable_id IS NOT NULL"),
        )

    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_work_order_payments_account_id_accounts"), "accounts", ["account_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_work_order_payments_type_known"), type_="check")
        batch_op.create_check_constraint("type_known", NEW_TYPES)


def downgrade():
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_work_order_payments_account_id_accounts"), type_="foreignkey")
        batch_op.drop_column("account_id")
        batch_op.drop_constraint(op.f("ck_work_order_payments_type_known"), type_="check")
        batch_op.create_check_constraint("type_known", OLD_TYPES)

    with op.batch_alter_table("account_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_account_entries_receivable_once",
            sqlite_where=sa.text("receivable_id IS NOT NULL"),
            postgresql_where=sa.text("receivable_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_account_entries_account_id_id")

    op.drop_table("account_entries")
    with op.batch_alter_table("account_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_account_allocations_receivable_id")
        batch_op.drop_index(batch_op.f("ix_account_allocations_account_id"))

    op.drop_table("account_allocations")
    with op.batch_alter_table("account_receivables", schema=None) as batch_op:
        batch_op.drop_index("ix_account_receivables_account_id_charged_at")

    op.drop_table("account_receivables")
    with op.batch_alter_table("account_vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_vehicles_vehicle_id"))

    op.drop_table("account_vehicles")
    with op.batch_alter_table("account_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_members_member_id"))

    op.drop_table("account_members")
    with op.batch_alter_table("account_repayments", schema=None) as batch_op:
        batch_op.drop_index("ix_account_repayments_account_id_received_at")

    op.drop_table("account_repayments")
    op.drop_table("accounts")
