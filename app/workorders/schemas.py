from decimal import Decimal

from marshmallow import post_load, validates_schema

from app.common.schemas import (
    FEN_MAX,
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


LINE_CATEGORIES = ("wash", "maintenance", "repair", "beauty", "other")


class WorkOrderLineInput(BodySchema):
    """One line: a catalog item or part, hourly labor (自由工时: ``name`` and ``hours``, priced at the
    store's labor rate) or a custom line (自定义项目: ``name`` and ``unit_price_fen``)."""

    service_item_id = StrictInteger(**ID)
    part_id = StrictInteger(**ID)
    quantity = StrictInteger(load_default=1, validate=validate.Range(min=1, max=999))
    name = fields.String(validate=validate.Length(min=1, max=100))
    hours = fields.Decimal(
        places=None, validate=validate.Range(min=Decimal("0.01"), max=Decimal("999")), metadata={"example": "1.5"}
    )
    unit_price_fen = Fen()
    category = fields.String(validate=validate.OneOf(LINE_CATEGORIES + ("part",)))

    @validates_schema
    def one_kind(self, data, **kwargs):
        given = [name for name in ("service_item_id", "part_id", "hours", "unit_price_fen") if name in data]
        if len(given) != 1:
            raise ValidationError(
                "give one of service_item_id, part_id, hours (hourly labor) or unit_price_fen (a custom line)",
                "service_item_id",
            )
        if given[0] in ("hours", "unit_price_fen") and not data.get("name", "").strip():
            raise ValidationError("an hourly or custom line needs a name", "name")
        if given[0] in ("service_item_id", "part_id") and ("name" in data or "category" in data):
            raise ValidationError("a catalog line takes its name and category from the catalog", "name")
        if given[0] == "hours":
            if data.get("quantity", 1) != 1:
                raise ValidationError("an hourly line is one line of hours", "quantity")
            if data.get("category") == "part":
                raise ValidationError("hourly labor is not a part", "category")
            hundredths = data["hours"] * 100
            if hundredths != hundredths.to_integral_value():
                raise ValidationError("hours have at most two decimals", "hours")

    @post_load
    def hours_in_hundredths(self, data, **kwargs):
        if "hours" in data:
            data["hours_x100"] = int(data.pop("hours") * 100)
        if "name" in data:
            data["name"] = data["name"].strip()
        return data


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


class LineDiscountRead(ResponseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(("percent", "unit_price")))
    value = fields.Integer(required=True)
    reason = fields.String(required=True)
    by_staff_id = fields.Integer(required=True, allow_none=True)


class OrderDiscountRead(ResponseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(("amount", "percent")))
    value = fields.Integer(required=True)
    discount_fen = fields.Integer(required=True)
    reason = fields.String(required=True)
    by_staff_id = fields.Integer(required=True, allow_none=True)


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
    labor_hours = fields.String(allow_none=True, metadata={"description": 'Hours of an hourly line, e.g. "1.50".'})
    added_by_staff_id = fields.Integer(allow_none=True)
    manual_discount = fields.Nested(LineDiscountRead, allow_none=True)
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
    manual_discount = fields.Nested(OrderDiscountRead, allow_none=True)


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
    manual_discount = fields.Nested(OrderDiscountRead, allow_none=True)
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


class LineDiscountBody(BodySchema):
    """``percent`` off each unit's tier price, or ``unit_price`` (fen) as each unit's new price."""

    kind = fields.String(required=True, validate=validate.OneOf(("percent", "unit_price")))
    value = StrictInteger(required=True, validate=validate.Range(min=0, max=FEN_MAX))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))

    @validates_schema
    def percent_range(self, data, **kwargs):
        if data.get("kind") == "percent" and not 1 <= data.get("value", 1) <= 100:
            raise ValidationError("a percent is between 1 and 100", "value")


class OrderDiscountBody(BodySchema):
    """``amount`` fen off the order, or ``percent`` off what its lines come to."""

    kind = fields.String(required=True, validate=validate.OneOf(("amount", "percent")))
    value = StrictInteger(required=True, validate=validate.Range(min=1, max=FEN_MAX))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))

    @validates_schema
    def percent_range(self, data, **kwargs):
        if data.get("kind") == "percent" and data.get("value", 1) > 100:
            raise ValidationError("a percent is between 1 and 100", "value")


class DiscountLimitRead(ResponseSchema):
    role = fields.String(required=True, validate=validate.OneOf(("cashier", "advisor")))
    max_percent = fields.Integer(required=True)
    max_fen = fields.Integer(required=True)


class DiscountLimitList(ResponseSchema):
    items = fields.List(fields.Nested(DiscountLimitRead), required=True)


class DiscountLimitUpdate(BodySchema):
    max_percent = StrictInteger(required=True, validate=validate.Range(min=0, max=100))
    max_fen = Fen(required=True)
