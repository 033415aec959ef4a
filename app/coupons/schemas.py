from app.catalog.models import SERVICE_CATEGORIES
from app.common import clock
from app.common.schemas import (
    BodySchema,
    Computed,
    Count,
    Fen,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)
from app.coupons.models import COUPON_KINDS, LISTED_STATUSES

PERCENT = validate.Range(min=1, max=99)
DAYS = validate.Range(min=1, max=3650)


class CouponTemplateBrief(ResponseSchema):
    """What a member coupon shows of its template: what it is worth and on what."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String(validate=validate.OneOf(COUPON_KINDS))
    value_fen = fields.Integer(allow_none=True)
    percent_off = fields.Integer(allow_none=True)
    max_off_fen = fields.Integer(allow_none=True)
    threshold_fen = fields.Integer()
    service_item_id = fields.Integer(allow_none=True)
    applicable_categories = fields.List(fields.String(), allow_none=True)
    applicable_item_ids = fields.List(fields.Integer(), allow_none=True)


class CouponTemplateRead(CouponTemplateBrief):
    valid_days = fields.Integer(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    total_stock = fields.Integer(allow_none=True)
    issued_count = fields.Integer()
    remaining_stock = fields.Integer(allow_none=True)
    per_member_limit = fields.Integer(allow_none=True)
    claimable = fields.Boolean()
    is_active = fields.Boolean()


class CouponTemplateCreate(BodySchema):
    """Cross-field rules (which fields each kind takes, one way of validity) are checked by the
    service and answered with 422 and a specific code."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(COUPON_KINDS))
    value_fen = Fen(allow_zero=False, allow_none=True)
    percent_off = StrictInteger(validate=PERCENT, allow_none=True)
    max_off_fen = Fen(allow_zero=False, allow_none=True)
    threshold_fen = Fen()
    service_item_id = StrictInteger(allow_none=True)
    applicable_categories = fields.List(
        fields.String(validate=validate.OneOf(SERVICE_CATEGORIES)),
        allow_none=True,
        validate=validate.Length(max=len(SERVICE_CATEGORIES)),
    )
    applicable_item_ids = fields.List(StrictInteger(), allow_none=True, validate=validate.Length(max=200))
    valid_days = StrictInteger(validate=DAYS, allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    total_stock = Count(allow_none=True)
    per_member_limit = Count(minimum=1, allow_none=True)
    claimable = fields.Boolean(required=True)


class CouponTemplateUpdate(CouponTemplateCreate):
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=validate.OneOf(COUPON_KINDS))
    claimable = fields.Boolean()
    is_active = fields.Boolean()


class CouponTemplateQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(COUPON_KINDS))
    claimable = fields.Boolean()
    active = fields.Boolean()


class MemberCouponRead(ResponseSchema):
    id = fields.Integer()
    code = fields.String()
    template = fields.Nested(CouponTemplateBrief)
    status = Computed(
        lambda coupon: coupon.status_at(clock.now()),
        fields.String(validate=validate.OneOf(LISTED_STATUSES + ("void",))),
    )
    source = fields.String()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class MemberCouponStaffRead(MemberCouponRead):
    member_id = fields.Integer()
    used_ref_type = fields.String(allow_none=True)
    used_ref_id = fields.Integer(allow_none=True)


class MemberCouponQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(LISTED_STATUSES))


class StaffIssueBody(BodySchema):
    template_id = StrictInteger(required=True)


CouponTemplatePage = page_schema(CouponTemplateRead, name="CouponTemplatePage")
MemberCouponPage = page_schema(MemberCouponRead, name="MemberCouponPage")
MemberCouponStaffPage = page_schema(MemberCouponStaffRead, name="MemberCouponStaffPage")
