"""SMS delivery reports: what the carrier reported of each SMS (delivered or not, and when), found
by the provider's serial number

A partial index on the serial (only SMS have one) lets the pulling job find a report's message at
once; the two new columns are nullable, so adding them rewrites no row.

Revision ID: 0044
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "marketing_messages",
        sa.Column(
            "sms_delivery",
            sa.String(length=12),
            sa.CheckConstraint(
                "sms_delivery IN ('delivered', 'undelivered')", name=op.f("ck_marketing_messages_sms_delivery_known")
            ),
            nullable=True,
        ),
    )
    op.add_column("marketing_messages", sa.Column("sms_delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_marketing_messages_sms_serial",
        "marketing_messages",
        ["sms_serial"],
        unique=False,
        postgresql_where=sa.text("sms_serial IS NOT NULL"),
        sqlite_where=sa.text("sms_serial IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_marketing_messages_sms_serial", table_name="marketing_messages")
    # The CHECK sits on its own column, so SQLite drops the columns in place (as 0032).
    for name in ("sms_delivered_at", "sms_delivery"):
        op.drop_column("marketing_messages", name)
