from app.common.schemas import ResponseSchema, fields


class StoreRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class StoreList(ResponseSchema):
    items = fields.List(fields.Nested(StoreRead))


class StaffRead(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    store_ids = fields.List(fields.Integer())
