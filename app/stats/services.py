"""The owner's numbers: overview, daily series and best customers (read-only).

Where a domain offers a figure it is called (package-card items outstanding and card sales from
app/cards, referral results from app/referrals/stats.py, campaign results and follow-up outcomes
from app/marketing). Everything else is a read-only aggregate query written here over the other
domains' tables — the accepted exception to "domains talk through services" for statistics: one
GROUP BY over a table answers what would otherwise take a service call per row. Nothing here writes.

Periods are merchant-local days (``from``..``to`` inclusive, see periods.py). The overview's figures:
- members (state now, merchant-wide, merged duplicates left out): total, new in the period (by
  registration time), by lifecycle (the DESIGN.md rule on the last paid visit, evaluated now with
  the settings' thresholds: never visited → new, idle ≤ at_risk_after_days → active, ≤
  churned_after_days → at_risk, beyond → churned), by tier (every tier, with its name, plus
  members without one) and by value class (as app/members/metrics.py last classed them);
- visits and revenue: counted orders are the work orders settled in the period and not refunded,
  at ``store_id`` when given (app/stats/orders.py says how a later refund is treated);
- retention: return rate = members with two or more counted orders among the members with at least
  one, over the 12 months before ``to`` (the local days after ``to`` minus 12 months through ``to``;
  at ``store_id`` when given); churn rate = churned members among members who ever had a paid visit
  (now, merchant-wide). Rates are percentages with one decimal, numerators and denominators given;
- liabilities (now, merchant-wide: a member spends them at any store): stored value principal and
  bonus (the sums of the wallets), points outstanding (the live points: unexpired lots' remaining
  points, the same figure a member can spend), package-card units outstanding on unexpired cards;
  beside them the receivables accounts (挂账) still owe (an asset) and the credit they hold (a liability);
- prepaid sales in the period: top-ups (principal paid in and bonus given, by payment method),
  package cards and period cards (月卡/年卡) sold (by payment method; at ``store_id`` when given;
  a card refunded since is left out);
- coupons: issued in the period (by source) and redeemed in the period (used now, ``used_at`` in
  the period; a coupon given back by a refund no longer counts);
- campaigns launched in the period with the results marketing reports for each (its
  ``results_of``: the same few queries however many campaigns the period holds); referrals made in
  the period (app/referrals/stats.py); follow-up outcomes recorded in the period (by result, kind
  and churn reason; at ``store_id`` when given).
"""

from datetime import timedelta

from sqlalchemy import func, select

from app.accounts import statements as accounts
from app.cards import period_services as period_cards
from app.cards import services as cards
from app.cards.models import PAID_VIA as CARD_PAID_VIA
from app.cards.models import PackageCardEntry, PackageCardItem
from app.common import clock
from app.common.db import PLAN_FOR_EACH_RUN, RANDOM_PAGE_COST_IN_MEMORY, set_local
from app.common.side_by_side import run_side_by_side
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.members.metrics import LIFECYCLES, VALUE_CLASSES
from app.members.models import Member
from app.members.services import mask_phone
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.stats import orders
from app.stats.periods import Period, as_date, in_period, local_date, make_period
from app.stores.services import get_store
from app.wallet.models import PAID_VIA, PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry
from app.workorders.models import WorkOrder

MAX_SERIES_DAYS = 731
RETURN_WINDOW_MONTHS = 12


def _int(value):
    return int(value or 0)


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else 0.0


def _period(first_day, last_day, store_id, now, max_days=None) -> Period:
    if store_id is not None:
        get_store(store_id)
    return make_period(
        first_day=first_day, last_day=last_day, tz_name=get_settings().timezone, now=now, max_days=max_days
    )


# -- members -------------------------------------------------------------------------------------


def _current_members():
    return Member.merged_into_id.is_(None)


