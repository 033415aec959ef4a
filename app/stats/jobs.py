"""Scheduled work of the statistics (registered when the app factory imports this module)."""

from app.common import deferred
from app.common.jobs import job


@job("deferred_events", every_minutes=1)
def deferred_events(*, today, now):
    """Every minute: the consequences requests deferred past their commit (the owner's figures after
    a settle) that no process has run yet; each request runs its own as soon as it has answered, so
    this finds only what a stopped process left (app/common/deferred.py)."""
    return {"processed": deferred.run_pending()}
