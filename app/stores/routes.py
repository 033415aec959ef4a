from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import ROLES, auth_required, current_actor, owner_only
from app.common.transaction import unit_of_work
from app.stores import services
from app.stores.schemas import (
    PasswordReset,
    StaffAccountPage,
    StaffAccountRead,
    StaffCreate,
    StaffQuery,
    StaffUpdate,
    StoreCreate,
    StoreList,
    StoreRead,
    StoreUpdate,
)

blp = Blueprint("stores", __name__, description="Stores")
staff_blp = Blueprint("staff", __name__, description="Staff accounts: the owner creates, changes and disables them")
blueprints = [blp, staff_blp]


@blp.route("/stores")
class StoresResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, StoreList)
    def get(self):
        """List the merchant's stores"""
        return {"items": services.list_stores()}

    @owner_only
    @unit_of_work()
    @blp.arguments(StoreCreate, example={"name": "福田店", "bays": 3, "labor_rate_fen": 12000})
    @blp.response(201, StoreRead)
    def post(self, fields):
        """Open a store (owner, audited): its name, and optionally hours, bays, labor rate and the rest"""
        return services.open_store(fields=fields, actor=current_actor())


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
        """Change a store: name, contact, bays and hours, labor rate, selling below zero stock (owner, audited)"""
        return services.update_store(store_id=store_id, changes=changes, actor=current_actor())


@staff_blp.route("/staff")
class StaffListResource(MethodView):
    @owner_only
    @staff_blp.arguments(StaffQuery, location="query")
    @staff_blp.response(200, StaffAccountPage)
    def get(self, query):
        """List staff accounts, filtered by role, store and whether they are active"""
        return services.list_staff(**query)

    @owner_only
    @unit_of_work()
    @staff_blp.arguments(
        StaffCreate,
        example={"username": "cashier03", "password": "correct-horse-42", "role": "cashier", "store_ids": [1]},
    )
    @staff_blp.response(201, StaffAccountRead)
    def post(self, body):
        """Create a staff account (audited; the password is never recorded)"""
        return services.create_staff(actor=current_actor(), **body)


@staff_blp.route("/staff/<int:staff_id>")
class StaffResource(MethodView):
    @owner_only
    @staff_blp.response(200, StaffAccountRead)
    def get(self, staff_id):
        """Read one staff account"""
        return services.get_staff(staff_id)

    @owner_only
    @unit_of_work()
    @staff_blp.arguments(StaffUpdate)
    @staff_blp.response(200, StaffAccountRead)
    def patch(self, changes, staff_id):
        """Change an account's role or stores (audited); its tokens stop working, so it applies at the next login"""
        return services.update_staff(staff_id=staff_id, actor=current_actor(), **changes)


@staff_blp.route("/staff/<int:staff_id>/disable", methods=["POST"])
@owner_only
@unit_of_work()
@staff_blp.response(200, StaffAccountRead)
def disable_staff(staff_id):
    """Disable an account (audited): every token it holds stops working at once; never the last owner"""
    return services.disable_staff(staff_id=staff_id, actor=current_actor())


@staff_blp.route("/staff/<int:staff_id>/enable", methods=["POST"])
@owner_only
@unit_of_work()
@staff_blp.response(200, StaffAccountRead)
def enable_staff(staff_id):
    """Let a disabled account log in again (audited; tokens from before stay revoked)"""
    return services.enable_staff(staff_id=staff_id, actor=current_actor())


@staff_blp.route("/staff/<int:staff_id>/password", methods=["POST"])
@owner_only
@unit_of_work()
@staff_blp.arguments(PasswordReset)
@staff_blp.response(200, StaffAccountRead)
def reset_staff_password(body, staff_id):
    """Set a new password for an account (audited, never the password): every token it holds stops working"""
    return services.reset_staff_password(staff_id=staff_id, password=body["password"], actor=current_actor())
