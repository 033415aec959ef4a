"""The scheduler's job store table, declared here so Alembic owns it like every other table.

Its shape is the one APScheduler's SQLAlchemyJobStore expects (it only creates the table when it
is missing, which never happens after the migrations ran).
"""

from sqlalchemy import Column, Float, LargeBinary, Table, Unicode

from app.extensions import db

apscheduler_jobs = Table(
    "apscheduler_jobs",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
