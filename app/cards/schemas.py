from app.cards.models import PACKAGE_ENTRY_KINDS, PAID_VIA
from app.common.schemas import (
    BodySchema,
    Count,
    Fen,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)

DAYS = validate.Range(min=1, max=3650)


class TemplateQuery(PageQuery):
    active = fields.Boolean()


class PackageTemplateItem(BodySchema):
    service_item_id = StrictInteger(required=True)
    count = Count(required=True, minimum=1)


class PackageTemplateItemRead(ResponseSchema):
    service_item_id = fields.Integer()
    count = fields.Integer()


class PackageCardTemplateRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    price_fen = fields.Integer()
    valid_days = fields.Integer()
    items = fields.List(fields.Nested(PackageTemplateItemRead))
    is_active = fields.Boolean()


class PackageCardTemplateCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    price_fen = Fen(required=True)
    valid_days = StrictInteger(required=True, validate=DAYS)
    items = fields.List(fields.Nested(PackageTemplateItem), required=True, validate=validate.Length(min=1, max=50))


class PackageCardTemplateUpdate(PackageCardTemplateCreate):
    name = fields.String(validate=validate.Length(min=1, max=100))
    price_fen = Fen()
    valid_days = StrictInteger(validate=DAYS)
    items = fields.List(fields.Nested(PackageTemplateItem), validate=validate.Length(min=1, max=50))
    is_active = fields.Boolean()


class StampCardTemplateRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    service_item_ids = fields.List(fields.Integer())
    stamps_required = fields.Integer()
    reward_coupon_template_id = fields.Integer()
    valid_days = fields.Integer(allow_none=True)
    is_active = fields.Boolean()


class StampCardTemplateCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500), allow_none=True)
    service_item_ids = fields.List(StrictInteger(), required=True, validate=validate.Length(min=1, max=50))
    stamps_required = StrictInteger(required=True, validate=validate.Range(min=1, max=100))
    reward_coupon_template_id = StrictInteger(required=True)
    valid_days = StrictInteger(validate=DAYS, allow_none=True)


class StampCardTemplateUpdate(StampCardTemplateCreate):
    name = fields.String(validate=validate.Length(min=1, max=100))
    service_item_ids = fields.List(StrictInteger(), validate=validate.Length(min=1, max=50))
    stamps_required = StrictInteger(validate=validate.Range(min=1, max=100))
    reward_coupon_template_id = StrictInteger()
    is_active = fields.Boolean()


class PackageCardSale(BodySchema):
    template_id = StrictInteger(required=True)
    paid_via = fields.String(required=True, validate=validate.OneOf(PAID_VIA))
    store_id = StrictInteger()


class PackageCardItemRead(ResponseSchema):
    service_item_id = fields.Integer()
    name = fields.String(allow_none=True)
    initial_count = fields.Integer()
    remaining = fields.Integer()


class PackageCardRead(ResponseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    template_id = fields.Integer()
    name = fields.String()
    price_fen = fields.Integer()
    paid_via = fields.String()
    store_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(("active", "used_up", "expired", "refunded")))
    expires_at = fields.DateTime()
    created_at = fields.DateTime()
    items = fields.List(fields.Nested(PackageCardItemRead))


class PackageCardEntryRead(ResponseSchema):
    id = fields.Integer()
    card_item_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(PACKAGE_ENTRY_KINDS))
    delta = fields.Integer()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class RewardBrief(ResponseSchema):
    coupon_template_id = fields.Integer()
    name = fields.String()


class StampCardRead(ResponseSchema):
    id = fields.Integer()
    template_id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    stamps = fields.Integer()
    stamps_required = fields.Integer()
    service_item_ids = fields.List(fields.Integer())
    status = fields.String(validate=validate.OneOf(("active", "expired")))
    expires_at = fields.DateTime(allow_none=True)
    reward = fields.Nested(RewardBrief)


class CardsQuery(QuerySchema):
    include_expired = fields.Boolean(load_default=False)


class MemberCardsRead(ResponseSchema):
    package_cards = fields.List(fields.Nested(PackageCardRead))
    period_cards = fields.List(fields.Nested("PeriodCardRead"))
    stamp_cards = fields.List(fields.Nested(StampCardRead))


class PackageCardList(ResponseSchema):
    items = fields.List(fields.Nested(PackageCardRead))


class PackageCardEntryList(ResponseSchema):
    items = fields.List(fields.Nested(PackageCardEntryRead))


class StampCardList(ResponseSchema):
    items = fields.List(fields.Nested(StampCardRead))


PackageCardTemplatePage = page_schema(PackageCardTemplateRead, name="PackageCardTemplatePage")
StampCardTemplatePage = page_schema(StampCardTemplateRead, name="StampCardTemplatePage")
