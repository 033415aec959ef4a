"""The overview's figures against a recomputation, in plain Python, over the raw rows of the shop."""

from collections import Counter
from datetime import date, timedelta

from app.accounts.models import Account, AccountReceivable
from app.cards.models import PackageCard, PackageCardItem
from app.cards.period_models import PeriodCard
from app.coupons.models import MemberCoupon
from app.marketing.models import Campaign, FollowUp, Message
from app.members.models import Member
from app.members.tiers.models import Tier
from app.referrals.models import Referral
from app.wallet.models import PointsLot, Wallet, WalletEntry
from app.workorders.models import TENDER_TYPES, WorkOrder, WorkOrderLine, WorkOrderPayment
from tests.helpers import error_code
from tests.stats.helpers import NOW, local_day, rows

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
AT_RISK_DAYS, CHURNED_DAYS = 182, 365  # the settings' defaults


def _in(instant, first, last):
    return instant is not None and first <= local_day(instant) <= last


def counted_orders(app, first, last, store_id=None):
    return [
        order
        for order in rows(app, WorkOrder)
        if order.status == "settled" and _in(order.settled_at, first, last) and store_id in (None, order.store_id)
    ]


def expected_overview(app, first, last, store_id=None):
    orders = counted_orders(app, first, last, store_id)
    ids = {order.id for order in orders}
    by_tender = dict.fromkeys(TENDER_TYPES, 0)
    for payment in rows(app, WorkOrderPayment):
        if payment.work_order_id in ids and payment.status == "posted":
            by_tender[payment.type] += payment.amount_fen
    by_category = Counter()
    for line in rows(app, WorkOrderLine):
        if line.work_order_id in ids:
            by_category[line.category] += line.unit_net_fen * line.quantity
    total = sum(order.total_fen for order in orders)
    paid = sum(order.paid_fen for order in orders)

    all_orders = rows(app, WorkOrder)
    last_visit = {}
    for order in all_orders:
        if order.status == "settled" and order.member_id is not None:
            last_visit[order.member_id] = max(last_visit.get(order.member_id, order.settled_at), order.settled_at)
    members = [member for member in rows(app, Member) if member.merged_into_id is None]

    def lifecycle(member):
        last_at = last_visit.get(member.id)
        if last_at is None:
            return "new"
        idle = NOW - last_at
        return (
            "churned"
            if idle > timedelta(days=CHURNED_DAYS)
            else ("at_risk" if idle > timedelta(days=AT_RISK_DAYS) else "active")
        )

    lifecycles = Counter(lifecycle(member) for member in members)
    window_first = date(last.year - 1, last.month, last.day) + timedelta(days=1)
    visits_in_window = Counter(
        order.member_id for order in counted_orders(app, window_first, last, store_id) if order.member_id is not None
    )
    refunded = [
        order
        for order in all_orders
        if order.status == "refunded" and _in(order.refunded_at, first, last) and store_id in (None, order.store_id)
    ]
    wallets = rows(app, Wallet)
    cards = {card.id: card for card in rows(app, PackageCard)}
    topups = [entry for entry in rows(app, WalletEntry) if entry.kind == "topup" and _in(entry.created_at, first, last)]
    card_sales = [
        card
        for card in cards.values()
        if _in(card.created_at, first, last) and store_id in (None, card.store_id) and card.refunded_at is None
    ]
    period_card_sales = [
        card
        for card in rows(app, PeriodCard)
        if _in(card.created_at, first, last) and store_id in (None, card.store_id) and card.status != "refunded"
    ]
    coupons = rows(app, MemberCoupon)
    follow_ups = [
        entry
        for entry in rows(app, FollowUp)
        if entry.status == "done" and _in(entry.handled_at, first, last) and store_id in (None, entry.store_id)
    ]
    referrals = [referral for referral in rows(app, Referral) if _in(referral.created_at, first, last)]
    ever = lifecycles["active"] + lifecycles["at_risk"] + lifecycles["churned"]
    visited = len(visits_in_window)
    returning = sum(1 for count in visits_in_window.values() if count >= 2)
    return {
        "visits": {
            "work_orders": len(orders),
            "vehicles": len({o.vehicle_id for o in orders}),
            "member_work_orders": sum(1 for o in orders if o.member_id),
            "walk_in_work_orders": sum(1 for o in orders if o.member_id is None),
            "members": len({o.member_id for o in orders if o.member_id}),
        },
        "revenue": {
            "total_fen": total,
            "paid_fen": paid,
            "by_tender": by_tender,
            "tier_discount_fen": sum(order.discount_fen for order in orders),
            "by_category": {c: by_category[c] for c in ("wash", "maintenance", "repair", "beauty", "other", "part")},
            "average_ticket_fen": total // len(orders) if orders else 0,
            "average_paid_fen": paid // len(orders) if orders else 0,
        },
        "refunds": {
            "work_orders": len(refunded),
            "total_fen": sum(o.total_fen for o in refunded),
            "paid_fen": sum(o.paid_fen for o in refunded),
            "settled_before_period": sum(1 for o in refunded if local_day(o.settled_at) < first),
        },
        "members": {
            "total": len(members),
            "new": sum(1 for m in members if _in(m.created_at, first, last)),
            "by_lifecycle": {name: lifecycles[name] for name in ("new", "active", "at_risk", "churned")},
            "by_value_class": {
                name: sum(1 for m in members if m.value_class == name) for name in ("high", "medium", "low", "none")
            },
            "by_tier": sorted(
                [
                    {
                        "tier_id": tier.id,
                        "name": tier.name,
                        "rank": tier.rank,
                        "members": sum(1 for m in members if m.tier_id == tier.id),
                    }
                    for tier in rows(app, Tier)
                ],
                key=lambda t: -t["rank"],
            )
            + [{"tier_id": None, "name": None, "rank": None, "members": sum(1 for m in members if m.tier_id is None)}],
        },
        "retention": {
            "return_window_from": window_first.isoformat(),
            "return_window_to": last.isoformat(),
            "visited_members": visited,
            "returning_members": returning,
            "return_rate_percent": round(100 * returning / visited, 1) if visited else 0.0,
            "members_with_visits": ever,
            "churned_members": lifecycles["churned"],
            "churn_rate_percent": round(100 * lifecycles["churned"] / ever, 1) if ever else 0.0,
        },
        "liabilities": {
            "stored_value_principal_fen": sum(w.principal_fen for w in wallets),
            "stored_value_bonus_fen": sum(w.bonus_fen for w in wallets),
            "stored_value_fen": sum(w.balance_fen for w in wallets),
            "points_outstanding": sum(
                lot.remaining for lot in rows(app, PointsLot) if lot.expired_at is None and lot.expires_at > NOW
            ),
            "package_card_items_outstanding": sum(
                item.remaining for item in rows(app, PackageCardItem) if cards[item.card_id].expires_at > NOW
            ),
            "receivables_fen": sum(r.open_fen for r in rows(app, AccountReceivable)),
            "account_credit_fen": sum(a.credit_fen for a in rows(app, Account)),
            # The shop sells no period cards; their unearned share is recomputed in tests/cards.
            "period_cards_unearned_fen": 0,
        },
        "prepaid": {
            "topups": {
                "count": len(topups),
                "principal_fen": sum(e.principal_fen for e in topups),
                "bonus_fen": sum(e.bonus_fen for e in topups),
                "by_paid_via": {
                    via: sum(e.principal_fen for e in topups if e.paid_via == via)
                    for via in ("cash", "wechat", "alipay", "card")
                },
            },
            "package_cards": {
                "sold_fen": sum(c.price_fen for c in card_sales),
                "by_paid_via": {
                    via: sum(c.price_fen for c in card_sales if c.paid_via == via)
                    for via in ("cash", "wechat", "alipay", "card")
                },
            },
            "period_cards": {
                "sold_fen": sum(c.price_fen for c in period_card_sales),
                "by_paid_via": {
                    via: sum(c.price_fen for c in period_card_sales if c.paid_via == via)
                    for via in ("cash", "wechat", "alipay", "card")
                },
            },
        },
        "coupons": {
            "issued": sum(1 for c in coupons if _in(c.created_at, first, last)),
            "redeemed": sum(1 for c in coupons if c.status == "used" and _in(c.used_at, first, last)),
            "issued_by_source": dict(Counter(c.source for c in coupons if _in(c.created_at, first, last))),
        },
        "follow_ups": {
            "total": len(follow_ups),
            "results": Counter(e.result for e in follow_ups),
            "churn_reasons": Counter(e.churn_reason for e in follow_ups if e.churn_reason),
        },
        "referrals": {
            "invited": sum(1 for r in referrals if r.status != "refused"),
            "converted": sum(1 for r in referrals if r.status == "converted"),
        },
    }


