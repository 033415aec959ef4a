"""campaign results from one index: (campaign_id, status, channel) with the SMS cost included, of
the campaign messages only, in place of the (campaign_id, status) index

A campaign's results count its messages by status and channel and add up the SMS cost. The index
of 0016 held the first two only, so the counts read every message's row: at a million members the
owner's yearly overview read the 129,000 messages of a year's campaigns from the table, a scan of
every message (227 ms), and now reads them from this index alone (42 ms). Messages of no campaign
(occasions, reminders) are never looked up by campaign and write no entry.

Revision ID: 0043
Revises: 0042
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_marketing_messages_campaign_results",
        "marketing_messages",
        ["campaign_id", "status", "channel"],
        unique=False,
        postgresql_include=["cost_fen"],
        postgresql_where=sa.text("campaign_id IS NOT NULL"),
        sqlite_where=sa.text("campaign_id IS NOT NULL"),
    )
    op.drop_index("ix_marketing_messages_campaign_id_status", table_name="marketing_messages")


def downgrade():
    op.create_index(
        "ix_marketing_messages_campaign_id_status", "marketing_messages", ["campaign_id", "status"], unique=False
    )
    op.drop_index("ix_marketing_messages_campaign_results", table_name="marketing_messages")
