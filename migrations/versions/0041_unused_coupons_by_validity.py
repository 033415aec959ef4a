"""the unused coupons by the end of their validity: (valid_until, member_id) of the unused coupons
in place of the index on every coupon's valid_until

"Holds a coupon still valid now" is then a range of this index (the coupons still valid, with their
holders) instead of every unused coupon's entry of the (member_id, valid_until) index, about half of
them past their validity; the expiry notices' day is a range of it too. No query reads used or void
coupons by validity.

Revision ID: 0041
Revises: 0040
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_member_coupons_unused_valid_until",
        "member_coupons",
        ["valid_until", "member_id"],
        unique=False,
        postgresql_where=sa.text("status = 'unused'"),
        sqlite_where=sa.text("status = 'unused'"),
    )
    op.drop_index("ix_member_coupons_valid_until", table_name="member_coupons")


def downgrade():
    op.create_index("ix_member_coupons_valid_until", "member_coupons", ["valid_until"], unique=False)
    op.drop_index("ix_member_coupons_unused_valid_until", table_name="member_coupons")
