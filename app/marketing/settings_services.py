"""The merchant's marketing rules (one row, created with defaults on first use)."""

from app.audit.services import record_change, snapshot
from app.common import clock
from app.common.db import insert_for
from app.common.errors import Unprocessable
from app.extensions import db
from app.marketing.models import MarketingSettings


def marketing_settings() -> MarketingSettings:
    """The row, created with the defaults on first use (two schedulers may race to create it)."""
    settings = db.session.get(MarketingSettings, 1)
    if settings is None:
        defaults = {
            column.name: column.default.arg
            for column in MarketingSettings.__table__.columns
            if column.default is not None and not callable(column.default.arg)
        }
        db.session.execute(
            insert_for(db.session, MarketingSettings.__table__)
            .values(**defaults, birthday_coupons={}, updated_at=clock.now())
            .on_conflict_do_nothing()
        )
        settings = db.session.get(MarketingSettings, 1)
    return settings


def check_coupon_template(template_id, field):
    """422 ``coupon_template_not_found`` unless the coupon template exists."""
    from app.common.errors import NotFound
    from app.coupons.template_services import get_template

    try:
        get_template(template_id)
    except NotFound:
        raise Unprocessable(
            "coupon_template_not_found", "No such coupon template.", details={field: template_id}
        ) from None


SMS_FIELDS = ("sms_quiet_start_minute", "sms_quiet_end_minute", "sms_daily_cap", "sms_weekly_cap", "sms_cost_fen")


def update_marketing_settings(*, changes, actor=None) -> MarketingSettings:
    """Change the rules; coupon templates named must exist, birthday coupons are keyed by tier id
    (as text) or "default"; insurance reminder days are kept sorted, latest first, without repeats.
    Every change is audited in the same transaction, as the merchant settings are: the SMS rules
    (quiet hours, caps, the cost that shapes the campaign results) as kind "sms_settings", the other
    rules (they name coupons and who is reminded when) as "marketing_settings"."""
    from app.members.tiers.services import get_tier

    settings = marketing_settings()
    for tier_key, template_id in (changes.get("birthday_coupons") or {}).items():
        if tier_key != "default":
            if not tier_key.isdigit():
                raise Unprocessable(
                    "invalid_birthday_coupons", 'Keys are tier ids or "default".', details={"key": tier_key}
                )
            get_tier(int(tier_key))
        check_coupon_template(template_id, "birthday_coupons")
    if changes.get("win_back_coupon_template_id") is not None:
        check_coupon_template(changes["win_back_coupon_template_id"], "win_back_coupon_template_id")
    if changes.get("insurance_reminder_days") is not None:
        changes = {**changes, "insurance_reminder_days": sorted(set(changes["insurance_reminder_days"]), reverse=True)}
    sms_changes = {name: value for name, value in changes.items() if name in SMS_FIELDS}
    rule_changes = {name: value for name, value in changes.items() if name not in SMS_FIELDS}
    sms_before = snapshot(settings, sms_changes)
    rules_before = snapshot(settings, rule_changes)
    for name, value in changes.items():
        setattr(settings, name, value)
    db.session.flush()
    if sms_changes:
        record_change(
            actor=actor,
            kind="sms_settings",
            entity_type="marketing_settings",
            entity_id=settings.id,
            before=sms_before,
            after={name: changes[name] for name in sms_changes},
        )
    if rule_changes:
        record_change(
            actor=actor,
            kind="marketing_settings",
            entity_type="marketing_settings",
            entity_id=settings.id,
            before=rules_before,
            after=snapshot(settings, rule_changes),
        )
    return settings
