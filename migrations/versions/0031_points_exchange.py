"""points exchange (积分兑换): the reward catalog, redemptions, and the stock movement of a part
handed over for points

Revision ID: 0031
Revises: 0030
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

MOVES_OLD = "kind IN ('opening', 'receive', 'settle', 'refund', 'stocktake', 'transfer_out', 'transfer_in')"
MOVES_NEW = "kind IN ('opening', 'receive', 'settle', 'refund', 'stocktake', 'transfer_out', 'transfer_in', 'exchange')"


@contextmanager
def _sqlite_foreign_keys_off(bind):
    """Batch mode rebuilds part_stock_movements by copying it; its rows refer to each other
    (reverses_id) and alerts refer to them, so on SQLite the check is off around the copy (as in 0030)."""
    if bind.dialect.name != "sqlite":
        yield
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the rebuild: {broken[:5]}")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        raise
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def _movement_kinds(expression):
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_part_stock_movements_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", expression)


def upgrade():
    op.create_table(
        "exchange_rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("points_price", sa.Integer(), nullable=False),
        sa.Column("total_stock", sa.Integer(), nullable=True),
        sa.Column("redeemed_count", sa.Integer(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('coupon', 'service_item', 'part')", name=op.f("ck_exchange_rewards_kind_known")),
        sa.CheckConstraint(
            "(kind = 'coupon' AND coupon_template_id IS NOT NULL AND part_id IS NULL AND service_item_id IS NULL)"
            " OR (kind = 'service_item' AND coupon_template_id IS NOT NULL AND service_item_id IS NOT NULL"
            " AND part_id IS NULL)"
            " OR (kind = 'part' AND part_id IS NOT NULL AND coupon_template_id IS NULL AND service_item_id IS NULL)",
            name=op.f("ck_exchange_rewards_kind_fields"),
        ),
        sa.CheckConstraint("points_price > 0", name=op.f("ck_exchange_rewards_points_price_positive")),
        sa.CheckConstraint(
            "total_stock IS NULL OR total_stock >= 0", name=op.f("ck_exchange_rewards_stock_non_negative")
        ),
        sa.CheckConstraint("redeemed_count >= 0", name=op.f("ck_exchange_rewards_redeemed_non_negative")),
        sa.CheckConstraint(
            "total_stock IS NULL OR redeemed_count <= total_stock",
            name=op.f("ck_exchange_rewards_redeemed_within_stock"),
        ),
        sa.CheckConstraint(
            "active_from IS NULL OR active_until IS NULL OR active_from <= active_until",
            name=op.f("ck_exchange_rewards_window_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_exchange_rewards_coupon_template_id_coupon_templates"),
        ),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_exchange_rewards_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_exchange_rewards_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rewards")),
    )
    op.create_table(
        "exchange_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reward_name", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("member_coupon_id", sa.Integer(), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=8), nullable=True),
        sa.CheckConstraint(
            "status IN ('issued', 'awaiting_pickup', 'collected', 'cancelled')",
            name=op.f("ck_exchange_redemptions_status_known"),
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_exchange_redemptions_points_positive")),
        sa.ForeignKeyConstraint(["handled_by"], ["staff.id"], name=op.f("fk_exchange_redemptions_handled_by_staff")),
        sa.ForeignKeyConstraint(
            ["member_coupon_id"],
            ["member_coupons.id"],
            name=op.f("fk_exchange_redemptions_member_coupon_id_member_coupons"),
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_exchange_redemptions_member_id_members")),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_exchange_redemptions_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["exchange_rewards.id"], name=op.f("fk_exchange_redemptions_reward_id_exchange_rewards")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_exchange_redemptions_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_redemptions")),
    )
    op.create_index("ix_exchange_redemptions_member_id", "exchange_redemptions", ["member_id", "id"])
    op.create_index("ix_exchange_redemptions_status_id", "exchange_redemptions", ["status", "id"])
    op.create_index("ix_exchange_redemptions_reward_id", "exchange_redemptions", ["reward_id"])
    with _sqlite_foreign_keys_off(op.get_bind()):
        _movement_kinds(MOVES_NEW)


def downgrade():
    op.execute("DELETE FROM part_stock_movements WHERE kind = 'exchange'")
    with _sqlite_foreign_keys_off(op.get_bind()):
        _movement_kinds(MOVES_OLD)
    op.drop_table("exchange_redemptions")
    op.drop_table("exchange_rewards")
