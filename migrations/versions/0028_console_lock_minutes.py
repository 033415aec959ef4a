"""the staff console's idle lock: minutes of quiet before it locks, a merchant setting

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    # Added in place with its CHECK on the column (as 0027 did for stores.labor_rate_fen): no rebuild
    # of merchant_settings, and SQLite can drop the column again on the way down.
    op.add_column(
        "merchant_settings",
        sa.Column(
            "console_lock_minutes",
            sa.Integer(),
            sa.CheckConstraint(
                "console_lock_minutes BETWEEN 1 AND 240", name=op.f("ck_merchant_settings_console_lock_minutes_range")
            ),
            server_default="5",
            nullable=False,
        ),
    )


def downgrade():
    op.drop_column("merchant_settings", "console_lock_minutes")
