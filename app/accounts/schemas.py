"""Accounts (挂账): bodies, queries and answers."""

from marshmallow import validates_schema

from app.accounts.models import ACCOUNT_KINDS, ACCOUNT_STATUSES, REPAID_VIA, SUSPENDED_BY
from app.common.schemas import (
    BodySchema,
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
from app.workorders.models import LINE_KINDS, TENDER_TYPES

ID = {"validate": validate.Range(min=1)}


def _text(size, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=size), **kwargs)


class AccountFields(BodySchema):
    name = _text(100)
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))
    contact_name = _text(50, allow_none=True)
    contact_phone = _text(20, allow_none=True)
    tax_number = _text(30, allow_none=True)
    credit_limit_fen = Fen()
    payment_terms_days = StrictInteger(validate=validate.Range(min=0, max=365))
    suspend_after_overdue_days = StrictInteger(
        allow_none=True,
        validate=validate.Range(min=1, max=3650),
        metadata={
            "description": "Suspend the account automatically once a receivable is this many days past "
            "its terms (null: never)."
        },
    )
    note = _text(200, allow_none=True)
    vehicle_ids = fields.List(StrictInteger(**ID), validate=validate.Length(max=500))
    member_ids = fields.List(StrictInteger(**ID), validate=validate.Length(max=500))


class AccountCreate(AccountFields):
    name = _text(100, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    credit_limit_fen = Fen(required=True)
    payment_terms_days = StrictInteger(required=True, validate=validate.Range(min=0, max=365))


class AccountUpdate(AccountFields):
    reason = _text(200)

    @validates_schema
    def something(self, data, **kwargs):
        if not set(data) - {"reason"}:
            raise ValidationError("change at least one field", "name")


class AccountStatusBody(BodySchema):
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))
    reason = _text(200)


class AccountQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ACCOUNT_STATUSES))
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))
    q = fields.String(validate=validate.Length(min=1, max=100))
    vehicle_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Only accounts this car may charge to."}
    )
    member_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Only accounts this member may charge to."}
    )


class AccountVehicleRead(ResponseSchema):
    id = fields.Integer(required=True)
    plate = fields.String(required=True)
    model = fields.String(allow_none=True)


class AccountMemberRead(ResponseSchema):
    id = fields.Integer(required=True)
    nickname = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "Masked."})


class AccountRead(ResponseSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    tax_number = fields.String(allow_none=True)
    credit_limit_fen = fields.Integer(required=True)
    payment_terms_days = fields.Integer(required=True)
    suspend_after_overdue_days = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ACCOUNT_STATUSES))
    suspended_by = fields.String(allow_none=True, validate=validate.OneOf(SUSPENDED_BY))
    suspended_at = fields.DateTime(allow_none=True)
    balance_fen = fields.Integer(
        required=True, metadata={"description": "Charges − repayments − refunds (negative: the account is in credit)."}
    )
    credit_fen = fields.Integer(required=True, metadata={"description": "Paid in and not allocated to a receivable."})
    open_fen = fields.Integer(required=True, metadata={"description": "Receivables still open."})
    available_fen = fields.Integer(
        required=True, metadata={"description": "Credit limit − balance: what may still be charged."}
    )
    vehicles = fields.List(fields.Nested(AccountVehicleRead), required=True)
    members = fields.List(fields.Nested(AccountMemberRead), required=True)
    created_at = fields.DateTime(required=True)


AccountPage = page_schema(AccountRead, name="AccountPage")


class ReceivableQuery(PageQuery):
    status = fields.String(
        load_default="all", validate=validate.OneOf(("open", "all")), metadata={"description": "open: still owed."}
    )


class ReceivableRead(ResponseSchema):
    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    work_order_id = fields.Integer(required=True)
    work_order_number = fields.String(allow_none=True)
    order_total_fen = fields.Integer(allow_none=True)
    vehicle_id = fields.Integer(required=True)
    plate = fields.String(required=True)
    member_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer(required=True)
    open_fen = fields.Integer(required=True)
    paid_fen = fields.Integer(required=True)
    cancelled_fen = fields.Integer(required=True, metadata={"description": "The open part a refund cancelled."})
    charged_at = fields.DateTime(required=True)
    due_on = fields.Date(required=True)
    refunded_at = fields.DateTime(allow_none=True)
    over_limit_approved_by = fields.Integer(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("open", "paid", "refunded")))


ReceivablePage = page_schema(ReceivableRead, name="ReceivablePage")


class AllocationInput(BodySchema):
    receivable_id = StrictInteger(required=True, **ID)
    amount_fen = Fen(required=True, allow_zero=False)


