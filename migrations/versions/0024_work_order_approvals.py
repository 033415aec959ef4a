"""work order progress times and the member's approval of extra work on lines

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))

    # Existing lines were all priced without asking: not_needed.
    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval", sa.String(length=12), server_default="not_needed", nullable=False))
        batch_op.add_column(sa.Column("approval_via", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("approval_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approval_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approval_note", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("approval_decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_work_order_lines_approval_member_id_members"), "members", ["approval_member_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_work_order_lines_approval_staff_id_staff"), "staff", ["approval_staff_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_work_order_lines_approval_known"),
            "approval IN ('not_needed', 'pending', 'approved', 'declined')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_work_order_lines_approval_via_known"),
            "approval_via IS NULL OR approval_via IN ('mini_program', 'phone')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_work_order_lines_approval_decided"),
            "approval NOT IN ('approved', 'declined') OR approval_via IS NOT NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_work_order_lines_phone_note"),
            "approval_via IS NULL OR approval_via <> 'phone' OR approval_note IS NOT NULL",
        )


def downgrade():
    with op.batch_alter_table("work_order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_work_order_lines_phone_note"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_work_order_lines_approval_decided"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_work_order_lines_approval_via_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_work_order_lines_approval_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_work_order_lines_approval_staff_id_staff"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_work_order_lines_approval_member_id_members"), type_="foreignkey")
        batch_op.drop_column("approval_decided_at")
        batch_op.drop_column("approval_note")
        batch_op.drop_column("approval_staff_id")
        batch_op.drop_column("approval_member_id")
        batch_op.drop_column("approval_via")
        batch_op.drop_column("approval")

    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
        batch_op.drop_column("started_at")
