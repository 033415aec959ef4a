"""indexes for segment conditions on members' own columns and their cars' purchase dates

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The member columns segment conditions compare besides the tier (as declared on the model).
SEGMENT_COLUMNS = [
    "last_paid_visit_at",
    "paid_visit_count",
    "total_paid_fen",
    "average_ticket_fen",
    "lifecycle",
    "value_class",
    "birthday_month",
    "registered_store_id",
]


def upgrade():
    # Segments read live members' own columns from this index alone: the members of some tiers by
    # range, every other member column a condition compares as included values -- a few dozen MB
    # instead of the members table's hundreds. INCLUDE is PostgreSQL's; SQLite gets the keys only.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_members_segment",
            ["tier_id", "id"],
            unique=False,
            postgresql_include=SEGMENT_COLUMNS,
            postgresql_where=sa.text("merged_into_id IS NULL"),
            sqlite_where=sa.text("merged_into_id IS NULL"),
        )
    # A segment's car age: whether the member has a car bought in a window, from the index alone.
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index("ix_vehicles_member_id_purchase_date", ["member_id", "purchase_date"], unique=False)


def downgrade():
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicles_member_id_purchase_date")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_segment")
