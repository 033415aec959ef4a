"""Tier qualification by rolling 12-month paid spend.

* A member qualifies for the highest-ranked tier whose ``min_spend_12m_fen`` their paid spend over
  the last 365 days reaches. ``check_upgrade`` (run right after a work order's settle commits,
  with its deferred figures: app/consequences.py) moves a member up to that tier, never down.
* ``review_tiers`` (the scheduler's ``tier_review`` job) also moves members down: a tier reached
  automatically is kept for 12 months from the day it was reached; after that a member whose
  rolling spend no longer reaches it drops to the tier the spend does reach. A tier staff assigned
  by hand (no automatic change brought the member to it) is left alone by the review.
* Every automatic change is logged in ``tier_changes``.

Paid spend comes from the domains that take payments, through ``register_spend_source`` (work
orders register theirs), so this module reads no other domain's tables. The review is set-based:
a source also gives its spend as a query (member_id, fen), and one INSERT ... SELECT logs every
change and one UPDATE ... FROM applies them; a source without a query is asked member by member
in chunks and its figures join the query as a JSON document.
"""

import json
from datetime import timedelta

from sqlalchemy import Integer, and_, case, cast, exists, func, insert, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from app.common import clock
from app.common.db import set_local
from app.extensions import db
from app.members.models import Member
from app.members.tiers.models import Tier, TierChange

WINDOW = timedelta(days=365)
KEEP_FOR = timedelta(days=365)
REVIEW_REASONS = ("review_upgrade", "review_downgrade")
CHUNK = 1000
_spend_sources = []
_spend_queries = {}


def register_spend_source(source, *, query=None):
    """``source(*, member_ids, since) -> {member_id: fen}``: paid spend since an instant.
    ``query(*, since)``, when given, is the same figure for every member as a SELECT labelled
    ``member_id`` and ``fen`` (one row per member), for the set-based review."""
    if source not in _spend_sources:
        _spend_sources.append(source)
    if query is not None:
        _spend_queries[source] = query


def spend_12m(member_ids, *, now=None):
    """Paid spend of each member over the rolling window ending ``now`` ({member_id: fen})."""
    since = (now or clock.now()) - WINDOW
    totals = dict.fromkeys(member_ids, 0)
    for source in _spend_sources:
        for member_id, fen in source(member_ids=list(member_ids), since=since).items():
            totals[member_id] = totals.get(member_id, 0) + fen
    return totals


def _tiers_by_rank_desc():
    return db.session.scalars(select(Tier).order_by(Tier.rank.desc())).all()


def qualified_tier(spend_fen, tiers):
    """The highest-ranked tier whose threshold ``spend_fen`` reaches (``tiers`` best first)."""
    return next((tier for tier in tiers if spend_fen >= tier.min_spend_12m_fen), None)


def _rank(tier):
    return -1 if tier is None else tier.rank


def _change(member, tier, reason, spend, now):
    db.session.add(
        TierChange(
            member_id=member.id,
            from_tier_id=member.tier_id,
            to_tier_id=tier.id if tier else None,
            reason=reason,
            spend_12m_fen=spend,
            created_at=now,
        )
    )
    member.tier_id = tier.id if tier else None
    member.tier = tier


def check_upgrade(*, member_id, now=None):
    """Move the member up to the tier their rolling 12-month spend reaches. Returns the new tier
    when the member moved up, else None. Never moves a member down."""
    now = now or clock.now()
    member = db.session.get(Member, member_id)  # a settlement holds it already (tier joined)
    if member is None:
        return None
    current_rank = _rank(member.tier)
    tiers = _tiers_by_rank_desc()
    if not any(tier.rank > current_rank for tier in tiers):
        return None  # nothing above: the spend cannot move the member
    spend = spend_12m([member_id], now=now)[member_id]
    target = qualified_tier(spend, tiers)
    if target is None or target.rank <= current_rank:
        return None
    _change(member, target, "upgrade", spend, now)
    db.session.flush()
    return target


def _spend_rows_of(source, since, member_ids):
    """A source without a query: its figures for ``member_ids``, as rows of a JSON document."""
    figures = {}
    for start in range(0, len(member_ids), CHUNK):
        chunk = member_ids[start : start + CHUNK]
        figures.update(
            {str(member_id): int(fen) for member_id, fen in source(member_ids=chunk, since=since).items() if fen}
        )
    document = json.dumps(figures)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = func.jsonb_each_text(cast(literal(document), JSONB)).table_valued("key", "value")
    else:
        rows = func.json_each(literal(document)).table_valued("key", "value")
    return select(cast(rows.c.key, Integer).label("member_id"), cast(rows.c.value, Integer).label("fen"))


