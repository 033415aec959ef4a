"""Scale benchmark: one table of the service's targets on a database filled by `flask seed-bench`.

    flask db upgrade && flask seed-bench --members 1000000      # once (DATABASE_URL, PITSTOP_ENV=development)
    python bench/bench_scale.py [--samples 300] [--runs 5] [--http-seconds 15] [--skip-scan]

DATABASE_URL names the seeded database (PostgreSQL: postgresql+psycopg://...). Measured:
- plate lookup: ``GET /vehicles?plate=`` with the last 3, 4 or 5 characters or the whole plate of
  a random car, as a cashier (p95 over --samples requests);
- quote and settle: ``POST /work-orders/{id}/quote`` and ``/settle`` with stored value + cash on
  orders opened beforehand for random members holding stored value (p95);
- segment preview: ``GET /segments/{id}/preview`` of a seven-condition segment (slowest of --runs);
- stats overview: ``GET /stats/overview`` for the last 30 days and the last 12 months (slowest);
- daily scan: every daily job run through ``run_job`` as the scheduler would, for tomorrow (which
  also catches up the backlog a freshly seeded database has) and then for the day after (the
  target is about this normal day; both totals are printed);
- HTTP throughput: gunicorn (2 workers × 4 threads, gthread) serving the service's plate lookup
  (a random member's plate, last 4 characters) and, in the same run with the same settings, two
  yardsticks from bench/bare_app.py: a bare Flask JSON endpoint (``/ping``) and the lookup's own SQL
  statement alone under bare Flask (``/lookup-sql``: plain psycopg, rows straight to JSON, no auth,
  ORM or schema) for the same fragment. The load comes from bench/load_generator.py in its own
  process on loopback. Target ratio = service / bare ping. The SQL-alone rate over the bare ping is
  the ceiling of that ratio on this machine: no Python-side work can lift the service above it,
  since the service must run that statement too. The CPU each request costs in gunicorn and in
  PostgreSQL (on this machine) is printed for all three.
Before measuring, and again after the daily scan, the database is brought to the state a running
server keeps it in (``bring_to_steady_state``): where the server's autovacuum is off (this machine's
PostgreSQL is set up for test runs) the tables are vacuumed and analysed as autovacuum would have
done, and every table and index is read into the operating system's cache (pg_prewarm), as a server
that has been answering the counter holds them: the data set (about 6 GB at a million members) fits
in memory. ``--cold`` measures without that step, to see the first minutes after a restart.
The in-process figures go through the Flask test client, so each is a whole request (auth, schema,
service, commit, JSON). Rate limits are off for the in-process part (one cashier settles hundreds
of orders in seconds); the HTTP part uses the production settings.
"""

import argparse
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

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


def p95(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)] * 1000


def timed(call, expect=200):
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise SystemExit(f"unexpected {response.status_code}: {response.get_json()}")
    return elapsed, response.get_json()


def login(client, username):
    response = client.post("/api/v1/auth/staff/login", json={"username": username, "password": "bench-password"})
    if response.status_code != 200:
        raise SystemExit(f"cannot log in as {username}: is this a database filled by `flask seed-bench`?")
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def machine():
    model = "unknown CPU"
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kib = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{model}, {os.cpu_count()} CPUs{memory}, {system}, Python {platform.python_version()}"


