"""Counter benchmark: plate lookup and settle latency on a database of 100,000 members.

    python bench/bench_counter.py [--members 100000] [--samples 200] [--reset]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench.db (recreated on every run). It is built by the migrations, then
seeded with bulk INSERTs (executemany, not the API): members, one vehicle each, and a stored-value
wallet each (a top-up entry plus the wallet row, so the ledger adds up). A PostgreSQL database
that already holds members is only wiped with --reset (it drops the public schema).

Measured through the Flask test client, so each sample is a whole request (auth, schema, service,
commit, JSON): ``GET /api/v1/vehicles?plate=<fragment>`` and ``POST /api/v1/work-orders/{id}/settle``
with stored value + cash on a labor line and a part (orders opened beforehand, not timed).
Prints p50 / p95 in milliseconds.
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert, text  # noqa: E402

from bench_database import prepare_database  # noqa: E402

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SQLITE_PATH = Path("/tmp/pitstop_bench.db")
WALLET_FEN = 500_000
BATCH = 10_000


def database_url(reset):
    return prepare_database(SQLITE_PATH, reset=reset)


def plate_for(index):
    return f"粤{LETTERS[index // 100_000]}{index % 100_000:05d}"


def seed(app, members):
    from app.catalog.models import Part, ServiceItem
    from app.common import clock
    from app.extensions import db
    from app.members.models import Member, Vehicle
    from app.wallet.models import Wallet, WalletEntry

    now = clock.now()
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            for start in range(1, members + 1, BATCH):
                ids = range(start, min(start + BATCH, members + 1))
                conn.execute(insert(Member), [
                    {"id": i, "phone": f"139{i:08d}", "nickname": f"member {i}", "referral_code": f"B{i:07d}",
                     "source": "counter", "gender": "unknown", "paid_visit_count": 0, "total_paid_fen": 0,
                     "created_at": now} for i in ids])
                conn.execute(insert(Vehicle), [
                    {"id": i, "member_id": i, "plate": plate_for(i), "mileage_km": 10_000 + i % 50_000,
                     "mileage_recorded_at": now, "first_mileage_km": 10_000 + i % 50_000,
                     "first_mileage_recorded_at": now, "created_at": now} for i in ids])
                conn.execute(insert(WalletEntry), [
                    {"id": i, "member_id": i, "kind": "topup", "amount_fen": WALLET_FEN, "principal_fen": WALLET_FEN,
                     "bonus_fen": 0, "balance_after_fen": WALLET_FEN, "paid_via": "cash", "created_at": now}
                    for i in ids])
                conn.execute(insert(Wallet), [
                    {"member_id": i, "principal_fen": WALLET_FEN, "bonus_fen": 0, "balance_fen": WALLET_FEN,
                     "updated_at": now} for i in ids])
            if conn.dialect.name == "postgresql":
                for table, column in (("members", "id"), ("vehicles", "id"), ("wallet_entries", "id")):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                                      f"(SELECT max({column}) FROM {table}))"))
                conn.execute(text("ANALYZE"))
        item = ServiceItem(name="Oil change", category="maintenance", price_fen=20_000,
                           maintenance_interval_months=6, maintenance_interval_km=5_000)
        part = Part(name="Oil filter", sku="F-BENCH", price_fen=5_000, stock=1_000_000, low_stock_threshold=10)
        db.session.add_all([item, part])
        db.session.commit()
        catalog = {"service_item_id": item.id, "part_id": part.id}
    return time.perf_counter() - started, catalog


def staff_token(app, client, store_ids):
    from app.extensions import db
    from app.stores.services import create_staff

    with app.app_context():
        create_staff(username="bench-owner", password="bench-password", role="owner", store_ids=store_ids)
        db.session.commit()
    response = client.post("/api/v1/auth/staff/login", json={"username": "bench-owner", "password": "bench-password"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


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
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    args = parser.parse_args()
    if args.members > 100_000 * len(LETTERS):
        raise SystemExit("too many members for the plate scheme")

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.stores.services import create_store

    url = database_url(args.reset)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        store_id = create_store(name="Bench store").id
        db.session.commit()
        dialect = db.engine.dialect.name
    seconds, catalog = seed(app, args.members)
    print(f"database: {dialect}; seeded {args.members} members, vehicles and wallets in {seconds:.1f} s")

    client = app.test_client()
    headers = {"Authorization": f"Bearer {staff_token(app, client, [store_id])}"}
    rng = random.Random(7)

    lookups = []
    for _ in range(args.samples):
        index = rng.randint(1, args.members)
        fragment = plate_for(index)[-rng.choice((3, 4, 5)):]
        elapsed, _ = timed(lambda: client.get(f"/api/v1/vehicles?plate={fragment}", headers=headers))
        lookups.append(elapsed)

    members = rng.sample(range(1, args.members + 1), args.samples)
    orders = []
    for member_id in members:
        response = client.post("/api/v1/work-orders", headers=headers, json={
            "store_id": store_id, "plate": plate_for(member_id),
            "lines": [{"service_item_id": catalog["service_item_id"], "quantity": 1},
                      {"part_id": catalog["part_id"], "quantity": 1}]})
        assert response.status_code == 201, response.get_json()
        orders.append(response.get_json())
    settles = []
    for order in orders:
        total = order["total_fen"]
        half = total // 2
        tenders = [{"type": "stored_value", "amount_fen": half}, {"type": "cash", "amount_fen": total - half}]
        elapsed, response = timed(lambda: client.post(
            f"/api/v1/work-orders/{order['id']}/settle", headers={**headers, "Idempotency-Key": f"bench-{order['id']}"},
            json={"tenders": tenders}))
        assert response.get_json()["status"] == "settled"
        settles.append(elapsed)

    print(f"machine: {os.cpu_count()} CPUs, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, samples in (("plate lookup", lookups), ("settle", settles)):
        p50, p95 = percentiles(samples)
        print(f"{name:<13} n={len(samples)}  p50={p50:.1f} ms  p95={p95:.1f} ms")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
