"""Reading and changing the merchant's rules."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.audit.services import record_change, snapshot
from app.common.errors import Unprocessable
from app.extensions import db
from app.merchant.models import MerchantSettings


def get_settings() -> MerchantSettings:
    """The merchant's settings; created with the field-rule defaults on first use."""
    settings = db.session.get(MerchantSettings, 1)
    if settings is None:
        settings = MerchantSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    # The identity map holds objects weakly: without this reference every call in a request
    # (a settlement asks several times) would read the row again.
    db.session.info["merchant_settings"] = settings
    return settings


# The field-rule defaults of the lifecycle thresholds (before the settings are first saved).
LIFECYCLE_DEFAULTS = {
    name: MerchantSettings.__table__.c[name].default.arg for name in ("at_risk_after_days", "churned_after_days")
}


def lifecycle_threshold_columns():
    """The lifecycle thresholds as scalar subqueries, so a query labelling many members needs no
    separate read of the settings row; they are NULL until the settings are first saved (the
    field-rule defaults, ``LIFECYCLE_DEFAULTS``, apply then)."""
    return {
        name: select(getattr(MerchantSettings, name)).where(MerchantSettings.id == 1).scalar_subquery()
        for name in LIFECYCLE_DEFAULTS
    }


def merchant_timezone() -> str:
    return get_settings().timezone


REFERRAL_REWARD_FIELDS = ("referral_reward_points", "referral_reward_coupon_template_id", "referral_min_order_fen")


def update_settings(*, changes: dict, actor=None) -> MerchantSettings:
    """Apply owner changes; the lifecycle thresholds must stay ordered, the timezone real, and the
    referrer's reward within ``referral_reward_max_points`` (both as they will be after the change:
    422 ``referral_reward_over_limit``). Recorded in the audit log: the referral reward fields as
    kind "referral_reward", every other field (the limits included) as "settings"."""
    settings = get_settings()
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise Unprocessable("invalid_timezone", f"unknown timezone {changes['timezone']!r}")
    at_risk = changes.get("at_risk_after_days", settings.at_risk_after_days)
    churned = changes.get("churned_after_days", settings.churned_after_days)
    if at_risk >= churned:
        raise Unprocessable("invalid_lifecycle_thresholds", "at_risk_after_days must be below churned_after_days")
    reward = changes.get("referral_reward_points", settings.referral_reward_points)
    reward_max = changes.get("referral_reward_max_points", settings.referral_reward_max_points)
    if reward > reward_max:
        raise Unprocessable(
            "referral_reward_over_limit",
            f"The referral reward is at most {reward_max} points (referral_reward_max_points).",
            details={"referral_reward_points": reward, "referral_reward_max_points": reward_max},
        )
    before = snapshot(settings, changes)
    for name, value in changes.items():
        setattr(settings, name, value)
    db.session.flush()
    for kind, names in (
        ("referral_reward", [name for name in changes if name in REFERRAL_REWARD_FIELDS]),
        ("settings", [name for name in changes if name not in REFERRAL_REWARD_FIELDS]),
    ):
        record_change(
            actor=actor,
            kind=kind,
            entity_type="merchant_settings",
            entity_id=settings.id,
            before={name: before[name] for name in names},
            after={name: changes[name] for name in names},
        )
    return settings
