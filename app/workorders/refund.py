"""Refunding a settled work order: every ledger the settlement touched is reversed by reference.

For each reference the order used — ("work_order", id) and, when the member paid in the
mini-program, ("work_order_pay", attempt id) — the refund
 * returns stored value to the part it was taken from (principal and bonus as they were spent);
 * takes back the points the order earned and returns the points it spent. When some earned
   points were already spent, the points domain takes back what is left of them and records the
   rest as a ``shortfall`` on its reversal entry: the balance never goes negative and the refund
   is not blocked (the shop decides whether to settle the difference with the customer);
 * restores the coupon if it is still valid (an expired one stays used), returns card items and
   period-card uses (on the day they were taken, so that day's cap is freed),
   removes the stamps the order added and puts its parts back into stock;
 * reduces the receivable of an order charged on account (挂账) by its open part, and gives the
   account back as credit what was already repaid on it (app/accounts/charging.py);
 * reverts the member's visit statistics (count, total paid, first and last paid visit).
What the member paid through WeChat Pay in the mini-program goes back the same way: each paid
attempt's WeChat payment gets a refund, promised in this transaction and sent by the
``payment_refunds`` job (app/payments/refunds.py), so a WeChat outage never blocks the refund.
The tier is not lowered here (the scheduler's review does that from rolling spend) and the
vehicle's maintenance record stays: the work was done. Money paid at the counter in cash, WeChat,
Alipay or by bank card goes back through the till or the payment terminal it came from.
Then WORK_ORDER_REFUNDED is published: what it sets off in other domains is in app/consequences.py.
Refunding a refunded order returns it unchanged.
"""

from sqlalchemy import func, select

from app.accounts import charging as accounts
from app.cards import period_services as period_cards
from app.cards import services as package_cards
from app.catalog import stock
from app.commissions import services as commissions
from app.common import clock, deferred, events
from app.common.errors import Conflict
from app.coupons import services as coupons
from app.extensions import db
from app.members import visits
from app.payments import refunds as payment_refunds
from app.wallet import points
from app.wallet import services as wallet
from app.workorders import services
from app.workorders.models import WorkOrder, WorkOrderPayAttempt
from app.workorders.settle import REF_TYPE

PAY_REF_TYPE = "work_order_pay"


def _paid_attempts(order):
    """(attempt id, WeChat payment order id) of the order's paid mini-program attempts."""
    return db.session.execute(
        select(WorkOrderPayAttempt.id, WorkOrderPayAttempt.payment_order_id)
        .where(WorkOrderPayAttempt.work_order_id == order.id, WorkOrderPayAttempt.status == "paid")
        .order_by(WorkOrderPayAttempt.id)
    ).all()


def references(order, attempts):
    """Every (ref_type, ref_id) the order's ledger entries carry."""
    return [(REF_TYPE, order.id)] + [(PAY_REF_TYPE, attempt_id) for attempt_id, _payment in attempts]


def reverse_instruments(*, ref_type, ref_id, now):
    """Give back what was spent (and take back what was earned) under one reference."""
    package_cards.reverse_reference(ref_type=ref_type, ref_id=ref_id)
    period_cards.reverse_reference(ref_type=ref_type, ref_id=ref_id, now=now)
    package_cards.remove_stamps(ref_type=ref_type, ref_id=ref_id)
    coupons.restore_reference(ref_type=ref_type, ref_id=ref_id, now=now)
    points.reverse_reference(ref_type=ref_type, ref_id=ref_id, now=now)
    wallet.reverse_reference(ref_type=ref_type, ref_id=ref_id)
    accounts.reverse_reference(ref_type=ref_type, ref_id=ref_id, now=now)


def _remaining_visit_bounds(member_id, excluding_id):
    return db.session.execute(
        select(func.min(WorkOrder.settled_at), func.max(WorkOrder.settled_at)).where(
            WorkOrder.member_id == member_id, WorkOrder.status == "settled", WorkOrder.id != excluding_id
        )
    ).one()


def refund(*, actor, work_order_id, reason, now=None):
    """Refund a settled order (owner): reverse every ledger it touched; idempotent."""
    now = now or clock.now()
    order = services.lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status == "refunded":
        return order
    if order.status != "settled":
        raise Conflict(
            "work_order_not_settled",
            f"A {order.status} work order cannot be refunded.",
            details={"status": order.status},
        )
    # The settle's deferred figures, if still pending, run first: they read the order's tenders,
    # which the reversal below changes (app/common/deferred.py).
    deferred.catch_up(ref_type=REF_TYPE, ref_id=order.id)
    attempts = _paid_attempts(order)
    for ref_type, ref_id in references(order, attempts):
        reverse_instruments(ref_type=ref_type, ref_id=ref_id, now=now)
    for _attempt, payment_order_id in attempts:
        # The reason is shown to the member in WeChat's refund notice, so it is written in Chinese.
        payment_refunds.refund_payment(payment_order_id=payment_order_id, reason=f"工单{order.number}退款", now=now)
    stock.return_reference(ref_type=REF_TYPE, ref_id=order.id, now=now)
    commissions.reverse_for_refunded_order(work_order_id=order.id, now=now)
    if order.member_id is not None:
        first_at, last_at = _remaining_visit_bounds(order.member_id, order.id)
        visits.revert_paid_visit(member_id=order.member_id, paid_fen=order.paid_fen, first_at=first_at, last_at=last_at)
    order.status, order.refunded_at, order.refund_reason = "refunded", now, reason
    db.session.flush()
    # Then what the other domains keep (metrics, marketing's visit, referrals, stats): app/consequences.py.
    events.publish(
        events.WORK_ORDER_REFUNDED,
        work_order_id=order.id,
        member_id=order.member_id,
        vehicle_id=order.vehicle_id,
        store_id=order.store_id,
        settled_at=order.settled_at,
        refunded_at=order.refunded_at,
        now=now,
    )
    return order
