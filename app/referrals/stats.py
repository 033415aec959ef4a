"""The marketing view of referrals: per referrer, top referrers, and what referred members bought since.

Counts (each a fixed number of queries, whatever the number of members):
- invited: referrals attributed (refused ones excluded); converted: their first qualifying paid
  order was settled and not refunded; rewarded: the referrer's reward stands (frozen or released);
- repeat purchases: a referred member's paid visits after the first (``paid_visit_count - 1``).
A period (``date_from``/``date_to``, merchant-local dates, inclusive) selects referrals by the
day they were made (refusals by the day they were first recorded).
"""

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import aliased

from app.common import clock
from app.common.db import is_sqlite
from app.common.errors import Unprocessable
from app.extensions import db
from app.members.models import Member
from app.merchant.services import merchant_timezone
from app.referrals.models import Referral, ReferralRefusal, ReferralReward
from app.referrals.services import STANDING_REWARDS


def period_bounds(date_from=None, date_to=None):
    """UTC instants [start, end) for merchant-local dates ``date_from``..``date_to`` (None: open)."""
    if date_from and date_to and date_from > date_to:
        raise Unprocessable("invalid_period", "from must not be after to.")
    tz_name = merchant_timezone()
    start = clock.local_day_bounds(date_from, tz_name)[0] if date_from else None
    end = clock.local_day_bounds(date_to, tz_name)[1] if date_to else None
    return start, end


def _in_period(stmt, column, start, end):
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


def _per_referrer(start, end, referrer_ids):
    """One row per referrer of ``referrer_ids``: invited, converted, rewarded, referred members'
    repeat visits and spend."""
    referred = aliased(Member)
    repeat_visits = case((referred.paid_visit_count > 1, referred.paid_visit_count - 1), else_=0)
    stmt = (
        select(
            Referral.referrer_id.label("member_id"),
            func.count(Referral.id).label("invited"),
            func.sum(case((Referral.status == "converted", 1), else_=0)).label("converted"),
            func.sum(case((ReferralReward.status.in_(STANDING_REWARDS), 1), else_=0)).label("rewarded"),
            func.sum(repeat_visits).label("repeat_visits"),
            func.sum(referred.total_paid_fen).label("referred_paid_fen"),
        )
        .join(referred, referred.id == Referral.referred_id)
        .outerjoin(ReferralReward, ReferralReward.referral_id == Referral.id)
        .where(Referral.status != "refused", Referral.referrer_id.in_(referrer_ids))
        .group_by(Referral.referrer_id)
    )
    return _in_period(stmt, Referral.created_at, start, end).subquery("per_referrer")


def _ranking(start, end):
    """Every referrer of the period with the two counts that rank them, from the referrals alone."""
    stmt = (
        select(
            Referral.referrer_id.label("member_id"),
            func.count(Referral.id).label("invited"),
            func.sum(case((Referral.status == "converted", 1), else_=0)).label("converted"),
        )
        .where(Referral.status != "refused")
        .group_by(Referral.referrer_id)
    )
    return _in_period(stmt, Referral.created_at, start, end).subquery("ranking")


def _best_first(columns):
    return columns.converted.desc(), columns.invited.desc(), columns.member_id


def _referrer_rows(start, end, *, limit, offset=0):
    """The referrers at [offset, offset + limit) of the ranking (best converters first, then more
    invited, then lower id) with their counts and names. The referrers are ranked from the
    referrals alone; only the page's few are joined to their referred members (reading those of
    every referrer of a year joined a million members' rows)."""
    ranking = _ranking(start, end)
    page = db.session.scalars(
        select(ranking.c.member_id).order_by(*_best_first(ranking.c)).limit(limit).offset(offset)
    ).all()
    if not page:
        return []
    per = _per_referrer(start, end, page)
    return (
        db.session.execute(
            select(per, Member.nickname, Member.referral_code)
            .join(Member, Member.id == per.c.member_id)
            .order_by(*_best_first(per.c))
        )
        .mappings()
        .all()
    )


def list_referrer_stats(*, date_from=None, date_to=None, page=1, per_page=20):
    """Referrers with their counts, best converters first (the per-member view, paginated)."""
    start, end = period_bounds(date_from, date_to)
    total = db.session.scalar(select(func.count()).select_from(_ranking(start, end)))
    rows = _referrer_rows(start, end, limit=per_page, offset=(page - 1) * per_page)
    return {"items": [dict(row) for row in rows], "total": total, "page": page, "per_page": per_page}


