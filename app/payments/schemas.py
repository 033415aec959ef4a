from app.common.schemas import ResponseSchema, fields


class PaymentRead(ResponseSchema):
    out_trade_no = fields.String()
    purpose = fields.String()
    purpose_ref_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


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
