"""Settling a work order: value the tenders, spend them, and record everything the visit changes.

One transaction (the caller commits): the order row is locked first, so of two cashiers settling
the same order at once one settles and the other gets 409. Then the instruments are spent in a
fixed order (package cards, period cards, coupons, points, stored value, the account charged on_account (挂账);
then parts in part-id order), each with
the reference ("work_order", id) — or, for tenders a mini-program payment held, that attempt's
reference — so a refund reverses them by reference. Any refusal (409/422) raises and the caller
rolls the whole settlement back: nothing is half-spent.

Settling also records:
 * parts leave stock (a low-stock alert when a part falls to its threshold);
 * points are earned on the money paid — cash, WeChat, Alipay, bank card AND stored value (stored
   value earns when it is spent and top-ups earn nothing, so no yuan earns twice); points, coupons
   and cards earn nothing;
 * a stamp for each service item of which at least one unit was paid for (units covered by package
   cards or item vouchers earn none, so a reward voucher never earns the next stamp);
 * the vehicle's next maintenance due;
 * then WORK_ORDER_SETTLED, with the order's figures: what it sets off — the referral, and after
   the commit the member's visit statistics, the tier upgrade check, the member metrics,
   marketing's visits (follow-ups) and the stats — is listed in app/consequences.py.
"""

from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import charging as accounts
from app.cards import period_services as period_cards
from app.cards import services as package_cards
from app.catalog import stock
from app.catalog.services import service_items_by_id
from app.commissions import services as commissions
from app.common import clock, events
from app.coupons import services as coupons
from app.extensions import db
from app.members import maintenance
from app.members.models import Member
from app.merchant.services import merchant_timezone
from app.wallet import points
from app.wallet import services as wallet
from app.workorders import pricing, services
from app.workorders.models import MONEY_TYPES, WorkOrderPayment
from app.workorders.tenders import value_tenders

REF_TYPE = "work_order"
# Spending order of the instruments: the same in every transaction, so row locks never cross.
SPEND_ORDER = {"package_card": 0, "period_card": 1, "coupon": 2, "points": 3, "stored_value": 4, "on_account": 5}


def spend(order, values, *, ref_type, ref_id, status, attempt_id=None, now=None, actor=None):
    """Debit each valued tender under (ref_type, ref_id) and record it as a payment row."""
    member_id = order.member_id
    for value in sorted(values, key=lambda v: SPEND_ORDER.get(v.type, 9)):
        if value.type == "package_card":
            package_cards.redeem_item(
                card_id=value.card_id,
                member_id=member_id,
                service_item_id=value.service_item_id,
                ref_type=ref_type,
                ref_id=ref_id,
                now=now,
            )
        elif value.type == "period_card":
            period_cards.use(
                card_id=value.card_id,
                member_id=member_id,
                vehicle_id=order.vehicle_id,
                service_item_id=value.service_item_id,
                ref_type=ref_type,
                ref_id=ref_id,
                now=now,
            )
        elif value.type == "coupon":
            coupons.use(
                member_coupon_id=value.member_coupon_id, member_id=member_id, ref_type=ref_type, ref_id=ref_id, now=now
            )
        elif value.type == "points":
            points.redeem(member_id=member_id, points=value.points, ref_type=ref_type, ref_id=ref_id, now=now)
        elif value.type == "stored_value":
            wallet.spend(member_id=member_id, amount_fen=value.amount_fen, ref_type=ref_type, ref_id=ref_id)
        elif value.type == "on_account":
            accounts.charge(
                actor=actor,
                order=order,
                account_id=value.account_id,
                amount_fen=value.amount_fen,
                over_limit_approved=value.over_limit_approved,
                now=now,
            )
    # Appended to the order's collection (rather than added and the collection read again): new
    # rows get higher ids, so the collection stays in id order as a fresh read would give it.
    for value in values:
        order.payments.append(
            WorkOrderPayment(
                work_order_id=order.id,
                type=value.type,
                amount_fen=value.amount_fen,
                status=status,
                points=value.points,
                member_coupon_id=value.member_coupon_id,
                card_id=value.card_id,
                service_item_id=value.service_item_id,
                line_id=value.line_id,
                account_id=value.account_id,
                attempt_id=attempt_id,
                ref_type=ref_type,
                ref_id=ref_id,
                created_at=now or clock.now(),
            )
        )
    db.session.flush()


def _stamp_items(order):
    covered = {}
    for payment in order.payments:
        if payment.line_id is not None and payment.status == "posted":
            covered[payment.line_id] = covered.get(payment.line_id, 0) + 1
    return sorted(
        {
            line.service_item_id
            for line in order.billable_lines
            if line.kind == "labor" and line.quantity > covered.get(line.id, 0)
        }
    )


