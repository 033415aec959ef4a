"""The till's figures for one store and a time window, read from the ledgers the other domains keep.

Per staff member and for the store (every row of the store, the unattributed included):
 * taken_fen: the posted tenders of the work orders settled in the window, by tender — the money
   tenders (cash, wechat, alipay, card; wechat_mini_program is WeChat Pay the member paid in the
   mini-program for an order of this store) and the instruments spent (stored_value, points at
   their value, coupon, package_card, period_card); points_spent counts the points;
 * refunded_fen: the same for the work orders refunded in the window (the refund gave back every
   tender it had taken); points_returned;
 * topups: counter top-ups recorded at the store — principal by paid_via, the bonus given;
 * principal_refunds_fen: unused principal paid back at the store, by paid_via;
 * card_sales: package cards and period cards (月卡/年卡) sold at the store, by paid_via;
 * cash_expected_fen = cash taken + cash top-ups + cash card sales − cash refunded − cash
   principal refunds (a shift adds its opening float).
Attribution: an order to the staff member who settled it; a top-up, principal refund or card sale
to the staff member who recorded it. Orders the member paid in the mini-program and refunds (an
order does not record who refunded it) belong to no cashier: they show under staff_id None, and in
the store's figures.
"""

from app.cards import services as cards
from app.wallet import services as wallet
from app.wallet.models import PAID_VIA
from app.workorders import stats as work_orders

MINI_PROGRAM = "wechat_mini_program"
TENDERS = (
    "cash",
    "wechat",
    "alipay",
    "card",
    MINI_PROGRAM,
    "stored_value",
    "points",
    "coupon",
    "package_card",
    "period_card",
    "on_account",
)
STORE = "store"


def empty():
    return {
        "work_orders": 0,
        "taken_fen": dict.fromkeys(TENDERS, 0),
        "points_spent": 0,
        "refunded_fen": dict.fromkeys(TENDERS, 0),
        "points_returned": 0,
        "topups": {"count": 0, "principal_fen": dict.fromkeys(PAID_VIA, 0), "bonus_fen": 0},
        "principal_refunds_fen": dict.fromkeys(PAID_VIA, 0),
        "card_sales": {"count": 0, "by_paid_via_fen": dict.fromkeys(PAID_VIA, 0)},
        "cash_expected_fen": 0,
    }


def staff_of(actor_key):
    """The staff id in an actor key ("staff:12" → 12); None for members, jobs and unknown keys."""
    kind, _, number = (actor_key or "").partition(":")
    return int(number) if kind == "staff" and number.isdigit() else None


def cash_expected(figures, opening_float_fen=0):
    return (
        opening_float_fen
        + figures["taken_fen"]["cash"]
        + figures["topups"]["principal_fen"]["cash"]
        + figures["card_sales"]["by_paid_via_fen"]["cash"]
        - figures["refunded_fen"]["cash"]
        - figures["principal_refunds_fen"]["cash"]
    )


def collect(*, store_id, start, end):
    """{staff id or None: figures, STORE: the store's figures} for [start, end) (see the module)."""
    result = {STORE: empty()}

    def targets(staff_id):
        return (result.setdefault(staff_id, empty()), result[STORE])

    for staff_id, orders in work_orders.till_order_counts(store_id=store_id, start=start, end=end).items():
        for figures in targets(staff_id):
            figures["work_orders"] += orders
    for key, points_key, rows in (
        ("taken_fen", "points_spent", work_orders.till_takings(store_id=store_id, start=start, end=end)),
        ("refunded_fen", "points_returned", work_orders.till_refunds(store_id=store_id, start=start, end=end)),
    ):
        for staff_id, tender, from_mini_program, fen, points in rows:
            tender = MINI_PROGRAM if tender == "wechat" and from_mini_program else tender
            for figures in targets(staff_id):
                figures[key][tender] += int(fen)
                figures[points_key] += int(points)
    for actor_key, kind, paid_via, count, principal_fen, bonus_fen in wallet.till_movements(
        store_id=store_id, start=start, end=end
    ):
        for figures in targets(staff_of(actor_key)):
            if kind == "topup":
                figures["topups"]["count"] += count
                figures["topups"]["principal_fen"][paid_via] += int(principal_fen)
                figures["topups"]["bonus_fen"] += int(bonus_fen)
            else:
                figures["principal_refunds_fen"][paid_via] -= int(principal_fen)
    for actor_key, paid_via, count, price_fen in cards.till_sales(store_id=store_id, start=start, end=end):
        for figures in targets(staff_of(actor_key)):
            figures["card_sales"]["count"] += count
            figures["card_sales"]["by_paid_via_fen"][paid_via] += int(price_fen)
    for figures in result.values():
        figures["cash_expected_fen"] = cash_expected(figures)
    return result