def member_figures(period, now):
    """One pass over the members, grouped by (value class, tier) only: each group counts its
    members, those who joined in the period and those in each lifecycle stage (filtered counts of
    the last paid visit against the settings' thresholds), then the groups are summed up. A group
    key evaluated per member (the lifecycle as a CASE) made the aggregate twice as slow."""
    settings = get_settings()
    churned_before = now - timedelta(days=settings.churned_after_days)
    at_risk_before = now - timedelta(days=settings.at_risk_after_days)
    last_visit = Member.last_paid_visit_at
    stages = {  # the DESIGN.md rule; "active" is the rest
        "new": last_visit.is_(None),
        "churned": last_visit < churned_before,
        "at_risk": (last_visit >= churned_before) & (last_visit < at_risk_before),
    }
    # count(*), not count(id): the group columns and the filters are all in ix_members_overview,
    # and naming the id would make PostgreSQL read every member's row instead of that index alone.
    groups = db.session.execute(
        select(
            Member.value_class,
            Member.tier_id,
            func.count(),
            func.count().filter(in_period(Member.created_at, period)),
            *(func.count().filter(condition) for condition in stages.values()),
        )
        .where(_current_members())
        .group_by(Member.value_class, Member.tier_id)
    ).all()
    total = new = 0
    by_lifecycle, by_value_class, per_tier = dict.fromkeys(LIFECYCLES, 0), dict.fromkeys(VALUE_CLASSES, 0), {}
    for value_class, tier_id, count, joined, *staged in groups:
        total, new = total + count, new + joined
        for stage, members in zip(stages, staged, strict=False):
            by_lifecycle[stage] += members
        by_lifecycle["active"] += count - sum(staged)
        by_value_class[value_class] = by_value_class.get(value_class, 0) + count
        per_tier[tier_id] = per_tier.get(tier_id, 0) + count
    tiers = db.session.execute(select(Tier.id, Tier.name, Tier.rank).order_by(Tier.rank.desc(), Tier.id)).all()
    by_tier = [
        {"tier_id": tier_id, "name": name, "rank": rank, "members": per_tier.get(tier_id, 0)}
        for tier_id, name, rank in tiers
    ]
    by_tier.append({"tier_id": None, "name": None, "rank": None, "members": per_tier.get(None, 0)})
    return {
        "total": total,
        "new": new,
        "by_lifecycle": by_lifecycle,
        "by_tier": by_tier,
        "by_value_class": by_value_class,
    }


def return_window(period):
    """The return rate's window: the local days after ``to`` minus 12 months through ``to``, as
    (its first day, that day's UTC start)."""
    first_day = clock.add_months(period.last_day, -RETURN_WINDOW_MONTHS) + timedelta(days=1)
    return first_day, clock.local_day_bounds(first_day, period.tz_name)[0]


def retention_figures(period, returned, members):
    """The return rate from ``returned`` (members with a counted order in the return window, those
    with two or more: ``orders.order_figures``) and the churn rate from the member figures."""
    first_day = return_window(period)[0]
    visited, returning = returned
    lifecycles = members["by_lifecycle"]
    ever_visited = lifecycles["active"] + lifecycles["at_risk"] + lifecycles["churned"]
    return {
        "return_window_from": first_day,
        "return_window_to": period.last_day,
        "visited_members": visited,
        "returning_members": returning,
        "return_rate_percent": _percent(returning, visited),
        "members_with_visits": ever_visited,
        "churned_members": lifecycles["churned"],
        "churn_rate_percent": _percent(lifecycles["churned"], ever_visited),
    }


# -- ledgers -------------------------------------------------------------------------------------


def points_outstanding(now):
    """The live points: the remaining points of the lots not expired by ``now``.

    Summed from the members' balances, not from the lots (a few per member, read in full every
    time): a balance is the sum of its lots' remaining points, and a lot that expired or whose
    earning was reversed keeps none (app/wallet/points.py moves lots and balance together). So the
    live points are the balances less what the lots whose day has come, but that no expiry has
    closed yet, still hold (found through an index of the unexpired lots by day)."""
    balances = db.session.scalar(select(func.sum(PointsAccount.balance)))
    due = db.session.scalar(
        select(func.sum(PointsLot.remaining)).where(PointsLot.expired_at.is_(None), PointsLot.expires_at <= now)
    )
    return _int(balances) - _int(due)


