"""Member metrics for segmentation: average ticket, mean interval between visits, lifecycle and
value class, derived from the visit statistics that app/members/visits.py keeps on the member row.

- Kept current: the settle and refund events call ``refresh_member`` for the one member concerned
  (the visit statistics were already updated by then; see app/workorders/settle.py).
- Recomputable in bulk: ``recompute_member_metrics(*, now)`` recomputes every member in one
  set-based UPDATE (no Python loop over members) that writes only the members whose values change;
  the daily ``member_metrics`` job runs it, which also moves members between lifecycles as time passes.

Rules (paid work only, DESIGN.md "Field rules"):
- average ticket = total paid / paid visits (integer fen, rounded down); 0 before the first visit;
- mean visit interval = (last paid visit - first paid visit) / (paid visits - 1), in days rounded
  half up; NULL below two visits;
- lifecycle: ``new`` (never visited), ``active``, ``at_risk`` (idle more than the settings'
  at_risk_after_days), ``churned`` (idle more than churned_after_days), as ``services.lifecycle_of``;
- value class: each of the three factors is ranked by percentile among members with a paid visit
  (higher ticket, more visits and a shorter interval rank higher; one visit has the worst interval),
  the score is the mean of the three ranks, and the score is cut by percentile: ``high`` is the top
  20 %, ``medium`` the next 30 %, ``low`` the rest; ``none`` before the first visit.
  The bulk run stores its cut points (``MemberMetricCuts``) so a settle can place one member without
  ranking the whole population; the next bulk run re-cuts everyone exactly.
"""

from bisect import bisect_left
from datetime import timedelta

from sqlalchemy import Double, Integer, Numeric, and_, any_, case, cast, func, literal, or_, select, type_coerce, update

from app.common import clock
from app.common.db import is_sqlite, set_local
from app.extensions import db
from app.members.models import Member, MemberMetricCuts
from app.merchant.services import get_settings

LIFECYCLES = ("new", "active", "at_risk", "churned")
VALUE_CLASSES = ("high", "medium", "low", "none")
HIGH_FROM = 0.8  # percent rank of the score where "high" starts (top 20 %)
MEDIUM_FROM = 0.5  # ... and "medium" (the next 30 %)
QUANTILES = 100
NO_INTERVAL = -(10**9)  # sort key of "one visit only": below every real (negated) interval
# Memory for the bulk run's sorts and hash joins on PostgreSQL: ranking every member by score sorts a
# million rows, and with the default 4 MB the window's partition spilled to disk and was re-read
# from there many times over. SET LOCAL ends with the job's transaction.
METRICS_WORK_MEM = "256MB"


# -- one member ----------------------------------------------------------------------------------


def average_ticket(total_paid_fen, paid_visit_count):
    return total_paid_fen // paid_visit_count if paid_visit_count > 0 else 0


def mean_interval_days(first_at, last_at, paid_visit_count):
    if paid_visit_count < 2 or first_at is None or last_at is None:
        return None
    days = (last_at - first_at).total_seconds() / 86400 / (paid_visit_count - 1)
    return int(days + 0.5)


def lifecycle_for(last_paid_visit_at, *, now, settings):
    if last_paid_visit_at is None:
        return "new"
    if last_paid_visit_at < now - timedelta(days=settings.churned_after_days):
        return "churned"
    if last_paid_visit_at < now - timedelta(days=settings.at_risk_after_days):
        return "at_risk"
    return "active"


def _interval_key(interval_days):
    return NO_INTERVAL if interval_days is None else -interval_days


def _rank(quantiles, value):
    return bisect_left(quantiles, value) / len(quantiles) if quantiles else 0.0


def value_class_from_cuts(*, average_ticket_fen, paid_visit_count, mean_visit_interval_days, cuts):
    """Place one member with the cut points of the last bulk run (see the module docstring)."""
    if paid_visit_count <= 0:
        return "none"
    if not cuts:
        return "low"
    score = (
        _rank(cuts["ticket"], average_ticket_fen)
        + _rank(cuts["visits"], paid_visit_count)
        + _rank(cuts["interval"], _interval_key(mean_visit_interval_days))
    ) / 3
    if cuts.get("high") is not None and score >= cuts["high"]:
        return "high"
    if cuts.get("medium") is not None and score >= cuts["medium"]:
        return "medium"
    return "low"


