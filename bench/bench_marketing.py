"""Marketing benchmark: segment previews and a full daily scan (every daily job for one day) on
100,000 members.

    python bench/bench_marketing.py [--members 100000] [--runs 3] [--reset [--seed-only] | --reuse]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench_marketing.db (recreated on every run). It is built by the migrations,
then bulk-seeded with INSERTs (executemany, not the API): members with birthdays over the year,
settled work orders over two years (3 per member on average; the members' visit statistics are
theirs), points lots of the last year's orders (a day's worth expiring now), tiers as the last
year's spend earns them (with a few members owed an upgrade and a few automatic tiers over a year
old that their spend no longer earns), tags, one car each (purchase dates and next maintenance
due dates spread over the coming year), wallets for half of them, unused coupons expiring over the
coming month, settled visits of the last ten days, subscribe grants for most members and
tomorrow's bookings. The campaign and the win-back offer come with a coupon. A PostgreSQL
database that already holds members is only wiped with --reset (it drops the public schema);
--reuse times again on what is there, after undoing what the jobs of the last run wrote.
Before timing, last night's member metrics are computed (untimed) and the rewritten tables
vacuumed, so the timed metrics run moves one day's worth of members, as it does every night.

Timed as service calls in an app context:
- segment previews (count + a sample of 10 with their summaries) for a simple and a complex rule set;
- the daily scan: each daily job run through ``run_job`` for one day (metrics, birthdays,
  maintenance, first maintenance, coupon expiry, win-back, follow-ups, booking reminders, points
  expiry, tier review, package-card expiry, campaign sends), first run and rerun (the rerun
  inserts nothing);
- the sender draining up to 2,000 queued messages with the fake WeChat client.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import prepare_database  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

SQLITE_PATH = Path("/tmp/pitstop_bench_marketing.db")
BATCH = 10_000
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DAILY_JOBS = [
    "member_metrics",
    "birthday_greetings",
    "maintenance_reminders",
    "first_maintenance_reminders",
    "coupon_expiry_notices",
    "win_back_offers",
    "service_follow_ups",
    "booking_reminders",
    "points_expiry",
    "tier_review",
    "package_card_expiry",
    "campaign_sends",
]
OTHER_DOMAINS = [
    "points_expiry",
    "tier_review",
    "package_card_expiry",
]  # their work, registered in app/marketing/jobs.py
SIMPLE_RULES = {"all": [{"field": "lifecycle", "op": "in", "value": ["at_risk", "churned"]}]}
COMPLEX_RULES = {
    "all": [
        {"field": "tier_rank", "op": "gte", "value": 1},
        {
            "any": [
                {"field": "tags", "op": "has_any", "value": [1, 3]},
                {"field": "value_class", "op": "eq", "value": "high"},
            ]
        },
        {"field": "last_visit", "op": "within_days", "value": 365},
        {"field": "balance", "op": "gte", "value": 10_000},
        {"field": "vehicle_age", "op": "between", "value": [1, 6]},
        {"field": "unused_coupons", "op": "gte", "value": 1},
        {"field": "store", "op": "in", "value": [1]},
    ]
}


TIER_STEP_FEN = 300_000  # tier rank r needs r x 3,000 yuan over 12 months
YEAR = timedelta(days=365)


def database_url(reset, reuse):
    return prepare_database(SQLITE_PATH, reset=reset, reuse=reuse)


def _plate(i):
    return f"粤{LETTERS[i // 100_000 % len(LETTERS)]}{i % 100_000:05d}"


def _orders(i, rng):
    """(settled_at, paid_fen) of the member's settled work orders over two years (3 on average)."""
    visits = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 6, 9])
    return sorted(
        (
            NOW - timedelta(days=rng.randrange(730), hours=rng.randrange(24), minutes=rng.randrange(60)),
            rng.randrange(5_000, 150_000),
        )
        for _ in range(visits)
    )


