"""Every scheduled job of the service, registered in this one place so the list reads at a glance.

Each job is ``job(*, today, now)`` (app/common/jobs.py runs it in its own transaction). Marketing's
own jobs only insert outbox rows; ``send_outbox`` pushes them. Jobs whose work belongs to another
domain call that domain's service function; they are registered once the function exists.
Daily jobs that push run at civil hours in the merchant's timezone (the sender runs every minute).
"""

import importlib
import logging

from app.common.jobs import register_job
from app.extensions import db
from app.marketing import campaigns, occasions, sender

log = logging.getLogger(__name__)


def member_metrics(*, today, now):
    from app.members.metrics import recompute_member_metrics

    return recompute_member_metrics(now=now)


def campaign_sends(*, today, now):
    """Launch every campaign whose send time has come, one transaction per campaign."""
    launched = 0
    for campaign_id in campaigns.due_campaign_ids(now=now):
        try:
            launched += bool(campaigns.launch(campaign_id=campaign_id, now=now))
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("campaign %s could not be launched; the next run tries again", campaign_id)
    return {"launched": launched}


# (job name, function, schedule): marketing's own jobs.
OWN_JOBS = [
    ("member_metrics", member_metrics, {"hour": 2}),
    ("birthday_greetings", occasions.birthday_greetings, {"hour": 9}),
    ("maintenance_reminders", occasions.maintenance_reminders, {"hour": 10}),
    ("first_maintenance_reminders", occasions.first_maintenance_reminders, {"hour": 10, "minute": 5}),
    ("coupon_expiry_notices", occasions.coupon_expiry_notices, {"hour": 10, "minute": 10}),
    ("win_back_offers", occasions.win_back_offers, {"hour": 11}),
    ("service_follow_ups", occasions.service_follow_ups, {"hour": 15}),
    ("booking_reminders", occasions.booking_reminders, {"hour": 18}),
    ("campaign_sends", campaign_sends, {"every_minutes": 5}),
    ("send_outbox", sender.send_outbox, {"every_minutes": 1}),
]
# (job name, "module:function" taking now=, schedule): other domains' work. (The referrals domain
# registers its own "referral_rewards" job in app/referrals/__init__.py.)
OTHER_DOMAINS_JOBS = [
    ("points_expiry", "app.wallet.points:expire_points", {"hour": 1}),
    ("tier_review", "app.members.tiers.rules:review_tiers", {"hour": 1, "minute": 30}),
    ("package_card_expiry", "app.cards.services:expire_package_cards", {"hour": 1, "minute": 15}),
    ("payment_timeouts", "app.payments.services:close_expired_payments", {"every_minutes": 5}),
    ("payment_refunds", "app.payments.refunds:send_payment_refunds", {"every_minutes": 1}),
]


def _resolve(target):
    """The function named ``module:function``, or None while that domain has not built it."""
    module_name, _, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if not module_name.startswith(error.name or "\0"):
            raise
        return None
    return getattr(module, function_name, None)


def _with_now(func):
    def job(*, today, now):
        return func(now=now)

    job.__name__ = job.__qualname__ = func.__name__
    return job


def register_jobs():
    for name, func, schedule in OWN_JOBS:
        register_job(name, func, **schedule)
    for name, target, schedule in OTHER_DOMAINS_JOBS:
        func = _resolve(target)
        if func is not None:
            register_job(name, _with_now(func), **schedule)
