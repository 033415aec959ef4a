"""Schemas of the holiday calendar (app/marketing/holidays.py)."""

from app.common.schemas import BodySchema, PageQuery, ResponseSchema, StrictInteger, fields, page_schema, validate
from app.marketing.holidays import MAX_DAYS_BEFORE

_NAME = validate.Length(min=1, max=20)
_DAYS_BEFORE = validate.Range(min=0, max=MAX_DAYS_BEFORE)


class HolidayRead(ResponseSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    day = fields.Date(required=True)
    days_before = fields.Integer(required=True)
    coupon_template_id = fields.Integer(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    updated_at = fields.DateTime(required=True)


class HolidayCreate(BodySchema):
    name = fields.String(required=True, validate=_NAME)
    day = fields.Date(required=True)
    days_before = StrictInteger(load_default=0, validate=_DAYS_BEFORE)
    coupon_template_id = StrictInteger(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)


class HolidayUpdate(BodySchema):
    name = fields.String(validate=_NAME)
    day = fields.Date()
    days_before = StrictInteger(validate=_DAYS_BEFORE)
    coupon_template_id = StrictInteger(allow_none=True)
    active = fields.Boolean()


class HolidayQuery(PageQuery):
    year = fields.Integer(validate=validate.Range(min=2000, max=2999))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


HolidayPage = page_schema(HolidayRead, name="HolidayPage")
