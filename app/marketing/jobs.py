"""Marketing's scheduled jobs (registered when the app factory imports this module).

Each job is ``job(*, today, now)`` (app/common/jobs.py runs it in its own transaction). The daily
occasions only insert outbox rows, at civil hours in the merchant's timezone; ``send_outbox`` (every
minute) pushes them. Other domains declare their own jobs in their ``jobs.py``; ``flask jobs list``
prints them all.
"""

import logging

from app import sms
from app.common.jobs import job, register_job
from app.extensions import db
from app.marketing import campaigns, care_reminders, holidays, occasions, sender, sms_reports

log = logging.getLogger(__name__)


@job("campaign_sends", every_minutes=5)
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


# The daily occasions, in the order of the day (their functions live in occasions.py, and the care
# reminders' in care_reminders.py and holidays.py).
register_job("birthday_greetings", occasions.birthday_greetings, hour=9)
register_job("maintenance_reminders", occasions.maintenance_reminders, hour=10)
register_job("first_maintenance_reminders", occasions.first_maintenance_reminders, hour=10, minute=5)
register_job("coupon_expiry_notices", occasions.coupon_expiry_notices, hour=10, minute=10)
register_job("win_back_offers", occasions.win_back_offers, hour=11)
register_job("insurance_renewal_reminders", care_reminders.insurance_renewal_reminders, hour=10, minute=15)
register_job("inspection_reminders", care_reminders.inspection_reminders, hour=10, minute=20)
register_job("member_anniversaries", care_reminders.member_anniversaries, hour=9, minute=5)
register_job("purchase_anniversaries", care_reminders.purchase_anniversaries, hour=9, minute=10)
register_job("holiday_greetings", holidays.holiday_greetings, hour=9, minute=15)
register_job("service_follow_ups", occasions.service_follow_ups, hour=15)
register_job("booking_reminders", occasions.booking_reminders, hour=18)
register_job("send_outbox", sender.send_outbox, every_minutes=1)


# Each pull hands out at most sms.PULL_LIMIT items; a run takes at most this many pulls of each kind.
MAX_PULLS = 20


@job("sms_reports", every_minutes=5)
def pull_sms_reports(*, today, now):
    """Pull the members' SMS replies (opt-outs) and the delivery reports, committing each pull's
    before the next (the provider hands each out once). A provider error ends that kind's pulling
    for this run; the next run tries again."""
    client = sms.client()
    result = {"replies": 0, "opted_out": 0, "delivered": 0, "undelivered": 0}
    for kind, pull in (("replies", client.pull_replies), ("reports", client.pull_delivery_reports)):
        for _ in range(MAX_PULLS):
            try:
                items = pull()
            except sms.SmsError as error:
                log.warning("SMS %s not pulled: %s (%s)", kind, error.code, error.provider_code)
                result[f"{kind}_error"] = error.provider_code or error.code
                break
            if kind == "replies":
                result["replies"] += len(items)
                result["opted_out"] += sms_reports.apply_replies(items, now=now)
            else:
                for name, count in sms_reports.apply_delivery_reports(items, now=now).items():
                    result[name] += count
            db.session.commit()
            if len(items) < sms.PULL_LIMIT:
                break
    return result
