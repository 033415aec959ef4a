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
    labor_rate_fen = fields.Integer()


class StoreUpdate(BodySchema):
    """Owner changes; the capacity rules (ranges, HH:MM times, open before close) are the service's."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    bays = StrictInteger()
    slot_minutes = StrictInteger()
    opening_hours = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    closed_dates = fields.List(fields.Date(), validate=validate.Length(max=366))
    booking_cancel_cutoff_minutes = StrictInteger()
    labor_rate_fen = Fen()


class StoreList(ResponseSchema):
    items = fields.List(fields.Nested(StoreRead))


class StaffRead(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    store_ids = fields.List(fields.Integer())
