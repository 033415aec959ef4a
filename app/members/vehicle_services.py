"""Vehicles: a plate belongs to at most one member; walk-in cars have none."""

from sqlalchemy import select

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.plates import validate_plate
from app.extensions import db
from app.members.models import Member, Vehicle


def _by_plate(plate):
    return db.session.scalar(select(Vehicle).where(Vehicle.plate == plate))


def claim_vehicle(*, member, plate, model=None, purchase_date=None, mileage_km=None) -> Vehicle:
    """Attach a car to a member. A walk-in car the counter created is claimed; another member's is not."""
    plate = validate_plate(plate)
    if purchase_date is not None and purchase_date > clock.now().date():
        raise Unprocessable("invalid_purchase_date", "The purchase date cannot be in the future.")
    vehicle = _by_plate(plate)
    if vehicle is not None and vehicle.member_id not in (None, member.id):
        raise Conflict("plate_taken", "This plate is registered to another member.")
    if vehicle is None:
        vehicle = Vehicle(plate=plate)
        db.session.add(vehicle)
    vehicle.member_id = member.id
    if model is not None:
        vehicle.model = model
    if purchase_date is not None:
        vehicle.purchase_date = purchase_date
    if mileage_km is not None:
        record_mileage(vehicle, mileage_km)
    db.session.flush()
    return vehicle


def add_vehicle(*, member_id, plate, model=None, purchase_date=None, mileage_km=None) -> Vehicle:
    member = db.session.get(Member, member_id)
    return claim_vehicle(member=member, plate=plate, model=model, purchase_date=purchase_date, mileage_km=mileage_km)


def record_mileage(vehicle, mileage_km, *, correction=False):
    """Record an odometer reading; it never goes backwards unless staff mark it a correction."""
    if vehicle.mileage_km is not None and mileage_km < vehicle.mileage_km and not correction:
        raise Unprocessable(
            "mileage_backwards",
            f"Mileage {mileage_km} km is below the last reading of {vehicle.mileage_km} km.",
            details={"last_mileage_km": vehicle.mileage_km},
        )
    now = clock.now()
    if vehicle.first_mileage_km is None or correction:
        vehicle.first_mileage_km, vehicle.first_mileage_recorded_at = mileage_km, now
    vehicle.mileage_km, vehicle.mileage_recorded_at = mileage_km, now


def find_or_create_by_plate(plate) -> Vehicle:
    """The car with this plate, or a new walk-in car with no member."""
    plate = validate_plate(plate)
    vehicle = _by_plate(plate)
    if vehicle is None:
        vehicle = Vehicle(plate=plate)
        db.session.add(vehicle)
        db.session.flush()
    return vehicle


def list_member_vehicles(*, member_id):
    return db.session.scalars(select(Vehicle).where(Vehicle.member_id == member_id).order_by(Vehicle.id)).all()


def get_member_vehicle(*, member_id, vehicle_id) -> Vehicle:
    """A member's own vehicle; another member's looks exactly like a missing one (404)."""
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.member_id != member_id:
        raise NotFound("vehicle_not_found", "No such vehicle.")
    return vehicle


def update_member_vehicle(*, member_id, vehicle_id, changes) -> Vehicle:
    vehicle = get_member_vehicle(member_id=member_id, vehicle_id=vehicle_id)
    if "model" in changes:
        vehicle.model = changes["model"]
    if "purchase_date" in changes:
        vehicle.purchase_date = changes["purchase_date"]
    if changes.get("mileage_km") is not None:
        record_mileage(vehicle, changes["mileage_km"])
    db.session.flush()
    return vehicle


def _like_pattern(fragment):
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def plate_contains(fragment):
    """The condition "the plate contains ``fragment``" (normalised), as the trigram index serves it."""
    return _plate_like(_like_pattern(fragment))


def _plate_like(pattern):
    return Vehicle.plate.like(pattern, escape="\\")
