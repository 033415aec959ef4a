from app.common.schemas import PageQuery, ResponseSchema, fields, page_schema, validate
from app.payments.models import PAYMENT_STATUSES, REFUND_STATUSES


class RefundSummary(ResponseSchema):
    """The money of a payment on its way back to the member through WeChat Pay."""

    out_refund_no = fields.String()
    amount_fen = fields.Integer()
    status = fields.String(validate=validate.OneOf(REFUND_STATUSES))
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class PaymentRead(ResponseSchema):
    out_trade_no = fields.String()
    purpose = fields.String()
    purpose_ref_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()
    status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    expires_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    refund = fields.Nested(RefundSummary, allow_none=True)


class PayParams(ResponseSchema):
    """What the mini-program passes to wx.requestPayment."""

    appId = fields.String()
    timeStamp = fields.String()
    nonceStr = fields.String()
    package = fields.String()
    signType = fields.String()
    paySign = fields.String()


class PaymentStarted(ResponseSchema):
    payment = fields.Nested(PaymentRead)
    pay_params = fields.Nested(PayParams)


class PaymentConfirmed(ResponseSchema):
    payment = fields.Nested(PaymentRead)


class NotifyAnswer(ResponseSchema):
    """WeChat Pay's expected answer: SUCCESS with 200, or FAIL with a 4xx/5xx (WeChat retries)."""

    code = fields.String()
    message = fields.String()


class PaymentRefundRead(RefundSummary):
    """A refund as the owner follows it: its payment, and what WeChat last answered."""

    id = fields.Integer()
    out_trade_no = fields.String(attribute="payment.out_trade_no")
    purpose = fields.String(
        attribute="payment.purpose", metadata={"description": "what the payment was for: work_order or topup"}
    )
    purpose_ref_id = fields.Integer(attribute="payment.purpose_ref_id", allow_none=True)
    member_id = fields.Integer(attribute="payment.member_id")
    reason = fields.String(allow_none=True)
    refund_id = fields.String(allow_none=True, metadata={"description": "WeChat's id, once it accepted the refund"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)


PaymentRefundPage = page_schema(PaymentRefundRead, name="PaymentRefundPage")


class PaymentRefundQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REFUND_STATUSES))
