"""Counter benchmark: plate lookup, quote and settle (plus segment previews and the owner's overview)
on a realistic database of 100,000 members (1,000,000 on PostgreSQL for the targets).

    python bench/bench_counter.py [--members 100000] [--samples 200] [--reset] [--reuse] [--profile]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench.db (recreated on every run). It is built by the migrations, then
seeded with bulk INSERTs (executemany, not the API), streamed in batches of 10,000 members:
three stores, three tiers, a small catalog; members over two years (tiers, visit statistics that
match their orders, lifecycle and value class), one or two cars each (plates by province, city
letter and five characters mostly digits) plus walk-in cars, about three work orders per member
(mostly settled, some refunded, open or cancelled; one or two lines, one or two tenders), wallets
with their top-up entries for four in ten, points for those who visited, and coupons (unused, used
and expired). A PostgreSQL database that already holds members is only wiped with --reset (it
drops the public schema); --reuse times an already seeded database again. PostgreSQL is vacuumed
and analysed after seeding, as autovacuum would.

Measured through the Flask test client, so each sample is a whole request (auth, schema, service,
commit, JSON):
- ``GET /api/v1/vehicles?plate=<fragment>``: the last 3, 4 or 5 characters of a plate, or all of it;
- ``POST /api/v1/work-orders/{id}/quote`` with points, a coupon (when the member holds one) and
  stored value, then ``POST .../settle`` with those tenders and cash for the rest, on orders of a
  labor line and a part opened beforehand (not timed);
- segment previews (bench_marketing's simple and complex rules) and the overview for the last 30 days
  and the last 12 months, a few runs each.
Prints p50 / p95 (or median / max) in milliseconds. --profile prints each SQL statement of one
sample per request with its time.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import prepare_database  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

SQLITE_PATH = Path("/tmp/pitstop_bench.db")
BATCH = 10_000
DAYS = 730
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PROVINCES = "粤" * 14 + "湘赣桂闽琼"  # a chain in Guangdong: most cars local, some from neighbouring provinces
STATUSES = ("settled", "refunded", "open", "cancelled")
TENDERS = ("cash", "wechat", "alipay", "card", "stored_value", "points", "coupon")
ITEMS = [
    ("洗车", "wash", 5_000, None),
    ("保养", "maintenance", 30_000, 6),
    ("钣金", "repair", 80_000, None),
    ("镀晶", "beauty", 60_000, None),
    ("检测", "other", 10_000, None),
]


def database_url(reset, reuse):
    return prepare_database(SQLITE_PATH, reset=reset, reuse=reuse)


def make_plate(rng, taken):
    while True:
        tail = "".join(rng.choice(PLATE_LETTERS) if rng.random() < 0.12 else str(rng.randrange(10)) for _ in range(5))
        plate = f"{rng.choice(PROVINCES)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWX'[:8])}{tail}"
        if plate not in taken:
            taken.add(plate)
            return plate


def _reference_rows(conn, now):
    from app.catalog.models import Part, ServiceItem
    from app.coupons.models import CouponTemplate
    from app.members.tiers.models import Tier
    from app.stores.models import Store

    conn.execute(insert(Store), [{"id": i, "name": f"门店{i}", "created_at": now} for i in (1, 2, 3)])
    conn.execute(
        insert(Tier),
        [
            {
                "id": 1,
                "name": "银卡",
                "rank": 1,
                "labor_discount_percent": 5,
                "parts_discount_percent": 0,
                "min_spend_12m_fen": 100_000,
                "created_at": now,
            },
            {
                "id": 2,
                "name": "金卡",
                "rank": 2,
                "labor_discount_percent": 10,
                "parts_discount_percent": 5,
                "min_spend_12m_fen": 500_000,
                "created_at": now,
            },
            {
                "id": 3,
                "name": "钻石卡",
                "rank": 3,
                "labor_discount_percent": 15,
                "parts_discount_percent": 10,
                "min_spend_12m_fen": 2_000_000,
                "created_at": now,
            },
        ],
    )
    conn.execute(
        insert(ServiceItem),
        [
            {
                "id": i + 1,
                "name": name,
                "category": category,
                "price_fen": price,
                "maintenance_interval_months": months,
                "maintenance_interval_km": 5_000 if months else None,
                "created_at": now,
            }
            for i, (name, category, price, months) in enumerate(ITEMS)
        ],
    )
    conn.execute(
        insert(Part),
        [
            {
                "id": 1,
                "name": "机油",
                "sku": "OIL",
                "price_fen": 30_000,
                "stock": 10**8,
                "low_stock_threshold": 10,
                "created_at": now,
            },
            {
                "id": 2,
                "name": "机滤",
                "sku": "FILTER",
                "price_fen": 5_000,
                "stock": 10**8,
                "low_stock_threshold": 10,
                "created_at": now,
            },
        ],
    )
    conn.execute(
        insert(CouponTemplate),
        [
            {
                "id": 1,
                "name": "满100减20",
                "kind": "cash_off",
                "value_fen": 2_000,
                "threshold_fen": 10_000,
                "valid_days": 60,
                "issued_count": 0,
                "claimable": False,
                "created_at": now,
            }
        ],
    )
    conn.execute(
        insert(CouponTemplate),
        [
            {
                "id": 2,
                "name": "九折券",
                "kind": "percent_off",
                "percent_off": 10,
                "max_off_fen": 10_000,
                "valid_days": 60,
                "issued_count": 0,
                "claimable": False,
                "created_at": now,
            }
        ],
    )


def write_rows(conn, table, rows):
    """INSERT the rows (executemany); on PostgreSQL COPY them, several times faster. Columns the
    rows leave out take their server defaults, or the model's Python default for NOT NULL ones."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    defaults = {
        column.name: column.default.arg
        for column in table.__table__.columns
        if column.name not in columns
        and column.default is not None
        and column.default.is_scalar
        and not column.nullable
    }
    names = columns + list(defaults)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.__tablename__} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns] + list(defaults.values()))


