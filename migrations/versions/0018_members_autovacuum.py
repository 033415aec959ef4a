"""vacuum the members table after a fiftieth of it changes, not a fifth

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # The nightly member metrics rewrite a large share of the members' rows. The owner's overview and
    # segment previews read members from covering indexes, which answer without the table only for
    # pages vacuumed since their last change: at the default fifth of a million rows, the overview's
    # member count took twice as long for a day or two after each run. (PostgreSQL only; SQLite
    # has no autovacuum.)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE members SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE members RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")
