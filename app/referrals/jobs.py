"""Scheduled work of the referrals domain (registered when the app factory imports this module)."""

from app.common.jobs import job
from app.referrals.rewards import release_frozen_referral_rewards


@job("referral_rewards", every_minutes=60)
def release_referral_rewards(*, today, now):
    """Hourly: give referrers the rewards whose freeze period has ended."""
    return {"released": release_frozen_referral_rewards(now=now)}