class RepaymentCreate(BodySchema):
    amount_fen = Fen(required=True, allow_zero=False)
    paid_via = fields.String(required=True, validate=validate.OneOf(REPAID_VIA))
    reference = _text(100, metadata={"description": "The bank transfer's or cheque's number."})
    note = _text(200)
    allocations = fields.List(
        fields.Nested(AllocationInput),
        validate=validate.Length(max=200),
        metadata={"description": "The receivables it pays, and how much of each; omitted: the oldest open first."},
    )

    @validates_schema
    def each_once(self, data, **kwargs):
        ids = [a["receivable_id"] for a in data.get("allocations") or []]
        if len(set(ids)) != len(ids):
            raise ValidationError("each receivable at most once", "allocations")


class AllocationRead(ResponseSchema):
    receivable_id = fields.Integer(required=True)
    work_order_id = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)


class RepaymentRead(ResponseSchema):
    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    paid_via = fields.String(required=True, validate=validate.OneOf(REPAID_VIA))
    reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    received_at = fields.DateTime(required=True)
    created_by_staff_id = fields.Integer(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationRead), required=True)
    unallocated_fen = fields.Integer(required=True, metadata={"description": "Left as the account's credit."})


RepaymentPage = page_schema(RepaymentRead, name="RepaymentPage")

STATEMENT_FORMATS = ("json", "xlsx")


class StatementQuery(QuerySchema):
    from_ = fields.Date(data_key="from", required=True, metadata={"description": "First merchant-local day."})
    to = fields.Date(required=True, metadata={"description": "Last merchant-local day, inclusive."})
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(STATEMENT_FORMATS),
        metadata={"description": "`xlsx`: the statement as a spreadsheet."},
    )


class StatementLine(ResponseSchema):
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS))
    quantity = fields.Integer(required=True)
    unit_net_fen = fields.Integer(required=True)
    line_total_fen = fields.Integer(required=True)


class StatementTender(ResponseSchema):
    type = fields.String(required=True, validate=validate.OneOf(TENDER_TYPES))
    amount_fen = fields.Integer(required=True)


class StatementCharge(ResponseSchema):
    receivable_id = fields.Integer(required=True)
    work_order_id = fields.Integer(required=True)
    work_order_number = fields.String(required=True)
    settled_at = fields.DateTime(allow_none=True)
    plate = fields.String(required=True)
    vehicle_model = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(StatementLine), required=True)
    order_total_fen = fields.Integer(required=True)
    manual_discount_fen = fields.Integer(required=True)
    tenders = fields.List(fields.Nested(StatementTender), required=True)
    charged_fen = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    refunded_at = fields.DateTime(allow_none=True)
    open_fen = fields.Integer(required=True)


class StatementRefund(ResponseSchema):
    work_order_id = fields.Integer(required=True)
    work_order_number = fields.String(required=True)
    plate = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    refunded_at = fields.DateTime(required=True)


class StatementAccount(ResponseSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    tax_number = fields.String(allow_none=True)
    payment_terms_days = fields.Integer(required=True)
    credit_limit_fen = fields.Integer(required=True)


class StatementRead(ResponseSchema):
    account = fields.Nested(StatementAccount, required=True)
    from_ = fields.Date(data_key="from", attribute="from", required=True)
    to = fields.Date(required=True)
    timezone = fields.String(required=True)
    opening_balance_fen = fields.Integer(required=True)
    charges = fields.List(fields.Nested(StatementCharge), required=True)
    refunds = fields.List(fields.Nested(StatementRefund), required=True)
    repayments = fields.List(fields.Nested(RepaymentRead), required=True)
    charged_fen = fields.Integer(required=True)
    refunded_fen = fields.Integer(required=True)
    repaid_fen = fields.Integer(required=True)
    closing_balance_fen = fields.Integer(
        required=True, metadata={"description": "opening + charged − refunded − repaid."}
    )


class AgeingQuery(QuerySchema):
    on = fields.Date(metadata={"description": "The merchant-local day (default today); figures at its end."})


class AgeingFigures(ResponseSchema):
    not_due_fen = fields.Integer(required=True)
    days_0_30_fen = fields.Integer(required=True)
    days_31_60_fen = fields.Integer(required=True)
    days_61_90_fen = fields.Integer(required=True)
    days_over_90_fen = fields.Integer(required=True)
    total_fen = fields.Integer(required=True)


class AgeingAccount(AgeingFigures):
    account_id = fields.Integer(required=True)
    name = fields.String(required=True)


class AgeingRead(ResponseSchema):
    on = fields.Date(required=True)
    timezone = fields.String(required=True)
    accounts = fields.List(fields.Nested(AgeingAccount), required=True)
    shop = fields.Nested(AgeingFigures, required=True)
