"""WeChat Pay orders for the mini-program: open one, credit it exactly once, close it when it lapses.

Domains plug in with ``register_payment_purpose(purpose, on_paid, on_closed)``: the wallet
registers "topup", work orders "work_order". ``on_paid(order, notice)`` runs once per order, in
the same transaction that marks it paid; ``on_closed(order)`` runs when an unpaid order lapses.
Functions flush, never commit.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from app import wechat
from app.common import clock
from app.common.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from app.extensions import db
from app.members.services import get_member
from app.payments.models import PaymentOrder

log = logging.getLogger(__name__)
# How long the member has to pay; WeChat is told the same (time_expire).
PAYMENT_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class PaymentPurpose:
    on_paid: Callable
    on_closed: Callable | None


_purposes: dict[str, PaymentPurpose] = {}


def register_payment_purpose(purpose, on_paid, on_closed=None):
    """Name what a payment order can pay for, and what happens when it is paid or lapses."""
    _purposes[purpose] = PaymentPurpose(on_paid=on_paid, on_closed=on_closed)


def _new_out_trade_no(now):
    # 30 characters of [0-9A-Z]: WeChat allows 6-32 of [0-9A-Za-z_-|*].
    return "PS" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(7).upper()


def create_wechat_payment(*, member_id, purpose, purpose_ref_id, amount_fen, description):
    """Open a JSAPI order for the member and return ``(PaymentOrder, pay_params)``.

    ``pay_params`` (appId, timeStamp, nonceStr, package, signType, paySign) go to
    ``wx.requestPayment``. The member must have logged in through WeChat (an openid).
    """
    if purpose not in _purposes:
        raise Unprocessable("unknown_payment_purpose", f"Nothing handles payments for {purpose!r}.")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise Unprocessable("invalid_amount_fen", "A payment is a positive whole number of fen.")
    member = get_member(member_id)
    if not member.openid:
        raise Conflict("wechat_not_bound", "The member has no WeChat identity to pay with.")
    now = clock.now()
    order = PaymentOrder(
        out_trade_no=_new_out_trade_no(now),
        member_id=member.id,
        purpose=purpose,
        purpose_ref_id=purpose_ref_id,
        amount_fen=amount_fen,
        description=description[:127],
        status="pending",
        openid=member.openid,
        expires_at=now + PAYMENT_TTL,
    )
    db.session.add(order)
    db.session.flush()
    result = wechat.pay().create_jsapi_order(
        out_trade_no=order.out_trade_no,
        amount_fen=amount_fen,
        description=order.description,
        openid=member.openid,
        expires_at=order.expires_at,
    )
    order.prepay_id = result["prepay_id"]
    db.session.flush()
    return order, result["params"]


def get_payment(*, out_trade_no, member_id=None) -> PaymentOrder:
    """One payment order; with ``member_id``, only that member's (another's → 404)."""
    order = db.session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no))
    if order is None or (member_id is not None and order.member_id != member_id):
        raise NotFound("payment_not_found", "No such payment.")
    return order


def record_payment_notice(notice) -> PaymentOrder:
    """Credit a verified payment notice exactly once.

    The order row is locked, the amount compared in fen (a mismatch is refused and logged), and
    the order moves to paid with one conditional UPDATE before its purpose's ``on_paid`` runs.
    A repeat of the same transaction is a no-op; a success for an order we had closed still
    credits (the member's money has moved). Non-success states change nothing.
    """
    order = db.session.scalar(
        select(PaymentOrder)
        .where(PaymentOrder.out_trade_no == notice.out_trade_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        log.warning("payment notice for unknown out_trade_no %s", notice.out_trade_no)
        raise NotFound("payment_not_found", "No such payment.")
    if notice.trade_state != "SUCCESS":
        log.info("payment %s: notice with state %s ignored", order.out_trade_no, notice.trade_state)
        return order
    if order.status == "paid":
        if order.transaction_id == notice.transaction_id:
            return order
        log.error(
            "payment %s already paid by %s; second transaction %s refused",
            order.out_trade_no,
            order.transaction_id,
            notice.transaction_id,
        )
        raise Conflict("payment_already_paid", "This order was paid by another transaction.")
    if notice.amount_fen != order.amount_fen:
        log.error(
            "payment %s: notice amount %s fen differs from the order's %s fen; refused",
            order.out_trade_no,
            notice.amount_fen,
            order.amount_fen,
        )
        raise Unprocessable(
            "amount_mismatch",
            "The paid amount differs from the order.",
            details={"amount_fen": order.amount_fen, "paid_fen": notice.amount_fen},
        )
    purpose = _purposes.get(order.purpose)
    if purpose is None:
        log.error("payment %s: no handler for purpose %s", order.out_trade_no, order.purpose)
        raise ServiceUnavailable("payment_purpose_unavailable", "This payment cannot be credited yet.")
    result = db.session.execute(
        update(PaymentOrder)
        .where(PaymentOrder.id == order.id, PaymentOrder.status.in_(("pending", "closed")))
        .values(status="paid", transaction_id=notice.transaction_id, paid_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    if result.rowcount != 1:  # another process credited it between our read and update
        if order.transaction_id == notice.transaction_id:
            return order
        raise Conflict("payment_already_paid", "This order was paid by another transaction.")
    purpose.on_paid(order, notice)
    db.session.flush()
    return order


def confirm_fake_payment(*, out_trade_no) -> PaymentOrder:
    """Development only: act as if WeChat reported the order paid in full (same credit path)."""
    order = get_payment(out_trade_no=out_trade_no)
    notice = wechat.pay().fake_notice(out_trade_no=order.out_trade_no, amount_fen=order.amount_fen, openid=order.openid)
    return record_payment_notice(notice)


def close_expired_payments(*, now) -> int:
    """The scheduler's job: close pending orders past ``expires_at`` at WeChat and here, then run
    their purpose's ``on_closed``. An order WeChat refuses to close (it was paid) stays pending
    for its notification. Idempotent; returns how many orders were closed."""
    orders = db.session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.status == "pending", PaymentOrder.expires_at <= now)
        .order_by(PaymentOrder.id)
    ).all()
    pay = wechat.pay() if orders else None
    closed = 0
    for order in orders:
        try:
            pay.close_order(out_trade_no=order.out_trade_no)
        except wechat.WeChatError as error:
            log.warning("payment %s not closed at WeChat: %s", order.out_trade_no, error.message)
            continue
        result = db.session.execute(
            update(PaymentOrder)
            .where(PaymentOrder.id == order.id, PaymentOrder.status == "pending")
            .values(status="closed", closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        db.session.refresh(order)
        purpose = _purposes.get(order.purpose)
        if purpose is not None and purpose.on_closed is not None:
            purpose.on_closed(order)
        closed += 1
    db.session.flush()
    return closed
