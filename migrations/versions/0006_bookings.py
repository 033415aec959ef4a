"""store capacity and bookings

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN with each CHECK inline (SQLite allows it), so no table is rebuilt: rebuilding
    # `stores` on SQLite would drop it, and its ON DELETE CASCADE children with it.
    op.add_column(
        "stores",
        sa.Column(
            "bays",
            sa.Integer(),
            sa.CheckConstraint("bays >= 1", name=op.f("ck_stores_bays_positive")),
            server_default="1",
            nullable=False,
        ),
    )
    op.add_column(
        "stores",
        sa.Column(
            "slot_minutes",
            sa.Integer(),
            sa.CheckConstraint("slot_minutes > 0", name=op.f("ck_stores_slot_minutes_positive")),
            server_default="30",
            nullable=False,
        ),
    )
    op.add_column("stores", sa.Column("opening_hours", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    op.add_column("stores", sa.Column("closed_dates", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.add_column(
        "stores",
        sa.Column(
            "booking_cancel_cutoff_minutes",
            sa.Integer(),
            sa.CheckConstraint("booking_cancel_cutoff_minutes >= 0", name=op.f("ck_stores_cancel_cutoff_non_negative")),
            server_default="120",
            nullable=False,
        ),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("reschedule_count", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=8), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("no_show_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cancelled_by IN ('member', 'staff')", name=op.f("ck_bookings_cancelled_by_known")),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'cancelled', 'no_show')", name=op.f("ck_bookings_status_known")
        ),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_bookings_member_id_members")),
        sa.ForeignKeyConstraint(
            ["service_item_id"], ["service_items.id"], name=op.f("fk_bookings_service_item_id_service_items")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_bookings_store_id_stores")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_bookings_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_bookings_work_order_id")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_start_at"), ["start_at"], unique=False)
        batch_op.create_index("ix_bookings_store_id_start_at", ["store_id", "start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_vehicle_id"), ["vehicle_id"], unique=False)


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_vehicle_id"))
        batch_op.drop_index("ix_bookings_store_id_start_at")
        batch_op.drop_index(batch_op.f("ix_bookings_start_at"))
        batch_op.drop_index(batch_op.f("ix_bookings_member_id"))

    op.drop_table("bookings")
    op.drop_column("stores", "booking_cancel_cutoff_minutes")
    op.drop_column("stores", "closed_dates")
    op.drop_column("stores", "opening_hours")
    op.drop_column("stores", "slot_minutes")
    op.drop_column("stores", "bays")
