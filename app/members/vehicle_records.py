"""The counter's record of a car: what staff know about it, corrected readings, a change of owner.

Members edit their own cars' model, purchase date and mileage in the mini-program
(``vehicle_services``); staff keep the fuller record here — VIN, registration and insurance dates —
and make the two changes a member cannot: a mileage correction below the last reading, and moving
the car to another member when it is sold. Each of those two is written to the audit log with the
staff member's reason; the car keeps its id, so its work orders, bookings and maintenance history
stay with it (each work order also keeps the member it was paid by).
"""

from sqlalchemy import select

from app.audit.services import record_change
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.vin import validate_vin
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.vehicle_services import record_mileage
from app.merchant.services import merchant_timezone

# Dates that describe the past: a car is not registered or bought tomorrow.
_PAST_DATES = ("purchase_date", "registration_date")
_RECORD_FIELDS = (
    "model",
    "vin",
    "purchase_date",
    "registration_date",
    "insurance_expires_on",
    "inspection_class",
    "note",
)


def get_vehicle(*, vehicle_id) -> Vehicle:
    """Any car of the chain, for staff (404 ``vehicle_not_found``)."""
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("vehicle_not_found", "No such vehicle.")
    return vehicle


def update_vehicle_record(*, vehicle_id, changes, now=None) -> Vehicle:
    """Set the record's fields. A VIN must pass its check digit and belong to no other car
    (409 ``vin_taken``); registration and purchase dates cannot lie in the future."""
    vehicle = get_vehicle(vehicle_id=vehicle_id)
    today = clock.local_today(merchant_timezone(), now or clock.now())
    for name in _PAST_DATES:
        if changes.get(name) is not None and changes[name] > today:
            raise Unprocessable(f"invalid_{name}", "This date cannot be in the future.", details={"field": name})
    if changes.get("vin") is not None:
        changes = {**changes, "vin": validate_vin(changes["vin"])}
        holder = db.session.scalar(select(Vehicle.id).where(Vehicle.vin == changes["vin"], Vehicle.id != vehicle.id))
        if holder is not None:
            raise Conflict("vin_taken", "Another car already has this VIN.", details={"vehicle_id": holder})
    for name in _RECORD_FIELDS:
        if name in changes:
            setattr(vehicle, name, changes[name])
    db.session.flush()
    return vehicle


def correct_mileage(*, actor, vehicle_id, mileage_km, reason, now=None) -> Vehicle:
    """Replace the car's odometer reading, also with a lower one (a mistyped reading, a replaced
    instrument cluster); the reading restarts the car's km/day history. Audited with the reason."""
    vehicle = get_vehicle(vehicle_id=vehicle_id)
    before = vehicle.mileage_km
    if before == mileage_km:
        raise Unprocessable("mileage_unchanged", "The car already shows this mileage.")
    record_mileage(vehicle, mileage_km, correction=True)
    db.session.flush()
    record_change(
        actor=actor,
        kind="mileage_correction",
        entity_type="vehicle",
        entity_id=vehicle.id,
        before={"mileage_km": before},
        after={"mileage_km": mileage_km},
        reason=reason,
        now=now,
    )
    return vehicle


def transfer_vehicle(*, actor, vehicle_id, member_id, reason, now=None) -> Vehicle:
    """Move a car to another member (the car was sold). The new owner must be a live member
    (404 ``member_not_found``) other than the current one (422 ``same_owner``). Audited."""
    vehicle = get_vehicle(vehicle_id=vehicle_id)
    member = db.session.get(Member, member_id)
    if member is None or member.merged_into_id is not None:
        raise NotFound("member_not_found", "No such member.")
    if vehicle.member_id == member.id:
        raise Unprocessable("same_owner", "The car already belongs to this member.")
    before = vehicle.member_id
    vehicle.member_id = member.id
    db.session.flush()
    record_change(
        actor=actor,
        kind="vehicle_transfer",
        entity_type="vehicle",
        entity_id=vehicle.id,
        before={"member_id": before, "plate": vehicle.plate},
        after={"member_id": member.id, "plate": vehicle.plate},
        reason=reason,
        now=now,
    )
    return vehicle
