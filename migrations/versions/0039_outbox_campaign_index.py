"""fewer outbox indexes to write per queued message: the index on campaign_id alone goes (the
(campaign_id, status) index serves every look-up by campaign and the campaigns' foreign key); the
(kind, occasion_date), (member_id, sms_at) and created_at indexes hold only the messages with an
occasion day, an SMS, an SMS outcome: the only rows the queries they serve can match (the occasion
coupons' day, the SMS cap's last days, the SMS usage report)

A campaign launch queues hundreds of thousands of messages with none of these: each was four index
entries no query reads.

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_marketing_messages_kind_occasion_date": (["kind", "occasion_date"], "occasion_date IS NOT NULL"),
    "ix_marketing_messages_member_id_sms_at": (["member_id", "sms_at"], "sms_at IS NOT NULL"),
    "ix_marketing_messages_created_at": (["created_at"], "sms_outcome IS NOT NULL"),
}


def upgrade():
    op.drop_index("ix_marketing_messages_campaign_id", table_name="marketing_messages")
    for name, (columns, where) in PARTIAL.items():
        op.drop_index(name, table_name="marketing_messages")
        op.create_index(
            name,
            "marketing_messages",
            columns,
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade():
    for name, (columns, _where) in PARTIAL.items():
        op.drop_index(name, table_name="marketing_messages")
        op.create_index(name, "marketing_messages", columns, unique=False)
    op.create_index("ix_marketing_messages_campaign_id", "marketing_messages", ["campaign_id"], unique=False)
