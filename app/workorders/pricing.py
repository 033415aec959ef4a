"""Prices of a work order: list prices copied onto the lines, the member's tier discount applied.

Rounding: the discount applies per unit and the discounted unit price is rounded DOWN to the fen,
in the customer's favour (10 % off 1999 fen is 1799.1 → 1799 fen).
Every unit then has a whole-fen price, so a package card or an item voucher covering one unit is
worth exactly that unit's price and a line's total is unit price × quantity.
"""

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.members.tiers.models import Tier


def discount_percents(member_id):
    """(labor %, parts %) of the member's tier; walk-ins and members without a tier get none."""
    if member_id is None:
        return 0, 0
    row = db.session.execute(
        select(Tier.labor_discount_percent, Tier.parts_discount_percent)
        .join(Member, Member.tier_id == Tier.id)
        .where(Member.id == member_id)
    ).first()
    return tuple(row) if row is not None else (0, 0)


def discounted_unit(unit_price_fen, percent):
    return unit_price_fen * (100 - percent) // 100


def price(order):
    """Set each line's discount from the order member's current tier and the order's totals (of the
    lines not declined)."""
    labor_percent, parts_percent = discount_percents(order.member_id)
    for line in order.lines:
        percent = labor_percent if line.kind == "labor" else parts_percent
        line.discount_percent = percent
        line.unit_net_fen = discounted_unit(line.unit_price_fen, percent)
    # Declined extra work stays on the order, priced out of its totals.
    billable = order.billable_lines
    order.subtotal_fen = sum(line.gross_fen for line in billable)
    order.total_fen = sum(line.line_total_fen for line in billable)
    order.discount_fen = order.subtotal_fen - order.total_fen
    return order


def coupon_lines(lines, remaining_units):
    """The lines as the coupons domain reads them, counting only units not yet covered by a
    package card or an item voucher (``remaining_units``: {line_id: units})."""
    result = []
    for line in lines:
        quantity = remaining_units.get(line.id, 0)
        if quantity <= 0:
            continue
        result.append(
            {
                "line_id": line.id,
                "kind": line.kind,
                "service_item_id": line.service_item_id,
                "part_id": line.part_id,
                "category": line.category,
                "unit_price_fen": line.unit_net_fen,
                "quantity": quantity,
                "line_total_fen": line.unit_net_fen * quantity,
            }
        )
    return result
