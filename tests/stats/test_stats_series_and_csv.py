"""Daily series in the merchant's timezone, the best customers, and the CSV answers."""

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.cards.models import PackageCardEntry
from app.common import clock
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.members.models import Member
from app.stats.periods import make_period, offset_segments
from app.stats.services import METRICS
from app.wallet.models import PointsEntry, WalletEntry
from app.workorders.models import WorkOrder
from tests.helpers import error_code
from tests.stats.helpers import NOW, days_between, local, local_day, rows
from tests.stats.test_stats_overview import counted_orders

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
# The liabilities' trend, recomputed as the sum of every ledger entry up to each day's end.
LEDGERS = {
    "stored_value_principal_fen": (WalletEntry, "principal_fen"),
    "stored_value_bonus_fen": (WalletEntry, "bonus_fen"),
    "points_balance": (PointsEntry, "points"),
    "package_card_items_balance": (PackageCardEntry, "delta"),
}
NEW_YORK = ZoneInfo("America/New_York")


def expected_series(app, metric, first, last, store_id=None):
    """{local date: value} recomputed from the raw rows."""
    orders = counted_orders(app, first, last, store_id)
    per_day = Counter()
    if metric in ("work_orders", "revenue_fen", "paid_fen"):
        for order in orders:
            per_day[local_day(order.settled_at)] += {
                "work_orders": 1,
                "revenue_fen": order.total_fen,
                "paid_fen": order.paid_fen,
            }[metric]
    elif metric == "vehicles":
        for day, vehicles in _group(orders, lambda o: local_day(o.settled_at), lambda o: o.vehicle_id).items():
            per_day[day] = len(vehicles)
    elif metric == "new_members":
        per_day.update(local_day(m.created_at) for m in rows(app, Member) if m.merged_into_id is None)
    elif metric == "topup_fen":
        for entry in rows(app, WalletEntry):
            if entry.kind == "topup":
                per_day[local_day(entry.created_at)] += entry.principal_fen
    elif metric == "coupons_issued":
        per_day.update(local_day(c.created_at) for c in rows(app, MemberCoupon))
    elif metric == "coupons_redeemed":
        per_day.update(local_day(c.used_at) for c in rows(app, MemberCoupon) if c.status == "used")
    elif metric in LEDGERS:
        model, amount = LEDGERS[metric]
        entries = [(local_day(entry.created_at), getattr(entry, amount)) for entry in rows(app, model)]
        return [
            {"date": day.isoformat(), "value": sum(value for entered, value in entries if entered <= day)}
            for day in days_between(first, last)
        ]
    return [{"date": day.isoformat(), "value": per_day.get(day, 0)} for day in days_between(first, last)]


def _group(items, key, value):
    groups = {}
    for item in items:
        groups.setdefault(key(item), set()).add(value(item))
    return groups


@pytest.mark.parametrize("metric", METRICS)
def test_each_series_equals_a_recomputation_by_local_day(app, api, shop, tokens, metric):
    response = api.get(f"/stats/timeseries?metric={metric}&from=2026-02-25&to=2026-04-02", tokens["owner"])
    assert response.status_code == 200, response.json
    assert response.json["points"] == expected_series(app, metric, date(2026, 2, 25), date(2026, 4, 2))


def test_the_liabilities_trend_closes_each_day_and_ends_at_the_overviews_stored_value(api, shop, tokens):
    owner = tokens["owner"]
    overview = api.get("/stats/overview?from=2026-03-01&to=2026-04-02", owner).json["liabilities"]
    for metric, figure in (
        ("stored_value_principal_fen", "stored_value_principal_fen"),
        ("stored_value_bonus_fen", "stored_value_bonus_fen"),
        ("points_balance", "points_outstanding"),
    ):
        series = api.get(f"/stats/timeseries?metric={metric}&from=2026-03-01&to=2026-04-02", owner).json["points"]
        assert series[-1]["value"] == overview[figure], metric  # nothing of these expired in the shop
        assert series[0]["value"] != series[-1]["value"], metric  # the shop moved them in March
    # Merchant-wide, like the overview's liabilities: a store does not narrow them.
    everywhere = api.get("/stats/timeseries?metric=stored_value_bonus_fen&from=2026-03-01&to=2026-03-05", owner).json
    store = api.get(
        f"/stats/timeseries?metric=stored_value_bonus_fen&from=2026-03-01&to=2026-03-05&store_id={shop.stores[1]}",
        owner,
    ).json
    assert store["points"] == everywhere["points"]
    assert [p["value"] for p in everywhere["points"]] == [0, 20000, 20000, 20000, 20000]
    # Dave's ten-day card ran out on 14 March; no expiry job ran in the shop, so the ledger still
    # holds its units while the overview leaves them out.
    cards = api.get("/stats/timeseries?metric=package_card_items_balance&from=2026-03-02&to=2026-04-02", owner).json
    assert [cards["points"][i]["value"] for i in (0, 1, 2)] == [0, 5, 8]
    assert cards["points"][-1]["value"] == overview["package_card_items_outstanding"] + 3


