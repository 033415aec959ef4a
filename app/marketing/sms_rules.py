"""When a reminder may go by SMS: the member's opt-out, quiet hours and the per-member cap.

- Quiet hours (``sms_quiet_start_minute`` .. ``sms_quiet_end_minute`` of the marketing settings, in
  merchant time, the start inside the window and the end outside it; a window may cross midnight;
  start == end means none): an SMS due inside waits until the window ends; it is never dropped.
- The cap: at most ``sms_daily_cap`` SMS per member in any 24 hours and ``sms_weekly_cap`` in any 7
  days (rolling, counted from the instant each SMS was taken from the cap; an SMS that failed or is
  to be tried again gives its place back).
"""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.marketing.models import Message, SmsOptOut
from app.members.models import Member

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def quiet_until(settings, tz_name, now):
    """The instant the quiet hours around ``now`` end, or None when ``now`` is outside them."""
    start, end = settings.sms_quiet_start_minute, settings.sms_quiet_end_minute
    if start == end:
        return None
    local = now.astimezone(clock.zone(tz_name))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    day = local.date() if minute < end else local.date() + DAY
    ends = datetime.combine(day, time(end // 60, end % 60), tzinfo=clock.zone(tz_name))
    return ends.astimezone(now.tzinfo)


def opted_out(member_id):
    return db.session.get(SmsOptOut, member_id) is not None


def lock_member(member_id):
    """Serialise the cap check of one member's SMS across senders (held until the next commit,
    which comes before the provider is called)."""
    db.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


def sms_counts(member_id, now):
    """(SMS in the last 24 hours, SMS in the last 7 days) that count against the member's cap."""
    counted = (
        Message.member_id == member_id,
        Message.channel == "sms",
        Message.status.in_(("queued", "sent")),
        Message.sms_at > now - WEEK,
    )
    row = db.session.execute(
        select(func.count(), func.count().filter(Message.sms_at > now - DAY)).where(*counted)
    ).one()
    return int(row[1]), int(row[0])


def over_cap(settings, member_id, now):
    """Whether one more SMS to the member now would exceed a cap."""
    day, week = sms_counts(member_id, now)
    return day >= settings.sms_daily_cap or week >= settings.sms_weekly_cap
