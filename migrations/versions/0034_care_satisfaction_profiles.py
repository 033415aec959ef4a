"""satisfaction and complaints (ratings, complaints and their history, the rules), the members'
profile facts, and the calendar rule's maintenance date of a car

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

MEMBER_FACTS = (
    ("birth_year", sa.Integer()),
    ("region", sa.String(length=50)),
    ("occupation", sa.String(length=16)),
    ("car_use", sa.String(length=16)),
    ("acquisition_channel", sa.String(length=16)),
)


def upgrade():
    op.create_table(
        "care_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_max_score", sa.Integer(), nullable=False),
        sa.Column("complaint_due_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_care_settings_single_row")),
        sa.CheckConstraint(
            "complaint_max_score >= 0 AND complaint_max_score <= 5", name=op.f("ck_care_settings_max_score_in_range")
        ),
        sa.CheckConstraint("complaint_due_hours > 0", name=op.f("ck_care_settings_due_hours_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_settings")),
    )
    op.create_table(
        "service_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 1 AND score <= 5", name=op.f("ck_service_ratings_score_in_range")),
        sa.CheckConstraint("source IN ('member', 'call')", name=op.f("ck_service_ratings_source_known")),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_service_ratings_work_order_id_work_orders")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_service_ratings_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_service_ratings_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["marketing_follow_ups.id"],
            name=op.f("fk_service_ratings_follow_up_id_marketing_follow_ups"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_staff_id"], ["staff.id"], name=op.f("fk_service_ratings_recorded_by_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_ratings")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_service_ratings_work_order_id")),
    )
    op.create_index("ix_service_ratings_member_id", "service_ratings", ["member_id"], unique=False)
    op.create_index("ix_service_ratings_rated_at_store_id", "service_ratings", ["rated_at", "store_id"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'in_hand', 'resolved')", name=op.f("ck_complaints_status_known")),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["service_ratings.id"], name=op.f("fk_complaints_rating_id_service_ratings")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_complaints_work_order_id_work_orders")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_complaints_member_id_members")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_complaints_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_complaints_rating_id")),
    )
    op.create_index("ix_complaints_member_id", "complaints", ["member_id"], unique=False)
    op.create_index("ix_complaints_store_id", "complaints", ["store_id"], unique=False)
    op.create_index("ix_complaints_status_due_at", "complaints", ["status", "due_at"], unique=False)
    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=8), nullable=True),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_events_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_complaint_events_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    op.create_index("ix_complaint_events_complaint_id", "complaint_events", ["complaint_id"], unique=False)
    # In place (as 0026): other tables point at members and vehicles.
    for name, type_ in MEMBER_FACTS:
        op.add_column("members", sa.Column(name, type_, nullable=True))
    op.add_column("vehicles", sa.Column("next_maintenance_months_date", sa.Date(), nullable=True))
    # Cars maintained before the calendar date was kept: the due date then forecast stands in for it.
    op.execute(
        "UPDATE vehicles SET next_maintenance_months_date = next_maintenance_due_date "
        "WHERE next_maintenance_due_date IS NOT NULL"
    )


def downgrade():
    op.drop_column("vehicles", "next_maintenance_months_date")
    for name, _ in reversed(MEMBER_FACTS):
        op.drop_column("members", name)
    op.drop_index("ix_complaint_events_complaint_id", table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_complaints_status_due_at", table_name="complaints")
    op.drop_index("ix_complaints_store_id", table_name="complaints")
    op.drop_index("ix_complaints_member_id", table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_service_ratings_rated_at_store_id", table_name="service_ratings")
    op.drop_index("ix_service_ratings_member_id", table_name="service_ratings")
    op.drop_table("service_ratings")
    op.drop_table("care_settings")
