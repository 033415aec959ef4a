from flask.views import MethodView
from flask_smorest import Blueprint

from app.cards import services, stamp_services, template_services
from app.cards.period_routes import blp as period_blp
from app.cards.schemas import (
    CardsQuery,
    MemberCardsRead,
    PackageCardEntryList,
    PackageCardList,
    PackageCardRead,
    PackageCardSale,
    PackageCardTemplateCreate,
    PackageCardTemplatePage,
    PackageCardTemplateRead,
    PackageCardTemplateUpdate,
    StampCardList,
    StampCardTemplateCreate,
    StampCardTemplatePage,
    StampCardTemplateRead,
    StampCardTemplateUpdate,
    TemplateQuery,
)
from app.common.auth import ROLES, auth_required, back_office, counter_staff, current_actor, member_only, staff_any
from app.common.errors import NotFound
from app.common.transaction import unit_of_work
from app.members.services import get_member

blp = Blueprint("cards", __name__, description="Package cards and stamp cards")
blueprints = [blp, period_blp]


def _members_view(query):
    """Members see active templates only."""
    if current_actor().role == "member":
        query = dict(query, active=True)
    return query


def _visible(template):
    if current_actor().role == "member" and not template.is_active:
        raise NotFound("template_not_found", "No such template.")
    return template


@blp.route("/package-card-templates")
class PackageCardTemplates(MethodView):
    @auth_required(*ROLES)
    @blp.arguments(TemplateQuery, location="query")
    @blp.response(200, PackageCardTemplatePage)
    def get(self, query):
        """List package-card templates (members see the active ones)"""
        return template_services.list_package_templates(**_members_view(query))

    @back_office
    @unit_of_work()
    @blp.arguments(PackageCardTemplateCreate)
    @blp.response(201, PackageCardTemplateRead)
    def post(self, body):
        """Create a package-card template"""
        return template_services.create_package_template(data=body, actor=current_actor())


@blp.route("/package-card-templates/<int:template_id>")
class PackageCardTemplateResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, PackageCardTemplateRead)
    def get(self, template_id):
        """Read one package-card template"""
        return _visible(template_services.get_package_template(template_id))

    @back_office
    @unit_of_work()
    @blp.arguments(PackageCardTemplateUpdate)
    @blp.response(200, PackageCardTemplateRead)
    def patch(self, changes, template_id):
        """Change a package-card template (cards already sold keep theirs)"""
        return template_services.update_package_template(
            template_id=template_id, changes=changes, actor=current_actor()
        )


@blp.route("/stamp-card-templates")
class StampCardTemplates(MethodView):
    @auth_required(*ROLES)
    @blp.arguments(TemplateQuery, location="query")
    @blp.response(200, StampCardTemplatePage)
    def get(self, query):
        """List stamp-card templates (members see the active ones)"""
        return template_services.list_stamp_templates(**_members_view(query))

    @back_office
    @unit_of_work()
    @blp.arguments(StampCardTemplateCreate)
    @blp.response(201, StampCardTemplateRead)
    def post(self, body):
        """Create a stamp-card template"""
        return template_services.create_stamp_template(data=body)


@blp.route("/stamp-card-templates/<int:template_id>")
class StampCardTemplateResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, StampCardTemplateRead)
    def get(self, template_id):
        """Read one stamp-card template"""
        return _visible(template_services.get_stamp_template(template_id))

    @back_office
    @unit_of_work()
    @blp.arguments(StampCardTemplateUpdate)
    @blp.response(200, StampCardTemplateRead)
    def patch(self, changes, template_id):
        """Change a stamp-card template (open cards keep their stamps required)"""
        return template_services.update_stamp_template(template_id=template_id, changes=changes)


@blp.route("/members/<int:member_id>/package-cards")
class MemberPackageCards(MethodView):
    @staff_any
    @blp.arguments(CardsQuery, location="query")
    @blp.response(200, PackageCardList)
    def get(self, query, member_id):
        """A member's package cards with remaining counts"""
        get_member(member_id)
        return {"items": services.describe(services.list_member_cards(member_id=member_id, **query))}

    @counter_staff
    @unit_of_work(idempotent=True)
    @blp.arguments(PackageCardSale)
    @blp.response(201, PackageCardRead)
    def post(self, body, member_id):
        """Sell a package card at the counter (send an Idempotency-Key)"""
        actor = current_actor()
        body["store_id"] = actor.till_store(body.get("store_id"))
        card = services.sell_package_card(member_id=member_id, actor_key=actor.key, **body)
        return services.describe([card])[0]


@blp.route("/members/<int:member_id>/stamp-cards")
@staff_any
@blp.response(200, StampCardList)
def member_stamp_cards(member_id):
    """A member's open stamp cards"""
    get_member(member_id)
    return {"items": stamp_services.list_open_cards(member_id=member_id)}


@blp.route("/package-cards/<int:card_id>/entries")
@staff_any
@blp.response(200, PackageCardEntryList)
def card_entries(card_id):
    """A package card's ledger, newest first"""
    return {"items": services.list_entries(card_id=card_id)}


@blp.route("/me/cards")
@member_only
@blp.arguments(CardsQuery, location="query")
@blp.response(200, MemberCardsRead)
def my_cards(query):
    """The caller's package cards (remaining counts) and stamp cards (stamps)"""
    return services.member_cards(member_id=current_actor().id, **query)


@blp.route("/me/package-cards/<int:card_id>/entries")
@member_only
@blp.response(200, PackageCardEntryList)
def my_card_entries(card_id):
    """The ledger of one of the caller's package cards"""
    return {"items": services.list_entries(card_id=card_id, member_id=current_actor().id)}
