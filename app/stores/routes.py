from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import ROLES, auth_required, current_actor, owner_only
from app.common.transaction import unit_of_work
from app.stores import services
from app.stores.schemas import StoreList, StoreRead, StoreUpdate

blp = Blueprint("stores", __name__, description="Stores")


@blp.route("/stores")
class StoresResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, StoreList)
    def get(self):
        """List the merchant's stores"""
        return {"items": services.list_stores()}


@blp.route("/stores/<int:store_id>")
class StoreResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, StoreRead)
    def get(self, store_id):
        """Read one store"""
        return services.get_store(store_id)

    @owner_only
    @unit_of_work()
    @blp.arguments(StoreUpdate)
    @blp.response(200, StoreRead)
    def patch(self, changes, store_id):
        """Change a store: name, contact, booking capacity, opening hours, selling below zero stock (owner)"""
        return services.update_store(store_id=store_id, changes=changes, actor=current_actor())
