"""indexes for the daily scheduler scan and campaign results

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # Campaign results join the coupon tenders of work orders to the campaign's coupons.
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_payments_member_coupon_id", ["member_coupon_id"], unique=False)
    # The occasion jobs find the day's messages of a kind (to issue and link their coupons)
    # without reading the whole outbox.
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.create_index("ix_marketing_messages_kind_occasion_date", ["kind", "occasion_date"], unique=False)


def downgrade():
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_messages_kind_occasion_date")
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_payments_member_coupon_id")
