"""The day's till equals the ledgers: per cashier and for the store, on the merchant's calendar day."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cards.models import PackageCard
from app.extensions import db
from app.wallet.models import PointsEntry, WalletEntry
from app.workorders.models import WorkOrder, WorkOrderPayment
from tests.till.conftest import DAY, at, local, ok, open_order, settle

WALK_IN = "粤B99999"


@pytest.fixture
def day(app, api, stores, staff_tokens, shop):
    """Store 1's 2 March: tenders of every kind, a mini-program payment, top-ups, a card sale, a refund,
    an order at 23:30 and one at 00:30 the next day; store 2 takes cash meanwhile."""
    owner, cashier, cashier2 = staff_tokens["owner"], staff_tokens["cashier"], staff_tokens["cashier2"]
    items, alice, bob = shop["items"], shop["members"]["alice"], shop["members"]["bob"]
    wash = [{"service_item_id": items["wash"], "quantity": 1}]
    store1, store2 = stores
    orders = {}

    at(f"{DAY} 09:00")  # the cashier's only store is store 1: the top-up lands in its till
    ok(api.post(f"/members/{alice['id']}/topups", cashier, json={"amount_fen": 50000, "paid_via": "cash"}), 201)
    at(f"{DAY} 09:10")
    ok(
        api.post(
            f"/members/{bob['id']}/topups", owner, json={"amount_fen": 30000, "paid_via": "wechat", "store_id": store1}
        ),
        201,
    )
    at(f"{DAY} 10:00")
    order = open_order(
        api,
        cashier,
        store1,
        alice["plate"],
        [{"service_item_id": items["wash"], "quantity": 2}, {"part_id": items["filter"], "quantity": 1}],
    )
    orders["mixed"] = settle(
        api,
        cashier,
        order["id"],
        [
            {"type": "stored_value", "amount_fen": 5000},
            {"type": "points", "points": 1000},
            {"type": "cash", "amount_fen": 7000},
            {"type": "wechat", "amount_fen": 5000},
        ],
    )
    at(f"{DAY} 11:00")
    order = open_order(api, owner, store1, bob["plate"], [{"service_item_id": items["oil"], "quantity": 1}])
    orders["owner"] = settle(
        api, owner, order["id"], [{"type": "alipay", "amount_fen": 12000}, {"type": "card", "amount_fen": 8000}]
    )
    at(f"{DAY} 12:00")
    template = ok(
        api.post(
            "/package-card-templates",
            owner,
            json={
                "name": "洗车10次卡",
                "price_fen": 30000,
                "valid_days": 365,
                "items": [{"service_item_id": items["wash"], "count": 10}],
            },
        ),
        201,
    )
    ok(
        api.post(
            f"/members/{alice['id']}/package-cards", cashier, json={"template_id": template["id"], "paid_via": "cash"}
        ),
        201,
    )
    order = open_order(api, cashier2, store2, WALK_IN, wash)
    orders["store2"] = settle(api, cashier2, order["id"], [{"type": "cash", "amount_fen": 5000}])
    at(f"{DAY} 13:00")
    order = open_order(api, cashier, store1, WALK_IN, wash)
    orders["refunded"] = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}])
    at(f"{DAY} 14:00")
    ok(api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "客户投诉"}))
    at(f"{DAY} 15:00")
    order = open_order(api, cashier, store1, alice["plate"], wash)
    ok(api.post(f"/work-orders/{order['id']}/status", cashier, json={"status": "completed"}))
    paying = ok(api.post(f"/me/work-orders/{order['id']}/pay", alice["token"], json={"tenders": []}))
    ok(api.post(f"/dev/payments/{paying['payment']['out_trade_no']}/confirm"))
    orders["mini_program"] = order
    at(f"{DAY} 23:30")
    order = open_order(api, cashier, store1, WALK_IN, wash)
    orders["late"] = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}])
    at("2026-03-03 00:30")
    order = open_order(api, cashier, store1, WALK_IN, wash)
    orders["next_day"] = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}])
    at("2026-03-03 09:00")
    return orders


def _till(api, token, store_id, day=DAY):
    return ok(api.get(f"/stores/{store_id}/till", token, query_string={"date": day}))


def _ledger_sums(app, store_id, day):
    """The day's figures summed straight from the ledger and payment tables."""
    start = local(f"{day} 00:00")
    end = start + timedelta(days=1)  # Shanghai keeps no daylight saving time
    with app.app_context():
        settled_ids = select(WorkOrder.id).where(
            WorkOrder.store_id == store_id, WorkOrder.settled_at >= start, WorkOrder.settled_at < end
        )
        payments = dict(
            db.session.execute(
                select(WorkOrderPayment.type, func.sum(WorkOrderPayment.amount_fen))
                .where(WorkOrderPayment.work_order_id.in_(settled_ids), WorkOrderPayment.status == "posted")
                .group_by(WorkOrderPayment.type)
            ).all()
        )
        # Stored value and points carry no store: only store 1 is paid with them in this day.
        stored_value_spent = -db.session.scalar(
            select(func.coalesce(func.sum(WalletEntry.amount_fen), 0)).where(
                WalletEntry.kind == "spend", WalletEntry.created_at >= start, WalletEntry.created_at < end
            )
        )
        points_spent = -db.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.kind == "redeem", PointsEntry.created_at >= start, PointsEntry.created_at < end
            )
        )
        topups = dict(
            db.session.execute(
                select(WalletEntry.paid_via, func.sum(WalletEntry.principal_fen))
                .where(
                    WalletEntry.kind == "topup",
                    WalletEntry.store_id == store_id,
                    WalletEntry.created_at >= start,
                    WalletEntry.created_at < end,
                )
                .group_by(WalletEntry.paid_via)
            ).all()
        )
        card_sales = dict(
            db.session.execute(
                select(PackageCard.paid_via, func.sum(PackageCard.price_fen))
                .where(PackageCard.store_id == store_id, PackageCard.created_at >= start, PackageCard.created_at < end)
                .group_by(PackageCard.paid_via)
            ).all()
        )
        refunded = dict(
            db.session.execute(
                select(WorkOrderPayment.type, func.sum(WorkOrderPayment.amount_fen))
                .join(WorkOrder, WorkOrder.id == WorkOrderPayment.work_order_id)
                .where(
                    WorkOrder.store_id == store_id,
                    WorkOrder.refunded_at >= start,
                    WorkOrder.refunded_at < end,
                    WorkOrderPayment.status == "posted",
                )
                .group_by(WorkOrderPayment.type)
            ).all()
        )
    return payments, stored_value_spent, points_spent, topups, card_sales, refunded


