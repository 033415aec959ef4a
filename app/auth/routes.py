from flask_smorest import Blueprint

from app.common.auth import ROLES, STAFF_ROLES, auth_required, current_actor
from app.common.ratelimit import login_rate_limit
from app.common.schemas import BodySchema, ResponseSchema, fields, validate
from app.common.transaction import unit_of_work
from app.members.services import log_out_member
from app.stores import services
from app.stores.schemas import StaffRead

blp = Blueprint("auth", __name__, description="Staff login, and logout for members and staff")


class StaffLogin(BodySchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128), load_only=True)


class StaffLoginResponse(ResponseSchema):
    token = fields.String()
    staff = fields.Nested(StaffRead)


@blp.route("/auth/staff/login", methods=["POST"])
@login_rate_limit
@blp.arguments(StaffLogin, example={"username": "cashier01", "password": "correct-horse-42"})
@blp.response(200, StaffLoginResponse)
@blp.alt_response(401, response="UNAUTHORIZED")  # wrong username or password
def staff_login(body):
    """Log a staff member in with username and password"""
    token, staff = services.authenticate_staff(**body)
    return {"token": token, "staff": staff}


@blp.route("/auth/staff/me")
@auth_required(*STAFF_ROLES)
@blp.response(200, StaffRead)
def staff_me():
    """The signed-in staff member's account as it is now (a console refreshes its session with it)"""
    return services.get_staff(current_actor().id)


@blp.route("/auth/logout", methods=["POST"])
@auth_required(*ROLES)
@unit_of_work()
@blp.response(204)
def logout():
    """Log out everywhere: every token the caller holds (this one included) stops working"""
    actor = current_actor()
    if actor.kind == "member":
        log_out_member(member_id=actor.id)
    else:
        services.log_out_staff(staff_id=actor.id)
