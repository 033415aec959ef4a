"""The outbox sender (the ``send_outbox`` job, every minute): claim, commit, send, record.

This module is a job boundary like a request: it commits between its steps, so no database lock is
held while WeChat is called.

1. Claim a batch: due ``queued`` rows get a lease and one more attempt, in one short transaction
   (app/common/leases.py). A claimed row is left alone by every other sender until its lease runs
   out.
2. For each message: render and validate the template fields (a violation is recorded, never sent),
   take a grant, commit. Without a grant the message goes by SMS (below); when it cannot, it is
   ``skipped_no_grant`` (``sms_outcome`` says why) with a call-list entry.
3. Send through ``app.wechat.mini_program()`` with no transaction open.
4. Record the outcome under our lease (``WHERE claim_token = ours``), commit:
   sent; 43101 -> failed/refused and the grant count zeroed; invalid user -> failed/invalid_user;
   rate limit or outage -> the grant given back and the row queued again with exponential backoff
   (a rate limit also ends this run: the rest of the batch is released), failed/retries_exhausted
   after ``MAX_ATTEMPTS``. Every undelivered message of a member puts them on the call list
   (except campaigns, whose results show who was skipped, and maintenance reminders, which go on
   the list 11 days before the due date by their own rule).

SMS fallback (docs/rules.md): a message of a kind with an SMS template (app/sms/templates.py), whose
member has no grant, has a phone and has not opted out, goes by SMS: in quiet hours it waits (the
lease is given back with the attempt, due again when they end); over the member's cap it is skipped
(``over_cap``). Otherwise it is taken from the cap (``channel`` sms, ``sms_at``) under a lock on the
member row, committed, sent through ``app.sms.client()`` with no transaction open, and recorded:
sent with its cost; rate-limited or unavailable -> retried with backoff (its cap place given back);
rejected -> failed/sms_rejected; blacklisted -> an opt-out recorded and failed/sms_opted_out.

A process dying between send and record leaves the lease to expire and the message is sent again:
delivery is at least once, and only that narrow window can repeat a push.
"""

import logging
from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import literal, select, update

from app import sms, wechat
from app.common import clock, leases
from app.common.db import insert_for
from app.extensions import db
from app.marketing import grants, sms_rules
from app.marketing.message_templates import definition, render, render_fields, template_id
from app.marketing.models import Campaign, FollowUp, Message
from app.marketing.outbox import home_store
from app.marketing.settings_services import marketing_settings
from app.marketing.sms_opt_outs import set_sms_opt_out
from app.members.models import Member
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.sms.templates import SmsParameterInvalid
from app.sms.templates import parameters as sms_parameters
from app.sms.templates import template_for as sms_template
from app.sms.templates import template_id as sms_template_id
from app.stores.models import Store
from app.wechat.templates import TemplateFieldInvalid, validate_and_truncate

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
BATCH_SIZE = 50
# Campaigns report who was skipped in their results, and a holiday greeting goes to every member
# like a campaign (a call for each would flood the list); maintenance reminders have their own call-list
# rule (11 days before the due date, see occasions.py).
NO_CALL_LIST_KINDS = ("campaign", "holiday", "maintenance_due", "first_maintenance")


class _RateLimited(Exception):
    pass


def claim_batch(*, now, limit=BATCH_SIZE):
    """Lease up to ``limit`` due messages to this sender; returns (claim token, message ids)."""
    return leases.claim_due(Message, Message.status == "queued", now=now, lease=LEASE, limit=limit)


def _finish(message_id, token, **values):
    """Write an outcome if our lease still holds; releasing the lease with it."""
    if not leases.finish_claimed(Message, message_id, token, **values):
        log.warning("message %s: lease lost before its outcome was recorded", message_id)
        return False
    return True


def _call_list(message, context, *, reason, now):
    if message.kind in NO_CALL_LIST_KINDS:
        return
    store_id = message.store_id
    if store_id is None:
        registered = context["member"].registered_store_id
        store_id = db.session.scalar(select(home_store(literal(message.member_id), literal(registered))))
    db.session.execute(
        insert_for(db.session, FollowUp.__table__)
        .values(
            member_id=message.member_id,
            kind=message.kind,
            reason=reason,
            dedupe_key=message.dedupe_key,
            store_id=store_id,
            due_date=context["today"],
            message_id=message.id,
            ref_type=message.ref_type,
            ref_id=message.ref_id,
            status="open",
            created_at=now,
        )
        .on_conflict_do_nothing()
    )


