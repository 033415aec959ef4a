from marshmallow import validates_schema

from app.common.schemas import (
    BodySchema,
    Fen,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    ValidationError,
    fields,
    page_schema,
    validate,
)
from app.members.schemas import TierBrief
from app.wallet.models import PAID_VIA, POINTS_ENTRY_KINDS, WALLET_ENTRY_KINDS

REASON = validate.Length(min=1, max=200)


class TopupPlanRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    pay_fen = fields.Integer()
    bonus_fen = fields.Integer()
    grants_tier_id = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class TopupPlanCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    pay_fen = Fen(required=True, allow_zero=False)
    bonus_fen = Fen(required=True)
    grants_tier_id = StrictInteger(allow_none=True)
    is_active = fields.Boolean(load_default=True)


class TopupPlanUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=50))
    pay_fen = Fen()
    bonus_fen = Fen()
    grants_tier_id = StrictInteger(allow_none=True)
    is_active = fields.Boolean()

    @validates_schema
    def price_is_fixed(self, data, **kwargs):
        if "pay_fen" in data:
            raise ValidationError("A plan's price does not change; create a new plan.", "pay_fen")


class TopupPlanQuery(PageQuery):
    include_inactive = fields.Boolean(load_default=False)


TopupPlanPage = page_schema(TopupPlanRead, name="TopupPlanPage")


class WalletRead(ResponseSchema):
    member_id = fields.Integer()
    balance_fen = fields.Integer()
    principal_fen = fields.Integer()
    bonus_fen = fields.Integer()


class WalletEntryRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(WALLET_ENTRY_KINDS))
    amount_fen = fields.Integer()
    principal_fen = fields.Integer()
    bonus_fen = fields.Integer()
    balance_after_fen = fields.Integer()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    paid_via = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WalletEntryStaffRead(WalletEntryRead):
    created_by = fields.String(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    reverses_entry_id = fields.Integer(allow_none=True)


WalletEntryPage = page_schema(WalletEntryRead, name="WalletEntryPage")
WalletEntryStaffPage = page_schema(WalletEntryStaffRead, name="WalletEntryStaffPage")


class WalletMoved(ResponseSchema):
    entry = fields.Nested(WalletEntryStaffRead)
    wallet = fields.Nested(WalletRead)


class TierInfo(TierBrief):
    """The member's tier with the benefits the mini-program shows."""

    rank = fields.Integer()
    labor_discount_percent = fields.Integer()
    parts_discount_percent = fields.Integer()
    points_multiplier = fields.Float()


class PointsExpiry(ResponseSchema):
    points = fields.Integer()
    expires_at = fields.DateTime()


class WalletSummary(ResponseSchema):
    balance_fen = fields.Integer()
    principal_fen = fields.Integer()
    bonus_fen = fields.Integer()
    points = fields.Integer()
    next_points_expiry = fields.Nested(PointsExpiry, allow_none=True)
    tier = fields.Nested(TierInfo, allow_none=True)


class CounterTopup(BodySchema):
    amount_fen = Fen(required=True, allow_zero=False)
    plan_id = StrictInteger(allow_none=True)
    paid_via = fields.String(required=True, validate=validate.OneOf(PAID_VIA))
    store_id = StrictInteger(
        validate=validate.Range(min=1),
        metadata={"description": "The store whose till takes the money; default: the caller's only store."},
    )


class MemberTopup(BodySchema):
    amount_fen = Fen(allow_zero=False)
    plan_id = StrictInteger()

    @validates_schema
    def amount_or_plan(self, data, **kwargs):
        if "amount_fen" not in data and "plan_id" not in data:
            raise ValidationError("Give amount_fen or plan_id.", "amount_fen")


class PrincipalRefund(BodySchema):
    amount_fen = Fen(required=True, allow_zero=False)
    reason = fields.String(required=True, validate=REASON)
    paid_via = fields.String(load_default="cash", validate=validate.OneOf(PAID_VIA))
    store_id = StrictInteger(
        validate=validate.Range(min=1),
        metadata={"description": "The store whose till pays the money out; default: the caller's only store."},
    )


class PointsEntryRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(POINTS_ENTRY_KINDS))
    points = fields.Integer()
    balance_after = fields.Integer()
    shortfall = fields.Integer()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PointsEntryStaffRead(PointsEntryRead):
    lot_id = fields.Integer(allow_none=True)
    reverses_entry_id = fields.Integer(allow_none=True)
    created_by = fields.String(allow_none=True)


PointsEntryPage = page_schema(PointsEntryRead, name="PointsEntryPage")
PointsEntryStaffPage = page_schema(PointsEntryStaffRead, name="PointsEntryStaffPage")


class PointsAdjustment(BodySchema):
    points = StrictInteger(
        required=True,
        validate=[
            validate.Range(min=-(10**9), max=10**9),
            validate.NoneOf([0], error="An adjustment is not zero."),
        ],
    )
    reason = fields.String(required=True, validate=REASON)


class PointsAdjusted(ResponseSchema):
    entry = fields.Nested(PointsEntryStaffRead)
    points = fields.Integer()
