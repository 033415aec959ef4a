"""The referrer's reward: earned on the new member's first qualifying paid order, frozen, released,
taken back on refund.

- A settled work order qualifies when the member has a pending referral and the order paid money
  (``paid_fen`` > 0) of at least ``referral_min_order_fen``. Smaller orders leave the referral
  pending; the first qualifying one converts it.
- Before converting, two rules are checked again on the member who actually paid (an account can
  have been merged into another by phone binding since the referral): ``same_phone`` when the
  referred account turned out to be the referrer's own (it bound the referrer's phone),
  ``already_visited`` when it was merged into a member with paid visits before the referral.
  A refused referral is final and the refusal is recorded.
- The reward (``referral_reward_points`` and/or a coupon of ``referral_reward_coupon_template_id``)
  is one ``ReferralReward`` row per referral (UNIQUE), created ``frozen`` with ``releases_at`` =
  settle time + ``referral_reward_freeze_days``. Nothing reaches the referrer's points or coupons
  while it is frozen. ``release_frozen_referral_rewards`` (a scheduler job, hourly) releases due
  rewards: points credited as a lot referenced ("referral_reward", reward id), coupon issued.
  With zero freeze days the reward is released at once.
- A refund of the qualifying order reverses the referral: a frozen reward is cancelled (nothing
  was given); a released one is reversed (points taken back by a ledger entry referencing the
  reward, the coupon voided if unused; what was already spent is recorded as not recovered).

Every status change of a reward is a conditional UPDATE (``WHERE status = 'frozen'``) checked by
its row count, so a release and a refund racing each other cannot both win.
"""

import logging
from datetime import timedelta

from sqlalchemy import literal, select, union_all, update

from app.common import clock
from app.common.errors import AppError
from app.extensions import db
from app.members.models import Member
from app.merchant.services import get_settings
from app.referrals.models import Referral, ReferralReward
from app.referrals.services import current_member, record_refusal

log = logging.getLogger(__name__)
REWARD_REF_TYPE = "referral_reward"


def convert_on_paid_order(*, work_order_id, member_id, paid_fen, now):
    """Convert the paying member's pending referral if this settled order qualifies, and reward the
    referrer (frozen until the freeze period ends)."""
    settings = get_settings()
    if paid_fen <= 0 or paid_fen < settings.referral_min_order_fen:
        return None
    referral = _pending_referral_of(member_id)
    if referral is None:
        return None
    # The referrer's own account may have been merged since; the reward goes to the member that remains.
    referrer_id = current_member(db.session.get(Member, referral.referrer_id)).id
    reason = _refusal_at_reward_time(referral, member_id, referrer_id)
    if reason is not None:
        referral.status, referral.refused_reason = "refused", reason
        db.session.flush()
        record_refusal(
            member_id=referral.referred_id,
            code=referral.code,
            reason=reason,
            referrer_id=referral.referrer_id,
            referral_id=referral.id,
            now=now,
        )
        return None
    referral.status = "converted"
    referral.work_order_id, referral.order_paid_fen, referral.converted_at = work_order_id, paid_fen, now
    db.session.flush()
    return _create_reward(referral, referrer_id, settings, now)


def _pending_referral_of(member_id):
    """The pending referral of ``member_id``, or of an account merged into it, locked for update."""
    # The member and the accounts merged into it, each found through an index (referred_id is
    # unique; merged_into_id has a partial index), instead of an OR that probes every pending referral.
    accounts = union_all(select(literal(member_id)), select(Member.id).where(Member.merged_into_id == member_id))
    return db.session.scalar(
        select(Referral)
        .where(Referral.status == "pending", Referral.referred_id.in_(accounts))
        .order_by(Referral.id)
        .limit(1)
        .with_for_update(of=Referral)
    )


def _refusal_at_reward_time(referral, payer_id, referrer_id):
    if payer_id in (referral.referrer_id, referrer_id):
        return "same_phone"
    payer = db.session.get(Member, payer_id)
    if payer.first_paid_visit_at is not None and payer.first_paid_visit_at < referral.created_at:
        return "already_visited"
    return None


