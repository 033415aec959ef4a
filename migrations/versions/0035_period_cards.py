"""period cards (月卡/年卡): templates, cards, their daily use counts and use ledger; the
mini-program's card purchases; package cards refunded unused; the period_card tender

Revision ID: 0035
Revises: 0034
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

TYPES_OLD = (
    "type IN ('stored_value', 'points', 'coupon', 'package_card', 'cash', 'wechat', 'alipay', 'card', 'on_account')"
)
TYPES_NEW = (
    "type IN ('stored_value', 'points', 'coupon', 'package_card', 'period_card', 'cash', 'wechat', 'alipay', 'card',"
    " 'on_account')"
)
KINDS_OLD = "kind IN ('sale', 'redeem', 'reversal', 'expiry')"
KINDS_NEW = "kind IN ('sale', 'redeem', 'reversal', 'expiry', 'refund')"


@contextmanager
def _sqlite_foreign_keys_off(bind):
    """As in 0030: SQLite rebuilds a table in batch mode, and rows referring to it would fail the
    foreign-key check on the drop; the check is switched off between transactions."""
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


def _checks(types, kinds):
    with op.batch_alter_table("work_order_payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_work_order_payments_type_known"), type_="check")
        batch_op.create_check_constraint("type_known", types)
    with op.batch_alter_table("package_card_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_package_card_entries_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", kinds)


def upgrade():
    op.create_table(
        "period_card_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("per_vehicle", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(period_kind = 'days') = (period_days IS NOT NULL)",
            name=op.f("ck_period_card_templates_days_only_for_days"),
        ),
        sa.CheckConstraint(
            "period_kind IN ('month', 'year', 'days')", name=op.f("ck_period_card_templates_period_kind_known")
        ),
        sa.CheckConstraint("daily_cap > 0", name=op.f("ck_period_card_templates_daily_cap_positive")),
        sa.CheckConstraint(
            "period_days IS NULL OR period_days > 0", name=op.f("ck_period_card_templates_period_days_positive")
        ),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_period_card_templates_price_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_card_templates")),
    )
    op.create_table(
        "period_card_template_items",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_period_card_template_items_service_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["period_card_templates.id"],
            name=op.f("fk_period_card_template_items_template_id_period_card_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", "service_item_id", name=op.f("pk_period_card_template_items")),
    )
    op.create_table(
        "period_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("paid_via", sa.String(length=8), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("sold_by", sa.String(length=40), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "paid_via IN ('cash', 'wechat', 'alipay', 'card')", name=op.f("ck_period_cards_paid_via_known")
        ),
        sa.CheckConstraint("status IN ('active', 'refunded')", name=op.f("ck_period_cards_status_known")),
        sa.CheckConstraint("daily_cap > 0", name=op.f("ck_period_cards_daily_cap_positive")),
        sa.CheckConstraint("expires_at > starts_at", name=op.f("ck_period_cards_period_positive")),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_period_cards_price_non_negative")),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_period_cards_uses_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_period_cards_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_period_cards_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["period_card_templates.id"],
            name=op.f("fk_period_cards_template_id_period_card_templates"),
        ),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_period_cards_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_cards")),
    )
    with op.batch_alter_table("period_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_cards_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_period_cards_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index("ix_period_cards_member_id_expires_at", ["member_id", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_period_cards_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "card_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("payment_order_id", sa.Integer(), nullable=True),
        sa.Column("package_card_id", sa.Integer(), nullable=True),
        sa.Column("period_card_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('package', 'period')", name=op.f("ck_card_purchases_kind_known")),
        sa.CheckConstraint(
            "status IN ('pending', 'issued', 'closed', 'refunded')", name=op.f("ck_card_purchases_status_known")
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_card_purchases_amount_positive")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_card_purchases_member_id_members")),
        sa.ForeignKeyConstraint(
            ["package_card_id"], ["package_cards.id"], name=op.f("fk_card_purchases_package_card_id_package_cards")
        ),
        sa.ForeignKeyConstraint(
            ["payment_order_id"], ["payment_orders.id"], name=op.f("fk_card_purchases_payment_order_id_payment_orders")
        ),
        sa.ForeignKeyConstraint(
            ["period_card_id"], ["period_cards.id"], name=op.f("fk_card_purchases_period_card_id_period_cards")
        ),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_card_purchases_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_purchases")),
        sa.UniqueConstraint("package_card_id", name=op.f("uq_card_purchases_package_card_id")),
        sa.UniqueConstraint("payment_order_id", name=op.f("uq_card_purchases_payment_order_id")),
        sa.UniqueConstraint("period_card_id", name=op.f("uq_card_purchases_period_card_id")),
    )
    with op.batch_alter_table("card_purchases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_purchases_member_id"), ["member_id"], unique=False)

    op.create_table(
        "period_card_days",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used <= cap", name=op.f("ck_period_card_days_used_within_cap")),
        sa.CheckConstraint("used >= 0", name=op.f("ck_period_card_days_used_non_negative")),
        sa.ForeignKeyConstraint(
            ["card_id"], ["period_cards.id"], name=op.f("fk_period_card_days_card_id_period_cards")
        ),
        sa.PrimaryKeyConstraint("card_id", "day", name=op.f("pk_period_card_days")),
    )
    op.create_table(
        "period_card_items",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["period_cards.id"], name=op.f("fk_period_card_items_card_id_period_cards")
        ),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_period_card_items_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("card_id", "service_item_id", name=op.f("pk_period_card_items")),
    )
    op.create_table(
        "period_card_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("reverses_use_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'use' AND delta = 1) OR (kind = 'reversal' AND delta = -1)",
            name=op.f("ck_period_card_uses_delta_of_kind"),
        ),
        sa.CheckConstraint("kind IN ('use', 'reversal')", name=op.f("ck_period_card_uses_kind_known")),
        sa.ForeignKeyConstraint(
            ["card_id"], ["period_cards.id"], name=op.f("fk_period_card_uses_card_id_period_cards")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_use_id"],
            ["period_card_uses.id"],
            name=op.f("fk_period_card_uses_reverses_use_id_period_card_uses"),
        ),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_period_card_uses_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_card_uses")),
        sa.UniqueConstraint("reverses_use_id", name="uq_period_card_uses_reverses_use_id"),
    )
    with op.batch_alter_table("period_card_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_card_uses_card_id"), ["card_id"], unique=False)
        batch_op.create_index("ix_period_card_uses_ref", ["ref_type", "ref_id"], unique=False)

    with op.batch_alter_table("package_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True))

    with _sqlite_foreign_keys_off(op.get_bind()):
        _checks(TYPES_NEW, KINDS_NEW)


def downgrade():
    op.execute("DELETE FROM work_order_payments WHERE type = 'period_card'")
    op.execute("DELETE FROM package_card_entries WHERE kind = 'refund'")
    # Dropping a column rebuilds package_cards on SQLite: its entries and purchases point at it.
    with _sqlite_foreign_keys_off(op.get_bind()):
        _checks(TYPES_OLD, KINDS_OLD)
        with op.batch_alter_table("package_cards", schema=None) as batch_op:
            batch_op.drop_column("refunded_at")

    with op.batch_alter_table("period_card_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_period_card_uses_ref")
        batch_op.drop_index(batch_op.f("ix_period_card_uses_card_id"))

    op.drop_table("period_card_uses")
    op.drop_table("period_card_items")
    op.drop_table("period_card_days")
    with op.batch_alter_table("card_purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_purchases_member_id"))

    op.drop_table("card_purchases")
    with op.batch_alter_table("period_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_cards_vehicle_id"))
        batch_op.drop_index("ix_period_cards_member_id_expires_at")
        batch_op.drop_index(batch_op.f("ix_period_cards_expires_at"))
        batch_op.drop_index(batch_op.f("ix_period_cards_created_at"))

    op.drop_table("period_cards")
    op.drop_table("period_card_template_items")
    op.drop_table("period_card_templates")
