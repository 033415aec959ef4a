"""deferred events: the transactional outbox of consequences processed after the commit (the
owner's figures after a settle), each exactly once

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deferred_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("ref_type", sa.String(40), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    op.create_index("ix_deferred_events_ref", "deferred_events", ["ref_type", "ref_id"])
    op.create_index(
        "ix_deferred_events_pending",
        "deferred_events",
        ["id"],
        postgresql_where=sa.text("processed_at IS NULL"),
        sqlite_where=sa.text("processed_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_deferred_events_pending", table_name="deferred_events")
    op.drop_index("ix_deferred_events_ref", table_name="deferred_events")
    op.drop_table("deferred_events")
