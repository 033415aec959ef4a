"""the outbox loses its index on campaign_id alone: the (campaign_id, status) index serves every
query by campaign (and the campaigns' foreign key), and one index fewer is one less to write for
each of the hundreds of thousands of messages a campaign launch queues

Revision ID: 0039
Revises: 0037
"""

from alembic import op

revision = "0039"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_marketing_messages_campaign_id", table_name="marketing_messages")


def downgrade():
    op.create_index("ix_marketing_messages_campaign_id", "marketing_messages", ["campaign_id"], unique=False)
