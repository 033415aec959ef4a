"""referrals and their rewards

Revision ID: 0008
Revises: 0007

Referrals, refusals, the referrer's rewards and cached mini-program codes; the referral rules in
merchant_settings (server defaults fill the existing row). Work order and coupon ids are plain
integers: those tables belong to other domains.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "referral_share_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=128), nullable=False),
        sa.Column("scene", sa.String(length=32), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_referral_share_codes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_share_codes")),
        sa.UniqueConstraint("member_id", "page", name="uq_referral_share_codes_member_page"),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("referred_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("welcome_coupon_id", sa.Integer(), nullable=True),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("order_paid_fen", sa.Integer(), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'converted', 'reversed', 'refused')", name=op.f("ck_referrals_status_known")
        ),
        sa.CheckConstraint("referrer_id <> referred_id", name=op.f("ck_referrals_not_self")),
        sa.ForeignKeyConstraint(["referred_id"], ["members.id"], name=op.f("fk_referrals_referred_id_members")),
        sa.ForeignKeyConstraint(["referrer_id"], ["members.id"], name=op.f("fk_referrals_referrer_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("referred_id", name=op.f("uq_referrals_referred_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_referrer_id_created_at", ["referrer_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_work_order_id"), ["work_order_id"], unique=False)

    op.create_table(
        "referral_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('unknown_code', 'self_referral', 'already_referred', 'already_visited', 'circular', 'same_phone', 'monthly_cap')",
            name=op.f("ck_referral_refusals_reason_known"),
        ),
        sa.CheckConstraint("attempts > 0", name=op.f("ck_referral_refusals_attempts_positive")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_referral_refusals_member_id_members")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_refusals_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["referrer_id"], ["members.id"], name=op.f("fk_referral_refusals_referrer_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_refusals")),
        sa.UniqueConstraint("member_id", "code", "reason", name="uq_referral_refusals_member_code_reason"),
    )
    with op.batch_alter_table("referral_refusals", schema=None) as batch_op:
        batch_op.create_index("ix_referral_refusals_reason_created_at", ["reason", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_refusals_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_refusals_referrer_id"), ["referrer_id"], unique=False)

    op.create_table(
        "referral_rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("member_coupon_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("releases_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("points_not_recovered", sa.Integer(), nullable=False),
        sa.Column("coupon_not_recovered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('frozen', 'released', 'cancelled', 'reversed')", name=op.f("ck_referral_rewards_status_known")
        ),
        sa.CheckConstraint(
            "points > 0 OR coupon_template_id IS NOT NULL", name=op.f("ck_referral_rewards_something_to_give")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_referral_rewards_points_non_negative")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_rewards_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["referrer_id"], ["members.id"], name=op.f("fk_referral_rewards_referrer_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_rewards")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_referral_rewards_referral_id")),
    )
    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_rewards_member_coupon_id"), ["member_coupon_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_rewards_referrer_id"), ["referrer_id"], unique=False)
        batch_op.create_index("ix_referral_rewards_status_releases_at", ["status", "releases_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_rewards_work_order_id"), ["work_order_id"], unique=False)

    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_welcome_coupon_template_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referral_reward_points", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("referral_reward_coupon_template_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referral_min_order_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("referral_reward_freeze_days", sa.Integer(), server_default="7", nullable=False))
        batch_op.add_column(sa.Column("referral_monthly_cap", sa.Integer(), server_default="10", nullable=True))
        batch_op.add_column(
            sa.Column("referral_share_page", sa.String(length=128), server_default="pages/index/index", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.drop_column("referral_share_page")
        batch_op.drop_column("referral_monthly_cap")
        batch_op.drop_column("referral_reward_freeze_days")
        batch_op.drop_column("referral_min_order_fen")
        batch_op.drop_column("referral_reward_coupon_template_id")
        batch_op.drop_column("referral_reward_points")
        batch_op.drop_column("referral_welcome_coupon_template_id")

    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_rewards_work_order_id"))
        batch_op.drop_index("ix_referral_rewards_status_releases_at")
        batch_op.drop_index(batch_op.f("ix_referral_rewards_referrer_id"))
        batch_op.drop_index(batch_op.f("ix_referral_rewards_member_coupon_id"))

    op.drop_table("referral_rewards")
    with op.batch_alter_table("referral_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_refusals_referrer_id"))
        batch_op.drop_index(batch_op.f("ix_referral_refusals_referral_id"))
        batch_op.drop_index("ix_referral_refusals_reason_created_at")

    op.drop_table("referral_refusals")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index("ix_referrals_referrer_id_created_at")

    op.drop_table("referrals")
    op.drop_table("referral_share_codes")