def liability_figures(now):
    principal, bonus = db.session.execute(select(func.sum(Wallet.principal_fen), func.sum(Wallet.bonus_fen))).one()
    points = points_outstanding(now)
    return {
        "stored_value_principal_fen": _int(principal),
        "stored_value_bonus_fen": _int(bonus),
        "stored_value_fen": _int(principal) + _int(bonus),
        "points_outstanding": points,
        "package_card_items_outstanding": _int(cards.outstanding_items(now=now)),
        "period_cards_unearned_fen": period_cards.unearned_fen(now=now),
        **accounts.receivables_outstanding(),
    }


def prepaid_figures(period, store_id):
    topups = dict.fromkeys(PAID_VIA, 0)
    count = principal = bonus = 0
    for paid_via, entries, principal_fen, bonus_fen in db.session.execute(
        select(WalletEntry.paid_via, func.count(), func.sum(WalletEntry.principal_fen), func.sum(WalletEntry.bonus_fen))
        .where(WalletEntry.kind == "topup", in_period(WalletEntry.created_at, period))
        .group_by(WalletEntry.paid_via)
    ):
        count, principal, bonus = count + entries, principal + _int(principal_fen), bonus + _int(bonus_fen)
        topups[paid_via or "other"] = topups.get(paid_via or "other", 0) + _int(principal_fen)
    return {
        "topups": {"count": count, "principal_fen": principal, "bonus_fen": bonus, "by_paid_via": topups},
        "package_cards": _card_sales(cards.sales_summary(start=period.start, end=period.end, store_id=store_id)),
        "period_cards": _card_sales(period_cards.sales_summary(start=period.start, end=period.end, store_id=store_id)),
    }


def _card_sales(by_paid_via):
    sales = dict.fromkeys(CARD_PAID_VIA, 0)
    sales.update({paid_via: _int(fen) for paid_via, fen in by_paid_via.items()})
    return {"sold_fen": sum(sales.values()), "by_paid_via": sales}


def coupon_figures(period):
    issued = dict(
        db.session.execute(
            select(MemberCoupon.source, func.count())
            .where(in_period(MemberCoupon.created_at, period))
            .group_by(MemberCoupon.source)
        ).all()
    )
    redeemed = db.session.scalar(
        select(func.count()).where(MemberCoupon.status == "used", in_period(MemberCoupon.used_at, period))
    )
    return {"issued": sum(issued.values()), "redeemed": _int(redeemed), "issued_by_source": issued}


# -- other domains' reports ----------------------------------------------------------------------


def campaign_figures(period):
    from app.marketing.campaigns import results_of
    from app.marketing.models import Campaign

    launched = db.session.scalars(
        select(Campaign).where(in_period(Campaign.launched_at, period)).order_by(Campaign.launched_at, Campaign.id)
    ).all()
    results = results_of(launched)
    items = [
        {"id": campaign.id, "name": campaign.name, "launched_at": campaign.launched_at, **results[campaign.id]}
        for campaign in launched
    ]
    totals = {
        name: sum(item[name] for item in items)
        for name in ("audience", "sent", "skipped_no_grant", "coupons_issued", "coupons_used", "revenue_fen")
    }
    return {"launched": len(items), **totals, "items": items}


def follow_up_figures(period, store_id):
    from app.marketing.followups import follow_up_outcome_counts

    return follow_up_outcome_counts(start=period.start, end=period.end, store_id=store_id)


def referral_figures(period):
    from app.referrals.stats import referral_stats

    return referral_stats(date_from=period.first_day, date_to=period.last_day, top=5)


# -- the endpoints' services ---------------------------------------------------------------------

# Memory for this read-only transaction's sorts and hash aggregates on PostgreSQL: the return rate
# groups a year of orders by member (hundreds of thousands of groups on a large chain), which
# spills to disk with the default 4 MB. SET LOCAL ends with the transaction.
STATS_WORK_MEM = "64MB"


def _room_for_aggregates():
    set_local(db.session, work_mem=STATS_WORK_MEM, **PLAN_FOR_EACH_RUN)


