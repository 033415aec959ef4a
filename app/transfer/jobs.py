"""The scheduler's safety net for imports and exports whose API thread never ran (runner.py)."""

from app.common.jobs import job
from app.transfer import runner


# Every two minutes (a batch counts as stalled after two), so a day's replay runs it before the
# every-minute senders, which come last.
@job("transfer_jobs", every_minutes=2)
def transfer_jobs(*, today, now):
    return {"ran": runner.run_stale(now)}
