"""The scheduler's safety net for imports and exports whose API thread never ran (runner.py), and
the removal of old export files (exports.expire_old_exports)."""

from app.common.jobs import job
from app.transfer import exports, runner


# Every two minutes (a batch counts as stalled after two), so a day's replay runs it before the
# every-minute senders, which come last.
@job("transfer_jobs", every_minutes=2)
def transfer_jobs(*, today, now):
    return {"ran": runner.run_stale(now), "expired": exports.expire_old_exports(now)}
