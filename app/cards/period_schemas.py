from app.cards.models import PAID_VIA
from app.cards.period_models import PERIOD_KINDS, PERIOD_USE_KINDS, PURCHASE_KINDS, PURCHASE_STATUSES
from app.cards.schemas import DAYS, TemplateQuery
from app.common.schemas import (
    BodySchema,
    Fen,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)
from app.payments.models import REFUND_STATUSES
from app.payments.schemas import PaymentRead, PayParams

CAP = validate.Range(min=1, max=100)
PERIOD_CARD_STATUSES = ("active", "not_started", "expired", "refunded")


class PeriodCardTemplateRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    price_fen = fields.Integer()
    period_kind = fields.String(validate=validate.OneOf(PERIOD_KINDS))
    period_days = fields.Integer(allow_none=True)
    daily_cap = fields.Integer()
    per_vehicle = fields.Boolean()
    service_item_ids = fields.List(fields.Integer())
    is_active = fields.Boolean()


class PeriodCardTemplateCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    price_fen = Fen(required=True)
    period_kind = fields.String(
        required=True,
        validate=validate.OneOf(PERIOD_KINDS),
        metadata={"description": "month (一个月), year (一年) or days (period_days 天)"},
    )
    period_days = StrictInteger(validate=DAYS, allow_none=True)
    daily_cap = StrictInteger(required=True, validate=CAP, metadata={"description": "uses per card per day"})
    per_vehicle = fields.Boolean(load_default=True, metadata={"description": "a card is bound to one car"})
    service_item_ids = fields.List(StrictInteger(), required=True, validate=validate.Length(min=1, max=50))


class PeriodCardTemplateUpdate(PeriodCardTemplateCreate):
    name = fields.String(validate=validate.Length(min=1, max=100))
    price_fen = Fen()
    period_kind = fields.String(validate=validate.OneOf(PERIOD_KINDS))
    daily_cap = StrictInteger(validate=CAP)
    per_vehicle = fields.Boolean()
    service_item_ids = fields.List(StrictInteger(), validate=validate.Length(min=1, max=50))
    is_active = fields.Boolean()


class PeriodCardSale(BodySchema):
    template_id = StrictInteger(required=True)
    paid_via = fields.String(required=True, validate=validate.OneOf(PAID_VIA))
    vehicle_id = StrictInteger(metadata={"description": "required when the template is per vehicle"})
    store_id = StrictInteger()


class PeriodCardItemRead(ResponseSchema):
    service_item_id = fields.Integer()
    name = fields.String(allow_none=True)


class PeriodCardRead(ResponseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    vehicle_id = fields.Integer(allow_none=True)
    plate = fields.String(allow_none=True)
    template_id = fields.Integer()
    name = fields.String()
    price_fen = fields.Integer()
    paid_via = fields.String()
    store_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(PERIOD_CARD_STATUSES))
    daily_cap = fields.Integer()
    used_today = fields.Integer()
    left_today = fields.Integer()
    uses = fields.Integer()
    starts_at = fields.DateTime()
    expires_at = fields.DateTime()
    created_at = fields.DateTime()
    items = fields.List(fields.Nested(PeriodCardItemRead))


class PeriodCardList(ResponseSchema):
    items = fields.List(fields.Nested(PeriodCardRead))


class PeriodCardsQuery(QuerySchema):
    vehicle_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "only cards usable for this car"}
    )
    include_expired = fields.Boolean(load_default=False)


class PeriodCardUseRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(PERIOD_USE_KINDS))
    delta = fields.Integer()
    day = fields.Date()
    service_item_id = fields.Integer()
    ref_type = fields.String()
    ref_id = fields.Integer()
    created_at = fields.DateTime()


class PeriodCardUseList(ResponseSchema):
    items = fields.List(fields.Nested(PeriodCardUseRead))


class CardPurchaseCreate(BodySchema):
    kind = fields.String(required=True, validate=validate.OneOf(PURCHASE_KINDS))
    template_id = StrictInteger(required=True)
    vehicle_id = StrictInteger(metadata={"description": "for a period card bound to a car"})


class CardPurchaseRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(PURCHASE_KINDS))
    template_id = fields.Integer()
    template_name = fields.String(allow_none=True, metadata={"description": "The card's name, as its template has it"})
    vehicle_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()
    status = fields.String(validate=validate.OneOf(PURCHASE_STATUSES))
    out_trade_no = fields.String(allow_none=True)
    package_card_id = fields.Integer(allow_none=True)
    period_card_id = fields.Integer(allow_none=True)
    refund_status = fields.String(allow_none=True, validate=validate.OneOf(REFUND_STATUSES))
    issued_at = fields.DateTime(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class CardPurchaseStarted(ResponseSchema):
    purchase = fields.Nested(CardPurchaseRead)
    payment = fields.Nested(PaymentRead)
    pay_params = fields.Nested(PayParams)


PeriodCardTemplatePage = page_schema(PeriodCardTemplateRead, name="PeriodCardTemplatePage")
CardPurchasePage = page_schema(CardPurchaseRead, name="CardPurchasePage")
PeriodTemplateQuery = TemplateQuery
PurchaseQuery = PageQuery