def _member_row(i, rng, orders):
    birthday = date(1970 + i % 35, 1, 1) + timedelta(days=rng.randrange(365))
    spend = sum(paid for at, paid in orders if at >= NOW - YEAR)
    rank = min(2, spend // TIER_STEP_FEN)
    if i % 97 == 0:
        rank = 0  # owed an upgrade when their spend earns more
    elif i % 89 == 0:
        rank = 2  # reached automatically over a year ago (see seed): a downgrade when spend fell
    return {
        "id": i,
        "phone": f"139{i:08d}",
        "nickname": f"车主{i}",
        "referral_code": f"M{i:07d}",
        "appid": "wx-bench",
        "openid": f"bench-openid-{i}",
        "source": "wechat",
        "gender": "unknown",
        "birthday": birthday,
        "birthday_month": birthday.month,
        "birthday_day": birthday.day,
        "tier_id": rank + 1,
        "registered_store_id": rng.choice([1, 2]),
        "paid_visit_count": len(orders),
        "total_paid_fen": sum(paid for _, paid in orders),
        "last_paid_visit_at": orders[-1][0] if orders else None,
        "first_paid_visit_at": orders[0][0] if orders else None,
        "created_at": NOW - timedelta(days=900),
    }


def seed(app, members):
    from app.bookings.models import Booking
    from app.catalog.models import ServiceItem
    from app.coupons.models import CouponTemplate, MemberCoupon
    from app.extensions import db
    from app.marketing.models import SubscriptionGrant, Visit
    from app.members.models import Member, MemberTag, Tag, Vehicle
    from app.members.tiers.models import Tier, TierChange
    from app.stores.models import Store
    from app.wallet.models import PointsAccount, PointsLot, Wallet
    from app.workorders.models import WorkOrder

    rng = random.Random(7)
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                insert(Store),
                [{"id": 1, "name": "南山店", "created_at": NOW}, {"id": 2, "name": "福田店", "created_at": NOW}],
            )
            # Tiers follow the last 12 months' spend, except ~1 % owed an upgrade and ~1 % whose
            # automatic tier is over a year old: the review scans everyone and changes those few.
            conn.execute(
                insert(Tier),
                [
                    {
                        "id": rank + 1,
                        "name": f"tier {rank}",
                        "rank": rank,
                        "labor_discount_percent": rank * 5,
                        "min_spend_12m_fen": rank * TIER_STEP_FEN,
                        "created_at": NOW,
                    }
                    for rank in range(3)
                ],
            )
            conn.execute(insert(Tag), [{"id": i, "name": f"tag {i}", "created_at": NOW} for i in range(1, 6)])
            conn.execute(
                insert(ServiceItem),
                [{"id": 1, "name": "保养", "category": "maintenance", "price_fen": 30_000, "created_at": NOW}],
            )
            conn.execute(
                insert(CouponTemplate),
                [
                    {
                        "id": 1,
                        "name": "保养券",
                        "kind": "cash_off",
                        "value_fen": 2_000,
                        "valid_days": 60,
                        "claimable": False,
                        "created_at": NOW,
                    }
                ],
            )
            coupon_id = booking_id = order_id = 0
            for start in range(1, members + 1, BATCH):
                ids = range(start, min(start + BATCH, members + 1))
                orders = {i: _orders(i, rng) for i in ids}
                rows = [_member_row(i, rng, orders[i]) for i in ids]
                conn.execute(insert(Member), rows)
                conn.execute(
                    insert(TierChange),
                    [
                        {
                            "member_id": row["id"],
                            "from_tier_id": 2,
                            "to_tier_id": 3,
                            "reason": "upgrade",
                            "spend_12m_fen": 2 * TIER_STEP_FEN,
                            "created_at": NOW - timedelta(days=400),
                        }
                        for row in rows
                        if row["id"] % 89 == 0 and row["id"] % 97
                    ],
                )
                conn.execute(insert(MemberTag), [{"member_id": i, "tag_id": 1 + i % 5} for i in ids if i % 3])
                conn.execute(
                    insert(Vehicle),
                    [
                        {
                            "id": i,
                            "member_id": i,
                            "plate": _plate(i),
                            "purchase_date": DAY - timedelta(days=rng.randrange(170, 3650)),
                            "last_maintenance_date": DAY - timedelta(days=rng.randrange(30, 200)) if i % 4 else None,
                            "next_maintenance_due_date": DAY + timedelta(days=rng.randrange(-30, 365))
                            if i % 4
                            else None,
                            "created_at": NOW,
                        }
                        for i in ids
                    ],
                )
                work_orders, lots = [], []
                for i in ids:
                    for settled_at, paid in orders[i]:
                        order_id += 1
                        work_orders.append(
                            {
                                "id": order_id,
                                "number": f"B{order_id:09d}",
                                "store_id": 1 + i % 2,
                                "vehicle_id": i,
                                "plate": _plate(i),
                                "member_id": i,
                                "status": "settled",
                                "subtotal_fen": paid,
                                "total_fen": paid,
                                "paid_fen": paid,
                                "points_earned": paid // 100,
                                "settled_at": settled_at,
                                "created_at": settled_at - timedelta(hours=2),
                                "updated_at": settled_at,
                            }
                        )
                        # Lots of the last year (a day's worth falls due at this run); older ones
                        # expired long ago and are left out.
                        if settled_at + YEAR > NOW - timedelta(days=2) and paid >= 100:
                            lots.append(
                                {
                                    "member_id": i,
                                    "earned": paid // 100,
                                    "remaining": paid // 100,
                                    "earned_at": settled_at,
                                    "expires_at": settled_at + YEAR,
                                    "ref_type": "work_order",
                                    "ref_id": order_id,
                                }
                            )
                if work_orders:
                    conn.execute(insert(WorkOrder), work_orders)
                if lots:
                    conn.execute(insert(PointsLot), lots)
                    balances = {}
                    for lot in lots:
                        balances[lot["member_id"]] = balances.get(lot["member_id"], 0) + lot["earned"]
                    conn.execute(
                        insert(PointsAccount),
                        [
                            {"member_id": member_id, "balance": balance, "updated_at": NOW}
                            for member_id, balance in balances.items()
                        ],
                    )
                conn.execute(
                    insert(Wallet),
                    [
                        {
                            "member_id": i,
                            "principal_fen": 20_000 * (i % 7),
                            "bonus_fen": 0,
                            "balance_fen": 20_000 * (i % 7),
                            "updated_at": NOW,
                        }
                        for i in ids
                        if i % 2
                    ],
                )
                coupons = []
                for i in ids:
                    if i % 3 == 0:
                        coupon_id += 1
                        coupons.append(
                            {
                                "id": coupon_id,
                                "code": f"BC{coupon_id:08d}",
                                "template_id": 1,
                                "member_id": i,
                                "seq": 1,
                                "status": "unused",
                                "source": "grant",
                                "valid_from": NOW,
                                "valid_until": NOW + timedelta(days=rng.randrange(1, 30)),
                                "created_at": NOW,
                            }
                        )
                conn.execute(insert(MemberCoupon), coupons)
                conn.execute(
                    insert(SubscriptionGrant),
                    [
                        {
                            "member_id": i,
                            "template_key": key,
                            "remaining": 1 + i % 3,
                            "accepted_total": 1 + i % 3,
                            "updated_at": NOW,
                        }
                        for i in ids
                        if i % 5
                        for key in (
                            "maintenance_due",
                            "birthday_greeting",
                            "win_back_offer",
                            "service_follow_up",
                            "booking_reminder",
                            "coupon_expiring",
                            "campaign",
                        )
                    ],
                )
                conn.execute(
                    insert(Visit),
                    [
                        {
                            "work_order_id": i,
                            "member_id": i,
                            "store_id": 1 + i % 2,
                            "plate": _plate(i),
                            "paid_fen": 30_000,
                            "settled_at": NOW - timedelta(days=i % 10),
                            "settled_on": DAY - timedelta(days=i % 10),
                        }
                        for i in ids
                        if i % 33 == 0
                    ],
                )
                bookings = []
                for i in ids:
                    if i % 500 == 0:
                        booking_id += 1
                        start_at = NOW + timedelta(days=1, minutes=30 * (booking_id % 16))
                        bookings.append(
                            {
                                "id": booking_id,
                                "store_id": 1,
                                "member_id": i,
                                "vehicle_id": i,
                                "service_item_id": 1,
                                "plate": _plate(i),
                                "start_at": start_at,
                                "end_at": start_at + timedelta(minutes=30),
                                "status": "booked",
                                "created_at": NOW,
                                "updated_at": NOW,
                            }
                        )
                if bookings:
                    conn.execute(insert(Booking), bookings)
            if conn.dialect.name == "postgresql":
                for table in (
                    "members",
                    "vehicles",
                    "member_coupons",
                    "bookings",
                    "stores",
                    "tiers",
                    "tags",
                    "service_items",
                    "coupon_templates",
                    "work_orders",
                    "points_lots",
                    "tier_changes",
                ):
                    conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                    )
                conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


