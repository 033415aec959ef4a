"""The receipt (小票) of a settled or refunded work order, as data; receipt_text.py prints it.

Balances are those right after the settlement (stored value and points from the ledgers' balance
after the order's last entry; card items from the cards' entries up to the settlement), so a
reprint days later shows what the first print showed. The QR code opens the order in the
mini-program for a member's order, and the mini-program's home (where a walk-in customer joins
and claims the car by plate) otherwise: a receipt is paper anyone may pick up, so it carries no
member-card token.
"""

from app.cards import services as cards
from app.common.errors import Conflict
from app.common.plates import display_plate
from app.common.qr import qr_data_url
from app.members.services import get_member, mask_phone
from app.merchant.services import merchant_timezone
from app.stores.services import get_store, staff_names
from app.wallet import points
from app.wallet import services as wallet
from app.workorders import pricing, services

PRINTABLE = ("settled", "refunded")
ORDER_PAGE = "pages/work-orders/detail"
JOIN_PAGE = "pages/index/index"
TENDER_LABELS = {
    "cash": "现金",
    "wechat": "微信",
    "alipay": "支付宝",
    "card": "银行卡",
    "wechat_mini_program": "微信支付(小程序)",
    "stored_value": "储值",
    "points": "积分抵扣",
    "coupon": "优惠券",
    "package_card": "次卡",
    "period_card": "月卡/年卡",
    "on_account": "挂账",
}


def staff_receipt(*, actor, work_order_id) -> dict:
    """The receipt of an order of the caller's stores (404/403 as for the order itself)."""
    return build(services.get_work_order(work_order_id=work_order_id, actor=actor))


def member_receipt(*, member_id, work_order_id) -> dict:
    """The receipt of the member's own order; another's is missing (404)."""
    return build(services.get_member_work_order(member_id=member_id, work_order_id=work_order_id))


def _line(line, names):
    """A billable line with each discount it carries: the member's tier, then a hand-made one
    naming who gave it, and the technicians who worked it."""
    tier_unit = pricing.discounted_unit(line.unit_price_fen, line.discount_percent)
    discounts = []
    if tier_unit != line.unit_price_fen:
        discounts.append(
            {
                "kind": "tier",
                "label": "会员折扣",
                "percent": line.discount_percent,
                "amount_fen": (line.unit_price_fen - tier_unit) * line.quantity,
                "by": None,
            }
        )
    if line.manual_discount_kind is not None:
        percent = line.manual_discount_value if line.manual_discount_kind == "percent" else None
        discounts.append(
            {
                "kind": "manual",
                "label": "手工折扣" if percent is not None else "改价",
                "percent": percent,
                "amount_fen": (tier_unit - line.unit_net_fen) * line.quantity,
                "by": names.get(line.manual_discount_by_staff_id),
            }
        )
    return {
        "name": line.name,
        "kind": line.kind,
        "quantity": line.quantity,
        "unit_price_fen": line.unit_price_fen,
        "unit_net_fen": line.unit_net_fen,
        "gross_fen": line.gross_fen,
        "line_total_fen": line.line_total_fen,
        "discounts": discounts,
        "technicians": [technician.username for technician in line.technicians],
    }


def _order_discount(order, names):
    if order.manual_discount_kind is None:
        return None
    percent = order.manual_discount_value if order.manual_discount_kind == "percent" else None
    return {
        "kind": "manual",
        "label": "整单折扣",
        "percent": percent,
        "amount_fen": order.manual_discount_fen,
        "by": names.get(order.manual_discount_by_staff_id),
    }


def _tender(payment):
    kind = "wechat_mini_program" if payment.type == "wechat" and payment.attempt_id is not None else payment.type
    return {"type": kind, "label": TENDER_LABELS[kind], "amount_fen": payment.amount_fen, "points": payment.points}


def _balances(order, payments):
    """The balances right after the settlement: its own spends, redemptions and points earned
    included (they are written a moment after the settlement's time), nothing later."""
    member_id, at = order.member_id, order.settled_at
    card_ids = sorted({p.card_id for p in payments if p.type == "package_card"})
    refs = sorted({("work_order", order.id)} | {(p.ref_type, p.ref_id) for p in payments if p.ref_type is not None})
    return {
        "stored_value_fen": wallet.balance_after(member_id=member_id, at=at, refs=refs),
        "points": points.balance_after(member_id=member_id, at=at, refs=refs),
        "cards": cards.remaining_after(card_ids=card_ids, at=at),
    }


def build(order) -> dict:
    """The receipt of ``order`` (see the module docstring); 409 work_order_not_settled before it is paid."""
    if order.status not in PRINTABLE:
        raise Conflict(
            "work_order_not_settled",
            f"A {order.status} work order has no receipt yet.",
            details={"status": order.status},
        )
    store = get_store(order.store_id)
    payments = [p for p in order.payments if p.status == "posted"]
    member = get_member(order.member_id) if order.member_id is not None else None
    qr_text = f"{ORDER_PAGE}?id={order.id}" if member is not None else JOIN_PAGE
    # Declined extra work was never done: it is not printed.
    lines = order.billable_lines
    names = staff_names(
        [order.settled_by_staff_id, order.manual_discount_by_staff_id]
        + [line.manual_discount_by_staff_id for line in lines]
    )
    return {
        "work_order_id": order.id,
        "number": order.number,
        "status": order.status,
        "store": {"name": store.name, "address": store.address, "phone": store.phone},
        "plate": display_plate(order.plate),
        "mileage_km": order.mileage_km,
        "member": {"nickname": member.nickname, "phone": mask_phone(member.phone)} if member else None,
        "cashier": names.get(order.settled_by_staff_id),
        "settled_at": order.settled_at,
        "timezone": merchant_timezone(),
        "refunded_at": order.refunded_at,
        "lines": [_line(line, names) for line in lines],
        "order_discount": _order_discount(order, names),
        "subtotal_fen": order.subtotal_fen,
        "discount_fen": order.discount_fen,
        "total_fen": order.total_fen,
        "tenders": [_tender(payment) for payment in payments],
        "paid_fen": order.paid_fen,
        "points_earned": order.points_earned,
        "balances": _balances(order, payments) if member is not None else None,
        "qr": {"text": qr_text, "png_data_url": qr_data_url(qr_text)},
    }
