"""The daily sales rollup (``stats_daily_sales``, see app/stats/models.py): kept current by the
settles and refunds (app/consequences.py), rebuilt from the raw rows on demand.

Both paths run the same grouped queries over the work-order tables (``_sales_selects`` and
``_refund_select``), so a row kept current event by event equals the one a rebuild computes:
 * a settle adds the order to its settle day's rows (orders, its posted tenders, its lines
   by category);
 * a refund takes the same amounts off the settle day's rows — a refunded order is not
   counted in any period, see app/stats/orders.py — and adds a ``refund`` row on the refund's day.
Both run inside the settle or refund transaction: the rollup commits or rolls back with it.
They add with one INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x (PostgreSQL and SQLite),
the rows in key order, so concurrent settles at a store queue on the day's row instead of losing an
update, and two transactions never take the row locks in opposite orders.

Days are merchant-local days in the timezone of the merchant settings at the time of the write;
after changing the timezone, ``rebuild_daily_rollups()`` re-buckets the history.
"""

import functools
from typing import NamedTuple

from sqlalchemy import String, case, cast, delete, exists, func, literal, literal_column, select, true, union_all

from app.common import clock
from app.common.db import insert_for
from app.extensions import db
from app.merchant.services import get_settings
from app.stats.models import AMOUNTS, DailySales, RecentVisits, VisitDays
from app.stats.periods import local_date, make_period
from app.workorders.models import WorkOrder, WorkOrderLine, WorkOrderPayment

KEY = ("day", "store_id", "kind", "name")
COLUMNS = KEY + AMOUNTS


def _zero():
    return literal(0)


def _sales_selects(where, period, sign=1):
    """The settle-day rows of the orders matching ``where`` (amounts multiplied by ``sign``)."""
    day = local_date(WorkOrder.settled_at, period).label("day")
    orders = (
        select(
            day,
            WorkOrder.store_id,
            literal("orders"),
            literal(""),
            sign * func.count(),
            sign * func.count(WorkOrder.member_id),
            sign * func.sum(WorkOrder.total_fen),
            sign * func.sum(WorkOrder.paid_fen),
            _zero(),
        )
        .where(where)
        .group_by(day, WorkOrder.store_id)
    )
    tenders = (
        select(
            day,
            WorkOrder.store_id,
            literal("tender"),
            WorkOrderPayment.type,
            _zero(),
            _zero(),
            sign * func.sum(WorkOrderPayment.amount_fen),
            _zero(),
            _zero(),
        )
        .join(WorkOrder, WorkOrder.id == WorkOrderPayment.work_order_id)
        .where(where, WorkOrderPayment.status == "posted")
        .group_by(day, WorkOrder.store_id, WorkOrderPayment.type)
    )
    categories = (
        select(
            day,
            WorkOrder.store_id,
            literal("category"),
            WorkOrderLine.category,
            _zero(),
            _zero(),
            sign * func.sum(WorkOrderLine.unit_net_fen * WorkOrderLine.quantity),
            _zero(),
            sign * func.sum(WorkOrderLine.unit_price_fen * WorkOrderLine.quantity),
        )
        .join(WorkOrder, WorkOrder.id == WorkOrderLine.work_order_id)
        .where(where, WorkOrderLine.approval != "declined")  # declined extra work was never sold
        .group_by(day, WorkOrder.store_id, WorkOrderLine.category)
    )
    return [orders, tenders, categories]


def _refund_select(where, period):
    """``refund`` rows of the refunded orders matching ``where``: by refund day and settle day."""
    day = local_date(WorkOrder.refunded_at, period).label("day")
    settled_on = cast(local_date(WorkOrder.settled_at, period), String).label("settled_on")
    return (
        select(
            day,
            WorkOrder.store_id,
            literal("refund"),
            settled_on,
            func.count(),
            _zero(),
            func.sum(WorkOrder.total_fen),
            func.sum(WorkOrder.paid_fen),
            _zero(),
        )
        .where(where, WorkOrder.status == "refunded")
        .group_by(day, WorkOrder.store_id, settled_on)
    )


def _covering_period(first, last):
    """A period of local days holding the instants ``first``..``last`` (for local_date's SQL)."""
    tz_name = get_settings().timezone
    return make_period(
        first_day=clock.local_today(tz_name, first), last_day=clock.local_today(tz_name, last), tz_name=tz_name
    )


