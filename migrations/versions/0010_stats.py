"""indexes for the owner's statistics

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # A covering index for the work-order figures of the stats (see app/stats/models.py).
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_orders_stats",
            ["status", "settled_at", "store_id", "member_id", "vehicle_id", "total_fen", "paid_fen"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_work_orders_stats")
