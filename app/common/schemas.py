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


def _bound(field):
    """Give an integer field without an upper bound (ids, mostly) the database integer's range, and
    a date field the years the service can compute with."""
    if isinstance(field, fields.List):
        _bound(field.inner)
    elif isinstance(field, fields.Integer) and not any(
        isinstance(v, validate.Range) and v.max is not None for v in field.validators
    ):
        field.validators.append(validate.Range(min=INT32_MIN, max=INT32_MAX))
    elif isinstance(field, (fields.Date, fields.DateTime)):
        field.validators.append(YearRange())


class _RequestSchema(Schema):
    def on_bind_field(self, field_name, field_obj):
        # Fields are copied per schema instance, so this never changes the declared field.
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


class StrictInteger(fields.Integer):
    """An integer that refuses 12.5, "12" and true: money and counts are never guessed."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def Fen(*, required=False, allow_zero=True, **kwargs):
    """Money in integer fen, never negative."""
    return StrictInteger(
        required=required, validate=validate.Range(min=0 if allow_zero else 1, max=10**12), **kwargs
    )


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


__all__ = ["BodySchema", "QuerySchema", "ResponseSchema", "StrictInteger", "Fen", "Count", "PageQuery",
           "page_schema", "YearRange", "ValidationError", "fields", "validate"]
