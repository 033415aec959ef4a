from marshmallow import validates_schema

from app.catalog.models import SERVICE_CATEGORIES
from app.common.schemas import (
    BodySchema,
    Computed,
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


class ServiceItemRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    price_fen = fields.Integer()
    duration_minutes = fields.Integer()
    maintenance_interval_months = fields.Integer(allow_none=True)
    maintenance_interval_km = fields.Integer(allow_none=True)
    is_active = fields.Boolean()


class ServiceItemCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = fields.String(required=True, validate=validate.OneOf(SERVICE_CATEGORIES))
    price_fen = Fen(required=True)
    duration_minutes = StrictInteger(load_default=30, validate=validate.Range(min=5, max=24 * 60))
    maintenance_interval_months = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=120))
    maintenance_interval_km = StrictInteger(allow_none=True, validate=validate.Range(min=100, max=200000))


class ServiceItemUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    category = fields.String(validate=validate.OneOf(SERVICE_CATEGORIES))
    price_fen = Fen()
    duration_minutes = StrictInteger(validate=validate.Range(min=5, max=24 * 60))
    maintenance_interval_months = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=120))
    maintenance_interval_km = StrictInteger(allow_none=True, validate=validate.Range(min=100, max=200000))
    is_active = fields.Boolean()


class ServiceItemQuery(PageQuery):
    category = fields.String(validate=validate.OneOf(SERVICE_CATEGORIES))


class PartRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    sku = fields.String()
    price_fen = fields.Integer()
    stock = fields.Integer(metadata={"description": "On hand over all stores (read-only)"})
    low_stock_threshold = fields.Integer()
    low_stock = Computed(lambda p: p.stock <= p.low_stock_threshold, fields.Boolean())
    is_active = fields.Boolean()


class PartCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    price_fen = Fen(required=True)
    stock = Count(required=True, metadata={"description": "Opening stock, at store_id or the first store"})
    store_id = StrictInteger(allow_none=True)
    low_stock_threshold = Count(load_default=0)


class PartUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    sku = fields.String(validate=validate.Length(min=1, max=64))
    price_fen = Fen()
    low_stock_threshold = Count()
    is_active = fields.Boolean()

    @validates_schema
    def no_stock(self, data, **kwargs):
        if "stock" in data:
            raise ValidationError("stock changes through stock movements", "stock")


class PartQuery(PageQuery):
    low_stock = fields.Boolean(load_default=False)


ServiceItemPage = page_schema(ServiceItemRead, name="ServiceItemPage")
PartPage = page_schema(PartRead, name="PartPage")
