"""SMS opt-out (退订): recorded per member, audited, honoured by the sender.

A member opts out in the mini-program, staff record it when asked in person or on the phone, and
the provider tells us when the member's number is on its blacklist (they replied 退订/TD to an SMS).
Opting in again removes the row; the audit log (kind "sms_opt_out") keeps the whole history.
"""

from sqlalchemy import func, select

from app.audit.services import record_change
from app.common import clock
from app.common.db import insert_for
from app.extensions import db
from app.marketing.models import Message, SmsOptOut
from app.members.services import get_member


def sms_status(member_id):
    """{"sms_opted_out", "opted_out_at", "source"} of a member."""
    get_member(member_id)
    row = db.session.get(SmsOptOut, member_id)
    return {
        "sms_opted_out": row is not None,
        "opted_out_at": row.opted_out_at if row else None,
        "source": row.source if row else None,
    }


def set_sms_opt_out(*, member_id, opted_out, source, actor=None, now=None):
    """Record (``opted_out``) or withdraw a member's SMS opt-out; a change is audited, a repeat
    changes nothing. ``source`` says how: "member", "staff" or "provider"."""
    now = now or clock.now()
    get_member(member_id)
    row = db.session.get(SmsOptOut, member_id)
    if opted_out and row is None:
        db.session.execute(
            insert_for(db.session, SmsOptOut.__table__)
            .values(
                member_id=member_id,
                opted_out_at=now,
                source=source,
                staff_id=actor.id if actor is not None and actor.kind == "staff" else None,
            )
            .on_conflict_do_nothing()
        )
        record_change(
            actor=actor,
            kind="sms_opt_out",
            entity_type="member",
            entity_id=member_id,
            before={"sms_opted_out": False},
            after={"sms_opted_out": True, "source": source},
            now=now,
        )
    elif not opted_out and row is not None:
        before = {"sms_opted_out": True, "source": row.source}
        db.session.delete(row)
        record_change(
            actor=actor,
            kind="sms_opt_out",
            entity_type="member",
            entity_id=member_id,
            before=before,
            after={"sms_opted_out": False, "source": source},
            now=now,
        )
    db.session.flush()
    return sms_status(member_id)


def sms_usage(*, start, end):
    """SMS sent and their cost among the messages queued in [start, end), by kind, with what the
    carriers reported of them (delivered, undelivered; the rest not reported yet) and how many
    without a grant did not go by SMS and why (opted_out, over_cap, no_phone...). One grouped query
    over the messages' creation index."""
    by_kind = {}
    totals = {"sent": 0, "cost_fen": 0, "delivered": 0, "undelivered": 0}
    rows = db.session.execute(
        select(
            Message.kind,
            Message.channel,
            Message.status,
            Message.sms_outcome,
            Message.sms_delivery,
            func.count(),
            func.sum(Message.cost_fen),
        )
        .where(Message.created_at >= start, Message.created_at < end, Message.sms_outcome.is_not(None))
        .group_by(Message.kind, Message.channel, Message.status, Message.sms_outcome, Message.sms_delivery)
    ).all()
    for kind, channel, status, outcome, delivery, count, cost in rows:
        usage = by_kind.setdefault(kind, {"sent": 0, "cost_fen": 0, "delivered": 0, "undelivered": 0, "not_sent": {}})
        if channel == "sms" and status == "sent":
            for figures in (usage, totals):
                figures["sent"] += count
                figures["cost_fen"] += int(cost or 0)
                if delivery is not None:
                    figures[delivery] += count
        else:
            usage["not_sent"][outcome] = usage["not_sent"].get(outcome, 0) + count
    return {**totals, "by_kind": by_kind}
