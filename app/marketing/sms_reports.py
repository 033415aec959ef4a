"""What the SMS provider tells us after a send, pulled every few minutes (job ``sms_reports``).

- **Members' replies.** A reply that asks to stop (退订, TD, T, R, 拒收 and the like, whatever the
  case or a trailing stop) records the member's SMS opt-out, source "provider", audited like every
  opt-out; the sender honours it from the next message. Other replies are left alone.
- **Delivery reports.** The carrier's word on an SMS the provider accepted (delivered to the phone or
  not, and when; the carrier's code of an undelivered one as the message's last error) is written on
  the message it reports, found by the provider's serial number.

The provider hands out each reply and report once, so the job commits what each pull brought before
it pulls again. Applying the same reply or report twice changes nothing (an opt-out already
recorded stays as it was; a report writes the same values).
"""

from sqlalchemy import bindparam, func, select, update

from app.extensions import db
from app.marketing.models import Message, SmsOptOut
from app.marketing.sms_opt_outs import set_sms_opt_out
from app.members.models import Member

# Replies that ask to stop, as carriers and shops word them (回T退订, 拒收请回复R; compared upper-cased,
# stops stripped). Not 取消 or N: to a booking reminder they more likely mean the booking.
OPT_OUT_REPLIES = frozenset({"T", "TD", "R", "退订", "退", "拒收", "STOP", "UNSUBSCRIBE"})


def asks_to_stop(text):
    """Whether a member's reply asks for no more SMS."""
    return str(text or "").strip().strip("。.!！ ").upper() in OPT_OUT_REPLIES


def apply_replies(replies, *, now):
    """Record an opt-out for each member whose reply asks to stop; returns how many were new."""
    phones = {reply.phone for reply in replies if asks_to_stop(reply.text)}
    if not phones:
        return 0
    member_ids = db.session.scalars(select(Member.id).where(Member.phone.in_(phones)).order_by(Member.id)).all()
    already = set(db.session.scalars(select(SmsOptOut.member_id).where(SmsOptOut.member_id.in_(member_ids))))
    for member_id in member_ids:
        set_sms_opt_out(member_id=member_id, opted_out=True, source="provider", now=now)
    return len(set(member_ids) - already)


def apply_delivery_reports(reports, *, now):
    """Write each report on its SMS (by serial number); returns {"delivered", "undelivered"} counts
    of the reports pulled (a report of no message of ours is counted and changes nothing)."""
    if not reports:
        return {"delivered": 0, "undelivered": 0}
    messages = Message.__table__
    db.session.execute(
        update(messages)
        .where(messages.c.sms_serial == bindparam("serial"))
        .values(
            sms_delivery=bindparam("delivery"),
            sms_delivered_at=bindparam("at"),
            # The carrier's code of an undelivered SMS (e.g. MN:0001) is kept as its last error.
            last_error=func.coalesce(bindparam("note"), messages.c.last_error),
        ),
        [
            {
                "serial": report.serial_no,
                "delivery": "delivered" if report.delivered else "undelivered",
                "at": report.received_at or now,
                "note": None if report.delivered else (report.description or "undelivered")[:200],
            }
            for report in reports
        ],
    )
    delivered = sum(1 for report in reports if report.delivered)
    return {"delivered": delivered, "undelivered": len(reports) - delivered}
