"""Members buying package cards and period cards in the mini-program with WeChat Pay.

Rules kept here:
- A purchase opens a WeChat Pay order (purpose "card_purchase") for the template's price; nothing
  is issued until the signed payment notice arrives. The payments domain credits a notice once
  (the payment order is locked and moved to paid by one conditional UPDATE, and a repeated or
  concurrent notice of the same transaction is a no-op), and the purchase row is locked and moved
  from pending with one conditional UPDATE too, so one payment issues one card.
- The card is issued from the template as it is when the money arrives. If the template was
  withdrawn, its price is no longer what was paid, or a per-car card's car is no longer the
  member's, no card is issued and the payment is refunded through WeChat Pay.
- A payment that lapses closes the purchase; a success that arrives after that still issues the
  card (the member's money has moved).
- Refund (退卡) within the terms: the card is unused (no unit redeemed, no use taken — a use given
  back by an order's refund counts as not taken) and it is within REFUND_DAYS days of issue. The
  card's value is written off in its ledger (package cards: a ``refund`` entry of each item's
  units; period cards: status refunded), and the payment goes back through WeChat Pay by the
  ``payment_refunds`` job, in full. A refunded purchase refunds again as a no-op.
"""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.cards import period_services
from app.cards.models import PackageCard, PackageCardEntry, PackageCardItem, PackageCardTemplate
from app.cards.period_models import CardPurchase, PeriodCard, PeriodCardTemplate
from app.cards.services import sell_package_card
from app.cards.template_services import get_package_template
from app.common import clock
from app.common.errors import AppError, Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.services import get_member
from app.payments import refunds as payment_refunds
from app.payments import services as payments
from app.payments.models import PaymentOrder, PaymentRefund

log = logging.getLogger(__name__)
PURPOSE = "card_purchase"
REFUND_DAYS = 7
REF_TYPE = "card_purchase"


def _template(kind, template_id, member_id, vehicle_id):
    if kind == "package":
        if vehicle_id is not None:
            raise Unprocessable("vehicle_not_applicable", "A package card is not bound to a car.")
        template = get_package_template(template_id)
        if not template.is_active:
            raise Conflict("package_card_template_inactive", "This package card is no longer sold.")
        return template
    return period_services.check_sellable(member_id=member_id, template_id=template_id, vehicle_id=vehicle_id)


def start_purchase(*, member_id, kind, template_id, vehicle_id=None, now=None):
    """Open a WeChat Pay order for a card of an active template: ``(purchase, payment, pay_params)``.
    A free card is not sold this way (422 invalid_amount_fen from the payments domain)."""
    now = now or clock.now()
    template = _template(kind, template_id, member_id, vehicle_id)
    if template.price_fen <= 0:
        raise Unprocessable("invalid_amount_fen", "A payment is a positive whole number of fen.")
    purchase = CardPurchase(
        member_id=member_id,
        kind=kind,
        template_id=template.id,
        vehicle_id=vehicle_id,
        amount_fen=template.price_fen,
        status="pending",
        created_at=now,
    )
    db.session.add(purchase)
    db.session.flush()
    label = "套餐卡" if kind == "package" else "月卡/年卡"
    payment, pay_params = payments.create_wechat_payment(
        member_id=member_id,
        purpose=PURPOSE,
        purpose_ref_id=purchase.id,
        amount_fen=purchase.amount_fen,
        description=f"{label} {template.name}",
    )
    purchase.payment_order_id = payment.id
    db.session.flush()
    return purchase, payment, pay_params