# The overview's groups also plan for how they run (PostgreSQL, SET LOCAL in each group's read-only
# transaction; in the caller's, to its end, when they run in turn -- plans change, never figures):
# - without parallel workers: the groups already run side by side, one per CPU of this machine's
#   kind (app/common/side_by_side.py), and a group's workers only crowd the other;
# - with the in-memory random_page_cost (app/common/db.py): the member grouping then reads the
#   overview index that holds the columns it counts (10,000 pages at a million members) instead
#   of every member's row (42,000).
# Together: the 12-month overview at a million members in about 440 ms instead of 575 (bench/).
OVERVIEW_PLANNER = {
    "max_parallel_workers_per_gather": "0",
    "random_page_cost": RANDOM_PAGE_COST_IN_MEMORY,
    **PLAN_FOR_EACH_RUN,
}


def _overview_session():
    set_local(db.session, work_mem=STATS_WORK_MEM, **OVERVIEW_PLANNER)


def overview(*, first_day=None, last_day=None, store_id=None, now=None) -> dict:
    """Every figure of the owner's dashboard for the period (see the module docstring for each
    figure's rule and which ones ``store_id`` narrows)."""
    now = now or clock.now()
    period = _period(first_day, last_day, store_id, now)
    return_from, return_start = return_window(period)
    # Independent groups, run side by side on PostgreSQL; the longest (at a million members) first.
    figures = run_side_by_side(
        {
            "members": lambda: member_figures(period, now),
            "campaigns": lambda: campaign_figures(period),
            "liabilities": lambda: liability_figures(now),
            "referrals": lambda: referral_figures(period),
            "coupons": lambda: coupon_figures(period),
            "prepaid": lambda: prepaid_figures(period, store_id),
            "sales": lambda: orders.order_figures(period, store_id, return_from=return_from, return_start=return_start),
            "follow_ups": lambda: follow_up_figures(period, store_id),
        },
        prepare=_overview_session,
    )
    sales = figures["sales"]
    return {
        "from": period.first_day,
        "to": period.last_day,
        "store_id": store_id,
        "timezone": period.tz_name,
        "generated_at": now,
        "members": figures["members"],
        "visits": sales["visits"],
        "revenue": sales["revenue"],
        "refunds": sales["refunds"],
        "retention": retention_figures(period, sales["return"], figures["members"]),
        "liabilities": figures["liabilities"],
        "prepaid": figures["prepaid"],
        "coupons": figures["coupons"],
        "campaigns": figures["campaigns"],
        "referrals": figures["referrals"],
        "follow_ups": figures["follow_ups"],
    }


def _settled(period, store_id):
    return orders.counted(period, store_id)


# metric -> (timestamp column, value, conditions(period, store_id), narrowed by store_id)
SERIES = {
    "work_orders": (WorkOrder.settled_at, lambda: func.count(), _settled, True),
    "vehicles": (WorkOrder.settled_at, lambda: func.count(func.distinct(WorkOrder.vehicle_id)), _settled, True),
    "revenue_fen": (WorkOrder.settled_at, lambda: func.sum(WorkOrder.total_fen), _settled, True),
    "paid_fen": (WorkOrder.settled_at, lambda: func.sum(WorkOrder.paid_fen), _settled, True),
    "new_members": (
        Member.created_at,
        lambda: func.count(Member.id),
        lambda period, _: _current_members() & in_period(Member.created_at, period),
        False,
    ),
    "topup_fen": (
        WalletEntry.created_at,
        lambda: func.sum(WalletEntry.principal_fen),
        lambda period, _: (WalletEntry.kind == "topup") & in_period(WalletEntry.created_at, period),
        False,
    ),
    "coupons_issued": (
        MemberCoupon.created_at,
        lambda: func.count(MemberCoupon.id),
        lambda period, _: in_period(MemberCoupon.created_at, period),
        False,
    ),
    "coupons_redeemed": (
        MemberCoupon.used_at,
        lambda: func.count(MemberCoupon.id),
        lambda period, _: (MemberCoupon.status == "used") & in_period(MemberCoupon.used_at, period),
        False,
    ),
}
# The liabilities' trend: metric -> (the balance now, the ledger entries' time, their signed amount).
# Merchant-wide, like the overview's liabilities (a member spends them at any store).
BALANCES = {
    "stored_value_principal_fen": (Wallet.principal_fen, WalletEntry.created_at, WalletEntry.principal_fen),
    "stored_value_bonus_fen": (Wallet.bonus_fen, WalletEntry.created_at, WalletEntry.bonus_fen),
    "points_balance": (PointsAccount.balance, PointsEntry.created_at, PointsEntry.points),
    "package_card_items_balance": (PackageCardItem.remaining, PackageCardEntry.created_at, PackageCardEntry.delta),
}
METRICS = tuple(SERIES) + tuple(BALANCES)


