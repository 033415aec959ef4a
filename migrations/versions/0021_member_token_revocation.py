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
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("blocked_reason", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("members") as batch:
        batch.drop_column("blocked_reason")
        batch.drop_column("blocked_at")
        batch.drop_column("token_version")
