from app.commissions.models import CATEGORIES, ENTRY_KINDS, METHODS
from app.common.schemas import (
    BodySchema,
    Fen,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)

_PERCENT = validate.Range(min=0, max=100)


class CommissionRuleRead(ResponseSchema):
    id = fields.Integer(required=True)
    service_item_id = fields.Integer(required=True, allow_none=True)
    part_id = fields.Integer(required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True, validate=validate.OneOf(CATEGORIES))
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    percent = fields.Integer(required=True)
    fixed_fen = fields.Integer(required=True)
    is_active = fields.Boolean(required=True)


class CommissionRuleList(ResponseSchema):
    items = fields.List(fields.Nested(CommissionRuleRead), required=True)


class CommissionRuleCreate(BodySchema):
    service_item_id = StrictInteger(validate=validate.Range(min=1), allow_none=True)
    part_id = StrictInteger(validate=validate.Range(min=1), allow_none=True)
    category = fields.String(validate=validate.OneOf(CATEGORIES), allow_none=True)
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    percent = StrictInteger(load_default=0, validate=_PERCENT)
    fixed_fen = Fen(load_default=0)


class CommissionRuleUpdate(BodySchema):
    method = fields.String(validate=validate.OneOf(METHODS))
    percent = StrictInteger(validate=_PERCENT)
    fixed_fen = Fen()
    is_active = fields.Boolean()


class CommissionQuery(PageQuery):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First merchant-local day."})
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive."})
    staff_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    store_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class MyCommissionQuery(PageQuery):
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)


class CommissionEntryRead(ResponseSchema):
    id = fields.Integer(required=True)
    staff_id = fields.Integer(required=True)
    store_id = fields.Integer(required=True)
    work_order_id = fields.Integer(required=True)
    line_id = fields.Integer(required=True)
    rule_id = fields.Integer(required=True, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    basis_fen = fields.Integer(required=True)
    share_percent = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class StaffCommissionTotal(ResponseSchema):
    staff_id = fields.Integer(required=True)
    username = fields.String(required=True)
    earned_fen = fields.Integer(required=True)
    reversed_fen = fields.Integer(required=True)
    net_fen = fields.Integer(required=True)


class CommissionReport(page_schema(CommissionEntryRead, name="CommissionEntryPage")):
    """A page of the period's entries, and each person's totals over the whole period."""

    totals = fields.List(fields.Nested(StaffCommissionTotal), required=True)