def _lock(purchase_id):
    return db.session.scalar(
        select(CardPurchase)
        .where(CardPurchase.id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _issue(purchase, now):
    template = _template(purchase.kind, purchase.template_id, purchase.member_id, purchase.vehicle_id)
    if template.price_fen != purchase.amount_fen:
        raise Conflict("card_price_changed", "The card's price changed since the payment was opened.")
    if purchase.kind == "package":
        card = sell_package_card(
            member_id=purchase.member_id, template_id=purchase.template_id, paid_via="wechat", now=now
        )
        purchase.package_card_id = card.id
    else:
        card = period_services.issue_card(
            member_id=purchase.member_id,
            template_id=purchase.template_id,
            vehicle_id=purchase.vehicle_id,
            paid_via="wechat",
            now=now,
        )
        purchase.period_card_id = card.id
    return card


def on_paid(payment_order, notice):
    """on_paid for purpose "card_purchase": issue the card once (see the module docstring)."""
    now = clock.now()
    purchase = _lock(payment_order.purpose_ref_id)
    if purchase is None or purchase.status not in ("pending", "closed"):
        return purchase
    savepoint = db.session.begin_nested()
    try:
        _issue(purchase, now)
        savepoint.commit()
    except AppError as error:
        # The card can no longer be issued as paid for: the money goes back through WeChat Pay.
        savepoint.rollback()
        log.warning("card purchase %s not issued (%s): refunding its payment", payment_order.purpose_ref_id, error.code)
        purchase = _lock(payment_order.purpose_ref_id)
        payment_refunds.refund_payment(payment_order_id=payment_order.id, reason="卡券无法发放，退款", now=now)
        purchase.status, purchase.refunded_at = "refunded", now
        db.session.flush()
        return purchase
    purchase.status, purchase.issued_at = "issued", now
    db.session.flush()
    return purchase


def on_closed(payment_order):
    """on_closed for purpose "card_purchase": the payment lapsed, nothing was issued."""
    db.session.execute(
        update(CardPurchase)
        .where(CardPurchase.id == payment_order.purpose_ref_id, CardPurchase.status == "pending")
        .values(status="closed")
        .execution_options(synchronize_session=False)
    )


def get_purchase(*, purchase_id, member_id=None) -> CardPurchase:
    purchase = db.session.get(CardPurchase, purchase_id)
    if purchase is None or (member_id is not None and purchase.member_id != member_id):
        raise NotFound("card_purchase_not_found", "No such card purchase.")
    return purchase


def list_purchases(*, member_id, page=1, per_page=20):
    """A member's purchases as the API shows them (``describe``), newest first; 404
    ``member_not_found`` for no such member."""
    get_member(member_id)
    stmt = select(CardPurchase).where(CardPurchase.member_id == member_id).order_by(CardPurchase.id.desc())
    listed = paginate(stmt, page, per_page)
    return dict(listed, items=describe(listed["items"]))


def _not_refundable(reason, purchase, **details):
    return Conflict(
        "card_not_refundable",
        "This card can no longer be refunded.",
        details={"reason": reason, "purchase_id": purchase.id, **details},
    )


def _write_off_package(purchase, now):
    card = db.session.get(PackageCard, purchase.package_card_id)
    items = db.session.scalars(
        select(PackageCardItem).where(PackageCardItem.card_id == card.id).order_by(PackageCardItem.id)
    ).all()
    for item in items:
        # Unused means every unit still on the card; the row lock serialises a concurrent redemption.
        written = db.session.execute(
            update(PackageCardItem)
            .where(PackageCardItem.id == item.id, PackageCardItem.remaining == PackageCardItem.initial_count)
            .values(remaining=0)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:
            raise _not_refundable("used", purchase)
        db.session.add(
            PackageCardEntry(
                card_id=card.id,
                card_item_id=item.id,
                kind="refund",
                delta=-item.initial_count,
                ref_type=REF_TYPE,
                ref_id=purchase.id,
                created_at=now,
            )
        )
        db.session.expire(item, ["remaining"])
    card.refunded_at = now


def _write_off_period(purchase, now):
    written = db.session.execute(
        update(PeriodCard)
        .where(PeriodCard.id == purchase.period_card_id, PeriodCard.status == "active", PeriodCard.uses == 0)
        .values(status="refunded", refunded_at=now)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        raise _not_refundable("used", purchase)
    db.session.expire(db.session.get(PeriodCard, purchase.period_card_id))


def refund_purchase(*, purchase_id, member_id=None, now=None) -> CardPurchase:
    """Refund a card bought in the mini-program within its terms: unused and within REFUND_DAYS
    days of issue (409 card_not_refundable with the reason otherwise). The card's ledger is written
    off and the WeChat payment refunded in full by the payment_refunds job. Idempotent."""
    now = now or clock.now()
    get_purchase(purchase_id=purchase_id, member_id=member_id)
    purchase = _lock(purchase_id)
    if purchase.status == "refunded":
        return purchase
    if purchase.status != "issued":
        raise _not_refundable("not_issued", purchase, status=purchase.status)
    if now >= purchase.issued_at + timedelta(days=REFUND_DAYS):
        raise _not_refundable("too_late", purchase, refund_days=REFUND_DAYS)
    if purchase.kind == "package":
        _write_off_package(purchase, now)
    else:
        _write_off_period(purchase, now)
    payment_refunds.refund_payment(payment_order_id=purchase.payment_order_id, reason="退卡退款", now=now)
    purchase.status, purchase.refunded_at = "refunded", now
    db.session.flush()
    return purchase


def _template_names(purchases):
    """{(kind, template id): the template's name} for the purchases, one query per kind."""
    names = {}
    for kind, model in (("package", PackageCardTemplate), ("period", PeriodCardTemplate)):
        ids = {p.template_id for p in purchases if p.kind == kind}
        if ids:
            rows = db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            names.update({(kind, template_id): name for template_id, name in rows})
    return names


def describe(purchases) -> list[dict]:
    """Purchases as the API shows them, with the payment's number and the refund's state."""
    payment_ids = [p.payment_order_id for p in purchases if p.payment_order_id is not None]
    numbers, refunds = {}, {}
    if payment_ids:
        numbers = dict(
            db.session.execute(
                select(PaymentOrder.id, PaymentOrder.out_trade_no).where(PaymentOrder.id.in_(payment_ids))
            ).all()
        )
        refunds = dict(
            db.session.execute(
                select(PaymentRefund.payment_order_id, PaymentRefund.status).where(
                    PaymentRefund.payment_order_id.in_(payment_ids)
                )
            ).all()
        )
    names = _template_names(purchases)
    result = []
    for purchase in purchases:
        result.append(
            {
                "id": purchase.id,
                "kind": purchase.kind,
                "template_id": purchase.template_id,
                "template_name": names.get((purchase.kind, purchase.template_id)),
                "vehicle_id": purchase.vehicle_id,
                "amount_fen": purchase.amount_fen,
                "status": purchase.status,
                "out_trade_no": numbers.get(purchase.payment_order_id),
                "package_card_id": purchase.package_card_id,
                "period_card_id": purchase.period_card_id,
                "refund_status": refunds.get(purchase.payment_order_id),
                "issued_at": purchase.issued_at,
                "refunded_at": purchase.refunded_at,
                "created_at": purchase.created_at,
            }
        )
    return result


def register():
    payments.register_payment_purpose(PURPOSE, on_paid, on_closed)
