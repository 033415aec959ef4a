"""index of the accounts merged into a member, for the pending-referral check in every settle

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    # A settle looks up the pending referral of the member or of an account merged into it; without
    # this, PostgreSQL checks every pending referral against the members table (tens of ms at a
    # million members). Merged accounts are few, so the partial index is tiny.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_members_merged_into_id",
            ["merged_into_id"],
            unique=False,
            sqlite_where=sa.text("merged_into_id IS NOT NULL"),
            postgresql_where=sa.text("merged_into_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_merged_into_id")
