"""the counter's record of a car: VIN, registration date, insurance expiry

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    # In place, not by rebuilding the table: other tables point at vehicles, and a SQLite rebuild
    # of a table with rows that others reference fails its foreign-key check.
    op.add_column("vehicles", sa.Column("vin", sa.String(length=17), nullable=True))
    op.add_column("vehicles", sa.Column("registration_date", sa.Date(), nullable=True))
    op.add_column("vehicles", sa.Column("insurance_expires_on", sa.Date(), nullable=True))
    # A unique index: NULLs do not collide (many cars have no VIN recorded), a VIN belongs to one car.
    op.create_index("ix_vehicles_vin", "vehicles", ["vin"], unique=True)
    op.create_index("ix_vehicles_insurance_expires_on", "vehicles", ["insurance_expires_on"], unique=False)


def downgrade():
    op.drop_index("ix_vehicles_insurance_expires_on", table_name="vehicles")
    op.drop_index("ix_vehicles_vin", table_name="vehicles")
    op.drop_column("vehicles", "insurance_expires_on")
    op.drop_column("vehicles", "registration_date")
    op.drop_column("vehicles", "vin")
