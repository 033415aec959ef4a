"""shift closes (交班) with the counted cash, and the store whose till a top-up or principal refund went through

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "till_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float_fen", sa.Integer(), nullable=False),
        sa.Column("expected_cash_fen", sa.Integer(), nullable=False),
        sa.Column("counted_cash_fen", sa.Integer(), nullable=False),
        sa.Column("difference_fen", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("counted_cash_fen >= 0", name=op.f("ck_till_shifts_counted_non_negative")),
        sa.CheckConstraint("opening_float_fen >= 0", name=op.f("ck_till_shifts_float_non_negative")),
        sa.CheckConstraint(
            "difference_fen = counted_cash_fen - expected_cash_fen",
            name=op.f("ck_till_shifts_difference_is_counted_less_expected"),
        ),
        sa.CheckConstraint("closed_at >= started_at", name=op.f("ck_till_shifts_closed_after_start")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_till_shifts_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_till_shifts_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_shifts")),
        sa.UniqueConstraint("store_id", "staff_id", "started_at", name="uq_till_shifts_store_staff_start"),
    )
    with op.batch_alter_table("till_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_till_shifts_store_id_business_date", ["store_id", "business_date"], unique=False)

    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_wallet_entries_store_id_stores"), "stores", ["store_id"], ["id"])
        batch_op.create_index("ix_wallet_entries_store_id_created_at", ["store_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_entries_store_id_created_at")
        batch_op.drop_constraint(batch_op.f("fk_wallet_entries_store_id_stores"), type_="foreignkey")
        batch_op.drop_column("store_id")

    with op.batch_alter_table("till_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_till_shifts_store_id_business_date")

    op.drop_table("till_shifts")