def _create_reward(referral, referrer_id, settings, now):
    points = settings.referral_reward_points
    template_id = settings.referral_reward_coupon_template_id
    if not points and template_id is None:
        return None
    reward = ReferralReward(
        referral_id=referral.id,
        referrer_id=referrer_id,
        work_order_id=referral.work_order_id,
        points=points,
        coupon_template_id=template_id,
        status="frozen",
        releases_at=now + timedelta(days=settings.referral_reward_freeze_days),
        created_at=now,
    )
    db.session.add(reward)
    db.session.flush()
    if reward.releases_at <= now:
        release_reward(reward_id=reward.id, now=now)
    return reward


def release_frozen_referral_rewards(*, now=None):
    """Release every frozen reward whose freeze has ended; returns how many were released.

    A reward whose points or coupon cannot be given (e.g. the coupon template is out of stock)
    stays frozen and is tried again at the next run.
    """
    now = now or clock.now()
    due = db.session.scalars(
        select(ReferralReward.id)
        .where(ReferralReward.status == "frozen", ReferralReward.releases_at <= now)
        .order_by(ReferralReward.id)
    ).all()
    return sum(1 for reward_id in due if release_reward(reward_id=reward_id, now=now))


def release_reward(*, reward_id, now):
    """Give a frozen reward to its referrer: credit the points, issue the coupon. False if not frozen."""
    try:
        with db.session.begin_nested():
            if not _transition(reward_id, "frozen", status="released", released_at=now):
                return False
            reward = db.session.get(ReferralReward, reward_id)
            if reward.points:
                _grant_points(reward, now)
            if reward.coupon_template_id is not None:
                reward.member_coupon_id = _issue_coupon(reward, now)
            db.session.flush()
    except AppError as error:
        log.warning("referral reward %s not released (%s); retried at the next run", reward_id, error.code)
        return False
    return True


def reverse_for_refunded_order(*, work_order_id, now):
    """A refund of the order that converted a referral takes the referrer's reward back."""
    referral = db.session.scalar(
        select(Referral)
        .where(Referral.work_order_id == work_order_id, Referral.status == "converted")
        .with_for_update()
    )
    if referral is None:
        return None
    referral.status, referral.reversed_at = "reversed", now
    db.session.flush()
    reward = db.session.scalar(
        select(ReferralReward).where(ReferralReward.referral_id == referral.id).with_for_update()
    )
    if reward is None:
        return None
    if _transition(reward.id, "frozen", status="cancelled", cancelled_at=now):
        return reward
    if _transition(reward.id, "released", status="reversed", reversed_at=now):
        if reward.points:
            reward.points_not_recovered = _reverse_points(reward, now)
        if reward.member_coupon_id is not None:
            reward.coupon_not_recovered = not _void_coupon(reward, now)
        db.session.flush()
    return reward


def _transition(reward_id, from_status, **values):
    changed = (
        db.session.execute(
            update(ReferralReward)
            .where(ReferralReward.id == reward_id, ReferralReward.status == from_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    reward = db.session.identity_map.get(db.session.identity_key(ReferralReward, reward_id))
    if changed and reward is not None:
        db.session.expire(reward)
    return changed


# -- the other domains' ledgers ---------------------------------------------------------------


def _grant_points(reward, now):
    from app.wallet import points

    points.grant(
        member_id=reward.referrer_id, points=reward.points, ref_type=REWARD_REF_TYPE, ref_id=reward.id, now=now
    )


def _reverse_points(reward, now):
    """Take the reward's points back; returns the points that could not be (already spent)."""
    from app.wallet import points

    return sum(
        entry.shortfall for entry in points.reverse_reference(ref_type=REWARD_REF_TYPE, ref_id=reward.id, now=now)
    )


def _issue_coupon(reward, now):
    from app.coupons.issuing import issue

    coupon = issue(
        template_id=reward.coupon_template_id,
        member_id=reward.referrer_id,
        source=REWARD_REF_TYPE,
        ref_type=REWARD_REF_TYPE,
        ref_id=reward.id,
        now=now,
    )
    return coupon.id


def _void_coupon(reward, now):
    """Withdraw the reward coupon; False when it was already used (it cannot be taken back)."""
    from app.coupons.services import void

    return void(member_coupon_id=reward.member_coupon_id, ref_type=REWARD_REF_TYPE, ref_id=reward.id, now=now)
