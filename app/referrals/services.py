"""Referral attribution: who may be referred by whom, and the record of every refusal.

A member becomes referred (status ``pending``) when they present the code of another member and
every rule passes, checked in this order (the first that fails is the recorded reason):

- ``unknown_code``: no member holds the code;
- ``self_referral``: the code is the member's own (or that of the member their account merged into);
- ``already_referred``: the member was referred by someone else before (presenting the same
  referrer's code again, as every launch from a shared link does, is a silent no-op);
- ``already_visited``: the member has had a paid visit: they are a customer already;
- ``circular``: the member is up the referrer's own referral chain (A→B→A, A→B→C→A ...);
- ``monthly_cap``: the referrer already has ``referral_monthly_cap`` referrals this month (the
  merchant's local calendar month).

Phones are unique per member, so "the same phone as the referrer" shows at phone binding: the new
WeChat account binds the referrer's (counter-registered) phone and is merged into the referrer.
That is checked when the reward would be granted (see rewards.py), with ``same_phone``.
"""

import logging
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common import clock
from app.common.db import is_sqlite
from app.common.errors import AppError
from app.common.pagination import paginate
from app.extensions import db
from app.members.models import Member
from app.members.services import get_member
from app.merchant.services import get_settings
from app.referrals.models import Referral, ReferralRefusal, ReferralReward

log = logging.getLogger(__name__)
STANDING_REWARDS = ("frozen", "released")  # earned and not taken back


def normalize_code(code):
    """Codes are upper case (the alphabet has no look-alikes); people type them in any case."""
    return (code or "").strip().upper()[:32]


def current_member(member):
    """Follow account merges (phone binding) to the member that remains."""
    seen = set()
    while member is not None and member.merged_into_id is not None and member.id not in seen:
        seen.add(member.id)
        member = db.session.get(Member, member.merged_into_id)
    return member


def _holder_of_code(code):
    """The member a code belongs to (a merged account's code stands for the member it joined)."""
    return current_member(db.session.scalar(select(Member).where(Member.referral_code == code)))


def present_code(*, member_id, referral_code, now=None):
    """Apply the attribution rules (module docstring) to a member presenting a referral code.

    Returns the member's referral, or None when the code was refused (the refusal is recorded).
    A new referral gives the new member the merchant's welcome coupon, if one is set.
    """
    now = now or clock.now()
    code = normalize_code(referral_code)
    member = get_member(member_id)
    referrer = _holder_of_code(code) if code else None
    if referrer is None:
        return _refuse(member_id=member.id, code=code, reason="unknown_code", now=now)
    if referrer.id == member.id:
        return _refuse(member_id=member.id, code=code, reason="self_referral", referrer_id=referrer.id, now=now)
    existing = db.session.scalar(select(Referral).where(Referral.referred_id == member.id))
    if existing is not None:
        if _same_member(existing.referrer_id, referrer.id):
            return existing
        return _refuse(member_id=member.id, code=code, reason="already_referred", referrer_id=referrer.id, now=now)
    if member.paid_visit_count > 0:
        return _refuse(member_id=member.id, code=code, reason="already_visited", referrer_id=referrer.id, now=now)
    if member.id in _upline(referrer.id):
        return _refuse(member_id=member.id, code=code, reason="circular", referrer_id=referrer.id, now=now)
    settings = get_settings()
    if settings.referral_monthly_cap is not None:
        _lock_referrer(referrer.id)
        if _referrals_this_month(referrer.id, now, settings.timezone) >= settings.referral_monthly_cap:
            return _refuse(member_id=member.id, code=code, reason="monthly_cap", referrer_id=referrer.id, now=now)
    referral = Referral(referrer_id=referrer.id, referred_id=member.id, code=code, status="pending", created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:
        # A concurrent login of the same member was attributed first.
        existing = db.session.scalar(select(Referral).where(Referral.referred_id == member.id))
        if existing is not None and _same_member(existing.referrer_id, referrer.id):
            return existing
        return _refuse(member_id=member.id, code=code, reason="already_referred", referrer_id=referrer.id, now=now)
    _give_welcome_coupon(referral, settings, now)
    return referral


def _same_member(account_id, member_id):
    return account_id == member_id or current_member(db.session.get(Member, account_id)).id == member_id


def _upline(member_id, limit=1000):
    """The ids of everyone up ``member_id``'s referral chain (its referrer, theirs, ...), one query."""
    chain = (
        select(Referral.referrer_id.label("member_id"))
        .where(Referral.referred_id == member_id)
        .cte("upline", recursive=True)
    )
    chain = chain.union(select(Referral.referrer_id).join(chain, Referral.referred_id == chain.c.member_id))
    return set(db.session.scalars(select(chain.c.member_id).limit(limit)))


def _lock_referrer(referrer_id):
    # Serialises attributions to one referrer so the monthly cap holds under concurrent logins
    # (SQLite transactions are already serialised by BEGIN IMMEDIATE).
    if not is_sqlite(db.session):
        db.session.execute(select(Member.id).where(Member.id == referrer_id).with_for_update())


def month_bounds(instant, tz_name):
    """The UTC instants where the merchant's local calendar month of ``instant`` starts and ends."""
    today = clock.local_today(tz_name, instant)
    first = date(today.year, today.month, 1)
    following = clock.add_months(first, 1)
    return clock.local_day_bounds(first, tz_name)[0], clock.local_day_bounds(following, tz_name)[0]


def _referrals_this_month(referrer_id, now, tz_name):
    start, end = month_bounds(now, tz_name)
    return db.session.scalar(
        select(func.count(Referral.id)).where(
            Referral.referrer_id == referrer_id, Referral.created_at >= start, Referral.created_at < end
        )
    )


def _give_welcome_coupon(referral, settings, now):
    template_id = settings.referral_welcome_coupon_template_id
    if template_id is None:
        return
    from app.coupons.issuing import issue

    # A welcome coupon that cannot be issued (template gone, out of stock) must not stop the login;
    # ``issue`` leaves no trace when it refuses.
    try:
        coupon = issue(
            template_id=template_id,
            member_id=referral.referred_id,
            source="referral_welcome",
            ref_type="referral",
            ref_id=referral.id,
            now=now,
        )
    except AppError as error:
        log.warning("referral %s: welcome coupon template %s not issued (%s)", referral.id, template_id, error.code)
        return
    referral.welcome_coupon_id = coupon.id
    db.session.flush()


def _refuse(*, member_id, code, reason, now, referrer_id=None, referral_id=None):
    record_refusal(
        member_id=member_id, code=code, reason=reason, referrer_id=referrer_id, referral_id=referral_id, now=now
    )
    return None


def record_refusal(*, member_id, code, reason, now, referrer_id=None, referral_id=None):
    """Record that ``code`` did not count for ``member_id`` and why; a repeat bumps ``attempts``."""
    log.info("referral code refused for member %s: %s", member_id, reason)

    def bump():
        return db.session.execute(
            update(ReferralRefusal)
            .where(
                ReferralRefusal.member_id == member_id, ReferralRefusal.code == code, ReferralRefusal.reason == reason
            )
            .values(
                attempts=ReferralRefusal.attempts + 1,
                last_attempt_at=now,
                referral_id=func.coalesce(referral_id, ReferralRefusal.referral_id),
            )
            .execution_options(synchronize_session=False)
        ).rowcount

    if bump():
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ReferralRefusal(
                    member_id=member_id,
                    code=code,
                    reason=reason,
                    referrer_id=referrer_id,
                    referral_id=referral_id,
                    created_at=now,
                    last_attempt_at=now,
                )
            )
    except IntegrityError:
        bump()  # recorded concurrently by the same member's other request


