"""Scale benchmark: one table of the service's targets on a database filled by `flask seed-bench`.

    flask db upgrade && flask seed-bench --members 1000000      # once (DATABASE_URL, PITSTOP_ENV=development)
    python bench/bench_scale.py [--samples 300] [--runs 5] [--http-seconds 15] [--skip-scan]
    python bench/bench_scale.py --databases URL_100K URL_1M     # one table, a column per database

DATABASE_URL names the seeded database (PostgreSQL: postgresql+psycopg://...); with ``--databases``
each named database is measured in turn, in its own process, and the table shows each figure at
each size and its growth from the smallest to the largest (the targets are checked on the largest;
plate lookup, quote and settle may grow at most 20 %). Measured:
- plate lookup: ``GET /vehicles?plate=`` with the last 3, 4 or 5 characters or the whole plate of
  a random car, as a cashier (p95 over --samples requests), asking for the page the counter shows
  (COUNTER_PAGE cars, as console/src/components/counter/lookup.ts does), after a few lookups of
  other cars; beside it the API's default page of 20, for as many other cars' fragments;
- quote and settle: ``POST /work-orders/{id}/quote`` and ``/settle`` with stored value + cash on
  orders opened beforehand for random members holding stored value (p95), and the SQL statements
  each settle request sends (the whole request: staff row, idempotency key, settle, commit);
- the owner's figures' lag: what a settle defers past its commit (member metrics, marketing's
  visit, the daily sales rollup; app/common/deferred.py) runs once the response is sent -- here, as
  the WSGI server does, when the benchmark closes the response it has read -- and the p95 of the
  time from the settle writing its event to the event being processed is printed;
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
  process on loopback. Target: the service's rate at least 75 % of the SQL-alone rate (the
  service's own Python -- token check, staff row, ORM, schema, JSON -- at most a third of what the
  query costs). The CPU each request costs in gunicorn and in PostgreSQL (on this machine) is
  printed for all three.
Before measuring, and again after the daily scan, the database is brought to the state a running
server keeps it in (``bring_to_steady_state``): where the server's autovacuum is off (this machine's
PostgreSQL is set up for test runs) the tables are vacuumed and analysed as autovacuum would have
done, and every table and index is read into the operating system's cache (pg_prewarm), as a server
that has been answering the counter holds them: the data set (about 7.7 GB at a million members) fits
in memory. Where the server's shared buffers hold the whole database, it is read into them instead
(a server that has answered for a while has it all there). ``--cold`` measures without that step,
to see the first minutes after a restart.
Each database's line shows the server's ``shared_buffers`` and a CPU probe (a fixed piece of pure
Python, timed before and after the run): on a shared virtual machine the same code's figures move
with the CPU it is given, and the probe says when they did.
The in-process figures go through the Flask test client, so each is a whole request (auth, schema,
service, commit, JSON). Rate limits are off for the in-process part (one cashier settles hundreds
of orders in seconds); the HTTP part uses the production settings.
"""

import argparse
import gc
import json
import os
import platform
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The page of cars the counter asks for as the cashier types (read from the console, so the two agree).
COUNTER_PAGE = int(
    re.search(r"export const PAGE = (\d+)", (ROOT / "console/src/components/counter/lookup.ts").read_text()).group(1)
)
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