def measure_in_process(app, args, rng):
    from app.extensions import db
    from app.members.models import Member, Vehicle
    from app.wallet.models import Wallet

    client = app.test_client()
    cashier, owner, marketing = (login(client, name) for name in ("bench-cashier1", "bench-owner", "bench-marketing"))
    results = {}
    with app.app_context():
        members = db.session.scalar(select(func.count()).select_from(Member))
        max_vehicle = db.session.scalar(select(func.max(Vehicle.id)))
        candidates = (
            db.session.execute(
                select(Vehicle.plate)
                .join(Wallet, Wallet.member_id == Vehicle.member_id)
                .where(
                    Wallet.balance_fen >= 50_000,
                    Vehicle.id.in_([rng.randint(1, max_vehicle) for _ in range(args.samples * 20)]),
                )
                .limit(args.samples)
            )
            .scalars()
            .all()
        )
        item_id = db.session.scalar(
            text("SELECT id FROM service_items WHERE category = 'maintenance' ORDER BY id LIMIT 1")
        )
        store_id = db.session.scalar(text("SELECT min(id) FROM stores"))
        dialect = db.engine.dialect.name
        server = (
            db.session.scalar(text("SELECT version()"))
            if dialect == "postgresql"
            else f"SQLite {db.session.scalar(text('SELECT sqlite_version()'))}"
        )
        plates = []
        while len(plates) < args.samples:
            plate = db.session.scalar(select(Vehicle.plate).where(Vehicle.id == rng.randint(1, max_vehicle)))
            if plate:
                plates.append(plate)
    results["members"] = members
    results["database"] = server.split(" on ")[0]

    lookups = []
    for plate in plates:
        fragment = plate if rng.random() < 0.25 else plate[-rng.choice((3, 4, 5)) :]
        elapsed, body = timed(lambda: client.get(f"/api/v1/vehicles?plate={fragment}", headers=cashier))
        if fragment == plate and plate not in [item["vehicle"]["plate"] for item in body["items"]]:
            raise SystemExit(f"plate lookup missed {plate}")
        lookups.append(elapsed)
    results["plate lookup"] = p95(lookups)

    quotes, settles = [], []
    for plate in candidates:
        _elapsed, order = timed(
            lambda: client.post(
                "/api/v1/work-orders",
                headers=cashier,
                json={"store_id": store_id, "plate": plate, "lines": [{"service_item_id": item_id, "quantity": 1}]},
            ),
            201,
        )
        half = order["total_fen"] // 2
        tenders = [
            {"type": "stored_value", "amount_fen": half},
            {"type": "cash", "amount_fen": order["total_fen"] - half},
        ]
        elapsed, _quote = timed(
            lambda: client.post(f"/api/v1/work-orders/{order['id']}/quote", headers=cashier, json={"tenders": tenders})
        )
        quotes.append(elapsed)
        elapsed, settled = timed(
            lambda: client.post(
                f"/api/v1/work-orders/{order['id']}/settle",
                headers={**cashier, "Idempotency-Key": f"bench-{order['id']}"},
                json={"tenders": tenders},
            )
        )
        if settled["status"] != "settled":
            raise SystemExit(f"order {order['id']} did not settle: {settled}")
        settles.append(elapsed)
    results["quote"] = p95(quotes)
    results["settle"] = p95(settles)
    results["settled orders"] = len(settles)

    _elapsed, segment = timed(
        lambda: client.post(
            "/api/v1/segments",
            headers=marketing,
            json={"name": f"bench {secrets.token_hex(4)}", "rules": COMPLEX_RULES},
        ),
        201,
    )
    previews = [
        timed(lambda: client.get(f"/api/v1/segments/{segment['id']}/preview", headers=marketing))
        for _ in range(args.runs + 1)
    ][1:]
    results["segment preview"] = max(elapsed for elapsed, _body in previews) * 1000
    results["segment size"] = previews[0][1]["count"]

    with app.app_context():
        from app.common import clock
        from app.merchant.services import get_settings

        today = clock.local_today(get_settings().timezone)
    overview = []
    for start in (today - timedelta(days=29), today - timedelta(days=364)):
        query = f"/api/v1/stats/overview?from={start.isoformat()}&to={today.isoformat()}"
        runs = [timed(lambda: client.get(query, headers=owner)) for _ in range(args.runs + 1)][1:]
        overview += [elapsed for elapsed, _body in runs]
    results["stats overview"] = max(overview) * 1000
    return results, today