def overview(api, token, query="from=2026-03-01&to=2026-03-31"):
    response = api.get(f"/stats/overview?{query}", token)
    assert response.status_code == 200, response.json
    return response.json


def test_every_figure_equals_a_recomputation_from_the_raw_rows(app, api, shop, tokens):
    body = overview(api, tokens["owner"])
    expected = expected_overview(app, *MARCH)
    for section in ("visits", "revenue", "refunds", "members", "retention", "liabilities", "prepaid", "coupons"):
        assert body[section] == expected[section], section
    assert body["follow_ups"]["total"] == expected["follow_ups"]["total"]
    assert {k: v for k, v in body["follow_ups"]["by_result"].items() if v} == dict(expected["follow_ups"]["results"])
    assert {k: v for k, v in body["follow_ups"]["by_churn_reason"].items() if v} == dict(
        expected["follow_ups"]["churn_reasons"]
    )
    assert body["referrals"]["invited"] == expected["referrals"]["invited"]
    assert body["referrals"]["converted"] == expected["referrals"]["converted"]
    assert (body["from"], body["to"], body["store_id"], body["timezone"]) == (
        "2026-03-01",
        "2026-03-31",
        None,
        "Asia/Shanghai",
    )


def test_the_shop_has_the_figures_it_was_built_with(api, shop, tokens):
    """Guards the data set itself, so the recomputation above compares something non-trivial."""
    body = overview(api, tokens["owner"])
    # walk-in 1 March 00:05, Bob's oil change, Alice at 23:30 on 10 March, a walk-in wash, Alice's
    # card wash, Dave's panel work at 23:30 on 31 March; not the refunded wash, not 28 Feb or 1 April.
    assert body["visits"]["work_orders"] == 6 and body["visits"]["walk_in_work_orders"] == 2
    revenue = body["revenue"]
    assert revenue["total_fen"] == 5000 + 26999 + 22499 + 5000 + 4500 + 28500
    assert revenue["by_tender"] == {
        "stored_value": 15000,
        "points": 2000,
        "coupon": 3000 + 1000,
        "package_card": 4500,
        "cash": 5499 + 5000,
        "wechat": 23999,
        "alipay": 0,
        "card": 5000 + 27500,
        "on_account": 0,
        "period_card": 0,
    }
    assert sum(revenue["by_tender"].values()) == revenue["total_fen"] == sum(revenue["by_category"].values())
    assert revenue["by_category"]["part"] == 8000 and revenue["by_category"]["repair"] == 28500
    assert body["refunds"] == {
        "work_orders": 2,
        "total_fen": 4750 + 5000,
        "paid_fen": 4750 + 5000,
        "settled_before_period": 1,
    }
    members = body["members"]
    assert members["total"] == 7 and members["new"] == 1  # Erin; Frank joined on 1 April
    assert members["by_lifecycle"] == {"new": 2, "active": 3, "at_risk": 1, "churned": 1}
    assert [(tier["name"], tier["members"]) for tier in members["by_tier"]] == [
        ("钻石卡", 0),
        ("金卡", 1),
        ("银卡", 2),
        (None, 4),
    ]
    # Window 2025-04-01..2026-03-31: Alice (2 visits), Bob (May + March), Dave (June, Sept, March)
    # came back; Gina (August) did not; Carol's only visit in it was refunded.
    assert body["retention"]["visited_members"] == 4 and body["retention"]["returning_members"] == 3
    assert body["retention"]["return_rate_percent"] == 75.0
    assert body["retention"]["churn_rate_percent"] == 20.0
    liabilities = body["liabilities"]
    assert (
        liabilities["stored_value_principal_fen"] + liabilities["stored_value_bonus_fen"]
        == 100000 + 20000 + 30000 - 15000
    )
    # One point per yuan paid, on every counted or earlier order (refunded ones taken back), plus
    # Alice's 5,000 less the 2,000 she spent.
    earned = {"alice": 204 + 45, "bob": 47 + 239, "carol": 50, "dave": 47 + 47 + 275, "gina": 50}
    assert liabilities["points_outstanding"] == 5000 - 2000 + sum(earned.values())
    assert liabilities["package_card_items_outstanding"] == 4  # Dave's 10-day card has expired
    # Bob's coupon from staff and the campaign's five (Erin and Frank joined after it).
    assert body["coupons"]["issued"] == 1 + 5 and body["coupons"]["redeemed"] == 2
    assert body["campaigns"]["launched"] == 1
    assert body["referrals"]["invited"] == 1 and body["follow_ups"]["by_churn_reason"]["price"] == 1


