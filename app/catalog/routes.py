from flask.views import MethodView
from flask_smorest import Blueprint

from app.catalog import services, stock_routes
from app.catalog.schemas import (
    PartCreate,
    PartPage,
    PartQuery,
    PartRead,
    PartUpdate,
    ServiceItemCreate,
    ServiceItemPage,
    ServiceItemQuery,
    ServiceItemRead,
    ServiceItemUpdate,
)
from app.common.auth import ROLES, auth_required, back_office, current_actor, staff_any
from app.common.transaction import unit_of_work

blp = Blueprint("catalog", __name__, description="Service items and parts")
blueprints = [blp, stock_routes.blp]


@blp.route("/service-items")
class ServiceItems(MethodView):
    @auth_required(*ROLES)
    @blp.arguments(ServiceItemQuery, location="query")
    @blp.response(200, ServiceItemPage)
    def get(self, query):
        """List service items (members see them to book)"""
        return services.list_service_items(**query)

    @back_office
    @unit_of_work()
    @blp.arguments(ServiceItemCreate)
    @blp.response(201, ServiceItemRead)
    def post(self, body):
        """Create a service item"""
        return services.create_service_item(data=body, actor=current_actor())


@blp.route("/service-items/<int:item_id>")
class ServiceItemResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, ServiceItemRead)
    def get(self, item_id):
        """Read one service item"""
        return services.get_service_item(item_id)

    @back_office
    @unit_of_work()
    @blp.arguments(ServiceItemUpdate)
    @blp.response(200, ServiceItemRead)
    def patch(self, changes, item_id):
        """Change a service item"""
        return services.update_service_item(item_id=item_id, changes=changes, actor=current_actor())


@blp.route("/parts")
class Parts(MethodView):
    @staff_any
    @blp.arguments(PartQuery, location="query")
    @blp.response(200, PartPage)
    def get(self, query):
        """List parts (low_stock=true for the ones to reorder)"""
        return services.list_parts(**query)

    @back_office
    @unit_of_work()
    @blp.arguments(PartCreate)
    @blp.response(201, PartRead)
    def post(self, body):
        """Create a part with its opening stock at a store (the first store unless named)"""
        return services.create_part(data=body, actor=current_actor())


@blp.route("/parts/<int:part_id>")
class PartResource(MethodView):
    @staff_any
    @blp.response(200, PartRead)
    def get(self, part_id):
        """Read one part"""
        return services.get_part(part_id)

    @back_office
    @unit_of_work()
    @blp.arguments(PartUpdate)
    @blp.response(200, PartRead)
    def patch(self, changes, part_id):
        """Change a part's definition"""
        return services.update_part(part_id=part_id, changes=changes, actor=current_actor())
