from app.catalog.stock_models import MOVEMENT_KINDS
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

MAX_LINES = 200
# One line moves at most this many units: enough for any delivery, far from the integer columns' limit.
MAX_QUANTITY = 100_000


def _quantity():
    return StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


def _lines(schema):
    return fields.List(fields.Nested(schema), required=True, validate=validate.Length(min=1, max=MAX_LINES))


class ReceiptLineBody(BodySchema):
    part_id = StrictInteger(required=True)
    quantity = _quantity()
    unit_cost_fen = Fen(required=True)


class StockReceiptCreate(BodySchema):
    supplier = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lines = _lines(ReceiptLineBody)
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class ReceiptLineRead(ResponseSchema):
    part_id = fields.Integer()
    quantity = fields.Integer()
    unit_cost_fen = fields.Integer()
    cost_fen = fields.Integer()
    on_hand_after = fields.Integer()


class StockReceiptRead(ResponseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    supplier = fields.String()
    note = fields.String(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(ReceiptLineRead))
    total_cost_fen = fields.Integer()


class StocktakeLineBody(BodySchema):
    part_id = StrictInteger(required=True)
    counted = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))


class StocktakeCreate(BodySchema):
    lines = _lines(StocktakeLineBody)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StocktakeLineRead(ResponseSchema):
    part_id = fields.Integer()
    expected = fields.Integer()
    counted = fields.Integer()
    difference = fields.Integer()


class StocktakeRead(ResponseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    reason = fields.String()
    staff_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(StocktakeLineRead))


class TransferLineBody(BodySchema):
    part_id = StrictInteger(required=True)
    quantity = _quantity()


class StockTransferCreate(BodySchema):
    from_store_id = StrictInteger(required=True)
    to_store_id = StrictInteger(required=True)
    lines = _lines(TransferLineBody)
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class TransferLineRead(ResponseSchema):
    part_id = fields.Integer()
    quantity = fields.Integer()


class StockTransferRead(ResponseSchema):
    id = fields.Integer()
    from_store_id = fields.Integer()
    to_store_id = fields.Integer()
    note = fields.String(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(TransferLineRead))


class StoreStockQuery(PageQuery):
    low_stock = fields.Boolean(load_default=False)


class StoreStockRead(ResponseSchema):
    part_id = fields.Integer()
    name = fields.String()
    sku = fields.String()
    on_hand = fields.Integer()
    low_stock_threshold = fields.Integer()
    low_stock = fields.Boolean()


class MovementQuery(PageQuery):
    store_id = fields.Integer()


class MovementRead(ResponseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    part_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KINDS))
    delta = fields.Integer()
    on_hand_after = fields.Integer(attribute="stock_after")
    unit_cost_fen = fields.Integer(allow_none=True)
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


StoreStockPage = page_schema(StoreStockRead, name="StoreStockPage")
MovementPage = page_schema(MovementRead, name="StockMovementPage")