# -- reading ---------------------------------------------------------------------------------


def member_referral_summary(*, member_id):
    """What a member sees of their own referrals: code, counts, rewards waiting, the share path."""
    member = get_member(member_id)
    settings = get_settings()
    # Referrals made through an account that was merged into this member count as theirs.
    accounts = select(Member.id).where(or_(Member.id == member.id, Member.merged_into_id == member.id))
    by_status = dict(
        db.session.execute(
            select(Referral.status, func.count(Referral.id))
            .where(Referral.referrer_id.in_(accounts))
            .group_by(Referral.status)
        ).all()
    )
    rewards = db.session.scalars(
        select(ReferralReward)
        .where(ReferralReward.referrer_id == member.id, ReferralReward.status.in_(STANDING_REWARDS))
        .order_by(ReferralReward.releases_at)
    ).all()
    page = settings.referral_share_page
    return {
        "referral_code": member.referral_code,
        "invited_count": sum(count for status, count in by_status.items() if status != "refused"),
        "pending_count": by_status.get("pending", 0),
        "converted_count": by_status.get("converted", 0),
        "rewarded_count": len(rewards),
        "points_earned": sum(reward.points for reward in rewards if reward.status == "released"),
        "frozen_rewards": [reward for reward in rewards if reward.status == "frozen"],
        "share_page": page,
        "share_path": share_path(page, member.referral_code),
        "rules": {
            "welcome_coupon_template_id": settings.referral_welcome_coupon_template_id,
            "reward_points": settings.referral_reward_points,
            "reward_coupon_template_id": settings.referral_reward_coupon_template_id,
            "min_order_fen": settings.referral_min_order_fen,
            "freeze_days": settings.referral_reward_freeze_days,
        },
    }


def share_path(page, code):
    """The mini-program path a share opens; the page reads the code from ``scene``."""
    return f"{page}?scene={code}"


def list_referrals(*, status=None, referrer_id=None, referred_id=None, page=1, per_page=20):
    """Referrals, newest first, with both members and the reward loaded in batches (no N+1)."""
    stmt = (
        select(Referral)
        .options(
            selectinload(Referral.referrer),
            selectinload(Referral.referred),
            selectinload(Referral.reward),
        )
        .order_by(Referral.id.desc())
    )
    if status:
        stmt = stmt.where(Referral.status == status)
    if referrer_id is not None:
        stmt = stmt.where(Referral.referrer_id == referrer_id)
    if referred_id is not None:
        stmt = stmt.where(Referral.referred_id == referred_id)
    return paginate(stmt, page, per_page)


def list_refusals(*, reason=None, referrer_id=None, member_id=None, page=1, per_page=20):
    """Refused referral codes, most recent attempt first."""
    stmt = select(ReferralRefusal).order_by(ReferralRefusal.last_attempt_at.desc(), ReferralRefusal.id.desc())
    if reason:
        stmt = stmt.where(ReferralRefusal.reason == reason)
    if referrer_id is not None:
        stmt = stmt.where(ReferralRefusal.referrer_id == referrer_id)
    if member_id is not None:
        stmt = stmt.where(ReferralRefusal.member_id == member_id)
    return paginate(stmt, page, per_page)
