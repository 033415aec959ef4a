from app.common.auth import STAFF_ROLES
from app.common.schemas import BodySchema, Fen, ResponseSchema, StrictInteger, fields, validate


class StoreRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    bays = fields.Integer()
    slot_minutes = fields.Integer()
    opening_hours = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    closed_dates = fields.List(fields.String())
    booking_cancel_cutoff_minutes = fields.Integer()
    allow_negative_stock = fields.Boolean()
    labor_rate_fen = fields.Integer()


HOURS_SHAPE = {"type": "array", "items": {"type": "string", "example": "09:00"}, "minItems": 2, "maxItems": 2}


class StoreUpdate(BodySchema):
    """Owner changes; the capacity rules (ranges, HH:MM times, open before close) are the service's."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    bays = StrictInteger()
    slot_minutes = StrictInteger()
    # Checked by the service (invalid_opening_hours); the document states the shape it accepts.
    opening_hours = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True, metadata={"shape": HOURS_SHAPE}),
        metadata={"description": 'By weekday (mon..sun): ["HH:MM", "HH:MM"], or null when closed.'},
    )
    closed_dates = fields.List(fields.Date(), validate=validate.Length(max=366))
    booking_cancel_cutoff_minutes = StrictInteger()
    allow_negative_stock = fields.Boolean(truthy={True}, falsy={False})
    labor_rate_fen = Fen()


class StoreList(ResponseSchema):
    items = fields.List(fields.Nested(StoreRead))


class StaffRead(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    store_ids = fields.List(fields.Integer())
