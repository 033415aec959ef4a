"""Job entry points the job store can reference by name (module:function)."""

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