# What the jobs of a run wrote, undone so that --reuse times a first run again.
UNDO_RUN = [
    "DELETE FROM coupon_events WHERE member_coupon_id IN (SELECT id FROM member_coupons WHERE source <> 'grant')",
    "DELETE FROM member_coupons WHERE source <> 'grant'",
    "UPDATE coupon_templates SET issued_count = 0",
    "DELETE FROM marketing_follow_ups",
    "DELETE FROM marketing_messages",
    "DELETE FROM marketing_campaigns",
    "DELETE FROM marketing_segments",
    "UPDATE members SET tier_id = (SELECT c.from_tier_id FROM tier_changes c WHERE c.member_id = members.id"
    "  AND c.reason LIKE 'review_%%' ORDER BY c.id LIMIT 1)"
    " WHERE id IN (SELECT member_id FROM tier_changes WHERE reason LIKE 'review_%%')",
    "DELETE FROM tier_changes WHERE reason LIKE 'review_%%'",
    "UPDATE points_lots SET remaining = earned, expired_at = NULL WHERE expired_at IS NOT NULL",
    "UPDATE points_accounts SET balance = balance - (SELECT coalesce(sum(e.points), 0) FROM points_entries e"
    "  WHERE e.member_id = points_accounts.member_id AND e.kind = 'expiry')"
    " WHERE member_id IN (SELECT member_id FROM points_entries WHERE kind = 'expiry')",
    "DELETE FROM points_entries WHERE kind = 'expiry'",
]
VACUUMED = (
    "members",
    "member_coupons",
    "coupon_events",
    "marketing_messages",
    "marketing_follow_ups",
    "tier_changes",
    "points_lots",
    "points_accounts",
    "points_entries",
)


