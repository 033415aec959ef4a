"""the daily scan: a member's messages of a kind by time (win-back offers read each lapsed
member's last offer from it); it replaces the (member_id, kind) index, a prefix of it, so a queued
message writes no more index entries than before

Revision ID: 0038
Revises: 0037
"""

from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_marketing_messages_member_id_kind_created_at", "marketing_messages", ["member_id", "kind", "created_at"]
    )
    op.drop_index("ix_marketing_messages_member_id_kind", table_name="marketing_messages")


def downgrade():
    op.create_index("ix_marketing_messages_member_id_kind", "marketing_messages", ["member_id", "kind"])
    op.drop_index("ix_marketing_messages_member_id_kind_created_at", table_name="marketing_messages")