def test_campaign_results_are_what_the_campaign_produced(app, api, shop, tokens):
    body = overview(api, tokens["owner"])["campaigns"]
    campaign = next(c for c in rows(app, Campaign) if c.id == shop.campaign)
    messages = [m for m in rows(app, Message) if m.campaign_id == campaign.id]
    coupons = [c for c in rows(app, MemberCoupon) if c.ref_type == "campaign" and c.ref_id == campaign.id]
    used_ids = {c.id for c in coupons if c.status == "used"}
    paying = {
        p.work_order_id
        for p in rows(app, WorkOrderPayment)
        if p.type == "coupon" and p.status == "posted" and p.member_coupon_id in used_ids
    }
    revenue = sum(o.total_fen for o in rows(app, WorkOrder) if o.id in paying and o.status == "settled")
    assert body["items"][0]["name"] == "三月回店"
    assert (body["audience"], body["coupons_issued"], body["coupons_used"], body["revenue_fen"]) == (
        len(messages),
        len(coupons),
        len(used_ids),
        revenue,
    )
    assert (len(messages), len(used_ids), revenue) == (5, 1, 28500)


def test_store_filter_narrows_the_work_order_figures(app, api, shop, tokens):
    store = shop.stores[1]
    body = overview(api, tokens["owner"], f"from=2026-03-01&to=2026-03-31&store_id={store}")
    expected = expected_overview(app, *MARCH, store_id=store)
    for section in ("visits", "revenue", "refunds", "retention"):
        assert body[section] == expected[section], section
    assert body["prepaid"]["package_cards"] == expected["prepaid"]["package_cards"]
    assert body["prepaid"]["period_cards"] == expected["prepaid"]["period_cards"]
    assert body["visits"]["work_orders"] == 1 and body["revenue"]["by_tender"]["card"] == 27500
    # Members and liabilities stay merchant-wide.
    assert body["members"]["total"] == 7
    assert body["liabilities"] == expected["liabilities"]


