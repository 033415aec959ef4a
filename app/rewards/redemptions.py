"""Members redeem rewards with points; staff hand parts over at the counter.

Rules:
- A redemption is one transaction: the reward's row is locked, one unit of its stock taken by a
  conditional UPDATE (``redeemed_count < total_stock``), the points taken from the member's points
  ledger under the reference ("exchange_redemption", id), and for a coupon or service-item reward
  the coupon issued. Any refusal (``exchange_reward_unavailable``, ``exchange_reward_out_of_stock``,
  ``insufficient_points``, the coupon template's own refusals) rolls it all back. Of concurrent
  redemptions of the last unit exactly one succeeds.
- A part waits ``awaiting_pickup``. Handing it over (counter staff of the store) takes one unit out
  of that store's stock (``exchange`` movement; below zero only where the store allows it, else
  ``409 insufficient_stock``) and makes it ``collected``. The store's stock moves when the part
  physically leaves; the reward's stock was taken when it was redeemed.
- Only a part not yet collected can be cancelled (by the member or staff): its points go back to
  the lots they came from (``points.reverse_reference``: a lot that has expired meanwhile keeps
  its points forfeited, as for every reversal) and its unit goes back to the reward's stock. A coupon
  or voucher, once issued, is the member's: not cancellable (``exchange_redemption_not_cancellable``).
"""

from sqlalchemy import select, update

from app.catalog import stock
from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound
from app.common.pagination import paginate
from app.coupons import issuing as coupons
from app.extensions import db
from app.merchant.services import merchant_timezone
from app.rewards.models import ExchangeRedemption, ExchangeReward
from app.rewards.services import get_reward
from app.stores.services import allows_negative_stock, get_store
from app.wallet import points as points_ledger

REF_TYPE = "exchange_redemption"


def _check_offered(reward, now):
    today = clock.local_today(merchant_timezone(), now)
    reason = None
    if not reward.is_active:
        reason = "inactive"
    elif reward.active_from is not None and today < reward.active_from:
        reason = "not_started"
    elif reward.active_until is not None and today > reward.active_until:
        reason = "ended"
    if reason:
        raise Conflict("exchange_reward_unavailable", "This reward is not offered now.", details={"reason": reason})


def redeem(*, member_id, reward_id, now=None) -> ExchangeRedemption:
    """Exchange the member's points for one unit of the reward (see the module's rules)."""
    now = now or clock.now()
    reward = get_reward(reward_id, lock=True)
    _check_offered(reward, now)
    taken = db.session.execute(
        update(ExchangeReward)
        .where(
            ExchangeReward.id == reward.id,
            (ExchangeReward.total_stock.is_(None)) | (ExchangeReward.redeemed_count < ExchangeReward.total_stock),
        )
        .values(redeemed_count=ExchangeReward.redeemed_count + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise Conflict("exchange_reward_out_of_stock", "This reward has run out.")
    db.session.expire(reward, ["redeemed_count"])
    redemption = ExchangeRedemption(
        reward_id=reward.id,
        member_id=member_id,
        kind=reward.kind,
        reward_name=reward.name,
        points=reward.points_price,
        status="awaiting_pickup" if reward.kind == "part" else "issued",
        part_id=reward.part_id,
        created_at=now,
    )
    db.session.add(redemption)
    db.session.flush()
    points_ledger.redeem(
        member_id=member_id, points=reward.points_price, ref_type=REF_TYPE, ref_id=redemption.id, now=now
    )
    if reward.kind != "part":
        coupon = coupons.issue(
            template_id=reward.coupon_template_id,
            member_id=member_id,
            source="points_exchange",
            ref_type=REF_TYPE,
            ref_id=redemption.id,
            now=now,
        )
        redemption.member_coupon_id = coupon.id
    db.session.flush()
    return redemption


def _locked(redemption_id, member_id=None) -> ExchangeRedemption:
    stmt = (
        select(ExchangeRedemption)
        .where(ExchangeRedemption.id == redemption_id)
        .with_for_update(of=ExchangeRedemption)
        .execution_options(populate_existing=True)
    )
    redemption = db.session.scalar(stmt)
    if redemption is None or (member_id is not None and redemption.member_id != member_id):
        raise NotFound("exchange_redemption_not_found", "No such redemption.")
    return redemption


def cancel(*, redemption_id, member_id=None, by="staff", now=None) -> ExchangeRedemption:
    """Cancel a part not yet collected: its points back to the member, its unit back to the reward's
    stock, once. ``member_id``: the member's own redemptions only (another's is 404)."""
    now = now or clock.now()
    redemption = _locked(redemption_id, member_id)
    if redemption.status != "awaiting_pickup":
        raise Conflict(
            "exchange_redemption_not_cancellable",
            "Only a part not yet collected can be cancelled.",
            details={"status": redemption.status},
        )
    get_reward(redemption.reward_id, lock=True)  # the reward before the points, as a redemption locks them
    points_ledger.reverse_reference(ref_type=REF_TYPE, ref_id=redemption.id, now=now)
    db.session.execute(
        update(ExchangeReward)
        .where(ExchangeReward.id == redemption.reward_id, ExchangeReward.redeemed_count > 0)
        .values(redeemed_count=ExchangeReward.redeemed_count - 1)
        .execution_options(synchronize_session=False)
    )
    redemption.status = "cancelled"
    redemption.cancelled_at = now
    redemption.cancelled_by = by
    db.session.flush()
    db.session.expire_all()
    return _get(redemption.id)


def hand_over(*, redemption_id, store_id, actor, now=None) -> ExchangeRedemption:
    """Give a redeemed part to the member at a store the caller works at: one unit leaves that
    store's stock (``409 insufficient_stock`` unless the store may go below zero), once."""
    now = now or clock.now()
    get_store(store_id)
    if not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")
    redemption = _locked(redemption_id)
    if redemption.status != "awaiting_pickup":
        raise Conflict(
            "exchange_redemption_not_awaiting_pickup",
            "This redemption is not waiting to be collected.",
            details={"status": redemption.status},
        )
    stock.apply(
        [
            stock.Move(
                store_id=store_id,
                part_id=redemption.part_id,
                delta=-1,
                kind="exchange",
                may_go_negative=allows_negative_stock(store_id),
            )
        ],
        ref_type=REF_TYPE,
        ref_id=redemption.id,
        now=now,
    )
    redemption.status = "collected"
    redemption.collected_at = now
    redemption.store_id = store_id
    redemption.handled_by = actor.id
    db.session.flush()
    return redemption


def _get(redemption_id) -> ExchangeRedemption:
    redemption = db.session.get(ExchangeRedemption, redemption_id)
    if redemption is None:
        raise NotFound("exchange_redemption_not_found", "No such redemption.")
    return redemption


def list_redemptions(*, member_id=None, status=None, kind=None, page=1, per_page=20):
    """Redemptions, newest first (a member's own, or for staff filtered by member, status, kind)."""
    stmt = select(ExchangeRedemption).order_by(ExchangeRedemption.id.desc())
    if member_id is not None:
        stmt = stmt.where(ExchangeRedemption.member_id == member_id)
    if status:
        stmt = stmt.where(ExchangeRedemption.status == status)
    if kind:
        stmt = stmt.where(ExchangeRedemption.kind == kind)
    return paginate(stmt, page, per_page)
