"""Schemas of the counter's record of a car (vehicle_records)."""

from app.common.schemas import BodySchema, Computed, Count, ResponseSchema, StrictInteger, fields, validate
from app.members.models import INSPECTION_CLASSES
from app.members.schemas import NextMaintenance, _next_maintenance

_REASON = validate.Length(min=2, max=200)


class VehicleRecordRead(ResponseSchema):
    """A car as staff see it: the member's fields plus the counter's record."""

    id = fields.Integer(required=True)
    plate = fields.String(required=True)
    member_id = fields.Integer(required=True, allow_none=True)
    model = fields.String(required=True, allow_none=True)
    vin = fields.String(required=True, allow_none=True)
    purchase_date = fields.Date(required=True, allow_none=True)
    registration_date = fields.Date(required=True, allow_none=True)
    insurance_expires_on = fields.Date(required=True, allow_none=True)
    # How the annual-inspection rule applies; null: not recorded (taken as a small passenger car).
    inspection_class = fields.String(required=True, allow_none=True, validate=validate.OneOf(INSPECTION_CLASSES))
    mileage_km = fields.Integer(required=True, allow_none=True)
    mileage_recorded_at = fields.DateTime(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    next_maintenance = Computed(_next_maintenance, fields.Nested(NextMaintenance, allow_none=True))


class VehicleRecordUpdate(BodySchema):
    model = fields.String(validate=validate.Length(max=100), allow_none=True)
    vin = fields.String(validate=validate.Length(min=17, max=40), allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    registration_date = fields.Date(allow_none=True)
    insurance_expires_on = fields.Date(allow_none=True)
    inspection_class = fields.String(allow_none=True, validate=validate.OneOf(INSPECTION_CLASSES))
    note = fields.String(validate=validate.Length(max=500), allow_none=True)


class MileageCorrection(BodySchema):
    mileage_km = Count(required=True)
    reason = fields.String(required=True, validate=_REASON)


class VehicleTransfer(BodySchema):
    member_id = StrictInteger(required=True, validate=validate.Range(min=1))
    reason = fields.String(required=True, validate=_REASON)
