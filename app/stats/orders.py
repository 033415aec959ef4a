"""Figures from work orders: car count, revenue, refunds, the return rate and the best customers.

Read-only aggregates over the work-order tables (see app/stats/services.py for why stats read
other domains' tables). "Counted orders" are work orders whose status is ``settled`` now, whose
``settled_at`` falls in the period and, with ``store_id``, that were opened at that store. A
refunded order is not counted anywhere here — not in the car count, the revenue or the return
rate — in whichever period it was settled: refunding an order settled in an earlier period restates
that period; the period in which the refund happened shows it under ``refunds`` only.
"""

from sqlalchemy import and_, case, distinct, func, select

from app.catalog.models import SERVICE_CATEGORIES
from app.extensions import db
from app.stats import rollup
from app.stats.periods import in_period
from app.workorders.models import TENDER_TYPES, WorkOrder

CATEGORIES = SERVICE_CATEGORIES + ("part",)  # a part line's category is "part"
# Orders are counted with count(*), not count(id): the id is not in ix_work_orders_stats, and
# naming it would make PostgreSQL read every order's row instead of that index alone.


def _int(value):
    return int(value or 0)


def counted(period, store_id=None, *, start=None, end=None):
    """Conditions selecting the counted orders (settled, not refunded) of a period or of [start, end)."""
    conditions = [WorkOrder.status == "settled"]
    if period is not None:
        conditions.append(in_period(WorkOrder.settled_at, period))
    else:
        conditions += [WorkOrder.settled_at >= start, WorkOrder.settled_at < end]
    if store_id is not None:
        conditions.append(WorkOrder.store_id == store_id)
    return and_(*conditions)


def order_figures(period, store_id=None, *, return_from, return_start):
    """The counted orders' figures of the period: {"visits", "revenue", "refunds", "return"}, from
    one read of the daily sales rollup, one check for later orders and, when there are none, one
    read of the latest-visit histogram (else two queries over the orders).

    - visits: car count (台次: counted orders), distinct vehicles, how many orders had a member and
      how many distinct members. When no counted order was settled after the period (it reaches
      today), the distinct members and cars are those whose latest counted order falls in the
      period (the rollup's histogram); otherwise they are counted from the orders.
    - revenue: the counted orders' totals split by tender type (the posted payments: cash, WeChat,
      Alipay, bank card, stored value, points, coupons, package cards) and by service category
      (line totals; parts as "part"); money paid (paid_fen: money tenders and stored value); the
      tier discounts given (list price less line totals, the orders' discount_fen); average ticket
      = total / car count and average paid = paid / car count (fen, rounded down).
    - refunds: orders refunded in the period (by ``refunded_at``), whenever they were settled; how
      many of them had been settled before the period began (their revenue left an earlier period).
    - return: (members with a counted order in the local days ``return_from``..the period's last
      day -- from ``return_start`` in UTC -- those with two or more): from the histogram of members'
      two latest counted orders when none was settled after the period, else by grouping the orders.
    """
    rows, refunds = rollup.period_sales(period, store_id)
    orders, member_orders = rows.get(("orders", ""), (0, 0))[:2]
    if not rollup.counted_after(period.end, store_id):
        (vehicles, _), (members, _), returned = rollup.subjects_since(
            [("vehicle", period.first_day), ("member", period.first_day), ("member", return_from)],
            period.last_day,
            store_id,
        )
    else:
        vehicles, members = (
            _int(value)
            for value in db.session.execute(
                select(func.count(distinct(WorkOrder.vehicle_id)), func.count(distinct(WorkOrder.member_id))).where(
                    counted(period, store_id)
                )
            ).one()
        )
        returned = _returning_from_orders(return_start, period.end, store_id)
    count, total, paid, earlier = refunds
    return {
        "visits": {
            "work_orders": orders,
            "vehicles": vehicles,
            "member_work_orders": member_orders,
            "walk_in_work_orders": orders - member_orders,
            "members": members,
        },
        "revenue": _revenue(rows),
        "refunds": {"work_orders": count, "total_fen": total, "paid_fen": paid, "settled_before_period": earlier},
        "return": returned,
    }


def _revenue(rows):
    count, _member_orders, total, paid, _list = rows.get(("orders", ""), (0, 0, 0, 0, 0))
    by_tender = dict.fromkeys(TENDER_TYPES, 0)
    by_category, discount = dict.fromkeys(CATEGORIES, 0), 0
    for (kind, name), (_orders, _members, amount, _paid, list_fen) in sorted(rows.items()):
        if kind == "tender":
            by_tender[name] = amount
        elif kind == "category":
            by_category[name] = amount
            discount += list_fen - amount
    return {
        "total_fen": total,
        "paid_fen": paid,
        "tier_discount_fen": discount,
        "by_tender": by_tender,
        "by_category": by_category,
        "average_ticket_fen": total // count if count else 0,
        "average_paid_fen": paid // count if count else 0,
    }


def _returning_from_orders(start, end, store_id):
    """(members with a counted order in [start, end), those with two or more), grouping the orders."""
    per_member = (
        select(WorkOrder.member_id, func.count().label("visits"))
        .where(counted(None, store_id, start=start, end=end), WorkOrder.member_id.is_not(None))
        .group_by(WorkOrder.member_id)
        .subquery()
    )
    visited, returning = db.session.execute(
        select(func.count(), func.sum(case((per_member.c.visits >= 2, 1), else_=0)))
    ).one()
    return _int(visited), _int(returning)


def top_member_rows(period, store_id=None, limit=10):
    """Members by money paid on counted orders (then order totals, then id): member_id, work_orders,
    paid_fen, total_fen — the rows only; the caller names the members."""
    paid = func.sum(WorkOrder.paid_fen)
    total = func.sum(WorkOrder.total_fen)
    rows = db.session.execute(
        select(WorkOrder.member_id, func.count(), paid, total)
        .where(counted(period, store_id), WorkOrder.member_id.is_not(None))
        .group_by(WorkOrder.member_id)
        .order_by(paid.desc(), total.desc(), WorkOrder.member_id)
        .limit(limit)
    ).all()
    return [
        {"member_id": member_id, "work_orders": _int(orders), "paid_fen": _int(paid_fen), "total_fen": _int(total_fen)}
        for member_id, orders, paid_fen, total_fen in rows
    ]
