"""The counter's lookup: cars by a fragment of their plate, or the cars of a scanned member card,
each with its member's counter summary (tier, lifecycle, every domain's balances) in bulk.

Apart from vehicle_services (which owns the cars) so that module needs nothing from the members'
services, and the members' services can use it without an import circle.
"""

import functools
from types import SimpleNamespace

from sqlalchemy import DateTime, Integer, String, bindparam, delete, func, insert, select

from app.common import clock
from app.common.errors import Unprocessable
from app.common.plates import normalize_plate
from app.common.precompiled import PrecompiledRead
from app.extensions import db
from app.members import services
from app.members.models import Member, PlateTrigram, PlateTrigramCount, Tier, Vehicle
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
    onto just that page. A three-character fragment matches every car holding it as a trigram:
    its total is that trigram's count (``PlateTrigramCount``, migration 0045), which does not grow
    with the chain as counting the cars did."""
    fragment = normalize_plate(plate_fragment)
    if len(fragment) < MIN_PLATE_FRAGMENT:
        raise Unprocessable(
            "plate_fragment_too_short",
            f"Type at least {MIN_PLATE_FRAGMENT} characters of the plate.",
            details={"min_length": MIN_PLATE_FRAGMENT},
        )
    now = clock.now()
    lookup, figures = _lookup_statement(services.summary_providers(), counted=len(fragment) == MIN_PLATE_FRAGMENT)
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


@functools.lru_cache(maxsize=8)
def _lookup_statement(providers, *, counted=False):
    """The lookup's statement, built and compiled once per process (building, keying and running it
    through SQLAlchemy's execution cost more Python than the rest of the request together;
    app/common/precompiled.py); the fragment's pattern, the time and the page are parameters.
    ``counted``: the fragment is a whole trigram, whose count of cars is kept."""
    now = bindparam("now", type_=DateTime(timezone=True))
    trigram = bindparam("trigram", type_=String)
    if counted:
        total = (
            select(func.coalesce(func.sum(PlateTrigramCount.cars), 0))
            .where(PlateTrigramCount.trigram == trigram)
            .scalar_subquery()
        )
    else:
        total = func.count().over()
    # The cars with the fragment's trigram, in the order of the trigram index (trigram, plate,
    # vehicle_id): the page is the first of them, read from the index alone with no sort; the plate
    # it holds is checked against the whole fragment there too. Unless the trigram's count is the
    # total, every match is counted on the way.
    matches = (
        select(PlateTrigram.vehicle_id.label("id"), PlateTrigram.plate, total.label("total"))
        .where(
            PlateTrigram.trigram == trigram,
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


def fold_plate_trigram_counts():
    """Fold each trigram's count rows into one row holding their sum (a trigram no car holds any
    more keeps none), so a three-character lookup adds up one row; returns how many trigrams hold a
    folded row. The sums are unchanged, and a car added meanwhile keeps its own row: on PostgreSQL
    the rows are deleted and their sums written back in one statement, which sees only rows
    committed before it; SQLite runs one writer at a time."""
    counts = PlateTrigramCount.__table__

    def several(*conditions):
        return select(counts.c.trigram).where(*conditions).group_by(counts.c.trigram).having(func.count() > 1)

    if db.session.get_bind().dialect.name == "postgresql":
        folded = (
            delete(counts)
            .where(counts.c.trigram.in_(several().scalar_subquery()))
            .returning(counts.c.trigram, counts.c.cars)
            .cte()
        )
        sums = select(folded.c.trigram, func.sum(folded.c.cars)).group_by(folded.c.trigram)
        written = db.session.execute(
            insert(counts)
            .from_select(["trigram", "cars"], sums.having(func.sum(folded.c.cars) != 0))
            .returning(counts.c.trigram)
        )
        return len(written.all())
    top = db.session.scalar(select(func.max(counts.c.id)))
    if top is None:
        return 0
    old = counts.c.id <= top
    sums = db.session.execute(
        select(counts.c.trigram, func.sum(counts.c.cars))
        .where(old, counts.c.trigram.in_(several(old).scalar_subquery()))
        .group_by(counts.c.trigram)
    ).all()
    db.session.execute(delete(counts).where(old, counts.c.trigram.in_(several(old).scalar_subquery())))
    kept = [{"trigram": trigram, "cars": cars} for trigram, cars in sums if cars != 0]
    if kept:
        db.session.execute(insert(counts), kept)
    return len(kept)
