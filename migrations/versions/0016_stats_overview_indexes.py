"""indexes for the owner's statistics overview on a large chain

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    # Each lets one of the overview's figures be read from an index alone (app/stats/models.py and
    # the models' comments say which); the partial ones hold only the rows that figure reads.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_members_overview",
            ["value_class", "tier_id", "last_paid_visit_at", "created_at"],
            unique=False,
            sqlite_where=sa.text("merged_into_id IS NULL"),
            postgresql_where=sa.text("merged_into_id IS NULL"),
        )
    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wallet_entries_topups",
            ["created_at", "paid_via", "principal_fen", "bonus_fen"],
            unique=False,
            sqlite_where=sa.text("kind = 'topup'"),
            postgresql_where=sa.text("kind = 'topup'"),
        )
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_lots_unexpired",
            ["expires_at"],
            unique=False,
            sqlite_where=sa.text("expired_at IS NULL"),
            postgresql_where=sa.text("expired_at IS NULL"),
        )
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.create_index("ix_member_coupons_created_at_source", ["created_at", "source"], unique=False)
        batch_op.create_index(
            "ix_member_coupons_used_at",
            ["used_at"],
            unique=False,
            sqlite_where=sa.text("status = 'used'"),
            postgresql_where=sa.text("status = 'used'"),
        )
        # Campaign results: a campaign's used coupons (their ids included on PostgreSQL, so the
        # index alone answers; SQLite indexes carry the row id anyway).
        batch_op.create_index(
            "ix_member_coupons_used_issue_ref",
            ["ref_type", "ref_id"],
            unique=False,
            postgresql_include=["id"],
            sqlite_where=sa.text("status = 'used'"),
            postgresql_where=sa.text("status = 'used'"),
        )
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.create_index("ix_marketing_messages_campaign_id_status", ["campaign_id", "status"], unique=False)
    # Campaign results: the posted coupon tenders by coupon, with their order.
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_payments_posted_coupon",
            ["member_coupon_id"],
            unique=False,
            postgresql_include=["work_order_id"],
            sqlite_where=sa.text("type = 'coupon' AND status = 'posted'"),
            postgresql_where=sa.text("type = 'coupon' AND status = 'posted'"),
        )


def downgrade():
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_payments_posted_coupon")
    with op.batch_alter_table("marketing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_messages_campaign_id_status")
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_member_coupons_used_issue_ref")
        batch_op.drop_index("ix_member_coupons_used_at")
        batch_op.drop_index("ix_member_coupons_created_at_source")
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_points_lots_unexpired")
    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_entries_topups")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_overview")
