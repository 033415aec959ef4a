"""Period cards (月卡/年卡) and the mini-program's card purchases."""

from flask.views import MethodView
from flask_smorest import Blueprint

from app.cards import period_services, purchase_services
from app.cards.period_schemas import (
    CardPurchaseCreate,
    CardPurchasePage,
    CardPurchaseRead,
    CardPurchaseStarted,
    PeriodCardList,
    PeriodCardRead,
    PeriodCardSale,
    PeriodCardsQuery,
    PeriodCardTemplateCreate,
    PeriodCardTemplatePage,
    PeriodCardTemplateRead,
    PeriodCardTemplateUpdate,
    PeriodCardUseList,
    PeriodTemplateQuery,
    PurchaseQuery,
)
from app.common.auth import ROLES, auth_required, counter_staff, current_actor, member_only, owner_only, staff_any
from app.common.errors import NotFound
from app.common.transaction import unit_of_work

blp = Blueprint("period-cards", __name__, description="Period cards (月卡/年卡) and card purchases in the mini-program")


@blp.route("/period-card-templates")
class PeriodCardTemplates(MethodView):
    @auth_required(*ROLES)
    @blp.arguments(PeriodTemplateQuery, location="query")
    @blp.response(200, PeriodCardTemplatePage)
    def get(self, query):
        """List period-card templates (members see the active ones)"""
        if current_actor().role == "member":
            query = dict(query, active=True)
        return period_services.list_templates(**query)

    @owner_only
    @unit_of_work()
    @blp.arguments(PeriodCardTemplateCreate)
    @blp.response(201, PeriodCardTemplateRead)
    def post(self, body):
        """Create a period-card template (owner; audited)"""
        return period_services.create_template(data=body, actor=current_actor())


@blp.route("/period-card-templates/<int:period_template_id>")
class PeriodCardTemplateResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, PeriodCardTemplateRead)
    def get(self, period_template_id):
        """Read one period-card template"""
        template = period_services.get_template(period_template_id)
        if current_actor().role == "member" and not template.is_active:
            raise NotFound("period_card_template_not_found", "No such period-card template.")
        return template

    @owner_only
    @unit_of_work()
    @blp.arguments(PeriodCardTemplateUpdate)
    @blp.response(200, PeriodCardTemplateRead)
    def patch(self, changes, period_template_id):
        """Change a period-card template (owner; audited; cards already sold keep theirs)"""
        return period_services.update_template(template_id=period_template_id, changes=changes, actor=current_actor())


@blp.route("/members/<int:member_id>/period-cards")
class MemberPeriodCards(MethodView):
    @staff_any
    @blp.arguments(PeriodCardsQuery, location="query")
    @blp.response(200, PeriodCardList)
    def get(self, query, member_id):
        """A member's period cards with today's uses (optionally those usable for one car)"""
        return {"items": period_services.describe(period_services.list_member_cards(member_id=member_id, **query))}

    @counter_staff
    @unit_of_work(idempotent=True)
    @blp.arguments(PeriodCardSale)
    @blp.response(201, PeriodCardRead)
    def post(self, body, member_id):
        """Sell a period card at the counter (send an Idempotency-Key)"""
        actor = current_actor()
        body["store_id"] = actor.till_store(body.get("store_id"))
        card = period_services.sell_card(member_id=member_id, actor_key=actor.key, **body)
        return period_services.describe([card])[0]


@blp.route("/period-cards/<int:period_card_id>/uses")
@staff_any
@blp.response(200, PeriodCardUseList)
def card_uses(period_card_id):
    """A period card's use ledger, newest first"""
    return {"items": period_services.list_uses(card_id=period_card_id)}


@blp.route("/me/period-cards")
@member_only
@blp.arguments(PeriodCardsQuery, location="query")
@blp.response(200, PeriodCardList)
def my_period_cards(query):
    """The caller's period cards with today's uses"""
    member_id = current_actor().id
    return {"items": period_services.describe(period_services.list_member_cards(member_id=member_id, **query))}


@blp.route("/me/period-cards/<int:period_card_id>/uses")
@member_only
@blp.response(200, PeriodCardUseList)
def my_card_uses(period_card_id):
    """The use ledger of one of the caller's period cards"""
    return {"items": period_services.list_uses(card_id=period_card_id, member_id=current_actor().id)}


@blp.route("/me/card-purchases")
class MyCardPurchases(MethodView):
    @member_only
    @blp.arguments(PurchaseQuery, location="query")
    @blp.response(200, CardPurchasePage)
    def get(self, query):
        """The caller's card purchases, newest first"""
        return purchase_services.list_purchases(member_id=current_actor().id, **query)

    @member_only
    @unit_of_work(idempotent=True)
    @blp.arguments(CardPurchaseCreate, example={"kind": "period", "template_id": 1, "vehicle_id": 3})
    @blp.response(201, CardPurchaseStarted)
    def post(self, body):
        """Buy a package card or a period card through WeChat Pay: returns the parameters for
        wx.requestPayment

        The card is issued when WeChat's signed payment notice arrives.
        """
        purchase, payment, pay_params = purchase_services.start_purchase(member_id=current_actor().id, **body)
        return {"purchase": purchase_services.describe([purchase])[0], "payment": payment, "pay_params": pay_params}


@blp.route("/members/<int:member_id>/card-purchases")
@staff_any
@blp.arguments(PurchaseQuery, location="query")
@blp.response(200, CardPurchasePage)
def member_card_purchases(query, member_id):
    """A member's card purchases in the mini-program, newest first, with each payment's refund state"""
    return purchase_services.list_purchases(member_id=member_id, **query)


@blp.route("/me/card-purchases/<int:purchase_id>/refund", methods=["POST"])
@member_only
@unit_of_work(idempotent=True)
@blp.response(200, CardPurchaseRead)
def refund_my_purchase(purchase_id):
    """Refund a card bought in the mini-program: unused and within 7 days of issue; the money goes
    back through WeChat Pay (send an Idempotency-Key)"""
    purchase = purchase_services.refund_purchase(purchase_id=purchase_id, member_id=current_actor().id)
    return purchase_services.describe([purchase])[0]
