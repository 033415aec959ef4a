"""The registry of scheduled jobs and the one way to run a job for a given day.

Each domain declares its jobs in its own ``jobs.py`` with the ``@job`` decorator; the app factory
imports every domain's ``jobs.py`` (as it does ``routes.py``), so a job exists exactly when its
module is imported, and a module that fails to import fails the start instead of dropping the job.

A job is a plain function ``job(*, today, now)`` (today: the merchant's local date; now: the UTC
instant the run stands for). It runs either daily at a local time of day (``hour``, ``minute``) or
every few minutes (``every_minutes``). ``run_job`` gives each run its own transaction: it commits at
the end, and rolls back and logs on error. The scheduler process (``python -m scheduler``),
``flask jobs run`` and ``flask jobs run-day`` all call ``run_job``; jobs must be idempotent (a rerun
for the same day changes nothing), which the outbox's dedupe keys make true for pushes.

Replaying a day: a daily job stands for its own time of day; a frequent job for the end of the day
(23:59:59 local), the last of its runs that day, so it sees everything the daily jobs did. This
module imports no domain: the merchant's timezone comes from a provider the app factory registers.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from app.common import clock

log = logging.getLogger(__name__)
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    hour: int | None = None  # local time of day of a daily run
    minute: int = 0
    every_minutes: int | None = None  # for frequent jobs (the senders) instead of daily

    @property
    def daily(self):
        return self.every_minutes is None

    @property
    def time_of_day(self) -> time:
        """The local time a run for a given day stands for (the end of the day for frequent jobs)."""
        return time(self.hour, self.minute) if self.daily else END_OF_DAY


_jobs = {}
_timezone_provider = None


def register_job(name, func, *, hour=None, minute=0, every_minutes=None):
    """Add a job: daily at ``hour``:``minute`` local time, or every ``every_minutes`` minutes.

    A name taken by another function is refused, so two domains cannot silently replace each other's job.
    """
    if (hour is None) == (every_minutes is None):
        raise ValueError(f"job {name!r}: give either a daily hour or every_minutes")
    existing = _jobs.get(name)
    if existing is not None and _qualified(existing.func) != _qualified(func):
        raise ValueError(f"job {name!r} is registered already by {_qualified(existing.func)}")
    _jobs[name] = Job(name, func, hour, minute, every_minutes)


def job(name, *, hour=None, minute=0, every_minutes=None):
    """Decorator form of ``register_job`` for a domain's ``jobs.py``."""

    def decorator(func):
        register_job(name, func, hour=hour, minute=minute, every_minutes=every_minutes)
        return func

    return decorator


def _qualified(func):
    return f"{func.__module__}.{func.__qualname__}"


def registered_jobs():
    """Every job by name (sorted by name)."""
    return dict(sorted(_jobs.items()))


def jobs_in_day_order():
    """The jobs in the order a day runs them: daily jobs by time of day, then the frequent ones,
    least frequent first, so the every-minute senders come last and send what the others queued."""
    daily = sorted((j for j in _jobs.values() if j.daily), key=lambda j: (j.time_of_day, j.name))
    frequent = sorted((j for j in _jobs.values() if not j.daily), key=lambda j: (-j.every_minutes, j.name))
    return daily + frequent


def register_timezone_provider(provider):
    """``provider()`` answers the merchant's timezone name (registered by the app factory)."""
    global _timezone_provider
    _timezone_provider = provider


def _timezone():
    if _timezone_provider is None:
        raise RuntimeError("no timezone provider registered; create the app first")
    return _timezone_provider()


def instant_for(day: date, job: Job, tz_name) -> datetime:
    """The UTC instant ``job``'s run on the merchant's local ``day`` stands for."""
    local = datetime.combine(day, job.time_of_day, tzinfo=clock.zone(tz_name))
    return local.astimezone(clock.UTC)


def run_job(name, *, day=None, tz_name=None):
    """Run one job as the scheduler would on ``day`` (default: now) in the merchant's timezone."""
    from app.extensions import db

    job = _jobs.get(name)
    if job is None:
        raise KeyError(f"unknown job {name!r}")
    tz_name = tz_name or _timezone()
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
    from app.common import deferred

    if deferred.written_in_this_transaction():
        deferred.run_pending()  # what the job deferred (a mini-program payment's figures), at once
    log.info("job %s ran for %s: %s", name, day, result)
    return result