def _balance_points(metric, period):
    """{local day: the ledger's balance at the end of that day}: the balance now, less what was
    entered after each day's end (one sum after the period, one sum per day inside it), so only
    the entries since the period's first day are read, never the whole history."""
    balance_column, entered_at, amount = BALANCES[metric]
    balance = _int(db.session.scalar(select(func.sum(balance_column))))
    balance -= _int(db.session.scalar(select(func.sum(amount)).where(entered_at >= period.end)))
    day = local_date(entered_at, period).label("day")
    entered = {
        as_date(row_day): _int(total)
        for row_day, total in db.session.execute(
            select(day, func.sum(amount)).where(in_period(entered_at, period)).group_by(day)
        )
    }
    values = {}
    for each_day in reversed(period.days):
        values[each_day] = balance
        balance -= entered.get(each_day, 0)
    return values


def timeseries(*, metric, first_day=None, last_day=None, store_id=None, now=None) -> dict:
    """One value per merchant-local day of the period (0 on days without any): work orders (台次),
    vehicles, revenue_fen, paid_fen (the counted orders, as in the overview), new_members,
    topup_fen (principal paid in), coupons_issued, coupons_redeemed. At most 731 days.

    The liabilities' trend is each day's closing balance of a ledger, merchant-wide:
    stored_value_principal_fen, stored_value_bonus_fen, points_balance and
    package_card_items_balance. Points and card units that have run out of time count until the
    expiry jobs write them off, so on a day those jobs have not yet run the closing balance can
    exceed the overview's points_outstanding and package_card_items_outstanding (which leave
    them out at once); stored value never expires and always equals the overview's."""
    period = _period(first_day, last_day, store_id, now, max_days=MAX_SERIES_DAYS)
    if metric in BALANCES:
        values = _balance_points(metric, period)
    else:
        column, value, conditions, by_store = SERIES[metric]
        day = local_date(column, period).label("day")
        rows = db.session.execute(
            select(day, value()).where(conditions(period, store_id if by_store else None)).group_by(day)
        ).all()
        values = {as_date(row_day): _int(amount) for row_day, amount in rows}
    return {
        "metric": metric,
        "from": period.first_day,
        "to": period.last_day,
        "store_id": store_id,
        "timezone": period.tz_name,
        "points": [{"date": d, "value": values.get(d, 0)} for d in period.days],
    }


def top_members(*, first_day=None, last_day=None, store_id=None, limit=10, now=None) -> dict:
    """The members who paid the most on counted orders in the period (money and stored value;
    ties: larger order totals, then lower member id), with their tier; phones masked."""
    period = _period(first_day, last_day, store_id, now)
    _room_for_aggregates()
    rows = orders.top_member_rows(period, store_id, limit)
    names = {
        member_id: (nickname, phone, tier)
        for member_id, nickname, phone, tier in db.session.execute(
            select(Member.id, Member.nickname, Member.phone, Tier.name)
            .outerjoin(Tier, Tier.id == Member.tier_id)
            .where(Member.id.in_([row["member_id"] for row in rows]))
        )
    }
    items = []
    for rank, row in enumerate(rows, start=1):
        nickname, phone, tier = names[row["member_id"]]
        items.append({"rank": rank, **row, "nickname": nickname, "phone": mask_phone(phone), "tier": tier})
    return {
        "from": period.first_day,
        "to": period.last_day,
        "store_id": store_id,
        "timezone": period.tz_name,
        "items": items,
    }
