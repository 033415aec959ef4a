"""Project-wide marshmallow bases and fields: one place to change how bodies are read."""

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

# Integer columns are 32-bit; a larger number in a request is a validation error, not an overflow in
# the database (a server error on SQLite and PostgreSQL alike).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


# Dates in requests lie in these years: year 1 or 9999 cannot even be turned into UTC or have a day
# added, and no birthday, booking or report range needs them.
MIN_YEAR, MAX_YEAR = 1900, 2999


class YearRange(validate.Validator):
    """A date or datetime whose year lies between MIN_YEAR and MAX_YEAR."""

    error = "Use a year between {min} and {max}."

    def __call__(self, value):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValidationError(self.error.format(min=MIN_YEAR, max=MAX_YEAR))
        return value


def _contains_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_contains_nul(v) for v in value)
    return False


class NoNul(validate.Validator):
    """No NUL character: PostgreSQL stores none in text or JSON (it fails with a server error)."""

    error = "Text cannot contain a NUL character."

    def __call__(self, value):
        if _contains_nul(value):
            raise ValidationError(self.error)
        return value


def _bound(field):
    """Give a request field the limits of where it is stored or computed with: integers without an
    upper bound (ids, mostly) the database integer's range, dates the years the service handles,
    text and free-form JSON no NUL character.

    A schema instance's fields are shallow copies of the declared ones, sharing their validator
    lists, so the limit goes on a new list: appending would grow the declared field's list by one
    validator per instance."""
    if isinstance(field, fields.List):
        _bound(field.inner)
    elif isinstance(field, fields.Integer) and not any(
        isinstance(v, validate.Range) and v.max is not None for v in field.validators
    ):
        field.validators = [*field.validators, validate.Range(min=INT32_MIN, max=INT32_MAX)]
    elif isinstance(field, (fields.Date, fields.DateTime)) and not _has(field, YearRange):
        field.validators = [*field.validators, YearRange()]
    elif (
        isinstance(field, (fields.String, fields.Dict, fields.Raw))
        and not isinstance(field, fields.Nested)
        and not _has(field, NoNul)
    ):
        field.validators = [*field.validators, NoNul()]


def _has(field, validator_class):
    return any(isinstance(v, validator_class) for v in field.validators)


def _is_id(field_name):
    return field_name == "id" or field_name.endswith(("_id", "_ids"))


class _RequestSchema(Schema):
    def on_bind_field(self, field_name, field_obj):
        # Fields are copied per schema instance, so this never changes the declared field.
        if _is_id(field_name):
            # Ids start at 1: zero or less names no row, and the document says minimum 1.
            inner = field_obj.inner if isinstance(field_obj, fields.List) else field_obj
            if isinstance(inner, fields.Integer) and not any(isinstance(v, validate.Range) for v in inner.validators):
                inner.validators = [*inner.validators, validate.Range(min=1, max=INT32_MAX)]
        _bound(field_obj)


class BodySchema(_RequestSchema):
    """Request bodies reject unknown fields (a typo is an error, not a silent no-op)."""

    class Meta:
        unknown = RAISE


class QuerySchema(_RequestSchema):
    """Query strings ignore unknown parameters (caches and trackers add their own)."""

    class Meta:
        unknown = EXCLUDE


class ResponseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class Computed(fields.Function):
    """A value computed from the object when dumping, documented as ``shape`` (a field instance), e.g.
    ``Computed(lambda p: p.stock <= p.low_stock_threshold, fields.Boolean())``."""

    def __init__(self, serialize, shape, **kwargs):
        super().__init__(serialize, **kwargs)
        self.shape = shape


class StrictInteger(fields.Integer):
    """An integer that refuses 12.5, "12" and true: money and counts are never guessed."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


# The money columns are 32-bit (at most 21,474,836.47 yuan). No single amount at a car shop comes
# near a million yuan, and the cap leaves room for balances and totals made of many amounts.
FEN_MAX = 10**8


def Fen(*, required=False, allow_zero=True, **kwargs):
    """Money in integer fen, never negative, at most a million yuan."""
    return StrictInteger(required=required, validate=validate.Range(min=0 if allow_zero else 1, max=FEN_MAX), **kwargs)


def Count(*, required=False, minimum=0, **kwargs):
    return StrictInteger(required=required, validate=validate.Range(min=minimum, max=10**9), **kwargs)


class PageQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def page_schema(item_schema, name=None):
    """The list envelope {items, total, page, per_page} around ``item_schema``."""
    name = name or f"{item_schema.__name__.removesuffix('Schema')}Page"
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
        name=name,
    )


__all__ = [
    "BodySchema",
    "QuerySchema",
    "ResponseSchema",
    "StrictInteger",
    "Computed",
    "Fen",
    "Count",
    "PageQuery",
    "page_schema",
    "YearRange",
    "NoNul",
    "FEN_MAX",
    "ValidationError",
    "fields",
    "validate",
]
