"""member metrics, segments, campaigns, outbox, grants, follow-ups

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "marketing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("birthday_coupons", sa.JSON(), nullable=False),
        sa.Column("birthday_call_min_tier_rank", sa.Integer(), nullable=True),
        sa.Column("win_back_coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("win_back_interval_days", sa.Integer(), nullable=False),
        sa.Column("first_maintenance_months", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_maintenance_months > 0", name=op.f("ck_marketing_settings_first_maintenance_months_positive")
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_marketing_settings_single_row")),
        sa.CheckConstraint("win_back_interval_days > 0", name=op.f("ck_marketing_settings_win_back_interval_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_settings")),
    )
    op.create_table(
        "member_metric_cuts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cuts", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_member_metric_cuts_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_metric_cuts")),
    )
    op.create_table(
        "marketing_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_staff_id"], ["staff.id"], name=op.f("fk_marketing_segments_created_by_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_marketing_segments_name")),
    )
    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("template_key", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("page", sa.String(length=200), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("coupons_issued", sa.Integer(), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sent', 'cancelled')", name=op.f("ck_marketing_campaigns_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_staff_id"], ["staff.id"], name=op.f("fk_marketing_campaigns_created_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["marketing_segments.id"], name=op.f("fk_marketing_campaigns_segment_id_marketing_segments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
    )
    with op.batch_alter_table("marketing_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_campaigns_segment_id"), ["segment_id"], unique=False)
        batch_op.create_index("ix_marketing_campaigns_status_send_at", ["status", "send_at"], unique=False)

    op.create_table(
        "marketing_subscription_grants",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=32), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("accepted_total", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_marketing_subscription_grants_remaining_non_negative")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_marketing_subscription_grants_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "template_key", name=op.f("pk_marketing_subscription_grants")),
    )
    op.create_table(
        "marketing_visits",
        sa.Column("work_order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("plate", sa.String(length=10), nullable=True),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_marketing_visits_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_marketing_visits_store_id_stores")),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_marketing_visits")),
    )
    with op.batch_alter_table("marketing_visits", schema=None) as batch_op:
        batch_op.create_index("ix_marketing_visits_member_id_settled_at", ["member_id", "settled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketing_visits_settled_on"), ["settled_on"], unique=False)

    op.create_table(
        "marketing_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("template_key", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("ref_type", sa.String(length=24), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("plate", sa.String(length=10), nullable=True),
        sa.Column("occasion_date", sa.Date(), nullable=True),
        sa.Column("detail", sa.String(length=100), nullable=True),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wechat_msgid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'skipped_no_grant', 'failed')",
            name=op.f("ck_marketing_messages_status_known"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_marketing_messages_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_marketing_messages_campaign_id_marketing_campaigns"),
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_marketing_messages_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_marketing_messages_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_messages")),
        sa.UniqueConstraint("dedupe_key", name="uq_marketing_messages_dedupe_key"),
    )
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_messages_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketing_messages_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_marketing_messages_member_id_kind", ["member_id", "kind"], unique=False)
        batch_op.create_index(
            "ix_marketing_messages_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "marketing_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("ref_type", sa.String(length=24), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("churn_reason", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("handled_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "churn_reason IS NULL OR churn_reason IN ('poor_service', 'repair_quality', 'price', 'distance', 'insurer', 'other')",
            name=op.f("ck_marketing_follow_ups_churn_reason_known"),
        ),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('reached', 'booked', 'no_answer', 'wrong_number', 'lost')",
            name=op.f("ck_marketing_follow_ups_result_known"),
        ),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_marketing_follow_ups_status_known")),
        sa.ForeignKeyConstraint(
            ["handled_by_staff_id"], ["staff.id"], name=op.f("fk_marketing_follow_ups_handled_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_marketing_follow_ups_member_id_members")),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["marketing_messages.id"],
            name=op.f("fk_marketing_follow_ups_message_id_marketing_messages"),
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_marketing_follow_ups_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_follow_ups")),
        sa.UniqueConstraint("dedupe_key", name="uq_marketing_follow_ups_dedupe_key"),
    )
    with op.batch_alter_table("marketing_follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_marketing_follow_ups_handled_at", ["handled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketing_follow_ups_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_marketing_follow_ups_status_due_date", ["status", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketing_follow_ups_store_id"), ["store_id"], unique=False)

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("average_ticket_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("mean_visit_interval_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lifecycle", sa.String(length=16), server_default="new", nullable=False))
        batch_op.add_column(sa.Column("value_class", sa.String(length=8), server_default="none", nullable=False))
        batch_op.create_index(batch_op.f("ix_members_lifecycle"), ["lifecycle"], unique=False)
        batch_op.create_index(batch_op.f("ix_members_value_class"), ["value_class"], unique=False)


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_value_class"))
        batch_op.drop_index(batch_op.f("ix_members_lifecycle"))
        batch_op.drop_column("value_class")
        batch_op.drop_column("lifecycle")
        batch_op.drop_column("mean_visit_interval_days")
        batch_op.drop_column("average_ticket_fen")

    with op.batch_alter_table("marketing_follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_follow_ups_store_id"))
        batch_op.drop_index("ix_marketing_follow_ups_status_due_date")
        batch_op.drop_index(batch_op.f("ix_marketing_follow_ups_member_id"))
        batch_op.drop_index("ix_marketing_follow_ups_handled_at")

    op.drop_table("marketing_follow_ups")
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_messages_status_next_attempt_at")
        batch_op.drop_index("ix_marketing_messages_member_id_kind")
        batch_op.drop_index(batch_op.f("ix_marketing_messages_created_at"))
        batch_op.drop_index(batch_op.f("ix_marketing_messages_campaign_id"))

    op.drop_table("marketing_messages")
    with op.batch_alter_table("marketing_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_visits_settled_on"))
        batch_op.drop_index("ix_marketing_visits_member_id_settled_at")

    op.drop_table("marketing_visits")
    op.drop_table("marketing_subscription_grants")
    with op.batch_alter_table("marketing_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_campaigns_status_send_at")
        batch_op.drop_index(batch_op.f("ix_marketing_campaigns_segment_id"))

    op.drop_table("marketing_campaigns")
    op.drop_table("marketing_segments")
    op.drop_table("member_metric_cuts")
    op.drop_table("marketing_settings")
