"""the audit log: who changed which money-shaping rule, price, account or balance; append-only.
The owner's bounds on plans, tier discounts and the referral reward; tiers a cashier may assign

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# No service changes a row; the triggers make that true for anyone with a database connection too.
PG_APPEND_ONLY = (
    """
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
)
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


def upgrade():
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("actor_kind IN ('staff', 'member', 'system')", name=op.f("ck_audit_log_actor_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_kind_created_at", ["kind", "created_at"], unique=False)
        batch_op.create_index("ix_audit_log_actor_id_created_at", ["actor_id", "created_at"], unique=False)
    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topup_bonus_max_percent", sa.Integer(), server_default="100", nullable=False))
        batch_op.add_column(
            sa.Column("tier_labor_discount_max_percent", sa.Integer(), server_default="50", nullable=False)
        )
        batch_op.add_column(
            sa.Column("tier_parts_discount_max_percent", sa.Integer(), server_default="50", nullable=False)
        )
        batch_op.add_column(
            sa.Column("referral_reward_max_points", sa.Integer(), server_default="10000", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_merchant_settings_topup_bonus_max_range"), "topup_bonus_max_percent BETWEEN 0 AND 1000"
        )
        batch_op.create_check_constraint(
            op.f("ck_merchant_settings_tier_labor_discount_max_range"),
            "tier_labor_discount_max_percent BETWEEN 0 AND 100",
        )
        batch_op.create_check_constraint(
            op.f("ck_merchant_settings_tier_parts_discount_max_range"),
            "tier_parts_discount_max_percent BETWEEN 0 AND 100",
        )
        batch_op.create_check_constraint(
            op.f("ck_merchant_settings_referral_reward_max_non_negative"), "referral_reward_max_points >= 0"
        )
    # Existing tiers are not assignable at the counter until the owner says so.
    # Not in batch mode (here and in the downgrade): batch mode on SQLite may copy the table, and
    # members' rows point at tiers.
    op.add_column("tiers", sa.Column("counter_assignable", sa.Boolean(), server_default=sa.false(), nullable=False))
    statements = PG_APPEND_ONLY if op.get_bind().dialect.name == "postgresql" else SQLITE_APPEND_ONLY
    for statement in statements:
        op.execute(statement)


def downgrade():
    op.drop_column("tiers", "counter_assignable")
    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_merchant_settings_referral_reward_max_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_merchant_settings_tier_parts_discount_max_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_merchant_settings_tier_labor_discount_max_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_merchant_settings_topup_bonus_max_range"), type_="check")
        batch_op.drop_column("referral_reward_max_points")
        batch_op.drop_column("tier_parts_discount_max_percent")
        batch_op.drop_column("tier_labor_discount_max_percent")
        batch_op.drop_column("topup_bonus_max_percent")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_actor_id_created_at")
        batch_op.drop_index("ix_audit_log_kind_created_at")
        batch_op.drop_index("ix_audit_log_created_at_id")

    op.drop_table("audit_log")