def _add_order(work_order_id, sign, *, settled_at, refunded_at=None):
    """Add the order's rows (``_sales_selects`` × ``sign``, and its ``refund`` row when it was
    refunded) to the rollup in one INSERT ... SELECT ... ON CONFLICT DO UPDATE (insert, or add to the
    existing row), the rows in key order."""
    with_refund = refunded_at is not None
    period = _covering_period(settled_at, refunded_at or settled_at)
    where = WorkOrder.id == work_order_id
    queries = _sales_selects(where, period, sign) + ([_refund_select(where, period)] if with_refund else [])
    rows = union_all(*queries).order_by(*(literal_column(str(position)) for position in range(1, len(KEY) + 1)))
    statement = insert_for(db.session, DailySales).from_select(list(COLUMNS), rows)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=list(KEY),
            set_={name: getattr(DailySales, name) + getattr(statement.excluded, name) for name in AMOUNTS},
        )
    )


def add_settled_order(*, work_order_id, member_id, vehicle_id, store_id, settled_at):
    """A settled order joins its settle day's figures, and its member's and car's latest visits
    (run by app/consequences.py inside the settle's transaction)."""
    db.session.flush()
    _add_order(work_order_id, 1, settled_at=settled_at)
    _refresh_recent_visits(member_id=member_id, vehicle_id=vehicle_id, store_id=store_id)


def take_refunded_order(*, work_order_id, member_id, vehicle_id, store_id, settled_at, refunded_at):
    """A refunded order leaves its settle day's figures and appears among the refunds of the refund's
    day; its member's and car's latest visits are looked up again (app/consequences.py, in the refund's
    transaction)."""
    db.session.flush()
    _add_order(work_order_id, -1, settled_at=settled_at, refunded_at=refunded_at)
    _refresh_recent_visits(member_id=member_id, vehicle_id=vehicle_id, store_id=store_id)


# -- the latest visits of members and cars -------------------------------------------------------

SUBJECTS = {"member": WorkOrder.member_id, "vehicle": WorkOrder.vehicle_id}


def _subject_conditions(column, subject_id, scope):
    conditions = [column == subject_id, WorkOrder.status == "settled"]
    if scope:
        conditions.append(WorkOrder.store_id == scope)
    return conditions


def _latest_instants(subjects, store_id):
    """{(subject, scope): the settled_at of the two latest counted orders, newest first} of each
    (subject, id) in ``subjects`` at every store (scope 0) and at the store: one query."""
    ranked = [
        select(literal(subject).label("subject"), literal(scope).label("scope"), WorkOrder.settled_at)
        .where(*_subject_conditions(SUBJECTS[subject], subject_id, scope))
        .order_by(WorkOrder.settled_at.desc())
        .limit(2)
        .subquery()
        for subject, subject_id in subjects
        for scope in (0, store_id)
    ]
    latest = {(subject, scope): [] for subject, _subject_id in subjects for scope in (0, store_id)}
    for subject, scope, instant in db.session.execute(union_all(*(select(query) for query in ranked))):
        latest[(subject, scope)].append(instant)
    return {key: sorted(instants, reverse=True) for key, instants in latest.items()}


