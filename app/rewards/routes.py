from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import back_office, counter_staff, current_actor, member_only, staff_any
from app.common.transaction import unit_of_work
from app.rewards import redemptions, services
from app.rewards.schemas import (
    ExchangeRedemptionPage,
    ExchangeRedemptionQuery,
    ExchangeRedemptionRead,
    ExchangeRedemptionStaffPage,
    ExchangeRedemptionStaffRead,
    ExchangeRewardCreate,
    ExchangeRewardPage,
    ExchangeRewardQuery,
    ExchangeRewardRead,
    ExchangeRewardUpdate,
    HandOverBody,
    MyRedemptionQuery,
    RedeemBody,
)

blp = Blueprint("exchange", __name__, description="Points exchange (积分兑换): the reward catalog and redemptions")


@blp.route("/exchange-rewards")
class ExchangeRewards(MethodView):
    @staff_any
    @blp.arguments(ExchangeRewardQuery, location="query")
    @blp.response(200, ExchangeRewardPage)
    def get(self, query):
        """The exchange catalog, newest first"""
        return services.list_rewards(**query)

    @back_office
    @unit_of_work()
    @blp.arguments(ExchangeRewardCreate)
    @blp.response(201, ExchangeRewardRead)
    def post(self, body):
        """Add a reward (owner: it sets a points price; audited)"""
        return services.create_reward(data=body, actor=current_actor())


@blp.route("/exchange-rewards/<int:reward_id>")
class ExchangeRewardResource(MethodView):
    @staff_any
    @blp.response(200, ExchangeRewardRead)
    def get(self, reward_id):
        """One reward"""
        return services.get_reward(reward_id)

    @back_office
    @unit_of_work()
    @blp.arguments(ExchangeRewardUpdate)
    @blp.response(200, ExchangeRewardRead)
    def patch(self, changes, reward_id):
        """Change a reward: stock, window, active (marketing or owner); points price (owner only). Audited"""
        return services.update_reward(reward_id=reward_id, changes=changes, actor=current_actor())


@blp.route("/exchange-redemptions")
@staff_any
@blp.arguments(ExchangeRedemptionQuery, location="query")
@blp.response(200, ExchangeRedemptionStaffPage)
def list_redemptions(query):
    """Redemptions, newest first (?status=awaiting_pickup for the parts to hand over)"""
    return redemptions.list_redemptions(**query)


@blp.route("/exchange-redemptions/<int:redemption_id>/hand-over", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(HandOverBody)
@blp.response(200, ExchangeRedemptionStaffRead)
def hand_over(body, redemption_id):
    """Hand a redeemed part over at the counter: it leaves the store's stock"""
    return redemptions.hand_over(redemption_id=redemption_id, store_id=body["store_id"], actor=current_actor())


@blp.route("/exchange-redemptions/<int:redemption_id>/cancel", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.response(200, ExchangeRedemptionStaffRead)
def cancel(redemption_id):
    """Cancel a part not yet collected: points and stock go back"""
    return redemptions.cancel(redemption_id=redemption_id, by="staff")


@blp.route("/me/exchange-rewards")
@member_only
@blp.arguments(ExchangeRewardQuery, location="query")
@blp.response(200, ExchangeRewardPage)
def my_catalog(query):
    """The rewards the member can redeem today, cheapest first"""
    return services.list_rewards(members_view=True, **query)


@blp.route("/me/exchange-redemptions")
class MyRedemptions(MethodView):
    @member_only
    @blp.arguments(MyRedemptionQuery, location="query")
    @blp.response(200, ExchangeRedemptionPage)
    def get(self, query):
        """The caller's redemptions, newest first"""
        return redemptions.list_redemptions(member_id=current_actor().id, **query)

    @member_only
    @unit_of_work(idempotent=True)
    @blp.arguments(RedeemBody)
    @blp.response(201, ExchangeRedemptionRead)
    def post(self, body):
        """Redeem a reward with points (Idempotency-Key honoured)"""
        return redemptions.redeem(member_id=current_actor().id, reward_id=body["reward_id"])


@blp.route("/me/exchange-redemptions/<int:redemption_id>/cancel", methods=["POST"])
@member_only
@unit_of_work(idempotent=True)
@blp.response(200, ExchangeRedemptionRead)
def my_cancel(redemption_id):
    """Cancel one of the caller's parts not yet collected: points and stock go back"""
    return redemptions.cancel(redemption_id=redemption_id, member_id=current_actor().id, by="member")
