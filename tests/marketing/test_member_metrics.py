"""Member metrics: kept current by the settle and refund events, recomputed in bulk by the daily
job, and both ways agree."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.marketing.models import Visit
from app.members import metrics
from app.members.models import Member, MemberMetricCuts
from tests.marketing.helpers import local

D = date(2026, 3, 10)


def _member(app, member_id):
    with app.app_context():
        return db.session.get(Member, member_id)


def _post(api, token, path, body, status=201):
    response = api.post(path, token, json=body)
    assert response.status_code == status, response.json
    return response.json


def test_settle_and_refund_keep_a_members_metrics_current(app, api, member_login, staff_tokens, stores):
    clock.set_now(local(D, 10))
    token, alice = member_login("alice")
    _post(api, token, "/me/vehicles", {"plate": "粤B12345"})
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    wash = _post(api, owner, "/service-items", {"name": "精洗", "category": "wash", "price_fen": 10000})

    def visit(price_fen):
        order = _post(
            api,
            cashier,
            "/work-orders",
            {"store_id": stores[0], "plate": "粤B12345", "lines": [{"service_item_id": wash["id"], "quantity": 1}]},
        )
        settled = api.post(
            f"/work-orders/{order['id']}/settle", cashier, json={"tenders": [{"type": "cash", "amount_fen": price_fen}]}
        )
        assert settled.status_code == 200, settled.json
        return order["id"]

    first = visit(10000)
    member = _member(app, alice["id"])
    assert (member.average_ticket_fen, member.mean_visit_interval_days, member.lifecycle) == (10000, None, "active")
    assert member.value_class == "low"  # no population cut yet: a visitor starts low
    clock.set_now(local(D + timedelta(days=30), 10))
    assert api.patch(f"/service-items/{wash['id']}", owner, json={"price_fen": 20000}).status_code == 200
    second = visit(20000)
    member = _member(app, alice["id"])
    assert (member.paid_visit_count, member.average_ticket_fen, member.mean_visit_interval_days) == (2, 15000, 30)
    with app.app_context():
        visits = db.session.scalars(select(Visit).order_by(Visit.work_order_id)).all()
        assert [(v.work_order_id, v.store_id, v.plate, v.settled_on) for v in visits] == [
            (first, stores[0], "粤B12345", D),
            (second, stores[0], "粤B12345", D + timedelta(days=30)),
        ]

    refunded = api.post(f"/work-orders/{second}/refund", owner, json={"reason": "返工"})
    assert refunded.status_code == 200, refunded.json
    member = _member(app, alice["id"])
    assert (member.paid_visit_count, member.average_ticket_fen, member.mean_visit_interval_days) == (1, 10000, None)
    with app.app_context():
        assert db.session.get(Visit, second).refunded_at is not None


def test_bulk_recompute_cuts_value_classes_by_percentile(app, seed, run):
    now = local(D, 2)
    ranked = []
    for index in range(10):  # member i is better than member i-1 on all three factors
        visits = index + 2
        ranked.append(
            seed.member(
                f"v{index}",
                visits=visits,
                total_paid_fen=(index + 1) * 10000 * visits,
                first_visit=now - timedelta(days=(100 - index * 5) * (visits - 1)),
                last_visit=now - timedelta(days=1),
            )
        )
    never = seed.member("never")
    result = run("member_metrics", D)
    assert result["figures_changed"] == 10  # the member who never visited keeps 0 and no interval

    classes = [_member(app, member_id).value_class for member_id in ranked]
    assert classes == ["low"] * 5 + ["medium"] * 3 + ["high"] * 2
    assert _member(app, never).value_class == "none" and _member(app, never).lifecycle == "new"
    best = _member(app, ranked[-1])
    assert (best.average_ticket_fen, best.mean_visit_interval_days, best.lifecycle) == (100000, 55, "active")

    with app.app_context():
        cuts = db.session.get(MemberMetricCuts, 1).cuts
    place = lambda ticket, visits, interval: metrics.value_class_from_cuts(  # noqa: E731
        average_ticket_fen=ticket, paid_visit_count=visits, mean_visit_interval_days=interval, cuts=cuts
    )
    assert place(200000, 20, 10) == "high"
    assert place(5000, 1, None) == "low"
    assert place(0, 0, None) == "none"
    again = run("member_metrics", D)  # nothing moved: nothing rewritten
    assert (again["figures_changed"], again["lifecycle_changed"], again["value_class_changed"]) == (0, 0, 0)


def test_lifecycles_move_with_time_in_the_daily_refresh(app, seed, run):
    now = local(D, 2)
    member_id = seed.member("regular", last_visit=now - timedelta(days=100))
    run("member_metrics", D)
    assert _member(app, member_id).lifecycle == "active"
    assert run("member_metrics", D + timedelta(days=83))["lifecycle_changed"] == 1
    assert _member(app, member_id).lifecycle == "at_risk"
    assert run("member_metrics", D + timedelta(days=84))["lifecycle_changed"] == 0
    run("member_metrics", D + timedelta(days=300))
    assert _member(app, member_id).lifecycle == "churned"


def test_bulk_and_single_member_computations_agree(app, seed):
    now = local(D, 2)
    ids = []
    for index, (visits, span_hours, total) in enumerate(
        [(1, 0, 999), (2, 37, 1001), (3, 1000, 30000), (7, 24 * 365, 77777), (2, 12, 5)]
    ):
        ids.append(
            seed.member(
                f"a{index}",
                visits=visits,
                total_paid_fen=total,
                first_visit=now - timedelta(days=200, hours=span_hours),
                last_visit=now - timedelta(days=200),
            )
        )
    with app.app_context():
        metrics.recompute_member_metrics(now=now)
        db.session.commit()
        bulk = {
            m.id: (m.average_ticket_fen, m.mean_visit_interval_days, m.lifecycle)
            for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))
        }
        single = {}
        for member_id in ids:
            m = metrics.refresh_member(member_id=member_id, now=now)
            single[member_id] = (m.average_ticket_fen, m.mean_visit_interval_days, m.lifecycle)
        db.session.rollback()
    assert bulk == single
    assert bulk[ids[1]] == (500, 2, "at_risk")  # 37 h over one interval rounds to 2 days
    assert bulk[ids[3]][1] == 61  # 365 days over 6 intervals


def _reference_classes(rows):
    """The value classes by the rule as documented, percent ranks counted row by row: (rank - 1) /
    (rows - 1) among members with a paid visit who were not merged away, ties sharing the rank."""
    counted = [row for row in rows if row["visits"] > 0 and row["merged_into_id"] is None]

    def percent_rank(row, key):
        below = sum(1 for other in counted if key(other) < key(row))
        return below / (len(counted) - 1) if len(counted) > 1 else 0.0

    factors = (
        lambda row: row["ticket"],
        lambda row: row["visits"],
        lambda row: metrics.NO_INTERVAL if row["interval"] is None else -row["interval"],
    )
    scores = {
        row["id"]: (percent_rank(row, factors[0]) + percent_rank(row, factors[1]) + percent_rank(row, factors[2])) / 3.0
        for row in counted
    }
    classes = {row["id"]: "none" for row in rows}
    for row in counted:
        share = percent_rank(row, lambda other: scores[other["id"]])
        classes[row["id"]] = "high" if share >= 0.8 else "medium" if share >= 0.5 else "low"
    return classes, scores


def test_bulk_value_classes_follow_the_percentile_rule_with_ties_and_merged_members(app, seed, run):
    now = local(D, 2)
    # Shared tickets, visit counts and intervals (ties), one-visit members (no interval), a member
    # merged into another (kept out of the ranking) and one who never visited.
    shapes = [(1, 5000), (1, 5000), (2, 12000), (2, 12000), (3, 30000), (3, 45000), (4, 40000), (5, 50000)]
    shapes += [(2, 9000), (6, 120000), (3, 30000), (1, 20000)]
    ids = [
        seed.member(
            f"t{index}",
            visits=visits,
            total_paid_fen=total,
            first_visit=now - timedelta(days=40 * visits + index % 3),
            last_visit=now - timedelta(days=10 + index % 3),
        )
        for index, (visits, total) in enumerate(shapes)
    ]
    never = seed.member("never")
    with app.app_context():
        db.session.get(Member, ids[-1]).merged_into_id = ids[0]
        db.session.commit()
    run("member_metrics", D)

    with app.app_context():
        members = db.session.scalars(select(Member).where(Member.id.in_([*ids, never]))).all()
        rows = [
            {
                "id": m.id,
                "ticket": m.average_ticket_fen,
                "visits": m.paid_visit_count,
                "interval": m.mean_visit_interval_days,
                "merged_into_id": m.merged_into_id,
            }
            for m in members
        ]
        stored = {m.id: m.value_class for m in members}
        cuts = db.session.get(MemberMetricCuts, 1).cuts
    expected, scores = _reference_classes(rows)
    assert stored == expected
    assert stored[never] == "none" and stored[ids[-1]] == "none"
    assert {"high", "medium", "low"} <= set(stored.values())
    # The stored score cuts are the lowest scores of the high and medium classes.
    assert cuts["high"] == pytest.approx(min(scores[i] for i, c in expected.items() if c == "high"))
    assert cuts["medium"] == pytest.approx(min(scores[i] for i, c in expected.items() if c in ("high", "medium")))


def _ntile_lower_bounds(values, buckets=100):
    """ntile(buckets) over the sorted values, by the standard's definition: the first (rows mod
    buckets) buckets hold one row more; each bucket's least value."""
    ordered = sorted(values)
    size, larger = divmod(len(ordered), buckets)
    sizes = [1] * len(ordered) if size == 0 else [size + 1] * larger + [size] * (buckets - larger)
    bounds, start = [], 0
    for rows in sizes:
        bounds.append(ordered[start])
        start += rows
    return bounds


def test_bulk_run_stores_the_percentile_bucket_bounds_of_each_factor(app, seed, run):
    now = local(D, 2)
    for index in range(130):  # 130 members: 30 buckets of two, 70 of one; repeated values across buckets
        visits = 1 + index % 7
        seed.member(
            f"q{index}",
            visits=visits,
            total_paid_fen=visits * (1000 + (index * 37) % 50 * 100),
            first_visit=now - timedelta(days=30 * visits + index % 11),
            last_visit=now - timedelta(days=5),
        )
    seed.member("never")
    run("member_metrics", D)
    with app.app_context():
        counted = db.session.scalars(select(Member).where(Member.paid_visit_count > 0)).all()
        cuts = db.session.get(MemberMetricCuts, 1).cuts
    assert cuts["ticket"] == _ntile_lower_bounds([m.average_ticket_fen for m in counted])
    assert cuts["visits"] == _ntile_lower_bounds([m.paid_visit_count for m in counted])
    interval_keys = [
        metrics.NO_INTERVAL if m.mean_visit_interval_days is None else -m.mean_visit_interval_days for m in counted
    ]
    assert cuts["interval"] == _ntile_lower_bounds(interval_keys)
    assert len(cuts["ticket"]) == 100