def previous_night(app):
    """The state a daily scan starts from: last night's metrics run (untimed), then the tables the
    runs rewrite vacuumed, as autovacuum would have between two nights."""
    from app.extensions import db
    from app.members.metrics import recompute_member_metrics

    started = time.perf_counter()
    with app.app_context():
        recompute_member_metrics(now=NOW - timedelta(days=1))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in VACUUMED:
                    conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - started


def undo_last_run(app):
    from app.extensions import db

    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in UNDO_RUN:
                conn.execute(text(statement.replace("%%", "%")))
    return time.perf_counter() - started


def timed(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the seeded DATABASE_URL, undo the last run's job output and time again",
    )
    parser.add_argument("--seed-only", action="store_true", help="seed and stop (time later with --reuse)")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.common import clock
    from app.common.jobs import run_job
    from app.extensions import db
    from app.marketing.campaigns import create_campaign
    from app.marketing.segments import create_segment, preview_rules
    from app.marketing.sender import send_outbox
    from app.marketing.settings_services import update_marketing_settings

    url = database_url(args.reset, args.reuse)
    app = create_app(
        "production" if os.environ.get("PITSTOP_ENV") == "production" else "development",
        {"SQLALCHEMY_DATABASE_URI": url, "WECHAT_MODE": "fake", "MARKETING_SEND_PER_RUN": 2_000},
    )
    with app.app_context():
        upgrade()
    if args.reuse:
        undone = undo_last_run(app)
        with app.app_context():
            members = db.session.scalar(text("SELECT count(*) FROM members"))
        prepared = f"reused (last run undone in {undone:.1f} s)"
    else:
        members = args.members
        prepared = f"seeded in {seed(app, members):.1f} s"
    if args.seed_only:
        print(f"members: {members:,}  {prepared}")
        return
    prepared += f", last night's metrics in {previous_night(app):.1f} s"
    clock.set_now(NOW)
    print(
        f"database: {url.split('@')[-1]}  members: {members:,}  {prepared}  "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )

    with app.app_context():
        update_marketing_settings(
            changes={
                "birthday_coupons": {"default": 1},
                "birthday_call_min_tier_rank": 2,
                "win_back_coupon_template_id": 1,
            }
        )
        segment = create_segment(
            name="bench: high value, active",
            rules={
                "all": [
                    {"field": "value_class", "op": "eq", "value": "high"},
                    {"field": "lifecycle", "op": "eq", "value": "active"},
                ]
            },
        )
        create_campaign(
            name="bench",
            segment_id=segment.id,
            send_at=NOW - timedelta(hours=12),
            coupon_template_id=1,
            message={
                "template_key": "campaign",
                "fields": {"thing1": "{nickname}的爱车{plate}", "thing2": "您有一项车主权益待查看"},
            },
        )
        db.session.commit()

    print("\ndaily scan (run_job per job, one day):")
    first = {}
    for name in DAILY_JOBS:
        with app.app_context():
            first[name], result = timed(lambda: run_job(name, day=DAY))
        print(f"  {name:<28} {first[name] * 1000:9.1f} ms  {result}")
    rerun = {}
    for name in DAILY_JOBS:
        with app.app_context():
            rerun[name] = timed(lambda: run_job(name, day=DAY))[0]
    own = [name for name in DAILY_JOBS if name not in OTHER_DOMAINS]
    for label, names in (
        ("marketing's jobs", own),
        ("other domains' jobs", OTHER_DOMAINS),
        ("all daily jobs", DAILY_JOBS),
    ):
        print(
            f"  {'TOTAL ' + label:<34} first run {sum(first[n] for n in names) * 1000:9.1f} ms   "
            f"rerun (nothing new) {sum(rerun[n] for n in names) * 1000:9.1f} ms"
        )

    print("\nsegment preview (count + sample of 10 with summaries):")
    for label, rules in (("simple: lifecycle at_risk/churned", SIMPLE_RULES), ("complex: 7 conditions", COMPLEX_RULES)):
        samples = []
        for _ in range(args.runs):
            with app.app_context():
                elapsed, result = timed(lambda: preview_rules(rules, now=NOW))
            samples.append(elapsed)
        print(
            f"  {label:<36} median {statistics.median(samples) * 1000:8.1f} ms  "
            f"max {max(samples) * 1000:8.1f} ms  count {result['count']:,}"
        )

    with app.app_context():
        elapsed, result = timed(lambda: send_outbox(now=NOW + timedelta(hours=12)))
        db.session.commit()
    handled = sum(result.values())
    print(
        f"\nsender (fake WeChat): {handled:,} messages in {elapsed:.2f} s "
        f"({handled / elapsed if elapsed else 0:,.0f}/s)  {result}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