def finish(order, *, now, staff_id=None):
    """Everything a settlement records besides spending the tenders; the order becomes settled."""
    quantities = {}
    for line in order.billable_lines:
        if line.kind == "part":
            quantities[line.part_id] = quantities.get(line.part_id, 0) + line.quantity
    if quantities:
        stock.take_out(store_id=order.store_id, quantities=quantities, ref_type=REF_TYPE, ref_id=order.id, now=now)
    commissions.write_for_settled_order(
        work_order_id=order.id,
        store_id=order.store_id,
        lines=order.billable_lines,
        order_discount_fen=order.manual_discount_fen,
        now=now,
    )
    posted = [p for p in order.payments if p.status == "posted"]
    paid_fen = sum(p.amount_fen for p in posted if p.type in MONEY_TYPES or p.type == "stored_value")
    member_id = order.member_id
    points_earned = order.points_earned
    if member_id is not None and paid_fen > 0:
        points_earned = (
            points.earn(member_id=member_id, paid_fen=paid_fen, ref_type=REF_TYPE, ref_id=order.id, now=now) or 0
        )
    # The order's new state is set after the points are earned, so it is written in one UPDATE.
    order.paid_fen, order.points_earned = paid_fen, points_earned
    order.status, order.settled_at, order.settled_by_staff_id = "settled", now, staff_id
    db.session.flush()
    if member_id is not None:
        stamp_items = _stamp_items(order)
        if stamp_items:
            package_cards.add_stamps(
                member_id=member_id, service_item_ids=stamp_items, ref_type=REF_TYPE, ref_id=order.id, now=now
            )
    vehicle = _record_maintenance(order, now)
    if vehicle is not None:
        # The answer shows the car (its model): held by the order, it is not read a second time.
        set_committed_value(order, "vehicle", vehicle)
    db.session.flush()
    # Then what the other domains keep (metrics, marketing's visit, referrals, stats): app/consequences.py.
    events.publish(
        events.WORK_ORDER_SETTLED,
        work_order_id=order.id,
        member_id=member_id,
        vehicle_id=order.vehicle_id,
        store_id=order.store_id,
        plate=order.plate,
        paid_fen=order.paid_fen,
        settled_at=order.settled_at,
        now=now,
    )
    return order


def _record_maintenance(order, now):
    items = service_items_by_id({line.service_item_id for line in order.billable_lines if line.kind == "labor"})
    intervals = [(item.maintenance_interval_months, item.maintenance_interval_km) for item in items.values()]
    if any(months or km for months, km in intervals):
        return maintenance.record_maintenance(
            vehicle_id=order.vehicle_id,
            intervals=intervals,
            on_date=clock.local_today(merchant_timezone(), now),
            mileage_km=order.mileage_km,
        )


def _check_approvals(actor, tenders):
    """A charge over an account's credit limit is approved by the owner only (their token)."""
    if any(tender.get("over_limit_approved") for tender in tenders):
        accounts.require_owner_for_approval(actor)


def prepare(order, *, tenders, now):
    """Lock-free part shared by quote and settle: the member link, prices, the valuation. Returns
    the valuation and the order's member (None for a walk-in), read once with their tier (which
    prices the order): a caller that goes on to spend and earn holds it (see ``settle``)."""
    services.ensure_settleable(order)
    services.link_member(order)
    member = db.session.get(Member, order.member_id) if order.member_id is not None else None
    pricing.price(order, member)
    return value_tenders(order=order, tenders=tenders, now=now), member


def settle(*, actor, work_order_id, tenders, now=None):
    """Settle an open, in-progress or completed order with tenders whose values add up to its
    total exactly (422 otherwise); a second settle → 409. See the module docstring."""
    now = now or clock.now()
    _check_approvals(actor, tenders)
    order = services.lock_work_order(work_order_id=work_order_id, actor=actor)
    services.load_lines_and_payments(order, vehicle=True)
    # The member row is read once (with the tier that prices the order) and held until the
    # settlement ends (``del`` below): the session's identity map keeps objects weakly, so without
    # this reference the wallet, the points and the member metrics would each read it again. (Read
    # only: the instruments still check the member.)
    valuation, member = prepare(order, tenders=tenders, now=now)
    valuation.require_exact()
    spend(order, valuation.values, ref_type=REF_TYPE, ref_id=order.id, status="posted", now=now, actor=actor)
    finish(order, now=now, staff_id=actor.id if actor is not None and actor.kind == "staff" else None)
    del member
    return order


def quote(*, actor, work_order_id, tenders, now=None):
    """What settle would do with these tenders — prices, each tender's value, what remains —
    changing nothing (the pricing runs in a savepoint that is rolled back)."""
    now = now or clock.now()
    _check_approvals(actor, tenders)
    order = services.get_work_order(work_order_id=work_order_id, actor=actor, lines=True)
    savepoint = db.session.begin_nested()
    try:
        valuation, _member = prepare(order, tenders=tenders, now=now)
        result = {
            "work_order_id": order.id,
            "member_id": order.member_id,
            "lines": [_line_dict(line) for line in order.lines],
            "subtotal_fen": order.subtotal_fen,
            "discount_fen": order.discount_fen,
            "total_fen": order.total_fen,
            "manual_discount": order.manual_discount,
            "tenders": [vars(value) for value in valuation.values],
            "tendered_fen": valuation.tendered_fen,
            "remaining_fen": valuation.remaining_fen,
            "paid_fen": valuation.paid_fen,
            "points_max_redeemable": _points_max(order, valuation, now),
        }
    finally:
        savepoint.rollback()
    return result


def _points_max(order, valuation, now):
    """How many points could pay this order next to the card and coupon tenders given (for the till)."""
    if valuation.points_max is not None or order.member_id is None:
        return valuation.points_max
    bill = order.total_fen - sum(
        v.amount_fen for v in valuation.values if v.type in ("package_card", "period_card", "coupon")
    )
    return points.max_redeemable_points(member_id=order.member_id, bill_fen=max(bill, 0), now=now)


def _line_dict(line):
    return {
        "id": line.id,
        "kind": line.kind,
        "service_item_id": line.service_item_id,
        "part_id": line.part_id,
        "name": line.name,
        "category": line.category,
        "quantity": line.quantity,
        "unit_price_fen": line.unit_price_fen,
        "discount_percent": line.discount_percent,
        "unit_net_fen": line.unit_net_fen,
        "discount_fen": line.discount_fen,
        "line_total_fen": line.line_total_fen,
        "approval": line.approval,
        "labor_hours": line.labor_hours,
        "added_by_staff_id": line.added_by_staff_id,
        "manual_discount": line.manual_discount,
        "technicians": line.technicians,
    }