def refresh_member(*, member_id, now=None):
    """Recompute one member's derived metrics from their visit statistics."""
    member = db.session.get(Member, member_id)
    if member is None:
        return None
    db.session.flush()  # then re-read only the visit statistics (other pending changes are kept)
    db.session.refresh(member, ["paid_visit_count", "total_paid_fen", "first_paid_visit_at", "last_paid_visit_at"])
    # Read before any figure changes, so reading them flushes nothing and the figures go in one UPDATE.
    cuts_row, settings = db.session.get(MemberMetricCuts, 1), get_settings()
    now = now or clock.now()
    member.average_ticket_fen = average_ticket(member.total_paid_fen, member.paid_visit_count)
    member.mean_visit_interval_days = mean_interval_days(
        member.first_paid_visit_at, member.last_paid_visit_at, member.paid_visit_count
    )
    member.lifecycle = lifecycle_for(member.last_paid_visit_at, now=now, settings=settings)
    member.value_class = value_class_from_cuts(
        average_ticket_fen=member.average_ticket_fen,
        paid_visit_count=member.paid_visit_count,
        mean_visit_interval_days=member.mean_visit_interval_days,
        cuts=cuts_row.cuts if cuts_row else None,
    )
    db.session.flush()
    return member


# -- everyone, set-based -------------------------------------------------------------------------


def _interval_days_sql():
    span = Member.last_paid_visit_at - Member.first_paid_visit_at
    if is_sqlite(db.session):
        days = func.julianday(Member.last_paid_visit_at) - func.julianday(Member.first_paid_visit_at)
        rounded = cast(days / (Member.paid_visit_count - 1) + 0.5, Integer)
    else:
        days = func.extract("epoch", span) / 86400.0
        rounded = cast(func.floor(days / (Member.paid_visit_count - 1) + 0.5), Integer)
    return case(
        (
            (Member.paid_visit_count >= 2)
            & Member.first_paid_visit_at.is_not(None)
            & Member.last_paid_visit_at.is_not(None),
            rounded,
        ),
        else_=None,
    )


def _lifecycle_sql(now, settings):
    churned_before = literal(now - timedelta(days=settings.churned_after_days), Member.last_paid_visit_at.type)
    at_risk_before = literal(now - timedelta(days=settings.at_risk_after_days), Member.last_paid_visit_at.type)
    return case(
        (Member.last_paid_visit_at.is_(None), "new"),
        (Member.last_paid_visit_at < churned_before, "churned"),
        (Member.last_paid_visit_at < at_risk_before, "at_risk"),
        else_="active",
    )