def _refresh_recent_visits(*, member_id, vehicle_id, store_id):
    """Look up again the two latest counted orders of the order's member and car, at every store
    and at the order's store, and move the histogram's counts from the old days to the new ones.
    The subjects' rows are locked first, all by one upsert that inserts the missing ones empty and
    returns the old days, so two settles for one car queue; its rows are in key order (member, then
    car; every store, then the store), so two transactions never take them in opposite orders.
    Then one query reads the latest orders and one upsert writes the rows whose days changed."""
    tz_name = get_settings().timezone
    subjects = [
        (subject, subject_id)
        for subject, subject_id in (("member", member_id), ("vehicle", vehicle_id))
        if subject_id is not None
    ]
    if not subjects:
        return
    statements = _recent_visit_upserts(db.session.get_bind().dialect.name)
    keys = [
        {"subject": subject, "subject_id": subject_id, "scope": scope}
        for subject, subject_id in subjects
        for scope in (0, store_id)
    ]
    old = {
        (subject, scope): (last_day, prev_day)
        for subject, scope, last_day, prev_day in db.session.execute(statements.lock, keys)
    }
    ids = dict(subjects)
    changed, deltas = [], {}
    for (subject, scope), instants in _latest_instants(subjects, store_id).items():
        new = tuple(clock.local_today(tz_name, instant) for instant in instants) + (None,) * (2 - len(instants))
        if old[(subject, scope)] == new:
            continue
        changed.append(
            {"subject": subject, "subject_id": ids[subject], "scope": scope, "last_day": new[0], "prev_day": new[1]}
        )
        for position, (before, after) in enumerate(zip(old[(subject, scope)], new, strict=False)):
            for day, step in ((before, -1), (after, 1)):
                if day is not None:
                    counts = deltas.setdefault((subject, scope, day), [0, 0])
                    counts[position] += step
    if changed:
        # The rows exist and are locked (above): this upsert only writes their new days, in key order.
        changed.sort(key=lambda row: (row["subject"], row["subject_id"], row["scope"]))
        db.session.execute(statements.move_days, changed)
    rows = [
        {"subject": subject, "scope": scope, "day": day, "last_count": last, "prev_count": prev}
        for (subject, scope, day), (last, prev) in sorted(deltas.items())
        if last or prev
    ]
    if rows:
        db.session.execute(statements.count_days, rows)


class _RecentVisitUpserts(NamedTuple):
    lock: object
    move_days: object
    count_days: object


@functools.cache
def _recent_visit_upserts(dialect_name):
    """The three upserts of ``_refresh_recent_visits``, built once per dialect and run with a list of
    rows: SQLAlchemy sends each as one multi-row INSERT, in the rows' order, and compiles it once
    (a statement with its rows inside, ``insert().values([...])``, is compiled again on every call)."""
    key = ["subject", "subject_id", "scope"]
    lock = insert_for(dialect_name, RecentVisits)
    lock = lock.on_conflict_do_update(index_elements=key, set_={"last_day": RecentVisits.last_day}).returning(
        RecentVisits.subject, RecentVisits.scope, RecentVisits.last_day, RecentVisits.prev_day
    )
    move_days = insert_for(dialect_name, RecentVisits)
    move_days = move_days.on_conflict_do_update(
        index_elements=key, set_={"last_day": move_days.excluded.last_day, "prev_day": move_days.excluded.prev_day}
    )
    count_days = insert_for(dialect_name, VisitDays)
    count_days = count_days.on_conflict_do_update(
        index_elements=["subject", "scope", "day"],
        set_={
            "last_count": VisitDays.last_count + count_days.excluded.last_count,
            "prev_count": VisitDays.prev_count + count_days.excluded.prev_count,
        },
    )
    return _RecentVisitUpserts(lock, move_days, count_days)


def _rebuild_recent_visits(period):
    day = local_date(WorkOrder.settled_at, period)
    for subject, column in SUBJECTS.items():
        for per_store in (False, True):
            partition = [column, WorkOrder.store_id] if per_store else [column]
            ranked = (
                select(
                    column.label("subject_id"),
                    (WorkOrder.store_id if per_store else literal(0)).label("scope"),
                    day.label("day"),
                    func.row_number()
                    .over(partition_by=partition, order_by=(WorkOrder.settled_at.desc(), WorkOrder.id.desc()))
                    .label("rank"),
                )
                .where(WorkOrder.status == "settled", column.is_not(None))
                .subquery()
            )
            latest = (
                select(
                    literal(subject),
                    ranked.c.subject_id,
                    ranked.c.scope,
                    func.max(case((ranked.c.rank == 1, ranked.c.day))),
                    func.max(case((ranked.c.rank == 2, ranked.c.day))),
                )
                .where(ranked.c.rank <= 2)
                .group_by(ranked.c.subject_id, ranked.c.scope)
            )
            db.session.execute(
                RecentVisits.__table__.insert().from_select(
                    ["subject", "subject_id", "scope", "last_day", "prev_day"], latest
                )
            )
    days = union_all(
        select(
            RecentVisits.subject,
            RecentVisits.scope,
            RecentVisits.last_day.label("day"),
            literal(1).label("last_count"),
            literal(0).label("prev_count"),
        ).where(RecentVisits.last_day.is_not(None)),
        select(
            RecentVisits.subject,
            RecentVisits.scope,
            RecentVisits.prev_day.label("day"),
            literal(0).label("last_count"),
            literal(1).label("prev_count"),
        ).where(RecentVisits.prev_day.is_not(None)),
    ).subquery()
    db.session.execute(
        VisitDays.__table__.insert().from_select(
            ["subject", "scope", "day", "last_count", "prev_count"],
            select(
                days.c.subject, days.c.scope, days.c.day, func.sum(days.c.last_count), func.sum(days.c.prev_count)
            ).group_by(days.c.subject, days.c.scope, days.c.day),
        )
    )


