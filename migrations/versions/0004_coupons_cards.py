"""coupons, package cards, stamp cards

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coupon_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_fen", sa.Integer(), nullable=True),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("max_off_fen", sa.Integer(), nullable=True),
        sa.Column("threshold_fen", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("applicable_categories", sa.JSON(), nullable=True),
        sa.Column("applicable_item_ids", sa.JSON(), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("total_stock", sa.Integer(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("claimable", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('cash_off', 'percent_off', 'item_voucher')", name=op.f("ck_coupon_templates_kind_known")
        ),
        sa.CheckConstraint(
            "(valid_days IS NOT NULL AND valid_from IS NULL AND valid_until IS NULL) OR (valid_days IS NULL AND valid_from IS NOT NULL AND valid_until IS NOT NULL AND valid_from <= valid_until)",
            name=op.f("ck_coupon_templates_validity_one_way"),
        ),
        sa.CheckConstraint("issued_count >= 0", name=op.f("ck_coupon_templates_issued_non_negative")),
        sa.CheckConstraint("max_off_fen IS NULL OR max_off_fen > 0", name=op.f("ck_coupon_templates_max_off_positive")),
        sa.CheckConstraint(
            "per_member_limit IS NULL OR per_member_limit > 0", name=op.f("ck_coupon_templates_limit_positive")
        ),
        sa.CheckConstraint(
            "percent_off IS NULL OR (percent_off BETWEEN 1 AND 99)", name=op.f("ck_coupon_templates_percent_range")
        ),
        sa.CheckConstraint("threshold_fen >= 0", name=op.f("ck_coupon_templates_threshold_non_negative")),
        sa.CheckConstraint(
            "total_stock IS NULL OR issued_count <= total_stock", name=op.f("ck_coupon_templates_issued_within_stock")
        ),
        sa.CheckConstraint(
            "total_stock IS NULL OR total_stock >= 0", name=op.f("ck_coupon_templates_stock_non_negative")
        ),
        sa.CheckConstraint(
            "valid_days IS NULL OR valid_days > 0", name=op.f("ck_coupon_templates_valid_days_positive")
        ),
        sa.CheckConstraint("value_fen IS NULL OR value_fen > 0", name=op.f("ck_coupon_templates_value_positive")),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_coupon_templates_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
    )

    op.create_table(
        "member_coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_ref_type", sa.String(length=32), nullable=True),
        sa.Column("used_ref_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('unused', 'used', 'void')", name=op.f("ck_member_coupons_status_known")),
        sa.CheckConstraint("seq > 0", name=op.f("ck_member_coupons_seq_positive")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_member_coupons_member_id_members")),
        sa.ForeignKeyConstraint(
            ["template_id"], ["coupon_templates.id"], name=op.f("fk_member_coupons_template_id_coupon_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_member_coupons_code")),
        sa.UniqueConstraint("template_id", "member_id", "seq", name="uq_member_coupons_template_member_seq"),
    )
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.create_index("ix_member_coupons_issue_ref", ["ref_type", "ref_id"], unique=False)
        batch_op.create_index("ix_member_coupons_member_status", ["member_id", "status"], unique=False)
        batch_op.create_index("ix_member_coupons_used_ref", ["used_ref_type", "used_ref_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_coupons_valid_until"), ["valid_until"], unique=False)

    op.create_table(
        "coupon_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_coupon_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('issue', 'use', 'restore', 'void')", name=op.f("ck_coupon_events_kind_known")),
        sa.ForeignKeyConstraint(
            ["member_coupon_id"], ["member_coupons.id"], name=op.f("fk_coupon_events_member_coupon_id_member_coupons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_events")),
        sa.UniqueConstraint("member_coupon_id", "kind", "ref_type", "ref_id", name="uq_coupon_events_once"),
    )
    with op.batch_alter_table("coupon_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_events_member_coupon_id"), ["member_coupon_id"], unique=False)
        batch_op.create_index("ix_coupon_events_ref", ["ref_type", "ref_id"], unique=False)

    op.create_table(
        "package_card_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_package_card_templates_price_non_negative")),
        sa.CheckConstraint("valid_days > 0", name=op.f("ck_package_card_templates_valid_days_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_card_templates")),
    )

    op.create_table(
        "package_card_template_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count > 0", name=op.f("ck_package_card_template_items_count_positive")),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_package_card_template_items_service_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["package_card_templates.id"],
            name=op.f("fk_package_card_template_items_template_id_package_card_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_card_template_items")),
        sa.UniqueConstraint("template_id", "service_item_id", name="uq_package_card_template_items_template_item"),
    )

    op.create_table(
        "package_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("paid_via", sa.String(length=8), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("sold_by", sa.String(length=40), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "paid_via IN ('cash', 'wechat', 'alipay', 'card')", name=op.f("ck_package_cards_paid_via_known")
        ),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_package_cards_price_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_package_cards_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_package_cards_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["package_card_templates.id"],
            name=op.f("fk_package_cards_template_id_package_card_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_cards")),
    )
    with op.batch_alter_table("package_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_package_cards_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_package_cards_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_package_cards_member_id"), ["member_id"], unique=False)

    op.create_table(
        "package_card_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("initial_count", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.CheckConstraint("initial_count > 0", name=op.f("ck_package_card_items_initial_positive")),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_package_card_items_remaining_non_negative")),
        sa.ForeignKeyConstraint(
            ["card_id"], ["package_cards.id"], name=op.f("fk_package_card_items_card_id_package_cards")
        ),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_package_card_items_service_item_id_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_card_items")),
        sa.UniqueConstraint("card_id", "service_item_id", name="uq_package_card_items_card_item"),
    )

    op.create_table(
        "package_card_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("card_item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("reverses_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('sale', 'redeem', 'reversal', 'expiry')", name=op.f("ck_package_card_entries_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["package_cards.id"], name=op.f("fk_package_card_entries_card_id_package_cards")
        ),
        sa.ForeignKeyConstraint(
            ["card_item_id"],
            ["package_card_items.id"],
            name=op.f("fk_package_card_entries_card_item_id_package_card_items"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["package_card_entries.id"],
            name=op.f("fk_package_card_entries_reverses_entry_id_package_card_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_card_entries")),
        sa.UniqueConstraint("reverses_entry_id", name="uq_package_card_entries_reverses_entry_id"),
    )
    with op.batch_alter_table("package_card_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_package_card_entries_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_package_card_entries_card_item_id"), ["card_item_id"], unique=False)
        batch_op.create_index("ix_package_card_entries_ref", ["ref_type", "ref_id"], unique=False)

    op.create_table(
        "stamp_card_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("stamps_required", sa.Integer(), nullable=False),
        sa.Column("reward_coupon_template_id", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stamps_required > 0", name=op.f("ck_stamp_card_templates_stamps_required_positive")),
        sa.CheckConstraint(
            "valid_days IS NULL OR valid_days > 0", name=op.f("ck_stamp_card_templates_valid_days_positive")
        ),
        sa.ForeignKeyConstraint(
            ["reward_coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_stamp_card_templates_reward_coupon_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stamp_card_templates")),
    )

    op.create_table(
        "stamp_card_template_items",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_stamp_card_template_items_service_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["stamp_card_templates.id"],
            name=op.f("fk_stamp_card_template_items_template_id_stamp_card_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", "service_item_id", name=op.f("pk_stamp_card_template_items")),
    )
    with op.batch_alter_table("stamp_card_template_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stamp_card_template_items_service_item_id"), ["service_item_id"], unique=False
        )

    op.create_table(
        "stamp_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("stamps", sa.Integer(), nullable=False),
        sa.Column("stamps_required", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reward_coupon_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'revoked', 'expired')", name=op.f("ck_stamp_cards_status_known")
        ),
        sa.CheckConstraint("is_open IS NULL OR is_open", name=op.f("ck_stamp_cards_open_true_or_null")),
        sa.CheckConstraint("stamps <= stamps_required", name=op.f("ck_stamp_cards_stamps_within_required")),
        sa.CheckConstraint("stamps >= 0", name=op.f("ck_stamp_cards_stamps_non_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stamp_cards_member_id_members")),
        sa.ForeignKeyConstraint(
            ["reward_coupon_id"], ["member_coupons.id"], name=op.f("fk_stamp_cards_reward_coupon_id_member_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["stamp_card_templates.id"], name=op.f("fk_stamp_cards_template_id_stamp_card_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stamp_cards")),
        sa.UniqueConstraint("member_id", "template_id", "is_open", name="uq_stamp_cards_member_template_open"),
        sa.UniqueConstraint("reward_coupon_id", name="uq_stamp_cards_reward_coupon_id"),
    )
    with op.batch_alter_table("stamp_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stamp_cards_member_id"), ["member_id"], unique=False)

    op.create_table(
        "stamp_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('stamp', 'removal', 'carry', 'revoke', 'expiry')", name=op.f("ck_stamp_entries_kind_known")
        ),
        sa.ForeignKeyConstraint(["card_id"], ["stamp_cards.id"], name=op.f("fk_stamp_entries_card_id_stamp_cards")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stamp_entries_member_id_members")),
        sa.ForeignKeyConstraint(
            ["template_id"], ["stamp_card_templates.id"], name=op.f("fk_stamp_entries_template_id_stamp_card_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stamp_entries")),
        sa.UniqueConstraint("card_id", "kind", "ref_type", "ref_id", name="uq_stamp_entries_card_kind_ref"),
    )
    with op.batch_alter_table("stamp_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stamp_entries_card_id"), ["card_id"], unique=False)
        batch_op.create_index("ix_stamp_entries_ref", ["ref_type", "ref_id"], unique=False)


def downgrade():
    with op.batch_alter_table("stamp_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_stamp_entries_ref")
        batch_op.drop_index(batch_op.f("ix_stamp_entries_card_id"))

    op.drop_table("stamp_entries")
    with op.batch_alter_table("stamp_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stamp_cards_member_id"))

    op.drop_table("stamp_cards")
    with op.batch_alter_table("stamp_card_template_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stamp_card_template_items_service_item_id"))

    op.drop_table("stamp_card_template_items")
    op.drop_table("stamp_card_templates")
    with op.batch_alter_table("package_card_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_package_card_entries_ref")
        batch_op.drop_index(batch_op.f("ix_package_card_entries_card_item_id"))
        batch_op.drop_index(batch_op.f("ix_package_card_entries_card_id"))

    op.drop_table("package_card_entries")
    op.drop_table("package_card_items")
    with op.batch_alter_table("package_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_package_cards_member_id"))
        batch_op.drop_index(batch_op.f("ix_package_cards_expires_at"))
        batch_op.drop_index(batch_op.f("ix_package_cards_created_at"))

    op.drop_table("package_cards")
    op.drop_table("package_card_template_items")
    op.drop_table("package_card_templates")
    with op.batch_alter_table("coupon_events", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_events_ref")
        batch_op.drop_index(batch_op.f("ix_coupon_events_member_coupon_id"))

    op.drop_table("coupon_events")
    with op.batch_alter_table("member_coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_coupons_valid_until"))
        batch_op.drop_index("ix_member_coupons_used_ref")
        batch_op.drop_index("ix_member_coupons_member_status")
        batch_op.drop_index("ix_member_coupons_issue_ref")

    op.drop_table("member_coupons")
    op.drop_table("coupon_templates")
