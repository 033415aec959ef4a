"""Scheduled work of the referrals domain (registered in the package's ``init_app``)."""

from app.referrals.rewards import release_frozen_referral_rewards


def release_referral_rewards(*, today, now):
    """Hourly: give referrers the rewards whose freeze period has ended."""
    return {"released": release_frozen_referral_rewards(now=now)}
