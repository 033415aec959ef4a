"""Scheduled work of the package and stamp cards (registered when the app factory imports this module)."""

from app.cards.services import expire_package_cards
from app.common.jobs import job


@job("package_card_expiry", hour=1, minute=15)
def package_card_expiry(*, today, now):
    """Nightly: package cards past their expiry are closed and their remaining units written off."""
    return expire_package_cards(now=now)
