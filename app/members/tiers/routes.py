from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import back_office, current_actor, owner_only, staff_any
from app.common.transaction import unit_of_work
from app.members.schemas import TagCreate, TagList, TagRead, TagUpdate, TierCreate, TierList, TierRead, TierUpdate
from app.members.tiers import services as tier_services

blp = Blueprint("tiers-and-tags", __name__, description="Member tiers and tags")


@blp.route("/tiers")
class TiersResource(MethodView):
    @staff_any
    @blp.response(200, TierList)
    def get(self):
        """List tiers, lowest rank first"""
        return {"items": tier_services.list_tiers()}

    @owner_only
    @unit_of_work()
    @blp.arguments(TierCreate)
    @blp.response(201, TierRead)
    def post(self, body):
        """Create a tier (owner): its discounts are bounded by the settings"""
        return tier_services.create_tier(data=body, actor=current_actor())


@blp.route("/tiers/<int:tier_id>")
class TierResource(MethodView):
    @staff_any
    @blp.response(200, TierRead)
    def get(self, tier_id):
        """Read one tier"""
        return tier_services.get_tier(tier_id)

    @owner_only
    @unit_of_work()
    @blp.arguments(TierUpdate)
    @blp.response(200, TierRead)
    def patch(self, changes, tier_id):
        """Change a tier (owner)"""
        return tier_services.update_tier(tier_id=tier_id, changes=changes, actor=current_actor())


@blp.route("/tags")
class TagsResource(MethodView):
    @staff_any
    @blp.response(200, TagList)
    def get(self):
        """List tags"""
        return {"items": tier_services.list_tags()}

    @back_office
    @unit_of_work()
    @blp.arguments(TagCreate)
    @blp.response(201, TagRead)
    def post(self, body):
        """Create a tag"""
        return tier_services.create_tag(name=body["name"])


@blp.route("/tags/<int:tag_id>")
class TagResource(MethodView):
    @staff_any
    @blp.response(200, TagRead)
    def get(self, tag_id):
        """Read one tag"""
        return tier_services.get_tag(tag_id)

    @back_office
    @unit_of_work()
    @blp.arguments(TagUpdate)
    @blp.response(200, TagRead)
    def patch(self, changes, tag_id):
        """Rename a tag"""
        return tier_services.update_tag(tag_id=tag_id, changes=changes)
