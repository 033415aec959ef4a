from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import ROLES, auth_required, back_office, counter_staff, current_actor, member_only, staff_any
from app.common.qr import PNG_RESPONSE, png_response
from app.common.transaction import unit_of_work
from app.coupons import issuing, services, template_services
from app.coupons.schemas import (
    CouponTemplateCreate,
    CouponTemplatePage,
    CouponTemplateQuery,
    CouponTemplateRead,
    CouponTemplateUpdate,
    MemberCouponPage,
    MemberCouponQuery,
    MemberCouponRead,
    MemberCouponStaffPage,
    MemberCouponStaffRead,
    StaffIssueBody,
)
from app.members.services import get_member

blp = Blueprint("coupons", __name__, description="Coupon templates and member coupons")


def _is_member():
    return current_actor().role == "member"


@blp.route("/coupon-templates")
class CouponTemplates(MethodView):
    @auth_required(*ROLES)
    @blp.arguments(CouponTemplateQuery, location="query")
    @blp.response(200, CouponTemplatePage)
    def get(self, query):
        """List coupon templates (members see the active, claimable ones)"""
        return template_services.list_templates(members_view=_is_member(), **query)

    @back_office
    @unit_of_work()
    @blp.arguments(CouponTemplateCreate)
    @blp.response(201, CouponTemplateRead)
    def post(self, body):
        """Create a coupon template"""
        return template_services.create_template(data=body, actor=current_actor())


@blp.route("/coupon-templates/<int:template_id>")
class CouponTemplateResource(MethodView):
    @auth_required(*ROLES)
    @blp.response(200, CouponTemplateRead)
    def get(self, template_id):
        """Read one coupon template"""
        if _is_member():
            return template_services.get_template_for_member(template_id)
        return template_services.get_template(template_id)

    @back_office
    @unit_of_work()
    @blp.arguments(CouponTemplateUpdate)
    @blp.response(200, CouponTemplateRead)
    def patch(self, changes, template_id):
        """Change a coupon template (value fields are frozen once coupons were issued)"""
        return template_services.update_template(template_id=template_id, changes=changes, actor=current_actor())


@blp.route("/coupon-templates/<int:template_id>/claim", methods=["POST"])
@member_only
@unit_of_work(idempotent=True)
@blp.response(201, MemberCouponRead)
def claim(template_id):
    """Claim a coupon; over the per-member limit or out of stock → 409"""
    return issuing.claim(template_id=template_id, member_id=current_actor().id)


@blp.route("/me/coupons")
@member_only
@blp.arguments(MemberCouponQuery, location="query")
@blp.response(200, MemberCouponPage)
def my_coupons(query):
    """The caller's coupons, newest first (?status=unused|used|expired)"""
    return services.list_member_coupons(member_id=current_actor().id, **query)


@blp.route("/me/coupons/<int:coupon_id>")
@member_only
@blp.response(200, MemberCouponRead)
def my_coupon(coupon_id):
    """One of the caller's coupons"""
    return services.get_member_coupon(member_id=current_actor().id, member_coupon_id=coupon_id)


@blp.route("/me/coupons/<int:coupon_id>/qr.png")
@member_only
@blp.doc(responses=PNG_RESPONSE)
def my_coupon_qr(coupon_id):
    """A QR of the coupon's code, for the cashier to scan"""
    coupon = services.get_member_coupon(member_id=current_actor().id, member_coupon_id=coupon_id)
    return png_response(coupon.code)


@blp.route("/members/<int:member_id>/coupons")
class MemberCoupons(MethodView):
    @staff_any
    @blp.arguments(MemberCouponQuery, location="query")
    @blp.response(200, MemberCouponStaffPage)
    def get(self, query, member_id):
        """A member's coupons, as staff see them"""
        get_member(member_id)
        return services.list_member_coupons(member_id=member_id, **query)

    @back_office
    @unit_of_work(idempotent=True)
    @blp.arguments(StaffIssueBody)
    @blp.response(201, MemberCouponStaffRead)
    def post(self, body, member_id):
        """Give a member a coupon (issue-only or claimable templates; stock and limits apply)"""
        return issuing.issue(
            template_id=body["template_id"],
            member_id=member_id,
            source="staff",
            ref_type="staff",
            ref_id=current_actor().id,
        )


@blp.route("/member-coupons/by-code/<string:code>")
@counter_staff
@blp.response(200, MemberCouponStaffRead)
def coupon_by_code(code):
    """Find a member coupon by the code on its QR"""
    return services.find_by_code(code)
