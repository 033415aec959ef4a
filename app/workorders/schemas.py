from marshmallow import post_load, validates_schema

from app.common.schemas import (
    FEN_MAX,
    BodySchema,
    Count,
    Fen,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    ValidationError,
    fields,
    page_schema,
    validate,
)
from app.coupons.models import COUPON_KINDS
from app.payments.models import PAYMENT_STATUSES
from app.payments.schemas import PayParams
from app.workorders.models import APPROVAL_CHANNELS, APPROVALS, LINE_KINDS, STATUSES, TENDER_STATUSES, TENDER_TYPES

ID = {"validate": validate.Range(min=1)}
# The fields each tender type takes (besides "type").
TENDER_FIELDS = {
    "stored_value": {"amount_fen"},
    "points": {"points"},
    "coupon": {"member_coupon_id"},
    "package_card": {"card_id", "service_item_id"},
    "period_card": {"card_id", "service_item_id"},
    "cash": {"amount_fen"},
    "wechat": {"amount_fen"},
    "alipay": {"amount_fen"},
    "card": {"amount_fen"},
    "on_account": {"account_id", "amount_fen"},
}
# Fields a tender type may take besides those it needs.
TENDER_OPTIONAL = {"on_account": {"over_limit_approved"}}


LINE_CATEGORIES = ("wash", "maintenance", "repair", "beauty", "other")


class WorkOrderLineInput(BodySchema):
    """One line: a catalog item or part, hourly labor (自由工时: ``name`` and ``hours``, priced at the
    store's labor rate) or a custom line (自定义项目: ``name`` and ``unit_price_fen``)."""

    service_item_id = StrictInteger(**ID)
    part_id = StrictInteger(**ID)
    quantity = StrictInteger(load_default=1, validate=validate.Range(min=1, max=999))
    name = fields.String(validate=validate.Length(min=1, max=100))
    # Bounds and the two-decimals rule are checked below (a Range would be written as strings here).
    hours = fields.Decimal(places=None, metadata={"example": 1.5, "minimum": 0.01, "maximum": 999})
    unit_price_fen = Fen()
    category = fields.String(validate=validate.OneOf(LINE_CATEGORIES + ("part",)))
    # Extra work (增项) for the member to approve; lines added while in progress always need it.
    needs_approval = fields.Boolean(load_default=False)

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
            if not 0 < data["hours"] <= 999:
                raise ValidationError("hours lie between 0 and 999", "hours")
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


class WorkOrderUpdate(BodySchema):
    """The odometer reading taken when the car came in (km); the car's mileage follows."""

    mileage_km = Count(required=True)


class WorkOrderStatusChange(BodySchema):
    status = fields.String(required=True, validate=validate.OneOf(["in_progress", "completed", "cancelled"]))


DECISIONS = ("approved", "declined")


class WorkOrderLineDecision(BodySchema):
    line_id = StrictInteger(required=True, **ID)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))