def test_an_order_settled_at_23_30_counts_on_that_local_day(api, shop, tokens):
    points = api.get("/stats/timeseries?metric=revenue_fen&from=2026-03-01&to=2026-03-31", tokens["owner"]).json
    by_day = {point["date"]: point["value"] for point in points["points"]}
    assert len(by_day) == 31
    assert by_day["2026-03-10"] == 22499 and by_day["2026-03-11"] == 0  # 23:30 local = 15:30 UTC
    assert by_day["2026-03-31"] == 28500  # 23:30 on the period's last day
    assert by_day["2026-03-01"] == 5000  # 00:05 local, still 28 February in UTC
    store_2 = api.get(
        f"/stats/timeseries?metric=work_orders&from=2026-03-01&to=2026-03-31&store_id={shop.stores[1]}", tokens["owner"]
    ).json
    assert sum(point["value"] for point in store_2["points"]) == 1


def test_series_refuses_unknown_metrics_and_overlong_periods(api, shop, tokens):
    owner = tokens["owner"]
    assert api.get("/stats/timeseries?metric=profit", owner).status_code == 422
    assert api.get("/stats/timeseries", owner).status_code == 422
    too_long = api.get("/stats/timeseries?metric=work_orders&from=2020-01-01&to=2026-03-01", owner)
    assert too_long.status_code == 422 and error_code(too_long) == "period_too_long"


def test_top_members_rank_by_money_paid_in_the_period(app, api, shop, tokens):
    body = api.get("/stats/top-members?from=2026-03-01&to=2026-03-31&limit=10", tokens["owner"]).json
    paid, total, visits = Counter(), Counter(), Counter()
    for order in counted_orders(app, *MARCH):
        if order.member_id is not None:
            paid[order.member_id] += order.paid_fen
            total[order.member_id] += order.total_fen
            visits[order.member_id] += 1
    ranking = sorted(paid, key=lambda member_id: (-paid[member_id], -total[member_id], member_id))
    assert [
        (item["member_id"], item["paid_fen"], item["total_fen"], item["work_orders"]) for item in body["items"]
    ] == [(member_id, paid[member_id], total[member_id], visits[member_id]) for member_id in ranking]
    members = shop.members
    assert [item["member_id"] for item in body["items"]] == [members["dave"], members["bob"], members["alice"]]
    assert body["items"][0]["tier"] == "银卡" and body["items"][0]["phone"] == "139****0004"
    top_one = api.get("/stats/top-members?from=2026-03-01&to=2026-03-31&limit=1", tokens["owner"]).json
    assert [item["rank"] for item in top_one["items"]] == [1]
    assert api.get("/stats/top-members?limit=0", tokens["owner"]).status_code == 422