def _load_batch(ids, now):
    """The batch's messages and their placeholder values, loaded in bulk as plain rows (members,
    stores, campaigns): nothing the per-message commits would expire and reload one by one."""
    messages = db.session.execute(select(Message.__table__).where(Message.id.in_(ids)).order_by(Message.id)).all()
    member_ids = {m.member_id for m in messages}
    members = {
        row.id: row
        for row in db.session.execute(
            select(
                Member.id,
                Member.nickname,
                Member.openid,
                Member.phone,
                Member.registered_store_id,
                Tier.name.label("tier_name"),
            )
            .outerjoin(Tier, Tier.id == Member.tier_id)
            .where(Member.id.in_(member_ids))
        )
    }
    store_ids = {m.store_id for m in messages if m.store_id}
    stores = (
        dict(db.session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all()) if store_ids else {}
    )
    campaign_ids = {m.campaign_id for m in messages if m.campaign_id}
    campaigns = (
        {
            row.id: row
            for row in db.session.execute(
                select(Campaign.id, Campaign.fields, Campaign.page).where(Campaign.id.in_(campaign_ids))
            )
        }
        if campaign_ids
        else {}
    )
    settings = get_settings()
    rules = marketing_settings()
    today = clock.local_today(settings.timezone, now)
    contexts = {}
    for message in messages:
        member = members[message.member_id]
        contexts[message.id] = {
            "member": member,
            "campaign": campaigns.get(message.campaign_id),
            "today": today,
            "timezone": settings.timezone,
            "rules": rules,
            "values": {
                "nickname": member.nickname or "车主",
                "plate": message.plate or "",
                "date": (message.occasion_date or today).isoformat(),
                "tier": member.tier_name or "会员",
                "store": stores.get(message.store_id) or settings.name,
                "detail": message.detail or "",
                "ref_id": message.ref_id or "",
            },
        }
    return messages, contexts


def _content(message, context):
    campaign = context["campaign"]
    spec = {"fields": campaign.fields, "page": campaign.page} if campaign else definition(message.kind)
    values = context["values"]
    return render_fields(spec["fields"], values), render(spec.get("page"), values)


def _retry_or_fail(message, context, token, error, now, **values):
    if message.attempts >= MAX_ATTEMPTS:
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="retries_exhausted",
            last_error=error[:200],
            finished_at=now,
            **values,
        )
        _call_list(message, context, reason="not_delivered", now=now)
        return "failed"
    delay = BACKOFF * (2 ** (message.attempts - 1))
    _finish(message.id, token, next_attempt_at=now + delay, last_error=error[:200], **values)
    return "retry"


def _no_sms(message, context, token, now, outcome, error=None):
    """Neither WeChat nor SMS: skipped, and on the call list as before the SMS channel existed."""
    _finish(message.id, token, status="skipped_no_grant", sms_outcome=outcome, last_error=error, finished_at=now)
    _call_list(message, context, reason="no_grant", now=now)
    return "skipped_no_grant"


def _by_sms(message, context, token, now, sms_client):
    """Send a message without a WeChat grant by SMS when the rules allow (see the module docstring)."""
    member, rules = context["member"], context["rules"]
    if sms_template(message.kind) is None or message.campaign_id is not None:
        return _no_sms(message, context, token, now, "not_by_sms")
    if not member.phone:
        return _no_sms(message, context, token, now, "no_phone")
    tid = sms_template_id(message.kind)
    if tid is None:
        log.error("no SMS template id configured for %s", message.kind)
        return _no_sms(message, context, token, now, "not_by_sms")
    try:
        params = sms_parameters(message.kind, context["values"])
    except SmsParameterInvalid as error:
        return _no_sms(message, context, token, now, "failed", error.message[:200])
    if sms_rules.opted_out(member.id):
        return _no_sms(message, context, token, now, "opted_out")
    ends = sms_rules.quiet_until(rules, context["timezone"], now)
    if ends is not None:
        # Not an attempt: the lease and the attempt are given back, due again when quiet hours end.
        _finish(message.id, token, attempts=Message.attempts - 1, next_attempt_at=ends)
        return "quiet_hours"
    sms_rules.lock_member(member.id)
    if sms_rules.over_cap(rules, member.id, now):
        return _no_sms(message, context, token, now, "over_cap")
    reserved = db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.claim_token == token)
        .values(channel="sms", sms_at=now)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:  # our lease ran out: another sender has the message now
        log.warning("message %s: lease lost before its SMS was sent", message.id)
        return "lease_lost"
    db.session.commit()  # our place under the cap is taken; nothing stays locked while the provider answers
    try:
        receipt = sms_client.send(phone=member.phone, kind=message.kind, template_id=tid, params=params)
    except sms.SmsOptedOut as error:
        set_sms_opt_out(member_id=member.id, opted_out=True, source="provider", now=now)
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="sms_opted_out",
            sms_outcome="opted_out",
            last_error=str(error.provider_code)[:200],
            finished_at=now,
        )
        _call_list(message, context, reason="not_delivered", now=now)
        return "failed"
    except sms.SmsRejected as error:
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="sms_rejected",
            sms_outcome="failed",
            last_error=str(error.provider_code or error.message)[:200],
            finished_at=now,
        )
        _call_list(message, context, reason="not_delivered", now=now)
        return "failed"
    except sms.SmsError as error:  # rate-limited or unavailable: the cap place is given back
        outcome = _retry_or_fail(
            message, context, token, str(error.provider_code or error.message), now, channel=None, sms_at=None
        )
        if outcome == "failed":
            _finish_outcome(message.id, "failed")
        return outcome
    _finish(
        message.id,
        token,
        status="sent",
        sent_at=now,
        finished_at=now,
        last_error=None,
        channel="sms",
        sms_outcome="sent",
        sms_serial=receipt.serial_no,
        cost_fen=receipt.parts * rules.sms_cost_fen,
    )
    return "sent_sms"


