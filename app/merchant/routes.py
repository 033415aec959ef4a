from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import current_actor, owner_only, staff_any
from app.common.transaction import unit_of_work
from app.merchant import services
from app.merchant.schemas import SettingsRead, SettingsUpdate

blp = Blueprint("settings", __name__, description="The merchant's rules")


@blp.route("/settings")
class SettingsResource(MethodView):
    @staff_any
    @blp.response(200, SettingsRead)
    def get(self):
        """Read the merchant's rules"""
        return services.get_settings()

    @owner_only
    @unit_of_work()
    @blp.arguments(SettingsUpdate)
    @blp.response(200, SettingsRead)
    def patch(self, changes):
        """Change the merchant's rules (owner)"""
        return services.update_settings(changes=changes, actor=current_actor())
