"""The benchmark data set: ``flask seed-bench --members N`` fills an empty database with a chain of
stores and N members with two years of history (see ``population.py`` for what each member gets).

Rows are generated in Python and bulk-loaded (COPY on PostgreSQL) chunk by chunk in one transaction,
so an interrupted run leaves nothing behind. Afterwards the planner statistics are refreshed and the
nightly member metrics are computed, so the data set looks like a shop's database the morning after
the scheduler ran.

Tooling, not a domain: it lives outside app/ so the service never loads it; the ``flask seed-bench``
command (app/cli.py) imports it when run from a checkout.
"""

import time
from datetime import datetime, timedelta

from sqlalchemy import select, text, update

from app.common import clock
from app.extensions import db
from app.members.metrics import recompute_member_metrics
from app.members.models import Member
from app.merchant.services import get_settings
from bench.seed.loader import BulkLoader, indexes_deferred
from bench.seed.population import COLUMNS, Population
from bench.seed.reference import create_reference

CHUNK = 10_000
BOOKINGS_PER_STORE_DAY = 40
BOOKING_DAYS = 7
WALK_INS_PER_MEMBERS = 20  # one walk-in car per twenty members


class DatabaseNotEmpty(Exception):
    pass


def seed_bench(*, members, stores=3, seed=2026, progress=None, now=None):
    """Create the chain and ``members`` members with their history in an empty database.

    Refuses a database that already holds members (DatabaseNotEmpty). Returns a summary:
    rows per table, seconds taken, the staff logins.
    """
    started = time.perf_counter()
    now = now or clock.now()
    if db.session.scalar(select(Member.id).limit(1)) is not None:
        raise DatabaseNotEmpty("the database already holds members; seed-bench fills an empty one")
    settings = get_settings()
    reference = create_reference(stores, now=now)
    population = Population(reference, settings, now=now, seed=seed)
    candidates = []
    booking_wanted = len(reference.store_ids) * BOOKING_DAYS * BOOKINGS_PER_STORE_DAY
    connection = db.session.connection()
    loader = BulkLoader(connection)
    phases = {}

    def phase(name):
        phases[name] = time.perf_counter() - started - sum(phases.values())

    with indexes_deferred(connection, [*COLUMNS, "bookings"]):
        _load_members(loader, population, members, candidates, booking_wanted, progress)
        loader.load("work_order_sequences", COLUMNS["work_order_sequences"], population.sequence_rows())
        loader.load("bookings", BOOKING_COLUMNS, _bookings(reference, settings, candidates, now))
        _set_counters(connection, population)
        loader.finish()
        phase("generate and load")
        # Last night's metrics, computed while the members table has no secondary indexes to update
        # (with planner statistics of the loaded tables, so the computation plans for their size).
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        recompute_member_metrics(now=now)
        phase("member metrics")
    db.session.commit()
    phase("indexes and keys")
    from app.stats.rollup import rebuild_daily_rollups  # the overview's daily sales, from the loaded orders

    rebuild_daily_rollups()
    db.session.commit()
    phase("stats rollup")
    from app.members.counter_lookup import (
        fold_plate_trigram_counts,
    )  # one count row per trigram, as each night leaves them

    fold_plate_trigram_counts()
    db.session.commit()
    phase("plate trigram counts")
    _refresh_planner_statistics()
    phase("vacuum and analyze")
    return {
        "seconds": time.perf_counter() - started,
        "rows": dict(loader.loaded),
        "logins": reference.logins,
        "phases": phases,
    }


def _load_members(loader, population, members, candidates, booking_wanted, progress):
    for start in range(1, members + 1, CHUNK):
        stop = min(start + CHUNK, members + 1)
        rows = {table: [] for table in COLUMNS}
        for member_id in range(start, stop):
            population.add_member(member_id, rows)
        for _ in range(max((stop - start) // WALK_INS_PER_MEMBERS, 0)):
            population.add_walk_in_vehicle(rows)
        if len(candidates) < booking_wanted:
            candidates += [(row[1], row[0], row[2]) for row in rows["vehicles"][::7] if row[1] is not None]
        loader.load_chunk(
            [(table, columns, rows[table]) for table, columns in COLUMNS.items() if table != "work_order_sequences"]
        )
        if progress:
            progress(stop - start)
    loader.wait()


BOOKING_COLUMNS = (
    "id",
    "store_id",
    "member_id",
    "vehicle_id",
    "service_item_id",
    "plate",
    "start_at",
    "end_at",
    "status",
    "reschedule_count",
    "created_at",
    "updated_at",
)


def _bookings(reference, settings, candidates, now):
    """The coming week's bookings: at most three starting per half-hour slot (a store has six bays)."""
    tz = clock.zone(settings.timezone)
    today = clock.local_today(settings.timezone, now)
    bookable = [item for item in reference.items if item[4] <= 60]
    rows, n = [], 0
    for store_id in reference.store_ids:
        for day_offset in range(1, BOOKING_DAYS + 1):
            day = today + timedelta(days=day_offset)
            for k in range(BOOKINGS_PER_STORE_DAY):
                if n >= len(candidates):
                    return rows
                member_id, vehicle_id, plate = candidates[n]
                item = bookable[n % len(bookable)]
                start = datetime(day.year, day.month, day.day, 9, tzinfo=tz) + timedelta(minutes=30 * (k % 18))
                n += 1
                rows.append(
                    (
                        n,
                        store_id,
                        member_id,
                        vehicle_id,
                        item[0],
                        plate,
                        start,
                        start + timedelta(minutes=item[4]),
                        "booked",
                        0,
                        now,
                        now,
                    )
                )
    return rows


def _set_counters(connection, population):
    from app.coupons.models import CouponTemplate
    from app.marketing.models import Campaign

    for template_id, issued in population.coupons_issued.items():
        connection.execute(update(CouponTemplate).where(CouponTemplate.id == template_id).values(issued_count=issued))
    for campaign_id, audience in population.campaign_audience.items():
        connection.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(audience=audience, coupons_issued=audience)
        )


def _refresh_planner_statistics():
    """VACUUM ANALYZE on PostgreSQL (as autovacuum would), ANALYZE on SQLite."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