def _spend_by_member(since, members):
    """One SELECT (member_id, fen) of every member's paid spend since ``since``."""
    parts = []
    member_ids = None
    for source in _spend_sources:
        query = _spend_queries.get(source)
        if query is None:
            if member_ids is None:
                member_ids = db.session.scalars(select(members.c.id).order_by(members.c.id)).all()
            rows = _spend_rows_of(source, since, member_ids).subquery()
        else:
            rows = query(since=since).subquery()
        # Each part read from its own subquery: SQLite takes no parenthesised compound inside UNION.
        parts.append(select(rows.c.member_id, rows.c.fen))
    if not parts:
        return None
    if len(parts) == 1:  # a source gives one row per member: nothing to add up
        return parts[0].subquery()
    every = union_all(*parts).subquery()
    return select(every.c.member_id, func.sum(every.c.fen).label("fen")).group_by(every.c.member_id).subquery()


def _by_spend(spend, tiers, attribute):
    """CASE picking ``attribute`` of the best tier ``spend`` reaches (``tiers`` best first)."""
    return case(
        *[(spend >= tier.min_spend_12m_fen, literal(getattr(tier, attribute))) for tier in tiers],
        else_=literal(-1 if attribute == "rank" else None, Integer),
    )


# Memory for the review's hash joins and aggregates on PostgreSQL: a year of paid spend summed per
# member and every member's last tier change, at a million members, spilled to disk in dozens of
# batches with the default 4 MB. SET LOCAL ends with the job's transaction.
REVIEW_WORK_MEM = "256MB"


def review_tiers(*, now=None):
    """Re-qualify every member by rolling spend: up when they reach a better tier, down when an
    automatically reached tier is over 12 months old and no longer reached. Idempotent per day.

    Set-based: one INSERT ... SELECT logs every change (the decision is a query over members, their
    spend, their tier and their last automatic change), then one UPDATE ... FROM moves the members
    the log names."""
    now = now or clock.now()
    tiers = _tiers_by_rank_desc()
    if not tiers:  # a new shop without tiers: no member holds one, none can reach one
        return {"upgraded": 0, "downgraded": 0}
    set_local(db.session, work_mem=REVIEW_WORK_MEM)
    members = select(Member.id, Member.tier_id).where(Member.merged_into_id.is_(None)).subquery()
    spend_rows = _spend_by_member(now - WINDOW, members)
    current = aliased(Tier)
    spend = func.coalesce(spend_rows.c.fen, 0) if spend_rows is not None else literal(0)
    target_rank, target_id = _by_spend(spend, tiers, "rank"), _by_spend(spend, tiers, "id")
    current_rank = func.coalesce(current.rank, -1)
    kept_until = literal(now - KEEP_FOR, TierChange.created_at.type)
    upgrade = target_rank > current_rank
    # The member's last tier change (the highest id) brought them to their tier over 12 months ago.
    # PostgreSQL answers it from one hash of the changes old enough with no later one, consulted
    # only for the members their spend would move down; joining every member's last change (a
    # maximum per member, then that row) to every member cost a third of the review.
    last, later = aliased(TierChange), aliased(TierChange)
    kept_long_enough = exists().where(
        last.member_id == members.c.id,
        last.to_tier_id == members.c.tier_id,
        last.created_at <= kept_until,
        ~exists().where(later.member_id == last.member_id, later.id > last.id),
    )
    downgrade = and_(target_rank < current_rank, kept_long_enough)
    joined = members.outerjoin(current, current.id == members.c.tier_id)
    if spend_rows is not None:
        joined = joined.outerjoin(spend_rows, spend_rows.c.member_id == members.c.id)
    decisions = (
        select(
            members.c.id.label("member_id"),
            members.c.tier_id.label("from_tier_id"),
            target_id.label("to_tier_id"),
            case((upgrade, "review_upgrade"), else_="review_downgrade").label("reason"),
            spend.label("spend_12m_fen"),
            literal(now, TierChange.created_at.type).label("created_at"),
        )
        .select_from(joined)
        .where(or_(upgrade, downgrade))
    )
    logged_before = db.session.scalar(select(func.coalesce(func.max(TierChange.id), 0)))
    columns = ["member_id", "from_tier_id", "to_tier_id", "reason", "spend_12m_fen", "created_at"]
    db.session.execute(insert(TierChange).from_select(columns, decisions))
    logged = (TierChange.id > logged_before, TierChange.reason.in_(REVIEW_REASONS), TierChange.created_at == now)
    db.session.execute(
        update(Member)
        .where(Member.id == TierChange.member_id, *logged)
        .values(tier_id=TierChange.to_tier_id)
        .execution_options(synchronize_session=False)
    )
    counts = dict(
        db.session.execute(select(TierChange.reason, func.count()).where(*logged).group_by(TierChange.reason)).all()
    )
    db.session.expire_all()
    return {"upgraded": counts.get("review_upgrade", 0), "downgraded": counts.get("review_downgrade", 0)}
