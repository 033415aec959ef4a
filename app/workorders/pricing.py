"""Prices of a work order, in this order:
 1. each line's unit price: the catalog's (copied when the line was added), an hourly line's hours ×
    the store's labor rate, or the price staff gave a custom line;
 2. the member's tier discount: labor % on catalog labor and hourly lines, parts % on parts (custom
    lines were priced by hand and take none);
 3. a manual line discount (手工折扣/改价), per unit: ``percent`` off the unit's tier price, or
    ``unit_price`` as the unit's new price (never above its list price);
 4. a manual order discount (整单折扣): ``amount`` fen off, or ``percent`` off the lines' total.

Rounding: percentages apply per unit and the unit price is rounded DOWN to the fen, in the customer's
favour (10 % off 1999 fen is 1799.1 → 1799 fen); a percent off the order rounds its total down too.
Every unit then has a whole-fen price, so a package card or an item voucher covering one unit is
worth that unit's price (never more than what is left to pay) and a line's total is unit price ×
quantity. The order's ``discount_fen`` is everything taken off the list prices.
"""

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.members.tiers.models import Tier


def discount_percents(member_id, member=None):
    """(labor %, parts %) of the member's tier; walk-ins and members without a tier get none.
    ``member``: the member's row when the caller holds it (its tier is joined to it), so nothing is read."""
    if member_id is None:
        return 0, 0
    if member is not None and member.id == member_id:
        tier = member.tier
        return (tier.labor_discount_percent, tier.parts_discount_percent) if tier is not None else (0, 0)
    row = db.session.execute(
        select(Tier.labor_discount_percent, Tier.parts_discount_percent)
        .join(Member, Member.tier_id == Tier.id)
        .where(Member.id == member_id)
    ).first()
    return tuple(row) if row is not None else (0, 0)


def discounted_unit(unit_price_fen, percent):
    return unit_price_fen * (100 - percent) // 100


LABOR_KINDS = ("labor", "hourly")


def tier_percent(line, labor_percent, parts_percent):
    if line.kind in LABOR_KINDS:
        return labor_percent
    return parts_percent if line.kind == "part" else 0


def tier_unit_fen(line, labor_percent, parts_percent):
    """The line's unit price after the tier discount, before any manual one."""
    return discounted_unit(line.unit_price_fen, tier_percent(line, labor_percent, parts_percent))


def manual_unit_fen(tier_unit, kind, value):
    """A unit's price after a manual line discount (``kind`` None: no discount)."""
    if kind == "percent":
        return discounted_unit(tier_unit, value)
    if kind == "unit_price":
        return value
    return tier_unit


def order_discount_fen(lines_total_fen, kind, value):
    """What a manual order discount takes off the lines' total (never more than it)."""
    if kind == "amount":
        return min(value, lines_total_fen)
    if kind == "percent":
        return lines_total_fen - discounted_unit(lines_total_fen, value)
    return 0


def price(order, member=None):
    """Set each line's price from the order member's current tier and the manual discounts, then
    the order's totals over the lines not declined (see the module docstring for the steps).
    ``member``: the order's member when the caller has read it (its tier is not read again)."""
    labor_percent, parts_percent = discount_percents(order.member_id, member)
    for line in order.lines:
        line.discount_percent = tier_percent(line, labor_percent, parts_percent)
        unit = tier_unit_fen(line, labor_percent, parts_percent)
        line.unit_net_fen = manual_unit_fen(unit, line.manual_discount_kind, line.manual_discount_value)
    # Declined extra work stays on the order, priced out of its totals.
    billable = order.billable_lines
    order.subtotal_fen = sum(line.gross_fen for line in billable)
    lines_total = sum(line.line_total_fen for line in billable)
    order.manual_discount_fen = order_discount_fen(lines_total, order.manual_discount_kind, order.manual_discount_value)
    order.total_fen = lines_total - order.manual_discount_fen
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
                # Hourly lines are labor for the coupons' rules (a category coupon pays for them).
                "kind": "labor" if line.kind in LABOR_KINDS else line.kind,
                "service_item_id": line.service_item_id,
                "part_id": line.part_id,
                "category": line.category,
                "unit_price_fen": line.unit_net_fen,
                "quantity": quantity,
                "line_total_fen": line.unit_net_fen * quantity,
            }
        )
    return result