def _ticket_sql():
    return case((Member.paid_visit_count > 0, Member.total_paid_fen // Member.paid_visit_count), else_=0)


def _counted():
    """Who is ranked for value classes: members with a paid visit who were not merged away."""
    return and_(Member.paid_visit_count > 0, Member.merged_into_id.is_(None))


def _figures(now):
    """Per member: the recomputed figures, lifecycle, whether they count for value classes, their
    score (the mean of the three factor ranks among those who do) and the score's percent rank."""
    figures = select(
        Member.id.label("id"),
        _ticket_sql().label("ticket"),
        _interval_days_sql().label("interval"),
        _lifecycle_sql(now, get_settings()).label("lifecycle"),
        Member.paid_visit_count.label("visits"),
        case((_counted(), 1), else_=0).label("counted"),
        Member.average_ticket_fen.label("old_ticket"),
        Member.mean_visit_interval_days.label("old_interval"),
        Member.lifecycle.label("old_lifecycle"),
        Member.value_class.label("old_value_class"),
    ).subquery()
    # The three factors' keys of the counted members, taken in one pass over the members: each
    # factor's count per value then reads this narrow copy, not every member's row again.
    keys = (
        select(
            _ticket_sql().label("ticket"),
            Member.paid_visit_count.label("visits"),
            func.coalesce(-_interval_days_sql(), NO_INTERVAL).label("interval"),
        )
        .where(_counted())
        .cte("counted_keys")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    factors = [_share_below(keys.c[name]) for name in ("ticket", "visits", "interval")]
    joined = figures
    for factor, key in zip(
        factors, (figures.c.ticket, figures.c.visits, func.coalesce(-figures.c.interval, NO_INTERVAL)), strict=True
    ):
        joined = joined.outerjoin(factor, and_(factor.c.value == key, figures.c.counted == 1))
    # Added in the order percent_rank's would be, so the score is the same float to the last bit; read
    # as percent_rank's type (Numeric) as before, so the stored score cuts keep their rounding.
    score = type_coerce((factors[0].c.rank + factors[1].c.rank + factors[2].c.rank) / 3.0, Numeric())
    ranked = select(figures, score.label("score"), factors[0].c.population).select_from(joined).subquery()
    # The score's percent_rank among the counted, as percent_rank computes it, from rank(), which
    # streams through the sorted rows where percent_rank first holds the whole partition to count it.
    position = func.rank().over(partition_by=ranked.c.counted, order_by=ranked.c.score) - 1
    share = case(
        (ranked.c.population > 1, cast(position, Double) / cast(ranked.c.population - 1, Double)),
        else_=literal(0.0, Double),
    )
    classed = select(*[c for c in ranked.c if c.name != "population"], share.label("pr")).subquery()
    value_class = case(
        (classed.c.counted == 0, "none"),
        (classed.c.pr >= HIGH_FROM, "high"),
        (classed.c.pr >= MEDIUM_FROM, "medium"),
        else_="low",
    )
    return classed, value_class


def _share_below(key):
    """Per distinct value of ``key`` (a column of the counted members' keys): the share of them
    below it, which is its percent_rank ((rank - 1) / (rows - 1), 0 for a single row), computed
    from a count per value instead of a sort of every member (a few ten thousand distinct tickets,
    visit counts and intervals at a million members); and how many are counted."""
    below = func.sum(func.count()).over(order_by=key) - func.count()
    population = func.sum(func.count()).over()
    rank = case((population > 1, cast(below, Double) / cast(population - 1, Double)), else_=literal(0.0, Double))
    return select(key.label("value"), rank.label("rank"), population.label("population")).group_by(key).subquery()


def _score_cuts(classed):
    cut_rows = db.session.execute(
        select(
            func.min(case((classed.c.pr >= HIGH_FROM, classed.c.score))),
            func.min(case((classed.c.pr >= MEDIUM_FROM, classed.c.score))),
        ).where(classed.c.counted == 1)
    ).one()
    return {"high": _as_float(cut_rows[0]), "medium": _as_float(cut_rows[1])}


def _quantiles(expression):
    """The lower bound of each percentile bucket of ``expression`` among members with a paid visit:
    the least value of each of ntile(100)'s buckets over them in ascending order, read from a count
    per distinct value (no sort of every member). ntile gives the first (rows mod 100) buckets one
    row more than the others, and one row each to fewer rows than buckets."""
    counts = db.session.execute(
        select(expression, func.count()).where(_counted()).group_by(expression).order_by(expression)
    ).all()
    total = sum(count for _value, count in counts)
    size, larger = divmod(total, QUANTILES)
    starts = range(total) if size == 0 else [tile * size + min(tile, larger) for tile in range(QUANTILES)]
    bounds, seen, index = [], 0, 0
    for start in starts:  # the value at each bucket's first position
        while seen + counts[index][1] <= start:
            seen += counts[index][1]
            index += 1
        bounds.append(int(counts[index][0]))
    return bounds


def recompute_member_metrics(*, now=None):
    """Recompute every member's average ticket, interval, lifecycle and value class in ONE set-based
    UPDATE ... FROM (the factor ranks come from a count per distinct value, the score's rank from
    one window over the recomputed figures); only members
    whose values change are written. Then the cut points for single-member placement are stored.
    On PostgreSQL the ranking runs once: the UPDATE, the change counts and the score cuts are one
    statement over one materialised CTE."""
    now = now or clock.now()
    if is_sqlite(db.session):
        counts, score_cuts = _recompute_in_steps(now)
    else:
        set_local(db.session, work_mem=METRICS_WORK_MEM)
        counts, score_cuts = _recompute_in_one_statement(now)
    interval_key = func.coalesce(-Member.mean_visit_interval_days, NO_INTERVAL)
    cuts = {
        "ticket": _quantiles(Member.average_ticket_fen),
        "visits": _quantiles(Member.paid_visit_count),
        "interval": _quantiles(interval_key),
    } | score_cuts
    row = db.session.get(MemberMetricCuts, 1) or MemberMetricCuts(id=1)
    row.cuts, row.computed_at = cuts, now
    db.session.add(row)
    db.session.flush()
    db.session.expire_all()
    return {
        "figures_changed": int(counts["figures"]),
        "lifecycle_changed": int(counts["lifecycle"]),
        "value_class_changed": int(counts["value_class"]),
    }


def _changes(classed, value_class):
    """Per kind of change, the condition that a member's stored values differ from the new ones."""
    return {
        "figures": or_(
            classed.c.old_ticket != classed.c.ticket, classed.c.old_interval.is_distinct_from(classed.c.interval)
        ),
        "lifecycle": classed.c.old_lifecycle != classed.c.lifecycle,
        "value_class": classed.c.old_value_class != value_class,
    }


def _as_float(value):
    return None if value is None else float(value)


def _recompute_in_one_statement(now):
    classed, value_class = _figures(now)
    changes = _changes(classed, value_class)
    ranked = select(
        classed,
        value_class.label("value_class"),
        *[changed.label(f"{name}_changed") for name, changed in changes.items()],
    ).cte("ranked")
    changed = or_(*[ranked.c[f"{name}_changed"] for name in changes])
    # The members to write named as an array too: the planner cannot tell from the change flags
    # that a few thousand of a million rows change, and joined every member to the ranking (a hash
    # of every member's row); by the array it reads just those members by their key.
    changed_ids = func.array(select(ranked.c.id).where(changed).scalar_subquery())
    written = (
        update(Member)
        .where(Member.id == any_(changed_ids), Member.id == ranked.c.id, changed)
        .values(
            average_ticket_fen=ranked.c.ticket,
            mean_visit_interval_days=ranked.c.interval,
            lifecycle=ranked.c.lifecycle,
            value_class=ranked.c.value_class,
        )
        .returning(Member.id)
        .cte("written")
    )
    count_of = lambda flag: func.coalesce(func.sum(case((flag, 1), else_=0)), 0)  # noqa: E731
    cut_at = lambda start: func.min(case((and_(ranked.c.counted == 1, ranked.c.pr >= start), ranked.c.score)))  # noqa: E731
    row = db.session.execute(
        select(
            *[count_of(ranked.c[f"{name}_changed"]) for name in changes],
            cut_at(HIGH_FROM),
            cut_at(MEDIUM_FROM),
            select(func.count()).select_from(written).scalar_subquery(),
        ).execution_options(synchronize_session=False)
    ).one()
    return dict(zip(changes, row[:3], strict=False)), {"high": _as_float(row[3]), "medium": _as_float(row[4])}


def _recompute_in_steps(now):
    classed, value_class = _figures(now)
    changes = _changes(classed, value_class)
    counts = dict(
        zip(
            changes,
            db.session.execute(  # counted before writing: what this run changes
                select(*[func.coalesce(func.sum(case((changed, 1), else_=0)), 0) for changed in changes.values()])
            ).one(),
            strict=False,
        )
    )
    db.session.execute(
        update(Member)
        .where(Member.id == classed.c.id, or_(*changes.values()))
        .values(
            average_ticket_fen=classed.c.ticket,
            mean_visit_interval_days=classed.c.interval,
            lifecycle=classed.c.lifecycle,
            value_class=value_class,
        )
        .execution_options(synchronize_session=False)
    )
    return counts, _score_cuts(_figures(now)[0])