class WorkOrderApprovalsBody(BodySchema):
    lines = fields.List(fields.Nested(WorkOrderLineDecision), required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def one_decision_per_line(self, data, **kwargs):
        line_ids = [item["line_id"] for item in data.get("lines", [])]
        if len(set(line_ids)) != len(line_ids):
            raise ValidationError("each line at most once", "lines")


class WorkOrderPhoneApproval(BodySchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    # What the member said on the phone, and when: the record a dispute is settled with.
    note = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WorkOrderTender(BodySchema):
    type = fields.String(required=True, validate=validate.OneOf(TENDER_TYPES))
    amount_fen = Fen(allow_zero=False)
    points = StrictInteger(validate=validate.Range(min=1, max=10**9))
    member_coupon_id = StrictInteger(**ID)
    card_id = StrictInteger(**ID)
    service_item_id = StrictInteger(**ID)
    account_id = StrictInteger(**ID, metadata={"description": "on_account: the account (挂账) to charge."})
    over_limit_approved = fields.Boolean(
        metadata={
            "description": "on_account: the owner approves a charge over the account's credit limit "
            "(accepted only from the owner's token)."
        }
    )

    @validates_schema
    def fields_of_type(self, data, **kwargs):
        wanted = TENDER_FIELDS.get(data.get("type"), set())
        given = set(data) - {"type"}
        missing = sorted(wanted - given)
        stray = sorted(given - wanted - TENDER_OPTIONAL.get(data.get("type"), set()))
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
    board_date = fields.Date(
        metadata={
            "description": "The workshop board (车间看板) of this merchant-local day: the orders not yet finished "
            "(open, in_progress, completed, paying) opened by the day's end, and the orders settled on it."
        }
    )


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
    kind = fields.String(validate=validate.OneOf(LINE_KINDS))
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
    # not_needed | pending | approved | declined; a declined line is shown but not in the totals.
    approval = fields.String(validate=validate.OneOf(APPROVALS))
    approval_via = fields.String(allow_none=True, validate=validate.OneOf(APPROVAL_CHANNELS))
    approval_member_id = fields.Integer(allow_none=True)
    approval_staff_id = fields.Integer(allow_none=True)
    approval_note = fields.String(allow_none=True)
    approval_decided_at = fields.DateTime(allow_none=True)
    labor_hours = fields.String(allow_none=True, metadata={"description": 'Hours of an hourly line, e.g. "1.50".'})
    added_by_staff_id = fields.Integer(allow_none=True)
    manual_discount = fields.Nested(LineDiscountRead, allow_none=True)
    technicians = fields.List(fields.Nested(LineTechnicianRead), required=True)


class WorkOrderPaymentRead(ResponseSchema):
    id = fields.Integer()
    type = fields.String(validate=validate.OneOf(TENDER_TYPES))
    amount_fen = fields.Integer()
    status = fields.String(
        validate=validate.OneOf(TENDER_STATUSES),
        metadata={
            "description": "posted: part of the settlement; held: debited for a pending mini-program payment; "
            "pending: the WeChat remainder not yet paid; released: a hold given back when that payment closed."
        },
    )
    points = fields.Integer(allow_none=True)
    member_coupon_id = fields.Integer(allow_none=True)
    card_id = fields.Integer(allow_none=True)
    service_item_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderRead(ResponseSchema):
    id = fields.Integer()
    number = fields.String()
    store_id = fields.Integer()
    vehicle_id = fields.Integer()
    plate = fields.String()
    vehicle_model = fields.String(allow_none=True, metadata={"description": "The car's model (车型), if known."})
    member_id = fields.Integer(allow_none=True)
    booking_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    mileage_km = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(WorkOrderLineRead))
    subtotal_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    points_earned = fields.Integer()
    payments = fields.List(fields.Nested(WorkOrderPaymentRead))
    # The ids of lines waiting for the member's approval (待确认): settling waits for them.
    pending_line_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    settled_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)
    refund_reason = fields.String(allow_none=True)
    manual_discount = fields.Nested(OrderDiscountRead, allow_none=True)


class WorkOrderTenderValue(ResponseSchema):
    type = fields.String(validate=validate.OneOf(TENDER_TYPES))
    amount_fen = fields.Integer()
    points = fields.Integer(allow_none=True)
    member_coupon_id = fields.Integer(allow_none=True)
    coupon_kind = fields.String(allow_none=True, validate=validate.OneOf(COUPON_KINDS))
    card_id = fields.Integer(allow_none=True)
    service_item_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)


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
    status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    expires_at = fields.DateTime()


class WorkOrderPayRead(ResponseSchema):
    work_order = fields.Nested(WorkOrderRead)
    # The WeChat payment for the remainder (poll GET /me/payments/{out_trade_no}); null when settled at once.
    payment = fields.Nested(WorkOrderWeChatPayment, allow_none=True)
    # JSAPI parameters for wx.requestPayment; null when the tenders settled the order at once.
    pay_params = fields.Nested(PayParams, allow_none=True)


WorkOrderPage = page_schema(WorkOrderRead, name="WorkOrderPage")


class ReceiptQuery(QuerySchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "text"]))
    width = fields.Integer(
        load_default=58,
        validate=validate.OneOf([58, 80]),
        metadata={"description": "Paper width in mm for format=text: 58 (32 columns) or 80 (48 columns)."},
    )