def seed(app, members):
    """Seed the data set; returns (seconds, plates of member cars by member id)."""
    from app.common import clock
    from app.coupons.models import MemberCoupon
    from app.extensions import db
    from app.members.models import Member, Vehicle
    from app.wallet.models import PointsAccount, PointsLot, Wallet, WalletEntry
    from app.workorders.models import WorkOrder, WorkOrderLine, WorkOrderPayment

    rng = random.Random(7)
    now = clock.now()
    started = time.perf_counter()
    taken, member_plates = set(), {}
    vehicle_id = order_id = line_id = 0
    coupon_no = 0
    with app.app_context(), db.engine.begin() as conn:
        _reference_rows(conn, now)
        for start in range(1, members + 1, BATCH):
            ids = range(start, min(start + BATCH, members + 1))
            member_rows, vehicles, orders, lines, payments = [], [], [], [], []
            wallets, entries, lots, accounts, coupons = [], [], [], [], []
            for i in ids:
                created = now - timedelta(days=rng.randrange(DAYS + 300), seconds=rng.randrange(86_400))
                tier = rng.choice((None, None, None, 1, 1, 2, 3))
                cars = []
                for _ in range(2 if rng.random() < 0.25 else 1):
                    vehicle_id += 1
                    plate = make_plate(rng, taken)
                    cars.append((vehicle_id, plate))
                    vehicles.append(
                        {
                            "id": vehicle_id,
                            "member_id": i,
                            "plate": plate,
                            "mileage_km": rng.randrange(5_000, 150_000),
                            "mileage_recorded_at": now,
                            "purchase_date": (now - timedelta(days=rng.randrange(100, 3650))).date(),
                            "created_at": created,
                        }
                    )
                member_plates[i] = cars[0][1]
                # Most members come back a few times; some never did after registering.
                visits, paid_total, first, last = 0, 0, None, None
                for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8))):
                    order_id += 1
                    car_id, plate = rng.choice(cars)
                    at = now - timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
                    status = rng.choices(STATUSES, (93, 2, 2, 3))[0]
                    name, category, price, _ = ITEMS[item := rng.randrange(len(ITEMS))]
                    quantity = rng.randint(1, 2)
                    line_id += 1
                    lines.append(
                        {
                            "id": line_id,
                            "work_order_id": order_id,
                            "kind": "labor",
                            "service_item_id": item + 1,
                            "part_id": None,
                            "name": name,
                            "category": category,
                            "quantity": quantity,
                            "unit_price_fen": price,
                            "discount_percent": 0,
                            "unit_net_fen": price,
                            "created_at": at,
                        }
                    )
                    total = price * quantity
                    if category == "maintenance":
                        line_id += 1
                        lines.append(
                            {
                                "id": line_id,
                                "work_order_id": order_id,
                                "kind": "part",
                                "part_id": 1,
                                "service_item_id": None,
                                "name": "机油",
                                "category": "part",
                                "quantity": 1,
                                "unit_price_fen": 30_000,
                                "discount_percent": 0,
                                "unit_net_fen": 30_000,
                                "created_at": at,
                            }
                        )
                        total += 30_000
                    paid = 0
                    if status in ("settled", "refunded"):
                        tenders = [rng.choice(TENDERS[:5])] + (["cash"] if rng.random() < 0.3 else [])
                        first_amount = total if len(tenders) == 1 else total // 2
                        for tender, amount in zip(tenders, (first_amount, total - first_amount), strict=False):
                            payments.append(
                                {
                                    "work_order_id": order_id,
                                    "type": tender,
                                    "amount_fen": amount,
                                    "status": "posted",
                                    "ref_type": "work_order",
                                    "ref_id": order_id,
                                    "created_at": at,
                                }
                            )
                        paid = total
                    orders.append(
                        {
                            "id": order_id,
                            "number": f"B-{order_id:08d}",
                            "store_id": rng.randint(1, 3),
                            "vehicle_id": car_id,
                            "plate": plate,
                            "member_id": i,
                            "status": status,
                            "subtotal_fen": total,
                            "discount_fen": 0,
                            "total_fen": total,
                            "paid_fen": paid,
                            "points_earned": paid // 100 if status == "settled" else 0,
                            "settled_at": at if status in ("settled", "refunded") else None,
                            "refunded_at": at + timedelta(days=1) if status == "refunded" else None,
                            "cancelled_at": at if status == "cancelled" else None,
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                    if status == "settled":
                        visits += 1
                        paid_total += paid
                        first = min(first or at, at)
                        last = max(last or at, at)
                idle = (now - last).days if last else None
                member_rows.append(
                    {
                        "id": i,
                        "phone": f"139{i:08d}",
                        "nickname": f"车主{i}",
                        "referral_code": f"B{i:07d}",
                        "source": rng.choice(("wechat", "wechat", "counter")),
                        "gender": rng.choice(("male", "female")),
                        "tier_id": tier,
                        "registered_store_id": rng.randint(1, 3),
                        "paid_visit_count": visits,
                        "total_paid_fen": paid_total,
                        "average_ticket_fen": paid_total // visits if visits else 0,
                        "first_paid_visit_at": first,
                        "last_paid_visit_at": last,
                        "lifecycle": "new"
                        if idle is None
                        else "active"
                        if idle <= 90
                        else "at_risk"
                        if idle <= 180
                        else "churned",
                        "value_class": "none" if not visits else rng.choice(("low", "medium", "high")),
                        "created_at": created,
                    }
                )
                if rng.random() < 0.4:
                    balance = rng.choice((50_000, 100_000, 200_000, 500_000))
                    wallets.append(
                        {
                            "member_id": i,
                            "principal_fen": balance,
                            "bonus_fen": 0,
                            "balance_fen": balance,
                            "updated_at": now,
                        }
                    )
                    entries.append(
                        {
                            "member_id": i,
                            "kind": "topup",
                            "amount_fen": balance,
                            "principal_fen": balance,
                            "bonus_fen": 0,
                            "balance_after_fen": balance,
                            "paid_via": "wechat",
                            "created_at": created,
                        }
                    )
                if paid_total:
                    points = paid_total // 100
                    lots.append(
                        {
                            "member_id": i,
                            "earned": points,
                            "remaining": points,
                            "earned_at": last,
                            "expires_at": last + timedelta(days=730),
                        }
                    )
                    accounts.append({"member_id": i, "balance": points, "updated_at": now})
                for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                    coupon_no += 1
                    template = rng.choice((1, 2))
                    state = rng.choices(("unused", "used", "expired"), (5, 3, 2))[0]
                    issued = now - timedelta(days=rng.randrange(1, 400))
                    valid_until = (
                        now + timedelta(days=rng.randrange(1, 60)) if state == "unused" else issued + timedelta(days=60)
                    )
                    coupons.append(
                        {
                            "code": f"BC{coupon_no:09d}",
                            "template_id": template,
                            "member_id": i,
                            "seq": coupon_no,
                            "status": "used" if state == "used" else "unused",
                            "source": "grant",
                            "valid_from": issued,
                            "valid_until": valid_until,
                            "created_at": issued,
                            "used_at": issued + timedelta(days=5) if state == "used" else None,
                        }
                    )
            for _n in range(max(len(ids) // 10, 1)):  # walk-in cars nobody has claimed
                vehicle_id += 1
                vehicles.append(
                    {
                        "id": vehicle_id,
                        "member_id": None,
                        "plate": make_plate(rng, taken),
                        "mileage_km": None,
                        "mileage_recorded_at": None,
                        "purchase_date": None,
                        "created_at": now,
                    }
                )
            for table, rows in (
                (Member, member_rows),
                (Vehicle, vehicles),
                (WorkOrder, orders),
                (WorkOrderLine, lines),
                (WorkOrderPayment, payments),
                (Wallet, wallets),
                (WalletEntry, entries),
                (PointsLot, lots),
                (PointsAccount, accounts),
                (MemberCoupon, coupons),
            ):
                write_rows(conn, table, rows)
            done = min(start + BATCH - 1, members)
            if done % 100_000 == 0 or done == members:
                print(
                    f"  seeded {done:,} members, {order_id:,} work orders ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
        if conn.dialect.name == "postgresql":
            for table in (
                "members",
                "vehicles",
                "work_orders",
                "work_order_lines",
                "stores",
                "tiers",
                "service_items",
                "parts",
                "coupon_templates",
            ):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    with app.app_context():
        from app.stats.rollup import rebuild_daily_rollups  # the overview's rollups, from the rows written above

        rebuild_daily_rollups()
        db.session.commit()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started, member_plates


def staff_token(app, client):
    from app.extensions import db
    from app.stores.models import Staff, Store
    from app.stores.services import create_staff

    with app.app_context():
        if db.session.scalar(db.select(Staff.id).where(Staff.username == "bench-owner")) is None:
            create_staff(
                username="bench-owner",
                password="bench-password",
                role="owner",
                store_ids=list(db.session.scalars(db.select(Store.id))),
            )
            db.session.commit()
    response = client.post("/api/v1/auth/staff/login", json={"username": "bench-owner", "password": "bench-password"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


class Profiler:
    """Collects (seconds, statement) of every SQL statement while ``on``."""

    def __init__(self, engine):
        self.on, self.statements = False, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((time.perf_counter() - conn.info.pop("bench_started"), statement))

    def report(self, name, call):
        self.statements, self.on = [], True
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        self.on = False
        sql = sum(seconds for seconds, _ in self.statements)
        print(f"\n--- {name}: {elapsed * 1000:.1f} ms, {len(self.statements)} statements, {sql * 1000:.1f} ms in SQL")
        for seconds, statement in self.statements:
            print(f"  {seconds * 1000:7.2f} ms  {' '.join(statement.split())[:220]}")


def timed(call):
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code < 300, response.get_json()
    return elapsed, response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="runs of each segment preview and overview")
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    parser.add_argument("--reuse", action="store_true", help="time the database seeded by an earlier run")
    parser.add_argument("--profile", action="store_true", help="print the SQL of one sample per request")
    args = parser.parse_args()

    from bench_marketing import COMPLEX_RULES, SIMPLE_RULES
    from flask_migrate import upgrade

    from app import create_app
    from app.common import clock
    from app.extensions import db
    from app.marketing.segments import preview_rules
    from app.members.models import Vehicle

    url = database_url(args.reset, args.reuse)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        dialect = db.engine.dialect.name
    if args.reuse:
        with app.app_context():
            rows = db.session.execute(
                db.select(Vehicle.member_id, db.func.min(Vehicle.plate))
                .where(Vehicle.member_id.is_not(None))
                .group_by(Vehicle.member_id)
            ).all()
        member_plates = dict(rows)
        print(f"database: {dialect}; reusing {len(member_plates):,} members")
    else:
        seconds, member_plates = seed(app, args.members)
        print(f"database: {dialect}; seeded {len(member_plates):,} members in {seconds:.1f} s")
    with app.app_context():
        counts = {
            table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("vehicles", "work_orders", "member_coupons", "wallets")
        }
        profiler = Profiler(db.engine) if args.profile else None
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))

    client = app.test_client()
    headers = {"Authorization": f"Bearer {staff_token(app, client)}"}
    rng = random.Random(int(time.time()))
    member_ids = list(member_plates)

    def lookup_path():
        plate = member_plates[rng.choice(member_ids)]
        fragment = plate if rng.random() < 0.2 else plate[-rng.choice((3, 4, 5)) :]
        return f"/api/v1/vehicles?plate={fragment}"

    lookups = [timed(lambda: client.get(lookup_path(), headers=headers))[0] for _ in range(args.samples)]

    orders = []
    for member_id in rng.sample(member_ids, args.samples):
        response = client.post(
            "/api/v1/work-orders",
            headers=headers,
            json={
                "store_id": rng.randint(1, 3),
                "plate": member_plates[member_id],
                "lines": [
                    {"service_item_id": 2, "quantity": 1},
                    {"part_id": 1, "quantity": 1},
                    {"part_id": 2, "quantity": 1},
                ],
            },
        )
        assert response.status_code == 201, response.get_json()
        order = response.get_json()
        summary = client.get(f"/api/v1/vehicles?plate={member_plates[member_id]}", headers=headers).get_json()
        member = summary["items"][0]["member"]
        coupons = client.get(f"/api/v1/members/{member_id}/coupons?status=unused", headers=headers)
        coupon_ids = [c["id"] for c in coupons.get_json()["items"]] if coupons.status_code == 200 else []
        orders.append((order, member, coupon_ids))

    def tenders_for(order, member, coupon_ids):
        tenders = []
        if coupon_ids:
            tenders.append({"type": "coupon", "member_coupon_id": coupon_ids[0]})
        if member["points"] >= 100:
            tenders.append({"type": "points", "points": 100})
        if member["balance_fen"] > 0:
            tenders.append({"type": "stored_value", "amount_fen": min(member["balance_fen"], order["total_fen"] // 3)})
        return tenders

    quotes, settles = [], []
    for order, member, coupon_ids in orders:
        tenders = tenders_for(order, member, coupon_ids)
        elapsed, response = timed(
            lambda: client.post(f"/api/v1/work-orders/{order['id']}/quote", headers=headers, json={"tenders": tenders})
        )
        quotes.append(elapsed)
        remaining = response.get_json()["remaining_fen"]
        settle_tenders = tenders + [{"type": "cash", "amount_fen": remaining}]
        elapsed, response = timed(
            lambda: client.post(
                f"/api/v1/work-orders/{order['id']}/settle",
                headers={**headers, "Idempotency-Key": f"bench-{order['id']}"},
                json={"tenders": settle_tenders},
            )
        )
        assert response.get_json()["status"] == "settled"
        settles.append(elapsed)

    print(f"machine: {os.cpu_count()} CPUs, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, samples in (("plate lookup", lookups), ("quote", quotes), ("settle", settles)):
        p50, p95 = percentiles(samples)
        print(f"{name:<28} n={len(samples):<4} p50={p50:7.1f} ms  p95={p95:7.1f} ms")

    today = clock.now().date()
    now = clock.now()
    slow = [
        ("segment preview, simple", lambda: _in_app(app, lambda: preview_rules(SIMPLE_RULES, now=now))),
        ("segment preview, complex", lambda: _in_app(app, lambda: preview_rules(COMPLEX_RULES, now=now))),
        (
            "overview, last 30 days",
            lambda: client.get(f"/api/v1/stats/overview?from={today - timedelta(days=29)}&to={today}", headers=headers),
        ),
        (
            "overview, last 12 months",
            lambda: client.get(
                f"/api/v1/stats/overview?from={today - timedelta(days=364)}&to={today}", headers=headers
            ),
        ),
    ]
    for name, call in slow:
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        print(
            f"{name:<28} n={args.runs:<4} median={statistics.median(samples) * 1000:7.1f} ms  "
            f"max={max(samples) * 1000:7.1f} ms"
        )

    if profiler:
        order, member, coupon_ids = orders[0]
        profiler.report(
            "plate lookup, 3 characters",
            lambda: client.get(f"/api/v1/vehicles?plate={member_plates[member_ids[0]][-3:]}", headers=headers),
        )
        extra = client.post(
            "/api/v1/work-orders",
            headers=headers,
            json={
                "store_id": 1,
                "plate": member_plates[member_ids[1]],
                "lines": [{"service_item_id": 2, "quantity": 1}, {"part_id": 1, "quantity": 1}],
            },
        ).get_json()
        profiler.report(
            "quote",
            lambda: client.post(
                f"/api/v1/work-orders/{extra['id']}/quote",
                headers=headers,
                json={"tenders": [{"type": "cash", "amount_fen": 1}]},
            ),
        )
        profiler.report(
            "settle",
            lambda: client.post(
                f"/api/v1/work-orders/{extra['id']}/settle",
                headers={**headers, "Idempotency-Key": f"bench-p-{extra['id']}"},
                json={"tenders": [{"type": "cash", "amount_fen": extra["total_fen"]}]},
            ),
        )
        for name, call in slow:
            profiler.report(name, call)
    with app.app_context():
        db.engine.dispose()


def _in_app(app, call):
    with app.app_context():
        return call()


if __name__ == "__main__":
    main()
