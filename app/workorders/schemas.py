from marshmallow import validates_schema

from app.common.schemas import (
    BodySchema,
    Count,
    Fen,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    ValidationError,
    fields,
    page_schema,
    validate,
)
from app.workorders.models import STATUSES, TENDER_TYPES

ID = {"validate": validate.Range(min=1)}
# The fields each tender type takes (besides "type").
TENDER_FIELDS = {
    "stored_value": {"amount_fen"},
    "points": {"points"},
    "coupon": {"member_coupon_id"},
    "package_card": {"card_id", "service_item_id"},
    "cash": {"amount_fen"},
    "wechat": {"amount_fen"},
    "alipay": {"amount_fen"},
    "card": {"amount_fen"},
}


class WorkOrderLineInput(BodySchema):
    service_item_id = StrictInteger(**ID)
    part_id = StrictInteger(**ID)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=999))

    @validates_schema
    def one_reference(self, data, **kwargs):
        if ("service_item_id" in data) == ("part_id" in data):
            raise ValidationError("give either service_item_id or part_id", "service_item_id")


class WorkOrderCreate(BodySchema):
    store_id = StrictInteger(required=True, **ID)
    plate = fields.String(required=True, validate=validate.Length(min=2, max=16))
    mileage_km = Count(allow_none=True)
    mileage_correction = fields.Boolean(load_default=False)
    lines = fields.List(fields.Nested(WorkOrderLineInput), load_default=list, validate=validate.Length(max=100))


class WorkOrderLinesAdd(BodySchema):
    lines = fields.List(fields.Nested(WorkOrderLineInput), required=True, validate=validate.Length(min=1, max=100))


class WorkOrderStatusChange(BodySchema):
    status = fields.String(required=True, validate=validate.OneOf(["in_progress", "completed", "cancelled"]))


class WorkOrderTender(BodySchema):
    type = fields.String(required=True, validate=validate.OneOf(TENDER_TYPES))
    amount_fen = Fen(allow_zero=False)
    points = StrictInteger(validate=validate.Range(min=1, max=10**9))
    member_coupon_id = StrictInteger(**ID)
    card_id = StrictInteger(**ID)
    service_item_id = StrictInteger(**ID)

    @validates_schema
    def fields_of_type(self, data, **kwargs):
        wanted = TENDER_FIELDS.get(data.get("type"), set())
        given = set(data) - {"type"}
        missing, stray = sorted(wanted - given), sorted(given - wanted)
        if missing:
            raise ValidationError(f"a {data['type']} tender needs {', '.join(missing)}", missing[0])
        if stray:
            raise ValidationError(f"a {data['type']} tender does not take {', '.join(stray)}", stray[0])


class WorkOrderTenders(BodySchema):
    tenders = fields.List(fields.Nested(WorkOrderTender), required=True, validate=validate.Length(max=20))


class WorkOrderRefundBody(BodySchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WorkOrderQuery(PageQuery):
    plate = fields.String(validate=validate.Length(min=1, max=16))
    status = fields.String(validate=validate.OneOf(STATUSES))
    store_id = fields.Integer(validate=validate.Range(min=1))


class LineTechnicianRead(ResponseSchema):
    staff_id = fields.Integer(required=True)
    username = fields.String(required=True)
    share_percent = fields.Integer(required=True)


class WorkOrderLineRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String()
    service_item_id = fields.Integer(allow_none=True)
    part_id = fields.Integer(allow_none=True)
    name = fields.String()
    category = fields.String()
    quantity = fields.Integer()
    unit_price_fen = fields.Integer()
    discount_percent = fields.Integer()
    unit_net_fen = fields.Integer()
    discount_fen = fields.Integer()
    line_total_fen = fields.Integer()
    technicians = fields.List(fields.Nested(LineTechnicianRead), required=True)


class WorkOrderPaymentRead(ResponseSchema):
    id = fields.Integer()
    type = fields.String()
    amount_fen = fields.Integer()
    status = fields.String()
    points = fields.Integer(allow_none=True)
    member_coupon_id = fields.Integer(allow_none=True)
    card_id = fields.Integer(allow_none=True)
    service_item_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderRead(ResponseSchema):
    id = fields.Integer()
    number = fields.String()
    store_id = fields.Integer()
    vehicle_id = fields.Integer()
    plate = fields.String()
    member_id = fields.Integer(allow_none=True)
    booking_id = fields.Integer(allow_none=True)
    status = fields.String()
    mileage_km = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(WorkOrderLineRead))
    subtotal_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    points_earned = fields.Integer()
    payments = fields.List(fields.Nested(WorkOrderPaymentRead))
    created_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)
    refund_reason = fields.String(allow_none=True)


class WorkOrderTenderValue(ResponseSchema):
    type = fields.String()
    amount_fen = fields.Integer()
    points = fields.Integer(allow_none=True)
    member_coupon_id = fields.Integer(allow_none=True)
    coupon_kind = fields.String(allow_none=True)
    card_id = fields.Integer(allow_none=True)
    service_item_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)


class WorkOrderQuoteRead(ResponseSchema):
    work_order_id = fields.Integer()
    member_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(WorkOrderLineRead))
    subtotal_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()
    tenders = fields.List(fields.Nested(WorkOrderTenderValue))
    tendered_fen = fields.Integer()
    remaining_fen = fields.Integer()
    paid_fen = fields.Integer()
    points_max_redeemable = fields.Integer(allow_none=True)


class WorkOrderPayBody(WorkOrderTenders):
    pass


class WorkOrderWeChatPayment(ResponseSchema):
    out_trade_no = fields.String()
    amount_fen = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime()


class WorkOrderPayRead(ResponseSchema):
    work_order = fields.Nested(WorkOrderRead)
    # The WeChat payment for the remainder (poll GET /me/payments/{out_trade_no}); null when settled at once.
    payment = fields.Nested(WorkOrderWeChatPayment, allow_none=True)
    # JSAPI parameters for wx.requestPayment; null when the tenders settled the order at once.
    pay_params = fields.Dict(allow_none=True)


WorkOrderPage = page_schema(WorkOrderRead, name="WorkOrderPage")


class LineTechnicianInput(BodySchema):
    staff_id = StrictInteger(required=True, validate=validate.Range(min=1))
    share_percent = StrictInteger(validate=validate.Range(min=1, max=100))


class LineTechniciansBody(BodySchema):
    technicians = fields.List(fields.Nested(LineTechnicianInput), required=True, validate=validate.Length(max=10))


class MyJobsQuery(PageQuery):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First merchant-local day."})
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive."})


class MyJobRead(ResponseSchema):
    """A line the caller worked, with its order."""

    work_order_id = fields.Integer(required=True)
    number = fields.String(required=True)
    store_id = fields.Integer(required=True)
    plate = fields.String(required=True)
    status = fields.String(required=True)
    line_id = fields.Integer(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    share_percent = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class MyJobPage(ResponseSchema):
    items = fields.List(fields.Nested(MyJobRead), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
