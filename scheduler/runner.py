"""The one function the scheduler's job store refers to: it runs a registered job by its name.

The store keeps job names as arguments of ``run_registered_job``, never the jobs' own functions, and
``build_scheduler`` adds every registered job afresh at each start (``replace_existing``).
"""

import logging

log = logging.getLogger("scheduler")
_app = None


def bind_app(app):
    global _app
    _app = app


def run_registered_job(name):
    """Run one registered job for the merchant's current day, in an app context."""
    from app.common.jobs import run_job

    with _app.app_context():
        try:
            run_job(name)
        except Exception:  # logged by run_job; the scheduler keeps going
            log.warning("job %s failed; it runs again at its next time", name)