class StatementCounter:
    """Counts the SQL statements the application's engine sends while the ``with`` block runs (the
    whole request: the staff row, the idempotency record, the settle, the commit's statements)."""

    def __init__(self, app):
        from sqlalchemy import event

        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.count, self.active = 0, False
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        if self.active:
            self.count += 1

    def __enter__(self):
        self.count, self.active = 0, True
        return self

    def __exit__(self, *_exc):
        self.active = False


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
        if dialect == "postgresql":
            # The server's memory for pages shapes every figure that reads by key: printed with it.
            server = "{} (shared_buffers {})".format(
                db.session.scalar(text("SELECT version()")).split(" on ")[0],
                db.session.scalar(text("SHOW shared_buffers")),
            )
        else:
            server = f"SQLite {db.session.scalar(text('SELECT sqlite_version()'))}"
        plates = []  # two sets: one for each page size, so neither finds the other's rows cached
        while len(plates) < 2 * args.samples:
            plate = db.session.scalar(select(Vehicle.plate).where(Vehicle.id == rng.randint(1, max_vehicle)))
            if plate:
                plates.append(plate)
    results["members"] = members
    results["database"] = server

    # The counter's own request (its page of COUNTER_PAGE cars), and beside it the API's default page.
    fragments = [plate if rng.random() < 0.25 else plate[-rng.choice((3, 4, 5)) :] for plate in plates]
    halves = {COUNTER_PAGE: slice(0, args.samples), 20: slice(args.samples, None)}
    # A running counter's server has answered lookups before: a few on other cars first, of three
    # characters and of more (two statements: a three-character fragment's total is its trigram's
    # count), so both are prepared on the connection and the process's code paths warm.
    for plate in candidates[:20]:
        for fragment in (plate[-3:], plate[-4:]):
            timed(lambda: client.get(f"/api/v1/vehicles?plate={fragment}&per_page={COUNTER_PAGE}", headers=cashier))
    for key, per_page in (("plate lookup", COUNTER_PAGE), ("plate lookup 20", 20)):
        lookups = []
        for plate, fragment in zip(plates[halves[per_page]], fragments[halves[per_page]], strict=True):
            elapsed, body = timed(
                lambda: client.get(f"/api/v1/vehicles?plate={fragment}&per_page={per_page}", headers=cashier)
            )
            if fragment == plate and plate not in [item["vehicle"]["plate"] for item in body["items"]]:
                raise SystemExit(f"plate lookup missed {plate}")
            lookups.append(elapsed)
        results[key] = p95(lookups)

    quotes, settles, statements, settled_ids = [], [], [], []
    counter = StatementCounter(app)
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
        with counter:
            started = time.perf_counter()
            response = client.post(
                f"/api/v1/work-orders/{order['id']}/settle",
                headers={**cashier, "Idempotency-Key": f"bench-{order['id']}"},
                json={"tenders": tenders},
            )
            elapsed = time.perf_counter() - started
        statements.append(counter.count)
        settled = response.get_json()
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}: {settled}")
        # The cashier has the answer; as the WSGI server does once the body is sent, closing the
        # response runs what the settle deferred (the owner's figures).
        response.close()
        settled_ids.append(order["id"])
        if settled["status"] != "settled":
            raise SystemExit(f"order {order['id']} did not settle: {settled}")
        settles.append(elapsed)
    results["quote"] = p95(quotes)
    results["settle"] = p95(settles)
    results["settled orders"] = len(settles)
    results["settle statements"] = sorted(statements)[len(statements) // 2]
    results["settle statements range"] = [min(statements), max(statements)]
    with app.app_context():
        from app.common.deferred import DeferredEvent, lag_seconds

        of_these = (DeferredEvent.ref_type == "work_order", DeferredEvent.ref_id.in_(settled_ids))
        events = db.session.scalars(select(DeferredEvent.id).where(*of_these)).all()
        lags = list(lag_seconds(events).values())
    if len(lags) != len(settled_ids):
        raise SystemExit(f"{len(settled_ids) - len(lags)} settles' figures were not processed")
    results["figures lag"] = p95(lags) / 1000

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
    """Vacuum (only where autovacuum is off) and read every relation into memory (``prewarm``);
    returns what was done, for the printout. PostgreSQL only."""
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
            try:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            except Exception as error:  # no contrib package on this server: measure as it is
                done.append(f"not prewarmed ({type(error).__name__})")
            else:
                done.append(prewarm(connection))
        db.engine.dispose()
    return "; ".join(done) or "nothing to do"


def prewarm(connection):
    """Read every relation into PostgreSQL's shared buffers where they hold the whole database
    (with a tenth of them to spare for what the run writes), else into the OS cache; returns what
    was done.

    A server whose shared buffers hold its data set has all of it there once it has answered for a
    while; one whose buffers are smaller keeps a share that no rule here could pick fairly, so it
    is measured with the OS cache alone."""
    started = time.perf_counter()
    relations = (
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
    )
    buffers = connection.scalar(text("SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers'"))
    fits = connection.scalar(text("SELECT sum(pg_relation_size(c.oid)) / 8192" + relations)) <= buffers * 9 // 10
    loaded = connection.scalar(
        text("SELECT sum(pg_prewarm(c.oid, :mode))" + relations), {"mode": "buffer" if fits else "read"}
    )
    where = "shared buffers" if fits else f"the OS cache (shared buffers of {buffers * 8 // 1024:,} MB hold less)"
    return f"{(loaded or 0) * 8 // 1024:,} MB read into {where} in {time.perf_counter() - started:.0f} s"


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


def cpu_probe():
    """Milliseconds a fixed piece of pure Python takes (the best of three): printed before and after
    each database's run, so a table measured while the machine's CPU was slow says so."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(url, args):
    """Every figure of one database, as plain data (printed by ``render``, or passed on as JSON)."""
    from app import create_app

    # As in production, what a settle defers runs once its response is sent (app/common/deferred.py).
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "DEFERRED_AFTER_RESPONSE": True}
    )
    gc.freeze()  # as wsgi.py does in each worker once the service is built
    rng = random.Random(args.seed)
    probe_before = cpu_probe()
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
    return {
        **results,
        "machine": machine(),
        "load average": os.getloadavg(),
        "cpu probe": (probe_before, cpu_probe()),
        "steady": steady,
        "scan": scan,
        "first scan": first_scan,
        "http": http,
        "seconds": time.perf_counter() - started,
    }


# (key, label, unit/format, target text, target check or None, growth limit or None)
FIGURES = [
    ("plate lookup", "plate lookup p95", "{:.1f} ms", "≤ 10 ms", lambda v: v <= 10, 0.20),
    ("plate lookup 20", "  with a 20-car page", "{:.1f} ms", "", None, None),
    ("quote", "quote p95", "{:.1f} ms", "≤ 50 ms", lambda v: v <= 50, 0.20),
    ("settle", "settle p95", "{:.1f} ms", "≤ 30 ms", lambda v: v <= 30, 0.20),
    ("settle statements", "SQL statements per settle", "{:.0f}", "", None, None),
    ("figures lag", "owner's figures lag p95", "{:.2f} s", "≤ 5 s", lambda v: v <= 5, None),
    ("segment preview", "segment preview (slowest)", "{:.0f} ms", "≤ 250 ms", lambda v: v <= 250, None),
    ("stats overview", "stats overview (slowest)", "{:.0f} ms", "≤ 500 ms", lambda v: v <= 500, None),
    ("daily scan", "daily scan (all daily jobs)", "{:.1f} s", "≤ 20 s", lambda v: v <= 20, None),
    ("member_metrics", "  of it member_metrics", "{:.1f} s", "", None, None),
    ("first scan", "first scan after seeding", "{:.1f} s", "", None, None),
    ("lookup rps", "plate lookup over HTTP", "{:.0f} req/s", "", None, None),
    ("sql rps", "lookup SQL alone under bare Flask", "{:.0f} req/s", "", None, None),
    ("bare rps", "bare Flask JSON over HTTP", "{:.0f} req/s", "", None, None),
    ("efficiency", "lookup rate / its SQL alone", "{:.0%}", "≥ 75 %", lambda v: v >= 0.75, None),
    ("lookup cpu", "gunicorn CPU per lookup", "{:.2f} ms", "", None, None),
    ("sql cpu", "gunicorn CPU per SQL-alone", "{:.2f} ms", "", None, None),
]


def figures_of(result):
    """{key: number} of one database's run, for the table."""
    figures = {key: result[key] for key, *_rest in FIGURES if isinstance(result.get(key), (int, float))}
    if result.get("scan"):
        figures["daily scan"] = sum(result["scan"].values())
        figures["member_metrics"] = result["scan"].get("member_metrics", 0.0)
        figures["first scan"] = sum(result["first scan"].values())
    if result.get("http"):
        http = result["http"]
        figures["lookup rps"] = http["service"]["rps"]
        figures["sql rps"] = http["sql"]["rps"]
        figures["bare rps"] = http["bare"]["rps"]
        figures["efficiency"] = http["service"]["rps"] / http["sql"]["rps"]
        figures["lookup cpu"] = http["service"]["server_cpu_ms"]
        figures["sql cpu"] = http["sql"]["server_cpu_ms"]
    return figures


def render(results):
    """One table: a column per database (smallest first), the growth from the first to the last,
    and the targets, checked on the largest database. Returns whether every target was met."""
    results = sorted(results, key=lambda result: result["members"])
    largest = results[-1]
    print(f"\nmachine:  {largest['machine']}")
    for result in results:
        print(
            f"database: {result['database']}; {result['members']:,} members; load average "
            f"{' / '.join(f'{x:.1f}' for x in result['load average'])} at the end of its run "
            f"({result['seconds']:.0f} s); CPU probe {result['cpu probe'][0]:.0f} ms before, "
            f"{result['cpu probe'][1]:.0f} ms after; before measuring: {result['steady']}"
        )
    figures = [figures_of(result) for result in results]
    header = [f"{result['members']:,} members" for result in results]
    compare = len(results) > 1
    rows, all_met = [], True
    for key, label, unit, target, check, growth_limit in FIGURES:
        if key not in figures[-1]:
            continue
        cells = [unit.format(each[key]) if key in each else "" for each in figures]
        growth, mark = "", ""
        if compare and key in figures[0] and figures[0][key]:
            change = figures[-1][key] / figures[0][key] - 1
            growth = f"{change:+.0%}"
            if growth_limit is not None:
                met = change <= growth_limit
                all_met &= met
                growth += " (≤ +20 %)" if met else " (NO: > +20 %)"
        if check is not None:
            met = check(figures[-1][key])
            all_met &= met
            mark = "yes" if met else "NO"
        rows.append((label, *cells, *([growth] if compare else []), target, mark))
    titles = ("measure", *header, *(["growth"] if compare else []), "target", "ok")
    widths = [max(len(str(row[index])) for row in [titles, *rows]) for index in range(len(titles))]
    print()
    print("| " + " | ".join(f"{title:<{width}}" for title, width in zip(titles, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        cells = [f"{row[0]:<{widths[0]}}"]
        cells += [f"{cell:>{width}}" for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("| " + " | ".join(cells) + " |")
    for result in results:
        name = f"{result['members']:,} members"
        if result.get("scan"):
            print(f"\n{name}: daily scan by job: " + ", ".join(f"{job} {s:.1f} s" for job, s in result["scan"].items()))
            print(
                f"{name}: first scan after seeding by job: "
                + ", ".join(f"{job} {s:.1f} s" for job, s in result["first scan"].items())
            )
        if result.get("http"):
            print(
                f"{name}: HTTP CPU per request: "
                + "; ".join(
                    f"{label} {each['server_cpu_ms']:.2f} ms in gunicorn"
                    f" + {each['database_cpu_ms']:.2f} ms in PostgreSQL"
                    for label, each in (
                        ("plate lookup", result["http"]["service"]),
                        ("bare endpoint", result["http"]["bare"]),
                        ("lookup SQL alone under bare Flask", result["http"]["sql"]),
                    )
                )
            )
        low, high = result["settle statements range"]
        print(
            f"{name}: segment preview matched {result['segment size']:,} members; {result['settled orders']} orders "
            f"settled, {low}–{high} SQL statements each (the whole request: staff row, idempotency key, settle, commit)"
        )
    return all_met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="repetitions of the segment preview and of each overview (the slowest is reported); not runs of the table",
    )
    parser.add_argument("--http-seconds", type=float, default=15)
    parser.add_argument("--skip-scan", action="store_true", help="leave out the daily scan")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP throughput")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="measure without vacuuming and prewarming first")
    parser.add_argument(
        "--databases",
        nargs="+",
        metavar="URL",
        help="measure each of these seeded databases in turn (e.g. 100,000 and 1,000,000 members) and print"
        " one table with a column per database and the growth; default: DATABASE_URL alone",
    )
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # one database's results, for the parent run
    args = parser.parse_args()
    urls = args.databases or [os.environ.get("DATABASE_URL")]
    if not all(urls):
        raise SystemExit("set DATABASE_URL (or --databases) to a database filled by `flask seed-bench`")
    if len(urls) == 1:
        results = [measure(urls[0], args)]
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(results[0], default=str))
            return
    else:
        # One process per database, one after the other: nothing cached in this interpreter (the
        # engine, the compiled statements) carries from one database to the next.
        results = []
        passed = [arg for arg in sys.argv[1:] if not arg.startswith("postgresql") and not arg.startswith("sqlite")]
        passed = [arg for arg in passed if arg != "--databases"]
        for url in urls:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                subprocess.run(
                    [sys.executable, __file__, *passed, "--json-out", out.name],
                    check=True,
                    env={**os.environ, "DATABASE_URL": url},
                )
                results.append(json.loads(Path(out.name).read_text()))
    if not render(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
