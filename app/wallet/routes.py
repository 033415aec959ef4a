from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import (
    ROLES,
    auth_required,
    counter_staff,
    current_actor,
    member_only,
    owner_only,
    staff_any,
)
from app.common.schemas import PageQuery
from app.common.transaction import unit_of_work
from app.payments.schemas import PaymentStarted
from app.wallet import plans, points, services
from app.wallet.schemas import (
    CounterTopup,
    MemberTopup,
    PointsAdjusted,
    PointsAdjustment,
    PointsEntryPage,
    PointsEntryStaffPage,
    PrincipalRefund,
    TopupPlanCreate,
    TopupPlanPage,
    TopupPlanQuery,
    TopupPlanRead,
    TopupPlanUpdate,
    WalletEntryPage,
    WalletEntryStaffPage,
    WalletMoved,
    WalletSummary,
)

blp = Blueprint("wallet", __name__, description="Stored value and points")
plans_blp = Blueprint("topup-plans", __name__, description="Top-up plans")
blueprints = [blp, plans_blp]


def _moved(entry):
    return {"entry": entry, "wallet": services.get_wallet(member_id=entry.member_id)}


# --- top-up plans ----------------------------------------------------------------------------


@plans_blp.route("/topup-plans")
class TopupPlans(MethodView):
    @auth_required(*ROLES)
    @plans_blp.arguments(TopupPlanQuery, location="query")
    @plans_blp.response(200, TopupPlanPage)
    def get(self, query):
        """List top-up plans (members see the active ones; staff may add include_inactive=true)"""
        if current_actor().kind == "member":
            query["include_inactive"] = False
        return plans.list_topup_plans(**query)

    @owner_only
    @unit_of_work()
    @plans_blp.arguments(TopupPlanCreate)
    @plans_blp.response(201, TopupPlanRead)
    def post(self, body):
        """Create a top-up plan (owner): pay X, get a bonus of Y, within the settings' limit"""
        return plans.create_topup_plan(data=body, actor=current_actor())


@plans_blp.route("/topup-plans/<int:plan_id>")
class TopupPlanResource(MethodView):
    @auth_required(*ROLES)
    @plans_blp.response(200, TopupPlanRead)
    def get(self, plan_id):
        """Read one top-up plan"""
        return plans.get_topup_plan(plan_id, active_only=current_actor().kind == "member")

    @owner_only
    @unit_of_work()
    @plans_blp.arguments(TopupPlanUpdate)
    @plans_blp.response(200, TopupPlanRead)
    def patch(self, changes, plan_id):
        """Change a plan's name, bonus, granted tier or whether it is offered (owner; not its price)"""
        return plans.update_topup_plan(plan_id=plan_id, changes=changes, actor=current_actor())


# --- the member's own wallet -----------------------------------------------------------------


@blp.route("/me/wallet")
@member_only
@blp.response(200, WalletSummary)
def my_wallet():
    """The caller's stored value, points and tier"""
    return services.wallet_summary(member_id=current_actor().id)


@blp.route("/me/wallet/entries")
@member_only
@blp.arguments(PageQuery, location="query")
@blp.response(200, WalletEntryPage)
def my_wallet_entries(query):
    """The caller's stored-value entries, newest first"""
    return services.list_entries(member_id=current_actor().id, **query)


@blp.route("/me/points/entries")
@member_only
@blp.arguments(PageQuery, location="query")
@blp.response(200, PointsEntryPage)
def my_points_entries(query):
    """The caller's points entries, newest first"""
    return points.list_entries(member_id=current_actor().id, **query)


@blp.route("/me/topups", methods=["POST"])
@member_only
@unit_of_work(idempotent=True)
@blp.arguments(MemberTopup, example={"plan_id": 2})
@blp.response(201, PaymentStarted)
def my_topup(body):
    """Top up through WeChat Pay: returns the parameters for wx.requestPayment

    The wallet is credited when WeChat confirms the payment.
    """
    order, pay_params = services.start_wechat_topup(member_id=current_actor().id, **body)
    return {"payment": order, "pay_params": pay_params}


# --- staff -----------------------------------------------------------------------------------


@blp.route("/members/<int:member_id>/topups", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(CounterTopup, example={"amount_fen": 100000, "plan_id": 2, "paid_via": "wechat"})
@blp.response(201, WalletMoved)
def counter_topup(body, member_id):
    """Top up a member's stored value at the counter (bonus from the matching plan)"""
    actor = current_actor()
    store_id = actor.till_store(body.pop("store_id", None))
    entry = services.top_up(member_id=member_id, actor_key=actor.key, store_id=store_id, **body)
    return _moved(entry)


@blp.route("/members/<int:member_id>/wallet")
@staff_any
@blp.response(200, WalletSummary)
def member_wallet(member_id):
    """A member's stored value, points and tier"""
    return services.wallet_summary(member_id=member_id)


@blp.route("/members/<int:member_id>/wallet/entries")
@staff_any
@blp.arguments(PageQuery, location="query")
@blp.response(200, WalletEntryStaffPage)
def member_wallet_entries(query, member_id):
    """A member's stored-value entries, newest first"""
    return services.list_entries(member_id=member_id, **query)


@blp.route("/members/<int:member_id>/wallet/refund", methods=["POST"])
@owner_only
@unit_of_work(idempotent=True)
@blp.arguments(PrincipalRefund)
@blp.response(201, WalletMoved)
def refund_principal(body, member_id):
    """Pay unused principal back to a member (owner); the bonus goes in proportion"""
    entry = services.refund_principal(
        member_id=member_id,
        amount_fen=body["amount_fen"],
        reason=body["reason"],
        paid_via=body["paid_via"],
        actor_key=current_actor().key,
        store_id=current_actor().till_store(body.get("store_id")),
        actor=current_actor(),
    )
    return _moved(entry)


@blp.route("/members/<int:member_id>/points/entries")
@staff_any
@blp.arguments(PageQuery, location="query")
@blp.response(200, PointsEntryStaffPage)
def member_points_entries(query, member_id):
    """A member's points entries, newest first"""
    return points.list_entries(member_id=member_id, **query)


@blp.route("/members/<int:member_id>/points/adjustments", methods=["POST"])
@owner_only
@unit_of_work(idempotent=True)
@blp.arguments(PointsAdjustment)
@blp.response(201, PointsAdjusted)
def adjust_points(body, member_id):
    """Add or remove a member's points with a reason (owner)"""
    entry = points.adjust_points(
        member_id=member_id,
        points=body["points"],
        reason=body["reason"],
        actor_key=current_actor().key,
        actor=current_actor(),
    )
    return {"entry": entry, "points": points.live_points(member_id=member_id)}