def _repeat_purchases(start, end):
    """What the members referred in the period bought since.

    Each referred member's visit count and spend are looked up by primary key, referral by
    referral: joined instead, PostgreSQL reads every member's row (a million) for the few
    thousand referred in a year. On PostgreSQL one look-up fetches both figures (a LATERAL
    subquery that OFFSET 0 keeps from being turned back into that join): at a million members a
    quarter less CPU than two scalar look-ups per referral. SQLite has no LATERAL: there a
    MATERIALIZED CTE runs the two look-ups once per referral, not once per sum that uses them."""
    if is_sqlite(db.session):
        referred = _looked_up_per_referral(start, end)
    else:
        member = (
            select(Member.paid_visit_count.label("visits"), Member.total_paid_fen.label("paid_fen"))
            .where(Member.id == Referral.referred_id)
            .offset(0)
            .lateral("referred_member")
        )
        referred = _in_period(
            select(Referral.id.label("referral_id"), member.c.visits, member.c.paid_fen)
            .select_from(Referral)
            .outerjoin(member, true())
            .where(Referral.status != "refused"),
            Referral.created_at,
            start,
            end,
        ).subquery("referred")
    visits = referred.c.visits
    return select(
        func.count(referred.c.referral_id).label("referred_members"),
        func.sum(case((visits > 0, 1), else_=0)).label("with_paid_visit"),
        func.sum(case((visits > 1, 1), else_=0)).label("with_repeat_visit"),
        func.sum(case((visits > 1, visits - 1), else_=0)).label("repeat_visits"),
        func.sum(referred.c.paid_fen).label("paid_fen"),
    )


def _looked_up_per_referral(start, end):
    def of_referred(column):
        return select(column).where(Member.id == Referral.referred_id).scalar_subquery()

    return (
        _in_period(
            select(
                Referral.id.label("referral_id"),
                of_referred(Member.paid_visit_count).label("visits"),
                of_referred(Member.total_paid_fen).label("paid_fen"),
            ).where(Referral.status != "refused"),
            Referral.created_at,
            start,
            end,
        )
        .cte("referred")
        .prefix_with("MATERIALIZED")
    )


def referral_stats(*, date_from=None, date_to=None, top=10):
    """Totals, refusals by reason, the top referrers and repeat purchases of referred members."""
    start, end = period_bounds(date_from, date_to)
    totals = (
        db.session.execute(
            _in_period(
                select(
                    func.count(Referral.id).label("all"),
                    func.sum(case((Referral.status == "pending", 1), else_=0)).label("pending"),
                    func.sum(case((Referral.status == "converted", 1), else_=0)).label("converted"),
                    func.sum(case((Referral.status == "reversed", 1), else_=0)).label("reversed"),
                    func.sum(case((Referral.status == "refused", 1), else_=0)).label("refused"),
                    func.sum(case((ReferralReward.status.in_(STANDING_REWARDS), 1), else_=0)).label("rewarded"),
                    func.sum(case((ReferralReward.status == "frozen", 1), else_=0)).label("rewards_frozen"),
                    func.sum(case((ReferralReward.status == "released", ReferralReward.points), else_=0)).label(
                        "reward_points_released"
                    ),
                ).outerjoin(ReferralReward, ReferralReward.referral_id == Referral.id),
                Referral.created_at,
                start,
                end,
            )
        )
        .mappings()
        .one()
    )
    repeat = db.session.execute(_repeat_purchases(start, end)).mappings().one()
    refusals = db.session.execute(
        _in_period(
            select(ReferralRefusal.reason, func.count(ReferralRefusal.id), func.sum(ReferralRefusal.attempts)).group_by(
                ReferralRefusal.reason
            ),
            ReferralRefusal.created_at,
            start,
            end,
        )
    ).all()
    top_rows = _referrer_rows(start, end, limit=top)
    count = lambda value: int(value or 0)  # noqa: E731  (SUM over no rows is NULL)
    with_visit = count(repeat["with_paid_visit"])
    return {
        "invited": count(totals["all"]) - count(totals["refused"]),
        "pending": count(totals["pending"]),
        "converted": count(totals["converted"]),
        "reversed": count(totals["reversed"]),
        "rewarded": count(totals["rewarded"]),
        "rewards_frozen": count(totals["rewards_frozen"]),
        "reward_points_released": count(totals["reward_points_released"]),
        "refusals": {reason: {"count": rows, "attempts": count(attempts)} for reason, rows, attempts in refusals},
        "top_referrers": [dict(row) for row in top_rows],
        "repeat_purchases": {
            "referred_members": count(repeat["referred_members"]),
            "with_paid_visit": with_visit,
            "with_repeat_visit": count(repeat["with_repeat_visit"]),
            "repeat_visits": count(repeat["repeat_visits"]),
            "repeat_rate_percent": round(100 * count(repeat["with_repeat_visit"]) / with_visit) if with_visit else 0,
            "paid_fen": count(repeat["paid_fen"]),
        },
    }
