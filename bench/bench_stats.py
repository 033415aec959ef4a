"""Stats benchmark: the owner's overview on 100,000 members and 300,000 work orders.

    python bench/bench_stats.py [--members 100000] [--orders 300000] [--runs 5] [--reset] [--reuse]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench_stats.db (recreated on every run). It is built by the migrations, then
bulk-seeded with INSERTs (executemany, not the API) over the two years before now: members in
three tiers with their visit statistics, one car each plus walk-in cars, work orders (mostly settled,
some refunded, open or cancelled) with one or two lines and one or two tenders each, wallets with
their top-up entries, points lots, package cards, member coupons (some used), campaigns with their
outbox rows, follow-up outcomes and referrals. A PostgreSQL database that already holds members is
only wiped with --reset (it drops the public schema); --reuse times an already seeded database again
(PostgreSQL is vacuumed and analysed after seeding, as autovacuum would, so index-only scans apply).
The stats rollups (app/stats/rollup.py) are rebuilt from the inserted orders, as `flask seed-bench` does.

Timed through the Flask test client (a whole request: auth, query parsing, every figure, JSON or CSV):
the overview for the last 30 days, the last 12 months, one store's last 30 days, the CSV overview,
a 12-month daily revenue series and the top 50 members. Prints the median and the slowest run.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import prepare_database  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

SQLITE_PATH = Path("/tmp/pitstop_bench_stats.db")
BATCH = 10_000
DAYS = 730
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
TENDERS = ("cash", "wechat", "alipay", "card", "stored_value", "points", "coupon", "package_card")


def database_url(reset, reuse=False):
    return prepare_database(SQLITE_PATH, reset=reset, reuse=reuse)


def plate(index):
    return f"粤{LETTERS[index // 100_000]}{index % 100_000:05d}"


def batched(conn, table, rows):
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start : start + BATCH])


def _catalog_and_rules(conn, now):
    from app.cards.models import PackageCardTemplate
    from app.catalog.models import Part, ServiceItem
    from app.coupons.models import CouponTemplate
    from app.marketing.models import Segment
    from app.members.tiers.models import Tier

    batched(
        conn,
        Tier,
        [
            {"id": 1, "name": "银卡", "rank": 1, "labor_discount_percent": 5, "created_at": now},
            {"id": 2, "name": "金卡", "rank": 2, "labor_discount_percent": 10, "created_at": now},
            {"id": 3, "name": "钻石卡", "rank": 3, "labor_discount_percent": 15, "created_at": now},
        ],
    )
    items = [
        ("洗车", "wash", 5000),
        ("保养", "maintenance", 30000),
        ("钣金", "repair", 80000),
        ("镀晶", "beauty", 60000),
        ("检测", "other", 10000),
    ]
    batched(
        conn,
        ServiceItem,
        [
            {"id": i + 1, "name": name, "category": category, "price_fen": price, "created_at": now}
            for i, (name, category, price) in enumerate(items)
        ],
    )
    batched(
        conn, Part, [{"id": 1, "name": "机油", "sku": "OIL", "price_fen": 30000, "stock": 10**6, "created_at": now}]
    )
    batched(
        conn,
        PackageCardTemplate,
        [{"id": 1, "name": "洗车十次卡", "price_fen": 40000, "valid_days": 365, "created_at": now}],
    )
    batched(
        conn,
        CouponTemplate,
        [
            {
                "id": 1,
                "name": "回店券",
                "kind": "cash_off",
                "value_fen": 2000,
                "valid_days": 30,
                "threshold_fen": 0,
                "issued_count": 0,
                "claimable": False,
                "created_at": now,
            }
        ],
    )
    batched(conn, Segment, [{"id": 1, "name": "everyone", "rules": {"all": []}, "created_at": now}])
    return items


def seed(app, members, orders, store_ids):
    from app.cards.models import PackageCard, PackageCardItem
    from app.common import clock
    from app.coupons.models import MemberCoupon
    from app.extensions import db
    from app.marketing.models import Campaign, FollowUp, Message
    from app.members.models import Member, Vehicle
    from app.referrals.models import Referral
    from app.wallet.models import PointsAccount, PointsLot, Wallet, WalletEntry
    from app.workorders.models import WorkOrder, WorkOrderLine, WorkOrderPayment

    rng = random.Random(11)
    now = clock.now()
    ago = lambda days: now - timedelta(days=days, seconds=rng.randint(0, 86_399))  # noqa: E731
    started = time.perf_counter()
    with app.app_context(), db.engine.begin() as conn:
        items = _catalog_and_rules(conn, now)
        walk_ins = max(members // 10, 1)
        member_rows = [
            {
                "id": i,
                "phone": f"139{i:08d}",
                "nickname": f"会员{i}",
                "referral_code": f"S{i:07d}",
                "source": "counter",
                "gender": "unknown",
                "tier_id": rng.choice((None, None, 1, 1, 2, 3)),
                "paid_visit_count": 0,
                "total_paid_fen": 0,
                "average_ticket_fen": 0,
                "lifecycle": "new",
                "first_paid_visit_at": None,
                "last_paid_visit_at": None,
                "value_class": rng.choice(("none", "low", "medium", "high")),
                "created_at": ago(rng.randint(0, DAYS)),
            }
            for i in range(1, members + 1)
        ]
        vehicles = [
            {"id": i, "member_id": i if i <= members else None, "plate": plate(i), "created_at": now}
            for i in range(1, members + walk_ins + 1)
        ]
        order_rows, lines, payments = [], [], []
        for n in range(1, orders + 1):
            vehicle_id = rng.randint(1, members + walk_ins)
            member_id = vehicle_id if vehicle_id <= members else None
            status = rng.choices(("settled", "refunded", "open", "cancelled"), (93, 2, 3, 2))[0]
            created = ago(rng.randint(0, DAYS))
            name, category, price = rng.choice(items)
            quantity = rng.randint(1, 2)
            total = price * quantity + (30000 if category == "maintenance" else 0)
            lines.append(
                {
                    "work_order_id": n,
                    "kind": "labor",
                    "service_item_id": items.index((name, category, price)) + 1,
                    "part_id": None,
                    "name": name,
                    "category": category,
                    "quantity": quantity,
                    "unit_price_fen": price,
                    "discount_percent": 0,
                    "unit_net_fen": price,
                    "created_at": created,
                }
            )
            if category == "maintenance":
                lines.append(
                    {
                        "work_order_id": n,
                        "kind": "part",
                        "part_id": 1,
                        "service_item_id": None,
                        "name": "机油",
                        "category": "part",
                        "quantity": 1,
                        "unit_price_fen": 30000,
                        "discount_percent": 0,
                        "unit_net_fen": 30000,
                        "created_at": created,
                    }
                )
            tenders = [rng.choice(TENDERS if member_id else TENDERS[:4])]
            if rng.random() < 0.3:
                tenders.append("cash")
            paid = 0
            if status in ("settled", "refunded"):
                first = total if len(tenders) == 1 else total // 2
                for tender, amount in zip(tenders, (first, total - first), strict=False):
                    payments.append(
                        {
                            "work_order_id": n,
                            "type": tender,
                            "amount_fen": amount,
                            "status": "posted",
                            "ref_type": "work_order",
                            "ref_id": n,
                            "created_at": created,
                        }
                    )
                    paid += amount if tender in TENDERS[:5] else 0
            order_rows.append(
                {
                    "id": n,
                    "number": f"B-{n:07d}",
                    "store_id": rng.choice(store_ids),
                    "vehicle_id": vehicle_id,
                    "plate": plate(vehicle_id),
                    "member_id": member_id,
                    "status": status,
                    "subtotal_fen": total,
                    "discount_fen": 0,
                    "total_fen": total,
                    "paid_fen": paid,
                    "points_earned": 0,
                    "settled_at": created if status in ("settled", "refunded") else None,
                    "refunded_at": created + timedelta(days=1) if status == "refunded" else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if status == "settled" and member_id:
                member = member_rows[member_id - 1]
                member["paid_visit_count"] += 1
                member["total_paid_fen"] += paid
                member["last_paid_visit_at"] = max(member.get("last_paid_visit_at") or created, created)
                member["first_paid_visit_at"] = min(member.get("first_paid_visit_at") or created, created)
        batched(conn, Member, member_rows)
        batched(conn, Vehicle, vehicles)
        batched(conn, WorkOrder, order_rows)
        batched(conn, WorkOrderLine, lines)
        batched(conn, WorkOrderPayment, payments)
        holders = rng.sample(range(1, members + 1), members * 3 // 10)
        batched(
            conn,
            WalletEntry,
            [
                {
                    "member_id": i,
                    "kind": "topup",
                    "amount_fen": 120000,
                    "principal_fen": 100000,
                    "bonus_fen": 20000,
                    "balance_after_fen": 120000,
                    "paid_via": "wechat",
                    "created_at": ago(rng.randint(0, DAYS)),
                }
                for i in holders
            ],
        )
        batched(
            conn,
            Wallet,
            [
                {"member_id": i, "principal_fen": 100000, "bonus_fen": 20000, "balance_fen": 120000, "updated_at": now}
                for i in holders
            ],
        )
        earners = rng.sample(range(1, members + 1), members // 2)
        batched(
            conn,
            PointsLot,
            [
                {
                    "member_id": i,
                    "earned": 500,
                    "remaining": 500,
                    "earned_at": ago(300),
                    "expires_at": now + timedelta(days=rng.randint(-30, 400)),
                }
                for i in earners
            ],
        )
        batched(conn, PointsAccount, [{"member_id": i, "balance": 500, "updated_at": now} for i in earners])
        card_holders = rng.sample(range(1, members + 1), members // 10)
        batched(
            conn,
            PackageCard,
            [
                {
                    "id": n,
                    "member_id": i,
                    "template_id": 1,
                    "name": "洗车十次卡",
                    "price_fen": 40000,
                    "paid_via": "cash",
                    "store_id": rng.choice(store_ids),
                    "created_at": ago(200),
                    "expires_at": now + timedelta(days=rng.randint(-100, 165)),
                }
                for n, i in enumerate(card_holders, start=1)
            ],
        )
        batched(
            conn,
            PackageCardItem,
            [
                {"card_id": n, "service_item_id": 1, "initial_count": 10, "remaining": rng.randint(0, 10)}
                for n in range(1, len(card_holders) + 1)
            ],
        )
        campaigns = 10
        batched(
            conn,
            Campaign,
            [
                {
                    "id": c,
                    "name": f"活动{c}",
                    "segment_id": 1,
                    "coupon_template_id": 1,
                    "template_key": "campaign",
                    "fields": {"thing1": "会员福利"},
                    "send_at": ago(c * 30),
                    "status": "sent",
                    "audience": 2000,
                    "coupons_issued": 2000,
                    "launched_at": ago(c * 30),
                    "created_at": ago(c * 30),
                }
                for c in range(1, campaigns + 1)
            ],
        )
        audience = [
            (c, i) for c in range(1, campaigns + 1) for i in rng.sample(range(1, members + 1), min(2000, members))
        ]
        batched(
            conn,
            Message,
            [
                {
                    "member_id": i,
                    "kind": "campaign",
                    "template_key": "campaign",
                    "dedupe_key": f"campaign:{c}:{i}",
                    "status": rng.choice(("sent", "skipped_no_grant")),
                    "attempts": 1,
                    "campaign_id": c,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for c, i in audience
            ],
        )
        batched(
            conn,
            MemberCoupon,
            [
                {
                    "code": f"C{n:09d}",
                    "template_id": 1,
                    "member_id": i,
                    "seq": c,
                    "status": "used" if n % 4 == 0 else "unused",
                    "source": "campaign",
                    "ref_type": "campaign",
                    "ref_id": c,
                    "valid_from": ago(c * 30),
                    "valid_until": now + timedelta(days=30),
                    "created_at": ago(c * 30),
                    "used_at": ago(rng.randint(0, 29)) if n % 4 == 0 else None,
                }
                for n, (c, i) in enumerate(audience, start=1)
            ],
        )
        batched(
            conn,
            FollowUp,
            [
                {
                    "member_id": rng.randint(1, members),
                    "kind": "win_back",
                    "reason": "no_grant",
                    "dedupe_key": f"bench:{n}",
                    "store_id": rng.choice(store_ids),
                    "due_date": ago(n % 365).date(),
                    "status": "done",
                    "result": rng.choice(("reached", "booked", "no_answer", "lost")),
                    "churn_reason": None if n % 5 else "price",
                    "handled_at": ago(n % 365),
                    "created_at": ago(n % 365),
                }
                for n in range(1, members // 5 + 1)
            ],
        )
        referred = rng.sample(range(2, members + 1), members // 20)
        batched(
            conn,
            Referral,
            [
                {
                    "referrer_id": i - 1,
                    "referred_id": i,
                    "code": f"S{i - 1:07d}",
                    "status": rng.choice(("pending", "converted")),
                    "created_at": ago(rng.randint(0, DAYS)),
                }
                for i in referred
            ],
        )
        if conn.dialect.name == "postgresql":
            for table in (
                "members",
                "vehicles",
                "work_orders",
                "tiers",
                "service_items",
                "parts",
                "package_cards",
                "package_card_templates",
                "coupon_templates",
                "marketing_segments",
                "marketing_campaigns",
            ):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    with app.app_context():  # the overview's rollups, from the orders inserted above
        from app.stats.rollup import rebuild_daily_rollups

        rebuild_daily_rollups()
        db.session.commit()
    if db_dialect(app) == "postgresql":
        with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def db_dialect(app):
    from app.extensions import db

    with app.app_context():
        return db.engine.dialect.name


def owner_token(app, client, store_ids):
    from app.extensions import db
    from app.stores.models import Staff
    from app.stores.services import create_staff

    with app.app_context():
        if db.session.scalar(db.select(Staff.id).where(Staff.username == "bench-owner")) is None:
            create_staff(username="bench-owner", password="bench-password", role="owner", store_ids=store_ids)
            db.session.commit()
    response = client.post("/api/v1/auth/staff/login", json={"username": "bench-owner", "password": "bench-password"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    parser.add_argument("--reuse", action="store_true", help="time the database seeded by an earlier run")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.common import clock
    from app.extensions import db
    from app.members.models import Member
    from app.stores.models import Store
    from app.stores.services import create_store
    from app.workorders.models import WorkOrder

    url = database_url(args.reset, args.reuse)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    if args.reuse:
        with app.app_context():
            store_ids = db.session.scalars(db.select(Store.id).order_by(Store.id)).all()
            counts = [db.session.scalar(db.select(db.func.count()).select_from(model)) for model in (Member, WorkOrder)]
        print(f"database: {db_dialect(app)}; reusing {counts[0]:,} members and {counts[1]:,} work orders")
    else:
        with app.app_context():
            upgrade()
            store_ids = [create_store(name="南山店").id, create_store(name="福田店").id]
            db.session.commit()
        seconds = seed(app, args.members, args.orders, store_ids)
        print(
            f"database: {db_dialect(app)}; seeded {args.members:,} members and {args.orders:,} work orders "
            f"(with lines, tenders, ledgers, coupons, campaigns) in {seconds:.1f} s"
        )

    client = app.test_client()
    headers = {"Authorization": f"Bearer {owner_token(app, client, store_ids)}"}
    today = clock.local_today("Asia/Shanghai")
    month_ago, year_ago = today - timedelta(days=29), today - timedelta(days=364)
    cases = [
        ("overview, last 30 days", f"/stats/overview?from={month_ago}&to={today}"),
        ("overview, last 12 months", f"/stats/overview?from={year_ago}&to={today}"),
        ("overview, one store, 30 days", f"/stats/overview?from={month_ago}&to={today}&store_id={store_ids[0]}"),
        ("overview as CSV, 30 days", f"/stats/overview?from={month_ago}&to={today}&format=csv"),
        ("daily revenue, 12 months", f"/stats/timeseries?metric=revenue_fen&from={year_ago}&to={today}"),
        ("top 50 members, 12 months", f"/stats/top-members?from={year_ago}&to={today}&limit=50"),
    ]
    for name, path in cases:
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(f"/api/v1{path}", headers=headers)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        print(
            f"{name:<30} median={statistics.median(samples) * 1000:8.1f} ms  max={max(samples) * 1000:8.1f} ms"
            f"  (n={args.runs})"
        )
    with app.app_context():
        figures = client.get(f"/api/v1/stats/overview?from={month_ago}&to={today}", headers=headers).get_json()
        print(
            f"last 30 days: {figures['visits']['work_orders']:,} work orders, "
            f"{figures['revenue']['total_fen'] / 100:,.2f} yuan; members {figures['members']['total']:,}"
        )
        db.engine.dispose()


if __name__ == "__main__":
    main()
