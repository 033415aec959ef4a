from app.bookings.models import BOOKING_STATUSES
from app.common import clock
from app.common.schemas import (
    BodySchema,
    Count,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)
from app.merchant.services import merchant_timezone


class LocalDateTime(fields.DateTime):
    """An instant shown in the merchant's timezone: ISO 8601 with its offset (2026-12-01T09:00:00+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(clock.zone(merchant_timezone())).isoformat()


class SlotQuery(QuerySchema):
    date = fields.Date(required=True, metadata={"description": "The merchant-local day, YYYY-MM-DD."})
    service_item_id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Its duration sets how many slots a start needs; default one slot."},
    )


class SlotRead(ResponseSchema):
    start = LocalDateTime()
    end = LocalDateTime(metadata={"description": "When the service's slots end."})
    available = fields.Integer(metadata={"description": "Bays free for the whole span (0 = full)."})


class SlotList(ResponseSchema):
    items = fields.List(fields.Nested(SlotRead))


class BookingRead(ResponseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    member_id = fields.Integer()
    vehicle_id = fields.Integer()
    plate = fields.String()
    service_item_id = fields.Integer()
    start = LocalDateTime(attribute="start_at")
    end = LocalDateTime(attribute="end_at")
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    work_order_id = fields.Integer(allow_none=True)
    reschedule_count = fields.Integer()
    cancelled_at = fields.DateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    no_show_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class BookingCreate(BodySchema):
    store_id = StrictInteger(required=True)
    vehicle_id = StrictInteger(required=True)
    service_item_id = StrictInteger(required=True)
    start = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset, on a slot start."})


class BookingReschedule(BodySchema):
    start = fields.AwareDateTime(required=True)


class BookingCancel(BodySchema):
    reason = fields.String(validate=validate.Length(max=200))


class CheckInBody(BodySchema):
    mileage_km = Count(metadata={"description": "The odometer reading at arrival."})


class MemberBookingQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))


class StaffBookingQuery(PageQuery):
    store_id = fields.Integer(validate=validate.Range(min=1))
    date = fields.Date(metadata={"description": "The merchant-local day; default today."})
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))


BookingPage = page_schema(BookingRead, name="BookingPage")