def test_period_boundaries_are_merchant_local_days(api, shop, tokens):
    # Alice's order at 23:30 on 10 March is 15:30 UTC that day: it belongs to 10 March, not 11 March.
    tenth = overview(api, tokens["owner"], "from=2026-03-10&to=2026-03-10")
    assert tenth["visits"]["work_orders"] == 1 and tenth["revenue"]["total_fen"] == 22499
    eleventh = overview(api, tokens["owner"], "from=2026-03-11&to=2026-03-11")
    assert eleventh["visits"]["work_orders"] == 0
    # 00:05 on 1 March is 16:05 UTC on 28 February; 00:10 on 1 April is still 31 March in UTC.
    first = overview(api, tokens["owner"], "from=2026-03-01&to=2026-03-01")
    assert first["visits"]["work_orders"] == 1 and first["revenue"]["by_tender"]["card"] == 5000
    april = overview(api, tokens["owner"], "from=2026-04-01&to=2026-04-01")
    assert april["visits"]["work_orders"] == 1 and april["revenue"]["by_tender"]["cash"] == 4500


def test_a_refund_restates_the_period_the_order_was_settled_in(app, api, shop, tokens):
    february = overview(api, tokens["owner"], "from=2026-02-01&to=2026-02-28")
    expected = expected_overview(app, date(2026, 2, 1), date(2026, 2, 28))
    assert february["visits"] == expected["visits"] and february["revenue"] == expected["revenue"]
    # Carol's 20 February wash was refunded on 2 March: February counts only the walk-in at 23:50.
    assert february["visits"]["work_orders"] == 1 and february["refunds"]["work_orders"] == 0


def test_periods_default_and_are_checked(api, shop, tokens):
    owner = tokens["owner"]
    default = overview(api, owner, "")
    assert (default["from"], default["to"]) == ("2026-03-04", "2026-04-02")
    reversed_period = api.get("/stats/overview?from=2026-03-31&to=2026-03-01", owner)
    assert reversed_period.status_code == 422 and error_code(reversed_period) == "invalid_period"
    assert api.get("/stats/overview?from=2026-02-30", owner).status_code == 422
    unknown_store = api.get("/stats/overview?store_id=999", owner)
    assert unknown_store.status_code == 404


def test_only_owners_see_stats(api, shop, tokens, member_login):
    member_token, _ = member_login("alice")
    for path in ("/stats/overview", "/stats/timeseries?metric=revenue_fen", "/stats/top-members"):
        assert api.get(path).status_code == 401
        assert error_code(api.get(path)) == "missing_token"
        for token in (tokens["cashier"], tokens["marketing"], member_token):
            denied = api.get(path, token)
            assert denied.status_code == 403 and error_code(denied) == "forbidden"
        assert api.get(path, tokens["owner"]).status_code == 200


def test_every_tender_type_and_category_is_listed_even_when_zero(api, stores, staff_tokens):
    body = overview(api, staff_tokens["owner"], "from=2026-01-01&to=2026-01-31")
    assert set(body["revenue"]["by_tender"]) == set(TENDER_TYPES)
    assert all(value == 0 for value in body["revenue"]["by_tender"].values())
    assert body["members"]["by_tier"] == [{"tier_id": None, "name": None, "rank": None, "members": 0}]
    assert body["retention"]["return_rate_percent"] == 0.0 and body["campaigns"]["items"] == []
