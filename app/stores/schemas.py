from app.common.auth import STAFF_ROLES
from app.common.schemas import BodySchema, Fen, PageQuery, ResponseSchema, StrictInteger, fields, page_schema, validate


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


class StoreCreate(StoreUpdate):
    """A new store: its name, and any of the fields a change takes (the rest take their defaults)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class StoreList(ResponseSchema):
    items = fields.List(fields.Nested(StoreRead))


class StaffRead(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    store_ids = fields.List(fields.Integer())


class StaffAccountRead(StaffRead):
    """A staff account as the owner manages it."""

    is_active = fields.Boolean()
    created_at = fields.DateTime()


StaffAccountPage = page_schema(StaffAccountRead, name="StaffAccountPage")


def StoreIds(**kwargs):
    """The stores an account works at, by id (32-bit ids, like every other id in the API)."""
    store_id = StrictInteger(validate=validate.Range(min=1, max=2**31 - 1))
    return fields.List(store_id, validate=validate.Length(max=100), **kwargs)


class StaffQuery(PageQuery):
    role = fields.String(load_default=None, validate=validate.OneOf(STAFF_ROLES))
    store_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Only the staff who work at this store."},
    )
    active = fields.Boolean(
        load_default=None, metadata={"description": "true: active accounts only; false: disabled ones only."}
    )


class StaffCreate(BodySchema):
    """A new account. The service's rules: a username of 1 to 64 characters without spaces, a
    password of at least 8 characters (422 invalid_username, weak_password)."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    store_ids = StoreIds(load_default=list)


class StaffUpdate(BodySchema):
    """A new role and/or stores (the stores replace the old ones); the account's tokens are revoked."""

    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    store_ids = StoreIds()


class PasswordReset(BodySchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))