def rebuild_daily_rollups():
    """Recompute the whole rollup from the work orders, lines and payments (after a bulk load or a
    timezone change); runs in the caller's transaction."""
    for table in (DailySales, RecentVisits, VisitDays):
        db.session.execute(delete(table))
    first, last = db.session.execute(
        select(
            func.min(WorkOrder.settled_at), func.max(func.coalesce(WorkOrder.refunded_at, WorkOrder.settled_at))
        ).where(WorkOrder.status.in_(("settled", "refunded")))
    ).one()
    if first is None:
        return
    period = _covering_period(first, last)
    columns = [getattr(DailySales, name) for name in COLUMNS]
    for query in _sales_selects(WorkOrder.status == "settled", period) + [_refund_select(true(), period)]:
        db.session.execute(DailySales.__table__.insert().from_select(columns, query))
    _rebuild_recent_visits(period)


# -- reading -------------------------------------------------------------------------------------


def _in_days(period, store_id):
    conditions = [DailySales.day >= period.first_day, DailySales.day <= period.last_day]
    if store_id is not None:
        conditions.append(DailySales.store_id == store_id)
    return conditions


def period_sales(period, store_id=None):
    """The period's days of the rollup in one read: ({(kind, name): (work_orders, member_work_orders,
    amount_fen, paid_fen, list_fen)} summed over the ``orders``, ``tender`` and ``category`` rows,
    (orders, totals, paid, of them settled before the period) refunded in the period).

    The refund rows are named by their settle day; they are grouped only by whether that day is
    before the period, so the whole period is one scan with a few dozen groups."""
    refund = DailySales.kind == "refund"
    settled_before = DailySales.name < period.first_day.isoformat()
    group = case((refund, case((settled_before, literal("before")), else_=literal("within"))), else_=DailySales.name)
    rows = db.session.execute(
        select(DailySales.kind, group, *(func.sum(getattr(DailySales, name)) for name in AMOUNTS))
        .where(*_in_days(period, store_id), DailySales.kind.in_(("orders", "tender", "category", "refund")))
        .group_by(DailySales.kind, group)
    ).all()
    sales, refunds, earlier = {}, [0, 0, 0], 0
    for kind, name, *amounts in rows:
        amounts = tuple(int(value or 0) for value in amounts)
        if kind != "refund":
            sales[(kind, name)] = amounts
            continue
        count, _members, total, paid, _list = amounts
        refunds = [refunds[0] + count, refunds[1] + total, refunds[2] + paid]
        earlier += count if name == "before" else 0
    return sales, (*refunds, earlier)


def counted_after(end, store_id=None):
    """Whether any counted order was settled at or after ``end`` (at ``store_id`` when given)."""
    conditions = [WorkOrder.status == "settled", WorkOrder.settled_at >= end]
    if store_id is not None:
        conditions.append(WorkOrder.store_id == store_id)
    return db.session.scalar(select(exists().where(*conditions)))


def subjects_since(windows, last_day, store_id=None):
    """For each (subject, first_day) in ``windows``: (members or cars whose latest counted order
    falls in first_day..last_day, those whose second latest does) -- with no counted order after
    last_day, the members (cars) with an order in those days and those with two or more. One read
    of the histogram for every window."""
    days = VisitDays.day
    sums = [
        func.sum(getattr(VisitDays, count)).filter(VisitDays.subject == subject, days >= first_day)
        for subject, first_day in windows
        for count in ("last_count", "prev_count")
    ]
    values = db.session.execute(
        select(*sums).where(
            VisitDays.subject.in_(sorted({subject for subject, _first_day in windows})),
            VisitDays.scope == (store_id or 0),
            days >= min(first_day for _subject, first_day in windows),
            days <= last_day,
        )
    ).one()
    return [(int(values[2 * index] or 0), int(values[2 * index + 1] or 0)) for index in range(len(windows))]
