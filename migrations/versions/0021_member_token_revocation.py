"""member tokens can be revoked: a token version per member (logout, blocking) and the owner's block

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    # In place, not by rebuilding the table: many tables point at members, and a SQLite rebuild of
    # a table with rows that others reference fails its foreign-key check.
    op.add_column("members", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    op.add_column("members", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("members", sa.Column("blocked_reason", sa.String(length=200), nullable=True))


def downgrade():
    op.drop_column("members", "blocked_reason")
    op.drop_column("members", "blocked_at")
    op.drop_column("members", "token_version")
