"""A member paying a completed work order from the mini-program.

The member names stored value, points, a coupon and/or units of their package cards and period cards
(月卡/年卡); whatever they leave goes through WeChat Pay.
 * If those tenders cover the total, the order settles at once.
 * Otherwise the tenders are HELD: spent now under the attempt's own reference
   ("work_order_pay", attempt id) and recorded as held payments; the order becomes ``paying`` (no
   counter settle, no edits) and a WeChat payment for the remainder is created (purpose
   "work_order"). When the payment succeeds the holds are posted and the settlement finishes; when
   it is closed or times out the holds are reversed by that reference and the order is
   ``completed`` again. Each attempt has its own reference, so a second attempt after a released
   one spends afresh and a refund reverses exactly what the paid attempt held.
Nothing is spent twice (the holds are debits already) and nothing is lost (a release reverses
them). A success arriving for an attempt that was already released (WeChat refuses to close a paid
order, so only a payment racing its close can do this) settles nothing: the attempt is flagged
``paid_late`` and the payment is refunded to the member through WeChat Pay (app/payments/refunds.py).
"""

import logging

from sqlalchemy import select

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.payments import refunds as payment_refunds
from app.payments import services as payments
from app.workorders import services
from app.workorders.models import WorkOrderPayAttempt, WorkOrderPayment
from app.workorders.refund import PAY_REF_TYPE, reverse_instruments
from app.workorders.settle import REF_TYPE, finish, prepare, spend
from app.workorders.tenders import MEMBER_TYPES

log = logging.getLogger(__name__)
PURPOSE = "work_order"
# Every instrument a member holds; cash, bank card and on-account are the counter's.
MEMBER_TENDERS = MEMBER_TYPES


def pay(*, member_id, work_order_id, tenders, now=None):
    """Pay the member's own completed order. Returns (order, payment_order, pay_params); the last
    two are None when the tenders settled the order at once."""
    now = now or clock.now()
    order = services.lock_work_order(work_order_id=work_order_id)
    if order.member_id != member_id:
        raise NotFound("work_order_not_found", "No such work order.")
    if order.status == "paying":
        raise Conflict("work_order_paying", "A payment for this order is already waiting.")
    if order.status != "completed":
        raise Conflict(
            "work_order_not_payable",
            "Only a completed work order can be paid in the mini-program.",
            details={"status": order.status},
        )
    refused = sorted({t["type"] for t in tenders if t["type"] not in MEMBER_TENDERS})
    if refused:
        raise Unprocessable(
            "tender_not_allowed",
            "Pay with stored value, points, a coupon or a card; WeChat Pay covers the rest.",
            details={"types": refused},
        )
    valuation, _member = prepare(order, tenders=tenders, now=now)  # held while the order is paid (see settle)
    remainder = valuation.remaining_fen
    if remainder < 0:
        raise Unprocessable(
            "tenders_exceed_total",
            "These tenders are worth more than the order.",
            details={"total_fen": valuation.total_fen, "tendered_fen": valuation.tendered_fen},
        )
    if remainder == 0:
        spend(order, valuation.values, ref_type=REF_TYPE, ref_id=order.id, status="posted", now=now)
        return finish(order, now=now), None, None
    attempt = WorkOrderPayAttempt(
        work_order_id=order.id, member_id=member_id, remainder_fen=remainder, status="pending", created_at=now
    )
    db.session.add(attempt)
    db.session.flush()
    spend(
        order, valuation.values, ref_type=PAY_REF_TYPE, ref_id=attempt.id, status="held", attempt_id=attempt.id, now=now
    )
    payment_order, pay_params = payments.create_wechat_payment(
        member_id=member_id,
        purpose=PURPOSE,
        purpose_ref_id=order.id,
        amount_fen=remainder,
        description=f"Work order {order.number}",
    )
    attempt.payment_order_id = payment_order.id
    db.session.add(
        WorkOrderPayment(
            work_order_id=order.id,
            type="wechat",
            amount_fen=remainder,
            status="pending",
            attempt_id=attempt.id,
            ref_type=PAY_REF_TYPE,
            ref_id=attempt.id,
            created_at=now,
        )
    )
    order.status = "paying"
    db.session.flush()
    db.session.expire(order, ["payments"])
    return order, payment_order, pay_params


def _attempt_for(payment_order):
    attempt_id = db.session.scalar(
        select(WorkOrderPayAttempt.id).where(WorkOrderPayAttempt.payment_order_id == payment_order.id)
    )
    if attempt_id is None:
        raise NotFound("work_order_payment_not_found", "No work-order payment for this WeChat order.")
    order = services.lock_work_order(work_order_id=payment_order.purpose_ref_id)  # order row first, then attempt
    attempt = db.session.scalar(
        select(WorkOrderPayAttempt)
        .where(WorkOrderPayAttempt.id == attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return order, attempt


def _attempt_payments(attempt):
    return db.session.scalars(select(WorkOrderPayment).where(WorkOrderPayment.attempt_id == attempt.id)).all()


def on_paid(payment_order, notice=None):
    """WeChat confirmed the remainder: post the holds and finish the settlement (repeats are no-ops)."""
    order, attempt = _attempt_for(payment_order)
    if attempt.status in ("paid", "paid_late"):
        return order
    if attempt.status != "pending" or order.status != "paying":
        # WeChat refuses to close a paid order, so this needs a payment racing its own close. The
        # holds are gone and nothing was bought: the money goes back to the member.
        attempt.status, attempt.finished_at = "paid_late", clock.now()
        payment_refunds.refund_payment(
            payment_order_id=payment_order.id, reason=f"工单{order.number}支付超时，款项原路退回"
        )
        db.session.flush()
        log.warning(
            "payment %s arrived for work order %s after its holds were released; refunding it",
            payment_order.out_trade_no,
            order.id,
        )
        return order
    now = clock.now()
    for payment in _attempt_payments(attempt):
        payment.status = "posted"
    attempt.status, attempt.finished_at = "paid", now
    db.session.flush()
    db.session.expire(order, ["payments"])
    return finish(order, now=now)


def on_closed(payment_order):
    """The WeChat payment closed or timed out: reverse the holds; the order is payable again."""
    order, attempt = _attempt_for(payment_order)
    if attempt.status != "pending":
        return order
    now = clock.now()
    reverse_instruments(ref_type=PAY_REF_TYPE, ref_id=attempt.id, now=now)
    for payment in _attempt_payments(attempt):
        payment.status = "released"
    attempt.status, attempt.finished_at = "closed", now
    if order.status == "paying":
        order.status = "completed"
    db.session.flush()
    db.session.expire(order, ["payments"])
    return order


def register():
    payments.register_payment_purpose(PURPOSE, on_paid, on_closed)
