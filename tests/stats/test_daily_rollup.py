"""The daily sales rollup, kept current by settles and refunds, always equals a rebuild from the
raw rows (and the overview built on it equals the recomputation in test_stats_overview.py)."""

from datetime import date
from functools import partial

from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.stats import rollup
from app.stats.models import AMOUNTS, DailySales, RecentVisits, VisitDays
from app.stats.rollup import rebuild_daily_rollups
from tests.helpers import run_together
from tests.stats.helpers import NOW, SHANGHAI, local
from tests.stats.test_stats_overview import expected_overview


def rollup_rows(app):
    """The rollups' rows that hold something (a refund can leave a row of zeros behind)."""
    with app.app_context():
        sales = {
            (row.day, row.store_id, row.kind, row.name): tuple(getattr(row, name) for name in AMOUNTS)
            for row in db.session.scalars(select(DailySales))
            if any(getattr(row, name) for name in AMOUNTS)
        }
        recent = {
            ("recent", row.subject, row.subject_id, row.scope): (row.last_day, row.prev_day)
            for row in db.session.scalars(select(RecentVisits))
            if row.last_day is not None
        }
        days = {
            ("days", row.subject, row.scope, row.day): (row.last_count, row.prev_count)
            for row in db.session.scalars(select(VisitDays))
            if row.last_count or row.prev_count
        }
        return {**sales, **recent, **days}


def rebuilt_rows(app):
    with app.app_context():
        rebuild_daily_rollups()
        db.session.commit()
    return rollup_rows(app)


def open_order(api, token, store_id, plate, lines):
    response = api.post("/work-orders", token, json={"store_id": store_id, "plate": plate, "lines": lines})
    assert response.status_code == 201, response.json
    return response.json


def test_the_built_shop_rollup_equals_a_rebuild(app, shop):
    kept = rollup_rows(app)
    assert {key[0] for key in kept} >= {"recent", "days"}
    assert kept and kept == rebuilt_rows(app)


def test_periods_reaching_today_count_members_and_cars_from_their_latest_visits(app, api, shop, tokens):
    """No order after 2 April: visits and retention come from the latest-visit histogram, here
    compared with the recomputation from the raw rows (March, with an order after it, groups
    the orders: test_stats_overview.py)."""
    for query in (
        "from=2026-03-05&to=2026-04-02",
        "from=2025-04-03&to=2026-04-02",
        f"from=2026-03-05&to=2026-04-02&store_id={shop.stores[0]}",
        f"from=2026-03-05&to=2026-04-02&store_id={shop.stores[1]}",
    ):
        body = api.get(f"/stats/overview?{query}", tokens["owner"]).json
        first, last = (date.fromisoformat(part.split("=")[1]) for part in query.split("&")[:2])
        store_id = int(query.split("store_id=")[1]) if "store_id" in query else None
        expected = expected_overview(app, first, last, store_id)
        for section in ("visits", "revenue", "refunds", "retention"):
            assert body[section] == expected[section], (query, section)
        if query.startswith("from=2025"):  # a year with members who came back: a figure worth comparing
            assert body["retention"]["returning_members"] >= 2 and body["visits"]["vehicles"] >= 4
    with app.app_context():
        assert not rollup.counted_after(clock.local_day_bounds(date(2026, 4, 2), "Asia/Shanghai")[1])


def test_settle_and_refund_through_the_api_keep_the_rollup_equal_to_a_rebuild(app, api, shop, tokens):
    items = shop.items
    clock.set_now(local("2026-03-31 23:40"))  # a late order: its local day is 31 March, UTC 15:40
    order = open_order(
        api,
        tokens["cashier"],
        shop.stores[0],
        "粤B10002",
        [{"service_item_id": items["oil"], "quantity": 1}, {"part_id": items["filter"], "quantity": 2}],
    )
    settled = api.post(
        f"/work-orders/{order['id']}/settle",
        tokens["cashier"],
        json={
            "tenders": [
                {"type": "stored_value", "amount_fen": 10000},
                {"type": "alipay", "amount_fen": order["total_fen"] - 10000},
            ]
        },
    )
    assert settled.status_code == 200, settled.json
    walk_in = open_order(
        api, tokens["cashier"], shop.stores[0], "京A88888", [{"service_item_id": items["wash"], "quantity": 1}]
    )
    assert (
        api.post(
            f"/work-orders/{walk_in['id']}/settle",
            tokens["cashier"],
            json={"tenders": [{"type": "cash", "amount_fen": walk_in["total_fen"]}]},
        ).status_code
        == 200
    )
    kept = rollup_rows(app)
    assert kept[(date(2026, 3, 31), shop.stores[0], "tender", "alipay")][2] == order["total_fen"] - 10000
    assert kept == rebuilt_rows(app)

    # Refunded on 2 April: it leaves 31 March's figures and shows among 2 April's refunds.
    clock.set_now(NOW)
    refunded = api.post(f"/work-orders/{order['id']}/refund", tokens["owner"], json={"reason": "test"})
    assert refunded.status_code == 200, refunded.json
    after = rollup_rows(app)
    assert (date(2026, 3, 31), shop.stores[0], "tender", "alipay") not in after
    assert after[(date(2026, 4, 2), shop.stores[0], "refund", "2026-03-31")][0] == 1
    assert after == rebuilt_rows(app)
    for first, last in ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 2))):
        body = api.get(f"/stats/overview?from={first}&to={last}", tokens["owner"]).json
        expected = expected_overview(app, first, last)
        for section in ("visits", "revenue", "refunds", "retention"):
            assert body[section] == expected[section], (first, section)


def test_concurrent_settles_at_one_store_all_reach_the_rollup(app, api, shop, tokens):
    """Eight cashiers' settles at once, all adding to the same day's rows: none is lost (on
    PostgreSQL they queue on the row's lock; SQLite serialises the transactions)."""
    clock.set_now(NOW)
    orders = [
        open_order(
            api,
            tokens["cashier"],
            shop.stores[0],
            f"京A9000{n}",
            [{"service_item_id": shop.items["wash"], "quantity": 1}],
        )
        for n in range(8)
    ]
    before = rollup_rows(app).get((NOW.astimezone(SHANGHAI).date(), shop.stores[0], "orders", ""), (0,))[0]

    def settle(order):
        response = app.test_client().post(
            f"/api/v1/work-orders/{order['id']}/settle",
            json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
            headers={"Authorization": f"Bearer {tokens['cashier']}"},
        )
        return response.status_code

    statuses = run_together(*(partial(settle, order) for order in orders), timeout=60)
    assert statuses == [200] * 8
    kept = rollup_rows(app)
    assert kept[(NOW.astimezone(SHANGHAI).date(), shop.stores[0], "orders", "")][0] == before + 8
    assert kept == rebuilt_rows(app)


def test_the_migration_fills_the_rollups_as_a_rebuild_does(app, shop):
    """Migration 0013 on a database that already holds orders (its own SQL on PostgreSQL, a
    Python pass on SQLite) leaves the same rows as rebuild_daily_rollups()."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        db.session.remove()
        downgrade(revision="0012")
        upgrade()
    migrated = rollup_rows(app)
    assert {key[0] for key in migrated} >= {"recent", "days"}
    assert migrated == rebuilt_rows(app)