class ReceiptStore(ResponseSchema):
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


RECEIPT_DISCOUNT_KINDS = ("tier", "manual")


class ReceiptDiscount(ResponseSchema):
    kind = fields.String(validate=validate.OneOf(RECEIPT_DISCOUNT_KINDS))
    label = fields.String()
    percent = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()
    by = fields.String(allow_none=True, metadata={"description": "Who gave a hand-made discount."})


class ReceiptLine(ResponseSchema):
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(LINE_KINDS))
    quantity = fields.Integer()
    unit_price_fen = fields.Integer()
    unit_net_fen = fields.Integer()
    gross_fen = fields.Integer()
    line_total_fen = fields.Integer()
    discounts = fields.List(fields.Nested(ReceiptDiscount))
    technicians = fields.List(fields.String(), metadata={"description": "Who worked the line (usernames)."})


class ReceiptTender(ResponseSchema):
    type = fields.String(validate=validate.OneOf(TENDER_TYPES))
    label = fields.String()
    amount_fen = fields.Integer()
    points = fields.Integer(allow_none=True)


class ReceiptCardItem(ResponseSchema):
    service_item_id = fields.Integer()
    name = fields.String(allow_none=True)
    remaining = fields.Integer()


class ReceiptCard(ResponseSchema):
    card_id = fields.Integer()
    name = fields.String()
    items = fields.List(fields.Nested(ReceiptCardItem))


class ReceiptBalances(ResponseSchema):
    stored_value_fen = fields.Integer()
    points = fields.Integer()
    cards = fields.List(fields.Nested(ReceiptCard), metadata={"description": "The package cards this order used."})


class ReceiptMember(ResponseSchema):
    nickname = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "Masked: 138****5678."})


class ReceiptQr(ResponseSchema):
    text = fields.String(metadata={"description": "The mini-program page the code opens."})
    png_data_url = fields.String()


class ReceiptRead(ResponseSchema):
    work_order_id = fields.Integer()
    number = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    store = fields.Nested(ReceiptStore)
    plate = fields.String(metadata={"description": "As printed: 粤B·12345."})
    mileage_km = fields.Integer(allow_none=True)
    member = fields.Nested(ReceiptMember, allow_none=True)
    cashier = fields.String(allow_none=True)
    settled_at = fields.DateTime(allow_none=True)
    timezone = fields.String()
    refunded_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(ReceiptLine))
    order_discount = fields.Nested(ReceiptDiscount, allow_none=True)
    subtotal_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()
    tenders = fields.List(fields.Nested(ReceiptTender))
    paid_fen = fields.Integer()
    points_earned = fields.Integer()
    balances = fields.Nested(ReceiptBalances, allow_none=True, metadata={"description": "Right after the settlement."})
    qr = fields.Nested(ReceiptQr)


class LineTechnicianInput(BodySchema):
    staff_id = StrictInteger(required=True, validate=validate.Range(min=1))
    share_percent = StrictInteger(validate=validate.Range(min=1, max=100))


class LineTechniciansBody(BodySchema):
    technicians = fields.List(fields.Nested(LineTechnicianInput), required=True, validate=validate.Length(max=10))


class AssignableStaffRead(ResponseSchema):
    """Someone who can work a line: a technician or an advisor of the store."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("technician", "advisor")))


class AssignableStaffList(ResponseSchema):
    items = fields.List(fields.Nested(AssignableStaffRead), required=True)


class MyJobsQuery(PageQuery):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First merchant-local day."})
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive."})


class MyJobRead(ResponseSchema):
    """A line the caller worked, with its order."""

    work_order_id = fields.Integer(required=True)
    number = fields.String(required=True)
    store_id = fields.Integer(required=True)
    plate = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    line_id = fields.Integer(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    share_percent = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


MyJobPage = page_schema(MyJobRead, name="MyJobPage")


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
    role = fields.String(required=True, validate=validate.OneOf(("cashier", "advisor")))
    max_percent = StrictInteger(required=True, validate=validate.Range(min=0, max=100))
    max_fen = Fen(required=True)