def _finish_outcome(message_id, outcome):
    db.session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(sms_outcome=outcome)
        .execution_options(synchronize_session=False)
    )


def _deliver(message, context, token, now, client, sms_client):
    data, page = _content(message, context)
    member = context["member"]
    try:
        validate_and_truncate(data)
    except TemplateFieldInvalid as error:
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="template_invalid",
            last_error=error.message,
            finished_at=now,
        )
        return "failed"
    tid = template_id(message.template_key)
    if tid is None:
        log.error("no WeChat template id configured for %s", message.template_key)
        _finish(message.id, token, status="failed", failure_reason="template_not_configured", finished_at=now)
        return "failed"
    if not member.openid or not grants.use_grant(member_id=member.id, template_key=message.template_key, now=now):
        return _by_sms(message, context, token, now, sms_client)
    db.session.commit()  # the grant is ours; nothing stays locked while WeChat answers
    try:
        answer = client.send_subscribe_message(
            openid=member.openid, template_key=message.template_key, template_id=tid, data=data, page=page
        )
    except wechat.SubscribeRefused as error:
        grants.zero_grants(member_id=member.id, template_key=message.template_key, now=now)
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="refused",
            last_error=error.message[:200],
            finished_at=now,
        )
        _call_list(message, context, reason="not_delivered", now=now)
        return "failed"
    except wechat.SubscribeUserInvalid as error:
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="invalid_user",
            last_error=error.message[:200],
            finished_at=now,
        )
        _call_list(message, context, reason="not_delivered", now=now)
        return "failed"
    except TemplateFieldInvalid as error:
        grants.give_back_grant(member_id=member.id, template_key=message.template_key, now=now)
        _finish(
            message.id,
            token,
            status="failed",
            failure_reason="template_invalid",
            last_error=error.message,
            finished_at=now,
        )
        return "failed"
    except wechat.WeChatRateLimited as error:
        grants.give_back_grant(member_id=member.id, template_key=message.template_key, now=now)
        _retry_or_fail(message, context, token, error.message, now)
        raise _RateLimited() from None
    except wechat.WeChatError as error:
        grants.give_back_grant(member_id=member.id, template_key=message.template_key, now=now)
        return _retry_or_fail(message, context, token, error.message, now)
    msgid = (answer or {}).get("msgid")
    _finish(
        message.id,
        token,
        status="sent",
        sent_at=now,
        finished_at=now,
        last_error=None,
        channel="wechat",
        wechat_msgid=str(msgid) if msgid is not None else None,
    )
    return "sent"


def _release(ids, token, now):
    """Give back claimed messages this run will not try (a rate limit stopped it)."""
    if ids:
        db.session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.claim_token == token)
            .values(claim_token=None, claimed_until=None, attempts=Message.attempts - 1, next_attempt_at=now + BACKOFF)
            .execution_options(synchronize_session=False)
        )


def send_outbox(*, today=None, now=None, max_messages=None):
    """Send due messages, a batch at a time, up to ``max_messages`` per run (the rate limit)."""
    now = now or clock.now()
    budget = max_messages or current_app.config.get("MARKETING_SEND_PER_RUN", 500)
    client = wechat.mini_program()
    sms_client = sms.client()
    outcomes = Counter()
    while budget > 0:
        token, ids = claim_batch(now=now, limit=min(BATCH_SIZE, budget))
        db.session.commit()
        if not ids:
            break
        budget -= len(ids)
        messages, contexts = _load_batch(ids, now)
        for index, message in enumerate(messages):
            try:
                outcomes[_deliver(message, contexts[message.id], token, now, client, sms_client)] += 1
                db.session.commit()
            except _RateLimited:
                outcomes["rate_limited"] += 1
                _release([m.id for m in messages[index + 1 :]], token, now)
                db.session.commit()
                return dict(outcomes)
            except Exception:
                db.session.rollback()
                log.exception("message %s could not be handled; it is retried after its lease", message.id)
                outcomes["error"] += 1
                if message.attempts >= MAX_ATTEMPTS:  # never loop on a message that always breaks
                    _finish(
                        message.id,
                        token,
                        status="failed",
                        failure_reason="retries_exhausted",
                        last_error="internal error",
                        finished_at=now,
                    )
                    db.session.commit()
    return dict(outcomes)
