"""Tier qualification by rolling 12-month paid spend.

* A member qualifies for the highest-ranked tier whose ``min_spend_12m_fen`` their paid spend over
  the last 365 days reaches. ``check_upgrade`` (called when a work order settles) moves a member up
  to that tier, never down.
* ``review_tiers`` (the scheduler's ``tier_review`` job) also moves members down: a tier reached
  automatically is kept for 12 months from the day it was reached; after that a member whose
  rolling spend no longer reaches it drops to the tier the spend does reach. A tier staff assigned
  by hand (no automatic change brought the member to it) is left alone by the review.
* Every automatic change is logged in ``tier_changes``.

Paid spend comes from the domains that take payments, through ``register_spend_source`` (work
orders register theirs), so this module reads no other domain's tables.
"""
from datetime import timedelta

from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.members.models import Member, Tier
from app.members.tier_change_models import TierChange

WINDOW = timedelta(days=365)
KEEP_FOR = timedelta(days=365)
_spend_sources = []


def register_spend_source(source):
    """``source(*, member_ids, since) -> {member_id: fen}``: paid spend since an instant."""
    if source not in _spend_sources:
        _spend_sources.append(source)


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
    db.session.add(TierChange(member_id=member.id, from_tier_id=member.tier_id, to_tier_id=tier.id if tier else None,
                              reason=reason, spend_12m_fen=spend, created_at=now))
    member.tier_id = tier.id if tier else None
    member.tier = tier


def check_upgrade(*, member_id, now=None):
    """Move the member up to the tier their rolling 12-month spend reaches. Returns the new tier
    when the member moved up, else None. Never moves a member down."""
    now = now or clock.now()
    current_rank = db.session.scalar(
        select(func.coalesce(Tier.rank, -1)).select_from(Member).outerjoin(Tier, Tier.id == Member.tier_id)
        .where(Member.id == member_id)
    )
    if current_rank is None:
        return None
    spend = spend_12m([member_id], now=now)[member_id]
    target = qualified_tier(spend, _tiers_by_rank_desc())
    if target is None or target.rank <= current_rank:
        return None
    _change(db.session.get(Member, member_id), target, "upgrade", spend, now)
    db.session.flush()
    return target


def _last_automatic_changes(member_ids):
    latest = (
        select(TierChange.member_id, func.max(TierChange.id).label("id"))
        .where(TierChange.member_id.in_(member_ids))
        .group_by(TierChange.member_id)
        .subquery()
    )
    rows = db.session.scalars(select(TierChange).join(latest, TierChange.id == latest.c.id)).all()
    return {row.member_id: row for row in rows}


def review_tiers(*, now=None, batch_size=1000):
    """Re-qualify every member by rolling spend: up when they reach a better tier, down when an
    automatically reached tier is over 12 months old and no longer reached. Idempotent per day."""
    now = now or clock.now()
    tiers = _tiers_by_rank_desc()
    counts = {"upgraded": 0, "downgraded": 0}
    last_id = 0
    while True:
        members = db.session.scalars(
            select(Member).where(Member.id > last_id, Member.merged_into_id.is_(None))
            .order_by(Member.id).limit(batch_size)
        ).all()
        if not members:
            return counts
        last_id = members[-1].id
        ids = [member.id for member in members]
        spend = spend_12m(ids, now=now)
        changes = _last_automatic_changes(ids)
        for member in members:
            target = qualified_tier(spend[member.id], tiers)
            if _rank(target) > _rank(member.tier):
                _change(member, target, "review_upgrade", spend[member.id], now)
                counts["upgraded"] += 1
                continue
            last = changes.get(member.id)
            reached_automatically = last is not None and last.to_tier_id == member.tier_id
            if (_rank(target) < _rank(member.tier) and reached_automatically
                    and now - last.created_at >= KEEP_FOR):
                _change(member, target, "review_downgrade", spend[member.id], now)
                counts["downgraded"] += 1
        db.session.flush()
