"""Scheduled work of the wallet (registered when the app factory imports this module)."""

from app.common.jobs import job
from app.wallet.points import expire_points


@job("points_expiry", hour=1)
def points_expiry(*, today, now):
    """Nightly: points lots whose expiry day has come are written off."""
    return expire_points(now=now)
