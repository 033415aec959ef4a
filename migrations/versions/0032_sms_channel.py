"""a second channel: SMS for reminders without a WeChat grant (the channel, outcome and cost of a
message), the members' SMS opt-outs, and the SMS rules in the marketing settings

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

SETTINGS = (
    ("sms_quiet_start_minute", "1260", "sms_quiet_start_minute BETWEEN 0 AND 1439", "sms_quiet_start_minute_range"),
    ("sms_quiet_end_minute", "480", "sms_quiet_end_minute BETWEEN 0 AND 1439", "sms_quiet_end_minute_range"),
    ("sms_daily_cap", "1", "sms_daily_cap >= 0", "sms_daily_cap_non_negative"),
    ("sms_weekly_cap", "3", "sms_weekly_cap >= 0", "sms_weekly_cap_non_negative"),
    ("sms_cost_fen", "5", "sms_cost_fen >= 0", "sms_cost_fen_non_negative"),
)


def upgrade():
    # Columns added in place with their CHECKs (as 0028 did): no table rebuild on SQLite.
    for name, default, check, check_name in SETTINGS:
        op.add_column(
            "marketing_settings",
            sa.Column(
                name,
                sa.Integer(),
                sa.CheckConstraint(check, name=op.f(f"ck_marketing_settings_{check_name}")),
                server_default=default,
                nullable=False,
            ),
        )
    op.add_column(
        "marketing_messages",
        sa.Column(
            "channel",
            sa.String(length=8),
            sa.CheckConstraint("channel IN ('wechat', 'sms')", name=op.f("ck_marketing_messages_channel_known")),
            nullable=True,
        ),
    )
    op.add_column("marketing_messages", sa.Column("sms_outcome", sa.String(length=16), nullable=True))
    op.add_column("marketing_messages", sa.Column("sms_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("marketing_messages", sa.Column("sms_serial", sa.String(length=64), nullable=True))
    op.add_column("marketing_messages", sa.Column("cost_fen", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_marketing_messages_member_id_sms_at", "marketing_messages", ["member_id", "sms_at"])
    # Messages already sent went by WeChat.
    op.execute("UPDATE marketing_messages SET channel = 'wechat' WHERE status = 'sent'")
    op.create_table(
        "marketing_sms_opt_outs",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('member', 'staff', 'provider')", name=op.f("ck_marketing_sms_opt_outs_source_known")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_marketing_sms_opt_outs_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_marketing_sms_opt_outs_staff_id_staff")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_marketing_sms_opt_outs")),
    )


def downgrade():
    op.drop_table("marketing_sms_opt_outs")
    op.drop_index("ix_marketing_messages_member_id_sms_at", table_name="marketing_messages")
    # Each CHECK sits on its own column, so SQLite drops the columns in place (as 0028).
    for name in ("cost_fen", "sms_serial", "sms_at", "sms_outcome", "channel"):
        op.drop_column("marketing_messages", name)
    for name, *_ in reversed(SETTINGS):
        op.drop_column("marketing_settings", name)
