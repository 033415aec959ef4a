from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import back_office, counter_staff, current_actor, member_only, owner_only, staff_any
from app.common.errors import Forbidden
from app.common.http import refuse_personal_data_in_url
from app.common.qr import PNG_RESPONSE, png_response
from app.common.ratelimit import login_rate_limit
from app.common.transaction import read_only, unit_of_work
from app.members import counter_lookup, services, vehicle_record_routes, vehicle_services
from app.members.schemas import (
    BlockBody,
    CounterRegistration,
    LoginRequest,
    MemberCardHeader,
    MemberLoginResponse,
    MemberRead,
    MemberSearchBody,
    MemberSearchQuery,
    MemberStaffPage,
    MemberStaffRead,
    MemberTagsBody,
    PhoneBind,
    PlateQuery,
    ProfileUpdate,
    StaffMemberUpdate,
    VehicleCreate,
    VehicleList,
    VehicleLookupPage,
    VehicleRead,
    VehicleUpdate,
    dump_plate_lookup,
)
from app.members.tiers import routes as tier_routes
from app.members.tiers.services import set_member_tags

blp = Blueprint("members", __name__, description="Members and their vehicles")
blueprints = [blp, tier_routes.blp, vehicle_record_routes.blp]


@blp.route("/auth/wechat/login", methods=["POST"])
@login_rate_limit
@unit_of_work()
@blp.arguments(LoginRequest, example={"code": "0c3Xk2000aBc1Q1d2e3f4g5h6i7j8k9l", "referral_code": "K7P2QX"})
@blp.response(200, MemberLoginResponse)
@blp.alt_response(403, response="FORBIDDEN")  # member_blocked
def wechat_login(body):
    """Log a member in with a mini-program login code"""
    token, member, _ = services.login_with_wechat(code=body["code"], referral_code=body.get("referral_code"))
    return {"token": token, "member": member}


@blp.route("/me")
class MeResource(MethodView):
    @member_only
    @blp.response(200, MemberRead)
    def get(self):
        """The caller's member profile"""
        return services.get_member(current_actor().id)

    @member_only
    @unit_of_work()
    @blp.arguments(ProfileUpdate)
    @blp.response(200, MemberRead)
    def patch(self, changes):
        """Change the caller's nickname, birthday or gender"""
        return services.update_profile(member_id=current_actor().id, changes=changes)


@blp.route("/me/phone", methods=["POST"])
@member_only
@unit_of_work()
@blp.arguments(PhoneBind)
@blp.response(200, MemberRead)
def bind_phone(body):
    """Bind the phone number WeChat vouches for"""
    return services.bind_phone(member_id=current_actor().id, code=body["code"])


@blp.route("/me/vehicles")
class MyVehicles(MethodView):
    @member_only
    @blp.response(200, VehicleList)
    def get(self):
        """The caller's vehicles"""
        return {"items": vehicle_services.list_member_vehicles(member_id=current_actor().id)}

    @member_only
    @unit_of_work()
    @blp.arguments(VehicleCreate)
    @blp.response(201, VehicleRead)
    def post(self, body):
        """Register a vehicle; a plate registered to another member is refused (409)"""
        return vehicle_services.add_vehicle(member_id=current_actor().id, **body)


@blp.route("/me/vehicles/<int:vehicle_id>")
class MyVehicle(MethodView):
    @member_only
    @blp.response(200, VehicleRead)
    def get(self, vehicle_id):
        """One of the caller's vehicles"""
        return vehicle_services.get_member_vehicle(member_id=current_actor().id, vehicle_id=vehicle_id)

    @member_only
    @unit_of_work()
    @blp.arguments(VehicleUpdate)
    @blp.response(200, VehicleRead)
    def patch(self, changes, vehicle_id):
        """Update a vehicle's model, purchase date or current mileage"""
        return vehicle_services.update_member_vehicle(
            member_id=current_actor().id, vehicle_id=vehicle_id, changes=changes
        )


