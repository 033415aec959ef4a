"""The counter's lookup: cars by a fragment of their plate, or the cars of a scanned member card,
each with its member's counter summary (tier, lifecycle, every domain's balances) in bulk.

Apart from vehicle_services (which owns the cars) so that module needs nothing from the members'
services, and the members' services can use it without an import circle.
"""

import functools
from types import SimpleNamespace

from sqlalchemy import DateTime, Integer, String, bindparam, func, select

from app.common import clock
from app.common.errors import Unprocessable
from app.common.plates import normalize_plate
from app.common.precompiled import PrecompiledRead
from app.extensions import db
from app.members import services
from app.members.models import Member, PlateTrigram, Tier, Vehicle
from app.members.vehicle_services import _like_pattern, list_member_vehicles, plate_contains
from app.merchant.services import LIFECYCLE_DEFAULTS, lifecycle_threshold_columns

# Fewer characters match a large share of all plates and no index narrows them (a trigram needs
# three): the counter is asked for one more character instead.
MIN_PLATE_FRAGMENT = 3


def search_by_plate(*, plate_fragment, page, per_page):
    """Cars whose plate contains the normalised fragment (at least 3 characters: fewer →
    422 plate_fragment_too_short), ordered by plate, each with its member's counter summary.

    The counter's busiest read, so it is one statement of plain rows: the page of matches (and
    their total) comes from the plate trigrams' index alone (``PlateTrigram``, migration 0042),
    and the members, tiers, every domain's summary figures and the lifecycle thresholds are joined
    onto just that page."""
    fragment = normalize_plate(plate_fragment)
    if len(fragment) < MIN_PLATE_FRAGMENT:
        raise Unprocessable(
            "plate_fragment_too_short",
            f"Type at least {MIN_PLATE_FRAGMENT} characters of the plate.",
            details={"min_length": MIN_PLATE_FRAGMENT},
        )
    now = clock.now()
    lookup, figures = _lookup_statement(services.summary_providers())
    rows = lookup.mappings(
        {**lookup_parameters(fragment), "now": now, "limit": per_page, "offset": (page - 1) * per_page}
    )
    if rows:
        total = rows[0]["total"]
    elif page == 1:
        total = 0
    else:  # past the last page: the window saw no rows to count
        total = db.session.scalar(select(func.count()).where(plate_contains(fragment)))
    items = []
    if rows:
        # The thresholds are the same on every row (scalar subqueries of the settings row).
        first = rows[0]
        limits = {
            name: first[name] if first[name] is not None else default for name, default in LIFECYCLE_DEFAULTS.items()
        }
    for row in rows:
        vehicle = SimpleNamespace(**{key: row[label] for key, label in _LOOKUP_VEHICLE_LABELS})
        member = None
        if row["member_id"] is not None:
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


def lookup_parameters(fragment):
    """The lookup statement's parameters for a normalised fragment (3 characters or more): the
    cars with its last trigram (a plate's tail varies the most, its province and city letter the
    least), kept when their plate contains the whole fragment."""
    return {"trigram": fragment[-MIN_PLATE_FRAGMENT:], "pattern": _like_pattern(fragment)}


@functools.lru_cache(maxsize=4)
def _lookup_statement(providers):
    """The lookup's statement, built and compiled once per process (building, keying and running it
    through SQLAlchemy's execution cost more Python than the rest of the request together;
    app/common/precompiled.py); the fragment's pattern, the time and the page are parameters."""
    now = bindparam("now", type_=DateTime(timezone=True))
    # The cars with the fragment's trigram, in the order of the trigram index (trigram, plate,
    # vehicle_id): every one is counted and the page is the first of them, read from the index
    # alone with no sort; the plate it holds is checked against the whole fragment there too.
    matches = (
        select(PlateTrigram.vehicle_id.label("id"), PlateTrigram.plate, func.count().over().label("total"))
        .where(
            PlateTrigram.trigram == bindparam("trigram", type_=String),
            PlateTrigram.plate.like(bindparam("pattern", type_=String), escape="\\"),
        )
        .order_by(PlateTrigram.plate, PlateTrigram.vehicle_id)
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
    return PrecompiledRead(lambda: statement), tuple(figures)


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
# Each column's attribute name and its label in the lookup's rows.
_LOOKUP_VEHICLE_LABELS = tuple((column.key, f"vehicle_{column.key}") for column in _LOOKUP_VEHICLE_COLUMNS)


def lookup_for_counter(*, plate=None, card_token=None, page=1, per_page=20):
    """The counter's lookup: cars by plate fragment or by a scanned member card, each with its
    member's summary (tier, lifecycle, balances) fetched in bulk."""
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
