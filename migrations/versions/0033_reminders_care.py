"""more reminders: insurance renewal and annual inspection lead days, a car's inspection class, the holiday calendar

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

INSPECTION_CLASSES = "'small_passenger', 'van', 'commercial'"


def upgrade():
    # Added in place with their CHECKs on the columns (as 0028 did): no table rebuild on SQLite.
    op.add_column(
        "marketing_settings",
        sa.Column("insurance_reminder_days", sa.JSON(), nullable=False, server_default="[30, 7]"),
    )
    op.add_column(
        "marketing_settings",
        sa.Column(
            "inspection_reminder_days",
            sa.Integer(),
            sa.CheckConstraint(
                "inspection_reminder_days BETWEEN 1 AND 90",
                name=op.f("ck_marketing_settings_inspection_reminder_days_range"),
            ),
            nullable=False,
            server_default="30",
        ),
    )
    op.add_column(
        "vehicles",
        sa.Column(
            "inspection_class",
            sa.String(length=16),
            sa.CheckConstraint(
                f"inspection_class IS NULL OR inspection_class IN ({INSPECTION_CLASSES})",
                name=op.f("ck_vehicles_inspection_class_known"),
            ),
            nullable=True,
        ),
    )
    # The annual-inspection job looks cars up by registration date.
    op.create_index("ix_vehicles_registration_date", "vehicles", ["registration_date"])
    op.create_table(
        "marketing_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days_before BETWEEN 0 AND 30", name=op.f("ck_marketing_holidays_days_before_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_holidays")),
        sa.UniqueConstraint("day", "name", name="uq_marketing_holidays_day_name"),
    )
    op.create_index("ix_marketing_holidays_day", "marketing_holidays", ["day"])


def downgrade():
    op.drop_index("ix_marketing_holidays_day", table_name="marketing_holidays")
    op.drop_table("marketing_holidays")
    op.drop_index("ix_vehicles_registration_date", table_name="vehicles")
    op.drop_column("vehicles", "inspection_class")
    op.drop_column("marketing_settings", "inspection_reminder_days")
    op.drop_column("marketing_settings", "insurance_reminder_days")