@blp.route("/me/member-card/qr.png")
@member_only
@blp.doc(responses=PNG_RESPONSE)
def member_card_qr():
    """A short-lived QR the cashier scans to find the caller"""
    token = services.issue_member_card_token(member_id=current_actor().id)
    return png_response(token)


@blp.route("/vehicles")
@read_only
@counter_staff
@blp.arguments(PlateQuery, location="query")
@blp.arguments(MemberCardHeader, location="headers")
@blp.response(200, VehicleLookupPage)
def lookup_vehicles(query, card):
    """Find cars by part of the plate, or a scanned member card's cars (its token in the
    Member-Card-Token header: 422 member_card_expired or invalid_member_card when it cannot be used)"""
    refuse_personal_data_in_url(request.args)
    page = counter_lookup.lookup_for_counter(**query, card_token=card.get("card_token"))
    # The plate search (the counter's busiest read) is written out by hand, in the schema's shape.
    return page if card.get("card_token") else jsonify(dump_plate_lookup(page))


@blp.route("/members")
class MembersResource(MethodView):
    @read_only
    @counter_staff
    @blp.arguments(MemberSearchQuery, location="query")
    @blp.response(200, MemberStaffPage)
    def get(self, query):
        """Search members by name or plate; a phone number or member card in the URL is refused
        (400 personal_data_in_url): those go to POST /members/search"""
        refuse_personal_data_in_url(request.args)
        return services.search_members(**query)

    @counter_staff
    @unit_of_work()
    @blp.arguments(CounterRegistration)
    @blp.response(201, MemberStaffRead)
    def post(self, body):
        """Register a customer at the counter"""
        if body.get("store_id") is not None and not current_actor().can_access_store(body["store_id"]):
            raise Forbidden("store_forbidden", "You do not work at this store.")
        return services.register_at_counter(**body)


@blp.route("/members/search", methods=["POST"])
@read_only
@counter_staff
@blp.arguments(MemberSearchBody)
@blp.response(200, MemberStaffPage)
def search_members(body):
    """Search members by phone (whole or last digits), name, plate or a scanned member card, kept out
    of the URL (422 member_card_expired or invalid_member_card for a card that cannot be used)"""
    return services.search_members(**body)


@blp.route("/members/<int:member_id>")
class MemberResource(MethodView):
    @staff_any
    @blp.response(200, MemberStaffRead)
    def get(self, member_id):
        """One member, as staff see them"""
        return services.get_member(member_id)

    @staff_any
    @unit_of_work()
    @blp.arguments(StaffMemberUpdate)
    @blp.response(200, MemberStaffRead)
    def patch(self, changes, member_id):
        """Set a member's tier, nickname, birthday or profile facts"""
        return services.update_member_by_staff(member_id=member_id, changes=changes, actor=current_actor())


@blp.route("/members/<int:member_id>/block", methods=["POST"])
@owner_only
@unit_of_work()
@blp.arguments(BlockBody)
@blp.response(200, MemberStaffRead)
def block_member(body, member_id):
    """Block a member: they cannot log in, and every token they hold stops working"""
    return services.block_member(member_id=member_id, reason=body["reason"])


@blp.route("/members/<int:member_id>/unblock", methods=["POST"])
@owner_only
@unit_of_work()
@blp.response(200, MemberStaffRead)
def unblock_member(member_id):
    """Lift a member's block (they log in again; older tokens stay revoked)"""
    return services.unblock_member(member_id=member_id)


@blp.route("/members/<int:member_id>/tags", methods=["POST"])
@back_office
@unit_of_work()
@blp.arguments(MemberTagsBody)
@blp.response(200, MemberStaffRead)
def tag_member(body, member_id):
    """Add tags to a member (or replace their tags)"""
    return set_member_tags(member_id=member_id, tag_ids=body["tag_ids"], replace=body["replace"])
