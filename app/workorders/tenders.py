"""Valuing a settlement's tenders (read-only): what each tender is worth and what remains.

The server decides every value, in this order:
 1. package-card and period-card (月卡/年卡) tenders: one unit of a matching labor line each (its
    discounted unit price, never more than a manual order discount leaves to pay); a period card
    must be the member's, active, for the order's car and within today's cap (app/cards/period_services.py);
 2. item-voucher coupons: one unit of a matching line each (the coupons domain values it);
 3. at most one cash_off / percent_off coupon, valued on what the units above left to pay;
 4. points at the merchant's redeem rate, capped by ``points_max_redeem_percent`` of what is
    still to pay after cards and coupons (more points than the member has → 409, more than the
    cap → 422 points_over_limit);
 5. stored value and money tenders (cash, wechat, alipay, card) at their amounts;
 6. on_account (挂账) at its amount, once the account may take it (app/accounts/charging.py).
No line unit is covered twice. Nothing is written here: quote and settle share this valuation,
and settle then spends the instruments (which refuse used coupons, empty cards and short balances).
"""

from collections import Counter
from dataclasses import dataclass, field

from app.accounts import charging as accounts
from app.cards import period_services as period_cards
from app.cards import services as package_cards
from app.common.errors import Conflict, Unprocessable
from app.coupons import services as coupons
from app.wallet import points
from app.workorders import pricing
from app.workorders.models import MONEY_TYPES

MEMBER_TYPES = ("stored_value", "points", "coupon", "package_card", "period_card")
UNIT_CARDS = ("package_card", "period_card")
ORDER_COUPON_KINDS = ("cash_off", "percent_off")
UNIT_AND_COUPON = ("package_card", "period_card", "coupon")


@dataclass
class TenderValue:
    type: str
    amount_fen: int = 0
    points: int | None = None
    member_coupon_id: int | None = None
    coupon_kind: str | None = None
    card_id: int | None = None
    service_item_id: int | None = None
    line_id: int | None = None
    account_id: int | None = None
    over_limit_approved: bool = False


@dataclass
class Valuation:
    total_fen: int
    values: list = field(default_factory=list)
    points_max: int | None = None

    @property
    def tendered_fen(self):
        return sum(value.amount_fen for value in self.values)

    @property
    def remaining_fen(self):
        return self.total_fen - self.tendered_fen

    @property
    def paid_fen(self):
        """Money the customer paid: cash, WeChat, Alipay, bank card and stored value."""
        return sum(v.amount_fen for v in self.values if v.type in MONEY_TYPES or v.type == "stored_value")

    def require_exact(self):
        if self.remaining_fen != 0:
            raise Unprocessable(
                "tenders_do_not_add_up",
                f"The tenders are worth {self.tendered_fen} fen; the order's total is {self.total_fen} fen.",
                details={
                    "total_fen": self.total_fen,
                    "tendered_fen": self.tendered_fen,
                    "remaining_fen": self.remaining_fen,
                    "tender_values": [{"type": v.type, "amount_fen": v.amount_fen} for v in self.values],
                },
            )


def _check_shape(order, tenders):
    if order.member_id is None:
        needing = sorted({t["type"] for t in tenders if t["type"] in MEMBER_TYPES})
        if needing:
            raise Unprocessable(
                "member_required", "A walk-in order is paid with money only.", details={"types": needing}
            )
    seen = set()
    for tender in tenders:
        if tender["type"] == "coupon":
            key = ("coupon", tender["member_coupon_id"])
        elif tender["type"] in UNIT_CARDS:
            continue  # one tender per unit: the same card may cover several units
        else:
            key = (tender["type"],)
        if key in seen:
            raise Unprocessable(
                "duplicate_tender", "Each tender type (and each coupon) appears once.", details={"type": tender["type"]}
            )
        seen.add(key)


def _take_unit(lines, remaining_units, *, service_item_id, code, consume=True):
    matching = [line for line in lines if line.kind == "labor" and line.service_item_id == service_item_id]
    if not matching:
        raise Unprocessable(
            "no_matching_line",
            "No line of this work order is that service item.",
            details={"service_item_id": service_item_id, "tender": code},
        )
    # The dearest uncovered unit (tier prices of one item rarely differ, but then in the customer's favour).
    for line in sorted(matching, key=lambda line: (-line.unit_net_fen, line.id)):
        if remaining_units.get(line.id, 0) > 0:
            if consume:
                remaining_units[line.id] -= 1
            return line
    raise Unprocessable(
        "unit_already_covered",
        "Every unit of this service item is already covered by another card or voucher.",
        details={"service_item_id": service_item_id, "tender": code},
    )


def _check_period_cards(order, tenders, now):
    """Each period card named could take its uses now (one per tender) for the order's car."""
    uses = {}
    for tender in tenders:
        if tender["type"] == "period_card":
            uses.setdefault(tender["card_id"], []).append(tender["service_item_id"])
    for card_id, service_item_ids in uses.items():
        period_cards.check_usable(
            card_id=card_id,
            member_id=order.member_id,
            vehicle_id=order.vehicle_id,
            service_item_ids=service_item_ids,
            now=now,
        )


