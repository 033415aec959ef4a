from app.common.schemas import (
    BodySchema,
    Computed,
    Count,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)
from app.rewards.models import REDEMPTION_STATUSES, REWARD_KINDS

POINTS = validate.Range(min=1, max=10**8)


class ExchangeRewardRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String(validate=validate.OneOf(REWARD_KINDS))
    coupon_template_id = fields.Integer(allow_none=True)
    service_item_id = fields.Integer(allow_none=True)
    part_id = fields.Integer(allow_none=True)
    points_price = fields.Integer()
    total_stock = fields.Integer(allow_none=True)
    redeemed_count = fields.Integer()
    remaining_stock = fields.Integer(allow_none=True)
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    is_active = fields.Boolean()


class ExchangeRewardCreate(BodySchema):
    """Which reference each kind takes is checked by the service (422 invalid_exchange_reward)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(REWARD_KINDS))
    coupon_template_id = StrictInteger(allow_none=True)
    service_item_id = StrictInteger(allow_none=True)
    part_id = StrictInteger(allow_none=True)
    points_price = StrictInteger(required=True, validate=POINTS)
    total_stock = Count(allow_none=True)
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    is_active = fields.Boolean()
    # service_item rewards: how many local days the issued item voucher is valid (default 90).
    voucher_valid_days = StrictInteger(validate=validate.Range(min=1, max=3650), allow_none=True)


class ExchangeRewardUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    points_price = StrictInteger(validate=POINTS)
    total_stock = Count(allow_none=True)
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    is_active = fields.Boolean()


class ExchangeRewardQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(REWARD_KINDS))
    active = fields.Boolean()


class RedeemBody(BodySchema):
    reward_id = StrictInteger(required=True)


class HandOverBody(BodySchema):
    store_id = StrictInteger(required=True)


class ExchangeRedemptionRead(ResponseSchema):
    id = fields.Integer()
    reward_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(REWARD_KINDS))
    reward_name = fields.String()
    points = fields.Integer()
    status = fields.String(validate=validate.OneOf(REDEMPTION_STATUSES))
    member_coupon_id = fields.Integer(allow_none=True)
    part_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    collected_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class ExchangeRedemptionStaffRead(ExchangeRedemptionRead):
    member_id = fields.Integer()
    member_nickname = Computed(lambda r: r.member.nickname if r.member else None, fields.String(allow_none=True))
    handled_by = fields.Integer(allow_none=True)
    cancelled_by = fields.String(allow_none=True)


class ExchangeRedemptionQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REDEMPTION_STATUSES))
    kind = fields.String(validate=validate.OneOf(REWARD_KINDS))
    member_id = fields.Integer(validate=validate.Range(min=1))


class MyRedemptionQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REDEMPTION_STATUSES))


ExchangeRewardPage = page_schema(ExchangeRewardRead, name="ExchangeRewardPage")
ExchangeRedemptionPage = page_schema(ExchangeRedemptionRead, name="ExchangeRedemptionPage")
ExchangeRedemptionStaffPage = page_schema(ExchangeRedemptionStaffRead, name="ExchangeRedemptionStaffPage")
