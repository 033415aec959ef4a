"""The exchange catalog, kept by marketing and the owner.

Rules:
- A reward is a coupon (of an existing coupon template), a service item (the reward is created with
  an issue-only item-voucher template for the item: what the member gets is a 项目券 spent at settle
  like any voucher) or a part (collected at the counter).
- The points price is money-shaping: only the owner sets it, on creation and on change
  (``403 points_price_owner_only`` for anyone else); marketing keeps the name, description, stock,
  window and active flag. Every creation and every change of the price, the stock, the window or
  the active flag is written to the audit log (``exchange_reward``, before and after).
- A price is a whole number of points worth whole fen at the redeem rate (``points_not_whole_fen``).
- The stock never drops below what was redeemed (``422 exchange_stock_below_redeemed``).
"""

from sqlalchemy import or_, select

from app.audit.services import record_change, snapshot
from app.catalog.services import get_part, get_service_item
from app.common import clock
from app.common.errors import Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.coupons import template_services
from app.extensions import db
from app.merchant.services import merchant_timezone
from app.rewards.models import ExchangeReward
from app.wallet.points import points_value_fen

AUDITED_FIELDS = ("name", "kind", "points_price", "total_stock", "active_from", "active_until", "is_active")
VOUCHER_VALID_DAYS = 90


def _owner_only_price(actor):
    if actor is not None and actor.role != "owner":
        raise Forbidden("points_price_owner_only", "Only the owner sets a reward's points price.")


def _check_window(active_from, active_until):
    if active_from is not None and active_until is not None and active_from > active_until:
        raise Unprocessable(
            "invalid_exchange_window",
            "active_from must not be after active_until.",
            details={"active_from": active_from.isoformat(), "active_until": active_until.isoformat()},
        )


def _record(actor, reward, before):
    record_change(
        actor=actor,
        kind="exchange_reward",
        entity_type="exchange_reward",
        entity_id=reward.id,
        before=before,
        after=snapshot(reward, AUDITED_FIELDS),
    )


def create_reward(*, data, actor=None) -> ExchangeReward:
    """Add a reward to the catalog (the owner: it carries a points price). A ``coupon`` reward names
    an existing coupon template; a ``service_item`` reward names the item and gets its own
    issue-only item-voucher template (valid ``voucher_valid_days`` days, default 90); a ``part``
    reward names the part. Audited."""
    _owner_only_price(actor)
    values = dict(data)
    kind = values["kind"]
    points_value_fen(values["points_price"])
    _check_window(values.get("active_from"), values.get("active_until"))
    voucher_days = values.pop("voucher_valid_days", None) or VOUCHER_VALID_DAYS
    needed = {"coupon": "coupon_template_id", "service_item": "service_item_id", "part": "part_id"}[kind]
    others = [name for name in ("coupon_template_id", "service_item_id", "part_id") if name != needed]
    if values.get(needed) is None or any(values.get(name) is not None for name in others):
        raise Unprocessable(
            "invalid_exchange_reward",
            "A reward names exactly the one reference its kind takes.",
            details={"kind": kind, "field": needed},
        )
    if kind == "coupon":
        template_services.get_template(values["coupon_template_id"])
    elif kind == "part":
        get_part(values["part_id"])
    else:
        item = get_service_item(values["service_item_id"])
        template = template_services.create_template(
            data={
                "name": f"积分兑换·{item.name}"[:100],
                "kind": "item_voucher",
                "service_item_id": item.id,
                "valid_days": voucher_days,
                "claimable": False,
            },
            actor=actor,
        )
        values["coupon_template_id"] = template.id
    now = clock.now()
    reward = ExchangeReward(**values, redeemed_count=0, created_at=now, updated_at=now)
    db.session.add(reward)
    db.session.flush()
    _record(actor, reward, None)
    return reward


def get_reward(reward_id, *, lock=False) -> ExchangeReward:
    stmt = select(ExchangeReward).where(ExchangeReward.id == reward_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    reward = db.session.scalar(stmt)
    if reward is None:
        raise NotFound("exchange_reward_not_found", "No such reward.")
    return reward


def update_reward(*, reward_id, changes, actor=None) -> ExchangeReward:
    """Change a reward: its points price by the owner only; its stock never below what was
    redeemed. Audited. What a member already redeemed keeps the price they paid."""
    reward = get_reward(reward_id, lock=True)
    before = snapshot(reward, AUDITED_FIELDS)
    if "points_price" in changes and changes["points_price"] != reward.points_price:
        _owner_only_price(actor)
        points_value_fen(changes["points_price"])
    _check_window(changes.get("active_from", reward.active_from), changes.get("active_until", reward.active_until))
    stock = changes.get("total_stock", reward.total_stock)
    if stock is not None and stock < reward.redeemed_count:
        raise Unprocessable(
            "exchange_stock_below_redeemed",
            "The stock cannot be below what was already redeemed.",
            details={"redeemed_count": reward.redeemed_count},
        )
    for name, value in changes.items():
        setattr(reward, name, value)
    reward.updated_at = clock.now()
    db.session.flush()
    _record(actor, reward, before)
    return reward


def offered_now(today):
    """The condition of a reward a member can redeem today: active, within its window, stock left."""
    return (
        ExchangeReward.is_active.is_(True),
        or_(ExchangeReward.active_from.is_(None), ExchangeReward.active_from <= today),
        or_(ExchangeReward.active_until.is_(None), ExchangeReward.active_until >= today),
        or_(ExchangeReward.total_stock.is_(None), ExchangeReward.redeemed_count < ExchangeReward.total_stock),
    )


def list_rewards(*, members_view=False, kind=None, active=None, page=1, per_page=20):
    """The catalog, newest first; members see only what they can redeem today, cheapest first."""
    stmt = select(ExchangeReward)
    if members_view:
        today = clock.local_today(merchant_timezone())
        stmt = stmt.where(*offered_now(today)).order_by(ExchangeReward.points_price, ExchangeReward.id)
    else:
        stmt = stmt.order_by(ExchangeReward.id.desc())
    if kind:
        stmt = stmt.where(ExchangeReward.kind == kind)
    if active is not None:
        stmt = stmt.where(ExchangeReward.is_active.is_(active))
    return paginate(stmt, page, per_page)
