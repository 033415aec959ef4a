"""stored value, points, top-up plans, payments

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "topup_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("pay_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_fen", sa.Integer(), nullable=False),
        sa.Column("grants_tier_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("bonus_fen >= 0", name=op.f("ck_topup_plans_bonus_non_negative")),
        sa.CheckConstraint("pay_fen > 0", name=op.f("ck_topup_plans_pay_positive")),
        sa.ForeignKeyConstraint(["grants_tier_id"], ["tiers.id"], name=op.f("fk_topup_plans_grants_tier_id_tiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topup_plans")),
        sa.UniqueConstraint("name", name=op.f("uq_topup_plans_name")),
    )

    op.create_table(
        "wallets",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("principal_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_fen", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_fen = principal_fen + bonus_fen", name=op.f("ck_wallets_balance_is_sum")),
        sa.CheckConstraint("balance_fen >= 0", name=op.f("ck_wallets_balance_non_negative")),
        sa.CheckConstraint("bonus_fen >= 0", name=op.f("ck_wallets_bonus_non_negative")),
        sa.CheckConstraint("principal_fen >= 0", name=op.f("ck_wallets_principal_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_wallets_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_wallets")),
    )

    op.create_table(
        "wallet_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("principal_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_fen", sa.Integer(), nullable=False),
        sa.Column("balance_after_fen", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("reverses_entry_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("paid_via", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('topup', 'spend', 'refund', 'reversal', 'adjustment')", name=op.f("ck_wallet_entries_kind_known")
        ),
        sa.CheckConstraint(
            "paid_via IS NULL OR paid_via IN ('cash', 'wechat', 'alipay', 'card')",
            name=op.f("ck_wallet_entries_paid_via_known"),
        ),
        sa.CheckConstraint("amount_fen = principal_fen + bonus_fen", name=op.f("ck_wallet_entries_amount_is_sum")),
        sa.CheckConstraint("balance_after_fen >= 0", name=op.f("ck_wallet_entries_balance_after_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_wallet_entries_member_id_members")),
        sa.ForeignKeyConstraint(["plan_id"], ["topup_plans.id"], name=op.f("fk_wallet_entries_plan_id_topup_plans")),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["wallet_entries.id"],
            name=op.f("fk_wallet_entries_reverses_entry_id_wallet_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_entries")),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_wallet_entries_reverses_entry_id")),
    )
    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_entries_member_id_id", ["member_id", "id"], unique=False)
        batch_op.create_index("ix_wallet_entries_ref", ["ref_type", "ref_id"], unique=False)
        batch_op.create_index(
            "uq_wallet_entries_ref_once",
            ["ref_type", "ref_id", "kind"],
            unique=True,
            sqlite_where=sa.text("ref_type IS NOT NULL AND kind IN ('topup', 'spend')"),
            postgresql_where=sa.text("ref_type IS NOT NULL AND kind IN ('topup', 'spend')"),
        )

    op.create_table(
        "points_accounts",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_points_accounts_balance_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_points_accounts_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_points_accounts")),
    )

    op.create_table(
        "points_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("earned", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("earned > 0", name=op.f("ck_points_lots_earned_positive")),
        sa.CheckConstraint("remaining >= 0 AND remaining <= earned", name=op.f("ck_points_lots_remaining_range")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_points_lots_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lots")),
    )
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.create_index("ix_points_lots_expiry_due", ["expires_at", "expired_at"], unique=False)
        batch_op.create_index("ix_points_lots_member_id_expires_at", ["member_id", "expires_at"], unique=False)

    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("shortfall", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("reverses_entry_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('earn', 'redeem', 'reversal', 'expiry', 'adjustment')", name=op.f("ck_points_entries_kind_known")
        ),
        sa.CheckConstraint("balance_after >= 0", name=op.f("ck_points_entries_balance_after_non_negative")),
        sa.CheckConstraint("shortfall >= 0", name=op.f("ck_points_entries_shortfall_non_negative")),
        sa.ForeignKeyConstraint(["lot_id"], ["points_lots.id"], name=op.f("fk_points_entries_lot_id_points_lots")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_points_entries_member_id_members")),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["points_entries.id"],
            name=op.f("fk_points_entries_reverses_entry_id_points_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_points_entries_reverses_entry_id")),
    )
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.create_index("ix_points_entries_member_id_id", ["member_id", "id"], unique=False)
        batch_op.create_index("ix_points_entries_ref", ["ref_type", "ref_id"], unique=False)
        batch_op.create_index(
            "uq_points_entries_lot_expiry",
            ["lot_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'expiry'"),
            postgresql_where=sa.text("kind = 'expiry'"),
        )
        batch_op.create_index(
            "uq_points_entries_ref_once",
            ["ref_type", "ref_id", "kind"],
            unique=True,
            sqlite_where=sa.text("ref_type IS NOT NULL AND kind IN ('earn', 'redeem')"),
            postgresql_where=sa.text("ref_type IS NOT NULL AND kind IN ('earn', 'redeem')"),
        )

    op.create_table(
        "points_lot_uses",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_points_lot_uses_points_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["points_entries.id"], name=op.f("fk_points_lot_uses_entry_id_points_entries")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["points_lots.id"], name=op.f("fk_points_lot_uses_lot_id_points_lots")),
        sa.PrimaryKeyConstraint("entry_id", "lot_id", name=op.f("pk_points_lot_uses")),
    )
    with op.batch_alter_table("points_lot_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_lot_uses_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "payment_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("out_trade_no", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("purpose_ref_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=127), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("prepay_id", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'paid' OR transaction_id IS NOT NULL", name=op.f("ck_payment_orders_paid_has_transaction")
        ),
        sa.CheckConstraint("status IN ('pending', 'paid', 'closed')", name=op.f("ck_payment_orders_status_known")),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payment_orders_amount_positive")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_payment_orders_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_payment_orders_out_trade_no")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payment_orders_transaction_id")),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_orders_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_payment_orders_purpose_ref", ["purpose", "purpose_ref_id"], unique=False)
        batch_op.create_index("ix_payment_orders_status_expires_at", ["status", "expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_orders_status_expires_at")
        batch_op.drop_index("ix_payment_orders_purpose_ref")
        batch_op.drop_index(batch_op.f("ix_payment_orders_member_id"))

    op.drop_table("payment_orders")
    with op.batch_alter_table("points_lot_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_lot_uses_lot_id"))

    op.drop_table("points_lot_uses")
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.drop_index("uq_points_entries_ref_once")
        batch_op.drop_index("uq_points_entries_lot_expiry")
        batch_op.drop_index("ix_points_entries_ref")
        batch_op.drop_index("ix_points_entries_member_id_id")

    op.drop_table("points_entries")
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_points_lots_member_id_expires_at")
        batch_op.drop_index("ix_points_lots_expiry_due")

    op.drop_table("points_lots")
    op.drop_table("points_accounts")
    with op.batch_alter_table("wallet_entries", schema=None) as batch_op:
        batch_op.drop_index("uq_wallet_entries_ref_once")
        batch_op.drop_index("ix_wallet_entries_ref")
        batch_op.drop_index("ix_wallet_entries_member_id_id")

    op.drop_table("wallet_entries")
    op.drop_table("wallets")
    op.drop_table("topup_plans")