def _csv(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_overview_csv_has_a_bom_and_flat_section_metric_value_rows(api, shop, tokens):
    query = "from=2026-03-01&to=2026-03-31"
    table = _csv(api.get(f"/stats/overview?{query}&format=csv", tokens["owner"]))
    assert table[0] == ["section", "metric", "value"]
    assert all(len(row) == 3 for row in table)
    values = {(section, metric): value for section, metric, value in table[1:]}
    body = api.get(f"/stats/overview?{query}", tokens["owner"]).json
    assert values[("members", "by_tier.金卡")] == "1" and values[("members", "by_tier.银卡")] == "2"
    assert values[("members", "by_tier.none")] == "4"
    assert values[("revenue", "by_tender.cash")] == str(body["revenue"]["by_tender"]["cash"])
    assert values[("visits", "work_orders")] == "6"
    assert values[("liabilities", "stored_value_principal_fen")] == str(
        body["liabilities"]["stored_value_principal_fen"]
    )
    assert values[("period", "from")] == "2026-03-01" and values[("period", "timezone")] == "Asia/Shanghai"
    assert values[("retention", "churn_rate_percent")] == "20.0"
    campaign = body["campaigns"]["items"][0]
    assert values[("campaigns", f"items.{campaign['id']}.name")] == "三月回店"


def test_series_and_top_members_csv(api, shop, tokens):
    series = _csv(
        api.get("/stats/timeseries?metric=revenue_fen&from=2026-03-09&to=2026-03-11&format=csv", tokens["owner"])
    )
    assert series == [["date", "revenue_fen"], ["2026-03-09", "0"], ["2026-03-10", "22499"], ["2026-03-11", "0"]]
    top = _csv(api.get("/stats/top-members?from=2026-03-01&to=2026-03-31&format=csv", tokens["owner"]))
    assert top[0] == ["rank", "member_id", "nickname", "phone", "tier", "work_orders", "paid_fen", "total_fen"]
    by_id = {int(row[1]): row for row in top[1:]}
    assert by_id[shop.members["dave"]][2] == "老王" and by_id[shop.members["dave"]][4] == "银卡"
    # A nickname a spreadsheet would run as a formula is written as text.
    assert by_id[shop.members["bob"]][2] == "'=SUM(A1)"


def test_csv_is_for_owners_only_too(api, shop, tokens):
    assert api.get("/stats/overview?format=csv", tokens["cashier"]).status_code == 403
    assert api.get("/stats/overview?format=xml", tokens["owner"]).status_code == 422


# -- a timezone with daylight saving time -----------------------------------------------------------


def test_offset_segments_split_at_the_exact_dst_change():
    period = make_period(first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), tz_name="America/New_York")
    assert offset_segments(period.start, period.end, period.tz_name) == [
        (period.start, -5 * 3600),
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), -4 * 3600),
    ]
    autumn = make_period(first_day=date(2026, 10, 1), last_day=date(2026, 11, 30), tz_name="America/New_York")
    assert offset_segments(autumn.start, autumn.end, autumn.tz_name)[1] == (
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        -5 * 3600,
    )
    shanghai = make_period(first_day=date(2026, 1, 1), last_day=date(2026, 12, 31), tz_name="Asia/Shanghai")
    assert offset_segments(shanghai.start, shanghai.end, shanghai.tz_name) == [(shanghai.start, 8 * 3600)]


def test_series_group_by_local_day_across_a_dst_change(app, api, stores, staff_tokens):
    from app.catalog.services import create_service_item
    from app.common import deferred
    from app.merchant.services import update_settings
    from app.workorders import services, settle

    settled = [
        "2026-03-07 23:30",
        "2026-03-08 01:30",
        "2026-03-08 03:30",
        "2026-03-08 23:30",
        "2026-03-09 00:30",
        "2026-10-31 23:30",
        "2026-11-01 01:30",
        "2026-11-01 23:30",
    ]
    with app.app_context():
        update_settings(changes={"timezone": "America/New_York"})
        wash = create_service_item(data={"name": "Wash", "category": "wash", "price_fen": 1000}).id
        for index, text in enumerate(settled):
            instant = local(text, NEW_YORK)
            order = services.open_work_order(
                actor=None,
                store_id=stores[0],
                plate=f"京A{10000 + index}",
                lines=[{"service_item_id": wash, "quantity": 1}],
                now=instant,
            )
            settle.settle(
                actor=None, work_order_id=order.id, tenders=[{"type": "cash", "amount_fen": 1000}], now=instant
            )
        db.session.commit()
        deferred.run_pending()  # the settles' figures, as a request runs them after answering
        instants = [order.settled_at for order in db.session.scalars(db.select(WorkOrder))]
    owner = staff_tokens["owner"]
    spring = api.get("/stats/timeseries?metric=work_orders&from=2026-03-07&to=2026-03-09", owner).json
    assert spring["timezone"] == "America/New_York"
    assert [point["value"] for point in spring["points"]] == [1, 3, 1]
    autumn = api.get("/stats/timeseries?metric=work_orders&from=2026-10-31&to=2026-11-01", owner).json
    assert [point["value"] for point in autumn["points"]] == [1, 2]
    expected = Counter(local_day(instant, NEW_YORK).isoformat() for instant in instants)
    assert {p["date"]: p["value"] for p in spring["points"] + autumn["points"] if p["value"]} == dict(expected)
    overview = api.get("/stats/overview?from=2026-03-08&to=2026-03-08", owner).json
    assert overview["visits"]["work_orders"] == 3


def test_now_is_the_injected_clock(app, api, shop, tokens):
    assert clock.now() == NOW
    body = api.get("/stats/overview", tokens["owner"]).json
    assert body["generated_at"].startswith("2026-04-02T02:00:00")
