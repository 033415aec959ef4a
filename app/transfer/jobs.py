"""The scheduler's safety net for imports and exports whose API thread never ran (runner.py)."""

from app.common.jobs import job
from app.transfer import runner


@job("transfer_jobs", every_minutes=1)
def transfer_jobs(*, today, now):
    return {"ran": runner.run_stale(now)}
