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
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vin", sa.String(length=17), nullable=True))
        batch_op.add_column(sa.Column("registration_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("insurance_expires_on", sa.Date(), nullable=True))
        # NULLs do not collide: cars without a recorded VIN are many, a VIN belongs to one car.
        batch_op.create_unique_constraint("uq_vehicles_vin", ["vin"])
        batch_op.create_index("ix_vehicles_insurance_expires_on", ["insurance_expires_on"], unique=False)


def downgrade():
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicles_insurance_expires_on")
        batch_op.drop_constraint("uq_vehicles_vin", type_="unique")
        batch_op.drop_column("insurance_expires_on")
        batch_op.drop_column("registration_date")
        batch_op.drop_column("vin")
