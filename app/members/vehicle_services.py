"""Vehicles: a plate belongs to at most one member; walk-in cars have none."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.common.plates import normalize_plate, validate_plate
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
    return claim_vehicle(member=member, plate=plate, model=model, purchase_date=purchase_date,
                         mileage_km=mileage_km)


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


# Fewer characters match a large share of all plates and no index narrows them (a trigram needs
# three): the counter is asked for one more character instead.
MIN_PLATE_FRAGMENT = 3


def _like_pattern(fragment):
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def plate_contains(fragment):
    """The condition "the plate contains ``fragment``" (normalised), as the trigram index serves it."""
    return Vehicle.plate.like(_like_pattern(fragment), escape="\\")


def search_by_plate(*, plate_fragment, page, per_page):
    """Cars whose plate contains the normalised fragment (at least 3 characters: fewer →
    422 plate_fragment_too_short), ordered by plate, members joined in one query.

    The pattern is built here rather than concatenated in SQL, so PostgreSQL sees a literal
    '%fragment%' and answers it from the trigram index on the plate (migration 0012)."""
    fragment = normalize_plate(plate_fragment)
    if len(fragment) < MIN_PLATE_FRAGMENT:
        raise Unprocessable("plate_fragment_too_short",
                            f"Type at least {MIN_PLATE_FRAGMENT} characters of the plate.",
                            details={"min_length": MIN_PLATE_FRAGMENT})
    stmt = (
        select(Vehicle)
        .where(plate_contains(fragment))
        .order_by(Vehicle.plate)
        # The counter's summary names the member and their tier; their tags are not shown.
        .options(joinedload(Vehicle.member).lazyload(Member.tags))
    )
    return paginate(stmt, page, per_page)


def lookup_for_counter(*, plate=None, card_token=None, page=1, per_page=20):
    """The counter's lookup: cars by plate fragment or by a scanned member card, each with its
    member's summary (tier, lifecycle, balances) fetched in bulk."""
    from app.members import services

    if card_token:
        member = services.member_from_card_token(card_token)
        vehicles = list_member_vehicles(member_id=member.id)
        result = {"items": vehicles, "total": len(vehicles), "page": 1, "per_page": max(len(vehicles), 1)}
    else:
        result = search_by_plate(plate_fragment=plate or "", page=page, per_page=per_page)
    members = {v.member.id: v.member for v in result["items"] if v.member is not None}
    summaries = services.member_summaries(list(members.values()))
    result["items"] = [{"vehicle": v, "member": summaries.get(v.member_id)} for v in result["items"]]
    return result
