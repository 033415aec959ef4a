"""plate search by fragment: a trigram index on vehicles.plate

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # The counter finds cars by any part of the plate (LIKE '%fragment%'); on PostgreSQL a
    # trigram GIN index answers that from a million plates without reading them all. SQLite has no
    # trigram index: it keeps a plain index of the same name so models and migrations agree.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_vehicles_plate_trgm",
            "vehicles",
            ["plate"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"plate": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_vehicles_plate_trgm", "vehicles", ["plate"], unique=False)


def downgrade():
    # The extension stays: other objects may use it, and dropping it needs no undo.
    op.drop_index("ix_vehicles_plate_trgm", table_name="vehicles")
