"""Run the scheduler: every registered job on its schedule, in the merchant's timezone.

Daily jobs coalesce (a backlog runs once) and have a misfire grace of hours: with APScheduler's
default of one second, a job that starts late (restart, busy machine) would silently be skipped.
SIGTERM and SIGINT stop it cleanly after the running job finishes.
"""

import logging
import signal
import sys

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app import create_app
from app.common.jobs import registered_jobs
from app.config import ConfigurationError
from app.extensions import db
from app.merchant.services import get_settings
from scheduler import runner

log = logging.getLogger("scheduler")
DAILY_MISFIRE_GRACE_SECONDS = 6 * 3600


def build_scheduler(app):
    with app.app_context():
        tz_name = get_settings().timezone
        db.session.rollback()
        engine = db.engine
    scheduler = BlockingScheduler(
        timezone=tz_name,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for name, job in registered_jobs().items():
        if job.every_minutes:
            trigger = IntervalTrigger(minutes=job.every_minutes, timezone=tz_name)
            grace = job.every_minutes * 60
        else:
            trigger = CronTrigger(hour=job.hour, minute=job.minute, timezone=tz_name)
            grace = DAILY_MISFIRE_GRACE_SECONDS
        scheduler.add_job(
            runner.run_registered_job,
            trigger,
            args=[name],
            id=name,
            name=name,
            replace_existing=True,
            misfire_grace_time=grace,
        )
    return scheduler, tz_name


def main():
    try:
        app = create_app()
    except ConfigurationError as error:
        raise SystemExit(f"Pitstop scheduler cannot start: {error}") from None
    runner.bind_app(app)
    scheduler, tz_name = build_scheduler(app)

    def stop(signum, frame):
        log.info("scheduler stopping (signal %s)", signum)
        if scheduler.running:
            scheduler.shutdown(wait=True)
        else:  # the signal came before start(): nothing is running yet
            sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    jobs = registered_jobs()
    log.info("scheduler starting in %s with %d jobs: %s", tz_name, len(jobs), ", ".join(jobs) or "(none)")
    scheduler.start()  # blocks until shutdown
    log.info("scheduler stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
