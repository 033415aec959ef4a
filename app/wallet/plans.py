"""Top-up plans (充值方案): "pay X, get Y on top", defined by the back office."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record_change, snapshot
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.tiers.services import get_tier
from app.merchant.services import get_settings
from app.wallet.models import TopupPlan


def list_topup_plans(*, include_inactive=False, page=1, per_page=20):
    stmt = select(TopupPlan).order_by(TopupPlan.pay_fen, TopupPlan.id)
    if not include_inactive:
        stmt = stmt.where(TopupPlan.is_active.is_(True))
    return paginate(stmt, page, per_page)


def get_topup_plan(plan_id, *, active_only=False) -> TopupPlan:
    plan = db.session.get(TopupPlan, plan_id)
    if plan is None or (active_only and not plan.is_active):
        raise NotFound("topup_plan_not_found", "No such top-up plan.")
    return plan


def _check_tier(tier_id):
    if tier_id is None:
        return
    try:
        get_tier(tier_id)
    except NotFound:
        raise Unprocessable(
            "tier_not_found", "The plan grants a tier that does not exist.", details={"grants_tier_id": tier_id}
        )


def _flush_unique_name():
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("topup_plan_exists", "A top-up plan with this name exists.")


PLAN_FIELDS = ("name", "pay_fen", "bonus_fen", "grants_tier_id", "is_active")


def _check_bonus_limit(pay_fen, bonus_fen):
    """The bonus is at most ``topup_bonus_max_percent`` of what the plan pays (the owner's bound)."""
    limit = get_settings().topup_bonus_max_percent
    if bonus_fen * 100 > pay_fen * limit:
        raise Unprocessable(
            "topup_bonus_over_limit",
            f"A plan's bonus is at most {limit} % of what it pays (topup_bonus_max_percent in the settings).",
            details={"pay_fen": pay_fen, "bonus_fen": bonus_fen, "topup_bonus_max_percent": limit},
        )


def create_topup_plan(*, data, actor=None) -> TopupPlan:
    """Create a plan; names are unique, a granted tier must exist and the bonus stays within the
    owner's limit (422 ``topup_bonus_over_limit``). Audited (kind "topup_plan")."""
    _check_tier(data.get("grants_tier_id"))
    _check_bonus_limit(data["pay_fen"], data.get("bonus_fen", 0))
    plan = TopupPlan(**data)
    db.session.add(plan)
    _flush_unique_name()
    record_change(
        actor=actor,
        kind="topup_plan",
        entity_type="topup_plan",
        entity_id=plan.id,
        before=None,
        after=snapshot(plan, PLAN_FIELDS),
    )
    return plan


def update_topup_plan(*, plan_id, changes, actor=None) -> TopupPlan:
    """Rename, change the bonus or granted tier, (de)activate. ``pay_fen`` never changes: a member
    may be paying for the plan right now, so a new price is a new plan. A changed bonus stays
    within the owner's limit. Audited (kind "topup_plan")."""
    plan = get_topup_plan(plan_id)
    if "pay_fen" in changes:
        raise Unprocessable("pay_fen_immutable", "A plan's price does not change; create a new plan.")
    if "grants_tier_id" in changes:
        _check_tier(changes["grants_tier_id"])
    if "bonus_fen" in changes:
        _check_bonus_limit(plan.pay_fen, changes["bonus_fen"])
    before = snapshot(plan, changes)
    for name, value in changes.items():
        setattr(plan, name, value)
    _flush_unique_name()
    record_change(
        actor=actor, kind="topup_plan", entity_type="topup_plan", entity_id=plan.id, before=before, after=dict(changes)
    )
    return plan


def resolve_plan(*, amount_fen=None, plan_id=None):
    """The plan a top-up follows, and the amount it pays.

    - With ``plan_id``: the plan must exist and be active, and ``amount_fen`` (when given) must
      equal the plan's ``pay_fen``.
    - Without: the active plan whose ``pay_fen`` equals the amount applies (the one with the
      largest bonus if several do), so the cashier need not pick it; no match → no bonus.
    Returns ``(plan or None, amount_fen)``; unknown, inactive or mismatching plans → 422.
    """
    if plan_id is not None:
        plan = db.session.get(TopupPlan, plan_id)
        if plan is None:
            raise Unprocessable("topup_plan_not_found", "No such top-up plan.", details={"plan_id": plan_id})
        if not plan.is_active:
            raise Unprocessable(
                "topup_plan_inactive", "This top-up plan is no longer offered.", details={"plan_id": plan_id}
            )
        if amount_fen is not None and amount_fen != plan.pay_fen:
            raise Unprocessable(
                "amount_does_not_match_plan",
                "The amount must equal the plan's price.",
                details={"amount_fen": amount_fen, "pay_fen": plan.pay_fen},
            )
        return plan, plan.pay_fen
    if amount_fen is None:
        raise Unprocessable("amount_required", "Give an amount or a top-up plan.")
    plan = db.session.scalar(
        select(TopupPlan)
        .where(TopupPlan.is_active.is_(True), TopupPlan.pay_fen == amount_fen)
        .order_by(TopupPlan.bonus_fen.desc(), TopupPlan.id)
        .limit(1)
    )
    return plan, amount_fen
