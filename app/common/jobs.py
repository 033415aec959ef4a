"""The registry of scheduled jobs and the one way to run a job for a given day.

Domains register plain functions ``job(*, today, now)`` (today: the merchant's local date; now:
the UTC instant the run stands for). ``run_job`` gives each run its own transaction: it commits
at the end, and rolls back and logs on error. The scheduler process (``python -m scheduler``) and
``flask jobs run`` both call ``run_job``; jobs must be idempotent (a rerun for the same day changes
nothing), which the outbox's dedupe keys make true for pushes.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from app.common import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    hour: int  # local time of day the daily run starts
    minute: int = 0
    every_minutes: int | None = None  # for frequent jobs (the outbox sender) instead of daily


_jobs = {}


def register_job(name, func, *, hour=3, minute=0, every_minutes=None):
    _jobs[name] = Job(name, func, hour, minute, every_minutes)


def registered_jobs():
    return dict(sorted(_jobs.items()))


def instant_for(day: date, job: Job, tz_name) -> datetime:
    """The UTC instant of ``job``'s run on the merchant's local ``day``."""
    local = datetime.combine(day, time(job.hour, job.minute), tzinfo=clock.zone(tz_name))
    return local.astimezone(clock.UTC)


def run_job(name, *, day=None):
    """Run one job as if it were ``day`` (default: today) in the merchant's timezone."""
    from app.extensions import db
    from app.merchant.services import get_settings

    job = _jobs.get(name)
    if job is None:
        raise KeyError(f"unknown job {name!r}")
    tz_name = get_settings().timezone
    if day is None:
        now = clock.now()
        day = clock.local_today(tz_name, now)
    else:
        now = instant_for(day, job, tz_name)
    try:
        result = job.func(today=day, now=now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed for %s", name, day)
        raise
    log.info("job %s ran for %s: %s", name, day, result)
    return result