def value_tenders(*, order, tenders, now=None) -> Valuation:
    """Value ``tenders`` (dicts as API.md defines) against the priced ``order``; 422 on rule breaks."""
    _check_shape(order, tenders)
    member_id = order.member_id
    lines = order.billable_lines  # a card or a voucher never covers declined extra work
    remaining_units = {line.id: line.quantity for line in lines}
    values = [None] * len(tenders)

    card_units = Counter((t["card_id"], t["service_item_id"]) for t in tenders if t["type"] == "package_card")
    for (card_id, service_item_id), units in card_units.items():
        # Another member's, an expired or a used-up card is refused here too, so a quote never
        # values what settling then refuses.
        package_cards.check_redeemable(
            card_id=card_id, member_id=member_id, service_item_id=service_item_id, units=units, now=now
        )
    _check_period_cards(order, tenders, now)
    for index, tender in enumerate(tenders):
        if tender["type"] in UNIT_CARDS:
            line = _take_unit(lines, remaining_units, service_item_id=tender["service_item_id"], code=tender["type"])
            # A manual order discount may leave less to pay than the covered units' prices.
            left_fen = order.total_fen - sum(v.amount_fen for v in values if v is not None)
            values[index] = TenderValue(
                type=tender["type"],
                amount_fen=min(line.unit_net_fen, max(left_fen, 0)),
                card_id=tender["card_id"],
                service_item_id=line.service_item_id,
                line_id=line.id,
            )

    coupon_indexes = [i for i, t in enumerate(tenders) if t["type"] == "coupon"]
    if coupon_indexes:
        infos = coupons.coupon_infos(
            member_coupon_ids=[tenders[i]["member_coupon_id"] for i in coupon_indexes], member_id=member_id, now=now
        )
        order_level = [i for i in coupon_indexes if infos[tenders[i]["member_coupon_id"]]["kind"] in ORDER_COUPON_KINDS]
        if len(order_level) > 1:
            raise Unprocessable(
                "coupons_do_not_stack",
                "At most one cash-off or percent-off coupon per order.",
                details={"member_coupon_ids": [tenders[i]["member_coupon_id"] for i in order_level]},
            )
        for index in [i for i in coupon_indexes if i not in order_level] + order_level:  # vouchers first
            coupon_id = tenders[index]["member_coupon_id"]
            info = infos[coupon_id]
            covered_fen = sum(v.amount_fen for v in values if v is not None)
            if info["kind"] == "item_voucher":  # our stacking rule first: an uncovered unit must be left
                _take_unit(
                    lines, remaining_units, service_item_id=info["service_item_id"], code="coupon", consume=False
                )
            value = coupons.value_for_order(
                member_coupon_id=coupon_id,
                member_id=member_id,
                lines=pricing.coupon_lines(lines, remaining_units),
                total_fen=order.total_fen - covered_fen,
                now=now,
            )
            line_id = None
            if info["kind"] == "item_voucher":
                line = _take_unit(lines, remaining_units, service_item_id=info["service_item_id"], code="coupon")
                line_id, value = line.id, line.unit_net_fen
            value = min(value, order.total_fen - covered_fen)
            values[index] = TenderValue(
                type="coupon",
                amount_fen=value,
                member_coupon_id=coupon_id,
                coupon_kind=info["kind"],
                service_item_id=info.get("service_item_id"),
                line_id=line_id,
            )

    valuation = Valuation(total_fen=order.total_fen)
    for index, tender in enumerate(tenders):
        if tender["type"] == "points":
            bill = order.total_fen - sum(v.amount_fen for v in values if v is not None and v.type in UNIT_AND_COUPON)
            cap = points.max_redeemable_points(member_id=member_id, bill_fen=max(bill, 0), now=now)
            valuation.points_max = cap
            if tender["points"] > cap:
                live = points.live_points(member_id=member_id, now=now)
                if tender["points"] > live:
                    raise Conflict(
                        "insufficient_points",
                        "Not enough points.",
                        details={"points": live, "requested": tender["points"]},
                    )
                raise Unprocessable(
                    "points_over_limit",
                    f"At most {cap} points can pay this order.",
                    details={"points": tender["points"], "max_points": cap},
                )
            value = points.points_value_fen(tender["points"])  # 422 unless whole fen
            values[index] = TenderValue(type="points", amount_fen=value, points=tender["points"])
        elif tender["type"] == "stored_value" or tender["type"] in MONEY_TYPES:
            values[index] = TenderValue(type=tender["type"], amount_fen=tender["amount_fen"])
        elif tender["type"] == "on_account":
            # Refused here too (suspended, not allowed, over the limit), so a quote never values what
            # settling then refuses; the settle checks again under the account's lock.
            accounts.check_charge(
                account_id=tender["account_id"],
                vehicle_id=order.vehicle_id,
                member_id=member_id,
                amount_fen=tender["amount_fen"],
                over_limit_approved=tender.get("over_limit_approved", False),
            )
            values[index] = TenderValue(
                type="on_account",
                amount_fen=tender["amount_fen"],
                account_id=tender["account_id"],
                over_limit_approved=tender.get("over_limit_approved", False),
            )
    valuation.values = values
    return valuation
