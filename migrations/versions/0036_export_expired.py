"""old export files are removed after the retention days: an export job can be expired

Revision ID: 0036
Revises: 0035
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'running', 'ready', 'failed')"
NEW = "status IN ('queued', 'running', 'ready', 'failed', 'expired')"


def _statuses(expression):
    # No table refers to export_jobs, so SQLite's batch rebuild needs no foreign-key pause.
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_export_jobs_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", expression)


def upgrade():
    _statuses(NEW)


def downgrade():
    # An expired export has no file any more: as a failed one, it says so.
    op.execute("UPDATE export_jobs SET status = 'failed', failure = 'expired' WHERE status = 'expired'")
    _statuses(OLD)
