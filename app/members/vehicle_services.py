"""Vehicles: a plate belongs to at most one member; walk-in cars have none."""

import functools
from types import SimpleNamespace

from sqlalchemy import DateTime, Integer, String, bindparam, func, select

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.plates import normalize_plate, validate_plate
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.tiers.models import Tier


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


# Fewer characters match a large share of all plates and no index narrows them (a trigram needs
# three): the counter is asked for one more character instead.
MIN_PLATE_FRAGMENT = 3


def _like_pattern(fragment):
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def plate_contains(fragment):
    """The condition "the plate contains ``fragment``" (normalised), as the trigram index serves it."""
    return _plate_like(_like_pattern(fragment))


def _plate_like(pattern):
    return Vehicle.plate.like(pattern, escape="\\")


def search_by_plate(*, plate_fragment, page, per_page):
    """Cars whose plate contains the normalised fragment (at least 3 characters: fewer →
    422 plate_fragment_too_short), ordered by plate, each with its member's counter summary.

    The counter's busiest read, so it is one statement of plain rows: the page of matches (and
    their total) comes from the trigram index on the plate (migration 0012), and the members,
    tiers, every domain's summary figures and the lifecycle thresholds are joined onto just that
    page."""
    from app.members import services
    from app.merchant.services import LIFECYCLE_DEFAULTS

    fragment = normalize_plate(plate_fragment)
    if len(fragment) < MIN_PLATE_FRAGMENT:
        raise Unprocessable(
            "plate_fragment_too_short",
            f"Type at least {MIN_PLATE_FRAGMENT} characters of the plate.",
            details={"min_length": MIN_PLATE_FRAGMENT},
        )
    now = clock.now()
    statement, figures = _lookup_statement(services.summary_providers())
    rows = (
        db.session.execute(
            statement,
            {
                "pattern": _like_pattern(fragment),
                "now": now,
                "limit": per_page,
                "offset": (page - 1) * per_page,
            },
        )
        .mappings()
        .all()
    )
    if rows:
        total = rows[0]["total"]
    elif page == 1:
        total = 0
    else:  # past the last page: the window saw no rows to count
        total = db.session.scalar(select(func.count()).where(plate_contains(fragment)))
    items = []
    for row in rows:
        vehicle = SimpleNamespace(**{column.key: row[f"vehicle_{column.key}"] for column in _LOOKUP_VEHICLE_COLUMNS})
        member = None
        if row["member_id"] is not None:
            limits = {
                name: row[name] if row[name] is not None else default for name, default in LIFECYCLE_DEFAULTS.items()
            }
            member = services.counter_summary(
                member_id=row["member_id"],
                nickname=row["nickname"],
                phone=row["phone"],
                tier={"id": row["tier_id"], "name": row["tier_name"]} if row["tier_id"] is not None else None,
                last_paid_visit_at=row["last_paid_visit_at"],
                lifecycle=services.lifecycle_for(row["last_paid_visit_at"], now=now, **limits),
                figures={name: row[name] for name in figures},
            )
        items.append({"vehicle": vehicle, "member": member})
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@functools.lru_cache(maxsize=4)
def _lookup_statement(providers):
    """The lookup's statement, built once per process (building and keying it costs as much Python
    as the rest of the request); the fragment's pattern, the time and the page are parameters."""
    from app.members import services
    from app.merchant.services import lifecycle_threshold_columns

    now = bindparam("now", type_=DateTime(timezone=True))
    # Every match is gathered first (the trigram index finds them; the total counts them), then the
    # page is cut. Materialised, because PostgreSQL would otherwise walk the whole plate index in
    # order, filtering, to stop early -- which never happens when every match must be counted.
    found = (
        select(Vehicle.id, Vehicle.plate)
        .where(_plate_like(bindparam("pattern", type_=String)))
        .cte("plate_matches")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    matches = (
        select(found.c.id, found.c.plate, func.count().over().label("total"))
        .order_by(found.c.plate, found.c.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery()
    )
    figures = services.summary_figure_columns(Member.id, now)
    statement = (
        select(
            matches.c.total,
            *(column.label(f"vehicle_{column.key}") for column in _LOOKUP_VEHICLE_COLUMNS),
            Member.id.label("member_id"),
            Member.nickname,
            Member.phone,
            Member.last_paid_visit_at,
            Tier.id.label("tier_id"),
            Tier.name.label("tier_name"),
            *(expression.label(name) for name, expression in {**figures, **lifecycle_threshold_columns()}.items()),
        )
        .select_from(matches)
        .join(Vehicle, Vehicle.id == matches.c.id)
        .outerjoin(Member, Member.id == Vehicle.member_id)
        .outerjoin(Tier, Tier.id == Member.tier_id)
        .order_by(matches.c.plate, matches.c.id)
    )
    return statement, tuple(figures)


# What the counter's lookup shows of a car (VehicleRead).
_LOOKUP_VEHICLE_COLUMNS = (
    Vehicle.id,
    Vehicle.member_id,
    Vehicle.plate,
    Vehicle.model,
    Vehicle.purchase_date,
    Vehicle.mileage_km,
    Vehicle.next_maintenance_due_date,
    Vehicle.next_maintenance_due_km,
)


def lookup_for_counter(*, plate=None, card_token=None, page=1, per_page=20):
    """The counter's lookup: cars by plate fragment or by a scanned member card, each with its
    member's summary (tier, lifecycle, balances) fetched in bulk."""
    from app.members import services

    if not card_token:
        return search_by_plate(plate_fragment=plate or "", page=page, per_page=per_page)
    member = services.member_from_card_token(card_token)
    vehicles = list_member_vehicles(member_id=member.id)
    summaries = services.member_summaries([member])
    return {
        "items": [{"vehicle": v, "member": summaries[member.id]} for v in vehicles],
        "total": len(vehicles),
        "page": 1,
        "per_page": max(len(vehicles), 1),
    }