def test_the_store_till_equals_the_ledgers_of_the_day(app, api, stores, staff_tokens, day):
    till = _till(api, staff_tokens["owner"], stores[0])
    store = till["store"]
    payments, stored_value_spent, points_spent, topups, card_sales, refunded = _ledger_sums(app, stores[0], DAY)
    taken = store["taken_fen"]
    # WeChat at the counter and WeChat Pay in the mini-program together are the payment rows' "wechat".
    assert taken["wechat"] + taken["wechat_mini_program"] == payments["wechat"]
    for tender in ("cash", "alipay", "card", "stored_value", "points"):
        assert taken[tender] == payments.get(tender, 0), tender
    assert taken["stored_value"] == stored_value_spent == 5000
    assert store["points_spent"] == points_spent == 1000
    assert store["topups"]["principal_fen"] == {"cash": 50000, "wechat": 30000, "alipay": 0, "card": 0}
    assert {k: v for k, v in store["topups"]["principal_fen"].items() if v} == topups
    assert {k: v for k, v in store["card_sales"]["by_paid_via_fen"].items() if v} == card_sales == {"cash": 30000}
    assert {k: v for k, v in store["refunded_fen"].items() if v} == refunded == {"cash": 5000}
    # The figures themselves: cash of the mixed order, the refunded one and the 23:30 one; not 00:30's.
    assert taken == {
        "cash": 7000 + 5000 + 5000,
        "wechat": 5000,
        "alipay": 12000,
        "card": 8000,
        "wechat_mini_program": 5000,
        "stored_value": 5000,
        "points": 1000,
        "coupon": 0,
        "package_card": 0,
        "period_card": 0,
        "on_account": 0,
    }
    assert store["work_orders"] == 5
    assert store["cash_expected_fen"] == 17000 + 50000 + 30000 - 5000


def test_each_cashier_sees_what_they_took_and_the_rows_add_up_to_the_store(app, api, stores, staff_tokens, day):
    till = _till(api, staff_tokens["owner"], stores[0])
    rows = {row["username"]: row for row in till["cashiers"]}
    assert set(rows) == {"cashier", "owner", None}
    cashier, owner, unattributed = rows["cashier"], rows["owner"], rows[None]
    assert cashier["taken_fen"]["cash"] == 17000 and cashier["taken_fen"]["wechat"] == 5000
    assert cashier["topups"]["principal_fen"]["cash"] == 50000
    assert cashier["card_sales"]["by_paid_via_fen"]["cash"] == 30000
    assert cashier["cash_expected_fen"] == 17000 + 50000 + 30000
    assert owner["taken_fen"]["alipay"] == 12000 and owner["topups"]["principal_fen"]["wechat"] == 30000
    assert owner["cash_expected_fen"] == 0
    # The mini-program's payment and the refund belong to no cashier.
    assert unattributed["staff_id"] is None
    assert unattributed["taken_fen"]["wechat_mini_program"] == 5000 and unattributed["refunded_fen"]["cash"] == 5000
    for key in ("taken_fen", "refunded_fen"):
        for tender, fen in till["store"][key].items():
            assert fen == sum(row[key][tender] for row in rows.values()), (key, tender)
    assert till["store"]["cash_expected_fen"] == sum(row["cash_expected_fen"] for row in rows.values())


def test_the_day_follows_the_merchant_calendar(api, stores, staff_tokens, day):
    next_day = _till(api, staff_tokens["owner"], stores[0], "2026-03-03")["store"]
    assert next_day["taken_fen"]["cash"] == 5000 and next_day["work_orders"] == 1
    assert next_day["topups"]["count"] == 0 and next_day["refunded_fen"]["cash"] == 0
    store2 = _till(api, staff_tokens["owner"], stores[1])["store"]
    assert store2["taken_fen"]["cash"] == 5000 and store2["topups"]["count"] == 0


def test_counter_staff_see_only_their_own_figures(api, stores, staff_tokens, staff_ids, day):
    till = _till(api, staff_tokens["cashier"], stores[0])
    assert till["store"] is None
    assert [row["staff_id"] for row in till["cashiers"]] == [staff_ids["cashier"]]
    assert till["cashiers"][0]["cash_expected_fen"] == 97000
    refused = api.get(f"/stores/{stores[0]}/till", staff_tokens["cashier2"])
    assert refused.status_code == 403 and refused.json["error"]["code"] == "store_forbidden"


def test_a_bad_date_is_a_422(api, stores, staff_tokens):
    response = api.get(f"/stores/{stores[0]}/till", staff_tokens["owner"], query_string={"date": "2026-02-30"})
    assert response.status_code == 422