def bring_to_steady_state(app):
    """Vacuum (only where autovacuum is off) and read every relation into the OS cache; returns what
    was done, for the printout. PostgreSQL only."""
    from app.extensions import db

    done = []
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return "none (not PostgreSQL)"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            started = time.perf_counter()
            if connection.scalar(text("SHOW autovacuum")) == "off":
                connection.execute(text("VACUUM (ANALYZE)"))
                done.append(f"vacuumed and analysed (autovacuum is off) in {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            try:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            except Exception as error:  # no contrib package on this server: measure as it is
                done.append(f"not prewarmed ({type(error).__name__})")
            else:
                pages = connection.scalar(
                    text(
                        "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
                    )
                )
                done.append(
                    f"{(pages or 0) * 8 // 1024:,} MB read into the OS cache in {time.perf_counter() - started:.0f} s"
                )
        db.engine.dispose()
    return "; ".join(done) or "nothing to do"


def measure_daily_scan(app, today):
    """Each daily job for tomorrow and the day after; returns ({job: seconds} of each day).

    The first day after seeding also catches up what no earlier run has done (a freshly seeded
    database has no history of win-back offers or reminders); the second is a normal day, the one
    the target is about. Both are printed.
    """
    from app.common.jobs import registered_jobs, run_job

    days = []
    with app.app_context():
        jobs = sorted(
            (job for job in registered_jobs().values() if job.every_minutes is None),
            key=lambda job: (job.hour, job.minute, job.name),
        )
        for offset in (1, 2):
            timings = {}
            for job in jobs:
                started = time.perf_counter()
                run_job(job.name, day=today + timedelta(days=offset))
                timings[job.name] = time.perf_counter() - started
            days.append(timings)
    return days


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(module, env):
    port = free_port()
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill up and stall the workers
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    log.seek(0)
    raise SystemExit(f"gunicorn for {module} did not start: {log.read().decode()[-2000:]}")


def _cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_cpu_seconds(process):
    """CPU used so far by a gunicorn master and its workers (Linux /proc; 0 elsewhere)."""
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    except OSError:
        children = []
    return sum(_cpu_seconds(pid) for pid in [process.pid, *children])


def postgres_cpu_seconds():
    """CPU used so far by every PostgreSQL process on this machine (the server is on loopback)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(entry.name)
            except OSError:
                continue
    return total


def load_with_cpu(url, seconds, server, headers=()):
    """``load`` plus the CPU milliseconds per request spent by the server and by PostgreSQL."""
    server_before, database_before = server_cpu_seconds(server), postgres_cpu_seconds()
    result = load(url, seconds, headers)
    requests = max(result["requests"], 1)
    result["server_cpu_ms"] = (server_cpu_seconds(server) - server_before) * 1000 / requests
    result["database_cpu_ms"] = (postgres_cpu_seconds() - database_before) * 1000 / requests
    return result


def load(url, seconds, headers=()):
    command = [
        sys.executable,
        str(ROOT / "bench" / "load_generator.py"),
        url,
        "--seconds",
        str(seconds),
        "--connections",
        "8",
    ]
    for header in headers:
        command += ["--header", header]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def measure_http(url, seconds, rng, plates):
    """Request rates and CPU per request of the service's lookup, the bare ``/ping`` and the lookup's
    SQL alone (bare ``/lookup-sql``), each loaded for ``seconds`` after a warm-up."""
    env = {**os.environ, "PITSTOP_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)}
    service, service_port = serve("wsgi:app", env)
    bare, bare_port = serve("bench.bare_app:app", {**os.environ, "DATABASE_URL": url})
    try:
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{service_port}/api/v1/auth/staff/login",
            data=json.dumps({"username": "bench-cashier1", "password": "bench-password"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(urllib.request.urlopen(request).read())["token"]
        fragment = rng.choice(plates)[-4:]
        lookup_url = f"http://127.0.0.1:{service_port}/api/v1/vehicles?plate={fragment}"
        sql_url = f"http://127.0.0.1:{bare_port}/lookup-sql?plate={fragment}"
        service_page = json.loads(
            urllib.request.urlopen(
                urllib.request.Request(lookup_url, headers={"Authorization": f"Bearer {token}"})
            ).read()
        )
        sql_rows = json.loads(urllib.request.urlopen(sql_url).read())  # the yardstick finds the same cars
        if [item["vehicle"]["id"] for item in service_page["items"]] != [row["vehicle_id"] for row in sql_rows]:
            raise SystemExit(f"/lookup-sql?plate={fragment} found other cars than the service's lookup")
        load(lookup_url, 2, [f"Authorization: Bearer {token}"])  # warm-up
        load(f"http://127.0.0.1:{bare_port}/ping", 2)
        bare_result = load_with_cpu(f"http://127.0.0.1:{bare_port}/ping", seconds, bare)
        load(sql_url, 2)
        sql_result = load_with_cpu(sql_url, seconds, bare)
        service_result = load_with_cpu(lookup_url, seconds, service, [f"Authorization: Bearer {token}"])
    finally:
        for process in (service, bare):
            process.terminate()
            process.wait(timeout=30)
    results = {"service": service_result, "bare": bare_result, "sql": sql_result}
    if any(result["errors"] for result in results.values()):
        raise SystemExit(f"errors under load: {results}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--http-seconds", type=float, default=15)
    parser.add_argument("--skip-scan", action="store_true", help="leave out the daily scan")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP throughput")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="measure without vacuuming and prewarming first")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a database filled by `flask seed-bench`")

    from app import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    rng = random.Random(args.seed)
    started = time.perf_counter()
    steady = "skipped (--cold)" if args.cold else bring_to_steady_state(app)
    results, today = measure_in_process(app, args, rng)
    first_scan, scan = ({}, {}) if args.skip_scan else measure_daily_scan(app, today)
    if scan and not args.cold:
        steady += "; after the daily scan: " + bring_to_steady_state(app)
    http = None
    if not args.skip_http:
        from app.extensions import db
        from app.members.models import Vehicle

        with app.app_context():
            plates = db.session.scalars(select(Vehicle.plate).where(Vehicle.member_id.is_not(None)).limit(1000)).all()
            db.engine.dispose()
        http = measure_http(url, args.http_seconds, rng, plates)

    print(f"\nmachine:  {machine()}; load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"database: {results['database']}; {results['members']:,} members")
    print(f"before measuring: {steady}")
    rows = [
        ("plate lookup p95", f"{results['plate lookup']:.1f} ms", "≤ 10 ms", results["plate lookup"] <= 10),
        ("quote p95", f"{results['quote']:.1f} ms", "≤ 50 ms", results["quote"] <= 50),
        ("settle p95", f"{results['settle']:.1f} ms", "≤ 50 ms", results["settle"] <= 50),
        (
            "segment preview (slowest)",
            f"{results['segment preview']:.0f} ms",
            "≤ 500 ms",
            results["segment preview"] <= 500,
        ),
        (
            "stats overview (slowest)",
            f"{results['stats overview']:.0f} ms",
            "≤ 1000 ms",
            results["stats overview"] <= 1000,
        ),
    ]
    if scan:
        total = sum(scan.values())
        rows.append(("daily scan (all daily jobs)", f"{total:.1f} s", "≤ 60 s", total <= 60))
        rows.append(("first scan after seeding", f"{sum(first_scan.values()):.1f} s", "", None))
    if http:
        service_result, bare_result, sql_result = http["service"], http["bare"], http["sql"]
        ratio = service_result["rps"] / bare_result["rps"]
        ceiling = sql_result["rps"] / bare_result["rps"]
        rows.append(("plate lookup over HTTP", f"{service_result['rps']:.0f} req/s", "", None))
        rows.append(("bare Flask JSON over HTTP", f"{bare_result['rps']:.0f} req/s", "", None))
        rows.append(("lookup SQL alone under bare Flask over HTTP", f"{sql_result['rps']:.0f} req/s", "", None))
        rows.append(("ratio ceiling (SQL alone / bare)", f"{ceiling:.0%}", "", None))
        rows.append(("HTTP throughput ratio", f"{ratio:.0%}", "≥ 50 %", ratio >= 0.5))
    print()
    width = max(28, *(len(name) for name, *_rest in rows))
    print(f"| {'measure':<{width}} | {'result':>14} | {'target':>9} | ok  |")
    print(f"|{'-' * (width + 2)}|{'-' * 16}|{'-' * 11}|-----|")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"| {name:<{width}} | {value:>14} | {target:>9} | {mark:<3} |")
    if scan:
        print("\ndaily scan by job: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in scan.items()))
        print(
            "first scan after seeding by job: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in first_scan.items())
        )
    if http:
        print(
            "HTTP CPU per request: "
            + "; ".join(
                f"{name} {result['server_cpu_ms']:.2f} ms in gunicorn"
                f" + {result['database_cpu_ms']:.2f} ms in PostgreSQL"
                for name, result in (
                    ("plate lookup", service_result),
                    ("bare endpoint", bare_result),
                    ("lookup SQL alone under bare Flask", sql_result),
                )
            )
        )
        print(
            f"ceiling of the HTTP throughput ratio: the lookup SQL alone under bare Flask over HTTP runs at "
            f"{ceiling:.0%} of the bare endpoint's rate (the service reaches {ratio:.0%}); no Python-side work "
            f"can lift the service above this, since it runs the same statement"
        )
    print(
        f"(segment preview matched {results['segment size']:,} members; {results['settled orders']} orders "
        f"settled; whole run {time.perf_counter() - started:.0f} s)"
    )
    if any(ok is False for *_rest, ok in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
