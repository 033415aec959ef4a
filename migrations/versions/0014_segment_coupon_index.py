"""index of members' unused coupons for segment conditions

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    # Segments' "holds an unused coupon" (and the count of them): the holders, in member order, with
    # the expiry to compare, read from the index alone -- a few MB instead of the coupon table.
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_coupons_unused_member",
            ["member_id", "valid_until"],
            unique=False,
            sqlite_where=sa.text("status = 'unused'"),
            postgresql_where=sa.text("status = 'unused'"),
        )


def downgrade():
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_member_coupons_unused_member")
