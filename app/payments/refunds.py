"""Refunds of WeChat Pay orders: promised inside the operation that takes the money back, sent later.

``refund_payment`` records the refund in the caller's transaction (a work order's refund, or a
payment that arrived too late to settle anything), so the reversed ledgers and the promise to return
the money commit or roll back together. No request waits on WeChat: the ``payment_refunds`` job
(every minute) sends due refunds and follows accepted ones until WeChat calls them final. It claims
rows under a lease (app/common/leases.py), commits, calls WeChat with no transaction open, and
records the answer.

What an answer does:
 * SUCCESS → succeeded; PROCESSING → processing, asked again (``refund_status``) with backoff;
   CLOSED / ABNORMAL → closed / abnormal: final, the owner settles it in WeChat's merchant platform;
 * an outage, a rate limit, or NOT_ENOUGH (the merchant's WeChat balance cannot cover it yet) →
   sent again after a backoff (1, 2, 4 … minutes, at most 6 hours apart); ``failed`` after
   MAX_ATTEMPTS sends;
 * any other refusal (PARAM_ERROR, INVALID_REQUEST, …) → failed at once: repeating it cannot help.
The owner sees refunds that need them (``list_refunds``) and can send a failed one again
(``retry_refund``). ``out_refund_no`` never changes, so a refund sent twice (a job dying between
send and record, or the owner's retry of one WeChat did accept) is still refunded once by WeChat.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app import wechat
from app.common import clock, leases
from app.common.errors import AppError, Conflict, NotFound
from app.common.pagination import paginate
from app.extensions import db
from app.payments.models import PaymentOrder, PaymentRefund

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of sends at the capped backoff
BATCH_SIZE = 20
WAITING = ("pending", "processing")
FINAL_STATES = {"SUCCESS": "succeeded", "CLOSED": "closed", "ABNORMAL": "abnormal"}
# Refusals that a later send can get past (WeChat's codes): the merchant's balance is too low.
RETRY_LATER_CODES = {"NOT_ENOUGH"}


def refund_payment(*, payment_order_id, reason, now=None) -> PaymentRefund:
    """Promise the member their WeChat payment back, in full and once: a paid order gets one refund
    (a second call returns the first); the ``payment_refunds`` job sends it. Only a paid order can
    be refunded (409 payment_not_paid)."""
    payment_order = db.session.get(PaymentOrder, payment_order_id)
    if payment_order is None:
        raise NotFound("payment_not_found", "No such payment.")
    if payment_order.status != "paid":
        raise Conflict(
            "payment_not_paid", "Only a paid payment can be refunded.", details={"status": payment_order.status}
        )
    existing = db.session.scalar(select(PaymentRefund).where(PaymentRefund.payment_order_id == payment_order.id))
    if existing is not None:
        return existing
    now = now or clock.now()
    refund = PaymentRefund(
        payment_order_id=payment_order.id,
        out_refund_no=f"RF{payment_order.out_trade_no}",
        amount_fen=payment_order.amount_fen,
        reason=(reason or None) and reason[:80],
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(refund)
    db.session.flush()
    log.info(
        "payment %s: refund %s of %s fen promised", payment_order.out_trade_no, refund.out_refund_no, refund.amount_fen
    )
    return refund


@dataclass(frozen=True)
class _Outcome:
    status: str | None = None  # the new status; None: ask again later
    refund_id: str | None = None
    error: str | None = None


def _ask_wechat(pay, call):
    """One call to WeChat for a refund, as an outcome."""
    try:
        if call["status"] == "processing":
            answer = pay.refund_status(out_refund_no=call["out_refund_no"])
        else:
            answer = pay.refund(
                out_refund_no=call["out_refund_no"],
                out_trade_no=call["out_trade_no"],
                refund_fen=call["amount_fen"],
                total_fen=call["total_fen"],
                reason=call["reason"],
            )
    except (wechat.WeChatUnavailable, wechat.WeChatRateLimited) as error:
        return _Outcome(error=error.message)
    except wechat.WeChatError as error:
        if call["status"] == "processing" or error.errcode in RETRY_LATER_CODES:
            return _Outcome(error=error.message)  # a query, or a refusal that may pass later
        return _Outcome(status="failed", error=error.message)
    except AppError as error:  # refused before it left (an amount WeChat would refuse too)
        return _Outcome(status="failed", error=error.message)
    state = answer.get("status")
    return _Outcome(status=FINAL_STATES.get(state, "processing"), refund_id=answer.get("refund_id"))


def _record(refund_id, token, call, outcome, now):
    values = {"last_error": outcome.error[:255] if outcome.error else None}
    if outcome.refund_id:
        values["refund_id"] = outcome.refund_id
    status = outcome.status
    if status is None and call["status"] == "pending" and call["attempts"] >= MAX_ATTEMPTS:
        status = "failed"
    if status is None or status in WAITING:
        # A refund can stay PROCESSING for days of polls: the exponent is capped before it can
        # overflow a timedelta (2 ** 9 minutes already passes MAX_BACKOFF).
        delay = min(BACKOFF * 2 ** min(max(call["attempts"] - 1, 0), 9), MAX_BACKOFF)
        values.update(status=status or call["status"], next_attempt_at=now + delay)
    else:  # final
        values.update(status=status, finished_at=now)
        log.log(
            logging.INFO if status == "succeeded" else logging.ERROR,
            "refund %s %s%s",
            call["out_refund_no"],
            status,
            f": {outcome.error}" if outcome.error else "",
        )
    if not leases.finish_claimed(PaymentRefund, refund_id, token, **values):
        log.warning("refund %s: lease lost before its outcome was recorded", call["out_refund_no"])
    return values["status"]


def send_payment_refunds(*, now):
    """The ``payment_refunds`` job: send due refunds and ask after accepted ones; commits between
    steps, so no database lock is held while WeChat answers. Returns how many ended in each status."""
    token, ids = leases.claim_due(
        PaymentRefund, PaymentRefund.status.in_(WAITING), now=now, lease=LEASE, limit=BATCH_SIZE
    )
    calls = (
        [
            row._asdict()
            for row in db.session.execute(
                select(
                    PaymentRefund.id,
                    PaymentRefund.status,
                    PaymentRefund.out_refund_no,
                    PaymentRefund.amount_fen,
                    PaymentRefund.reason,
                    PaymentRefund.attempts,
                    PaymentOrder.out_trade_no,
                    PaymentOrder.amount_fen.label("total_fen"),
                )
                .join(PaymentOrder, PaymentOrder.id == PaymentRefund.payment_order_id)
                .where(PaymentRefund.id.in_(ids))
                .order_by(PaymentRefund.id)
            )
        ]
        if ids
        else []
    )
    db.session.commit()
    outcomes = Counter()
    pay = wechat.pay() if calls else None
    for call in calls:
        outcome = _ask_wechat(pay, call)
        outcomes[_record(call["id"], token, call, outcome, now)] += 1
        db.session.commit()
    return dict(outcomes)


def list_refunds(*, status=None, page=1, per_page=20):
    """Refunds, newest first, each with its payment (number, purpose, member); ``status`` filters."""
    stmt = (
        select(PaymentRefund)
        .join(PaymentRefund.payment)
        .options(contains_eager(PaymentRefund.payment))
        .order_by(PaymentRefund.created_at.desc(), PaymentRefund.id.desc())
    )
    if status:
        stmt = stmt.where(PaymentRefund.status == status)
    return paginate(stmt, page, per_page)


def retry_refund(*, refund_id, now=None) -> PaymentRefund:
    """Send a failed refund again (owner), with the same refund number and a fresh count of
    attempts; only a failed refund can be retried (409 refund_not_failed)."""
    now = now or clock.now()
    refund = db.session.scalar(select(PaymentRefund).where(PaymentRefund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFound("refund_not_found", "No such refund.")
    if refund.status != "failed":
        raise Conflict(
            "refund_not_failed", f"A {refund.status} refund cannot be sent again.", details={"status": refund.status}
        )
    refund.status, refund.attempts, refund.next_attempt_at, refund.finished_at = "pending", 0, now, None
    db.session.flush()
    return refund
