"""The staff call list (回访/提醒): who to call, why, and what came of it.

Entries come from the jobs (a birthday call for the top tiers, maintenance due in 11 days when the
push was not delivered or not acted on), from the sender (a push skipped for lack of a grant or
refused) and from earlier calls (a next contact date asks for a call back). Back-office staff see
every entry; a cashier sees the entries of their own stores.

Each listed entry carries the car it is about (the maintenance reminder's car, the followed-up
work order's car, else the member's first car), who recorded its outcome, the next contact an
outcome asked for, and how many days an open entry is overdue (against the merchant's today):
the page's cars, names and call-backs come in one query each, whatever the page size.

An outcome closes the entry: ``reached``, ``booked``, ``no_answer``, ``wrong_number`` or ``lost``
(the customer went elsewhere: a churn reason of DESIGN.md is then required). A churn reason may
also be given with ``reached``; it makes no sense without a conversation (no_answer, wrong_number).
The call may also record a next contact date after today, which puts a ``callback`` entry of the
same kind on the list.

Every call that reached the member (``reached``, ``booked``) asks for the car's mileage (seed 003):
the reading is required when the entry has a car, unless staff say the member could not tell
(``mileage_unknown``; 422 ``mileage_required`` otherwise). It goes on the entry's car unless another
of the member's cars is named (a reading never goes backwards) and re-forecasts the car's next
maintenance (app/members/maintenance.py ``reforecast``).

A service follow-up (kind ``follow_up``, about a work order) that reached the member may carry the
member's score (1-5) and comment: it is the order's rating (app/care/services.py: one per order, a
low score opens a complaint). A score on any other entry or without a conversation → 422
``rating_not_applicable``. Each listed follow-up shows the rating its order already has.
"""

from sqlalchemy import func, or_, select, update

from app.care.services import rate_from_call, ratings_of_orders
from app.common import clock
from app.common.db import insert_for
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.models import CHURN_REASONS, FOLLOW_UP_RESULTS, FollowUp, Visit
from app.members.maintenance import reforecast
from app.members.models import Vehicle
from app.members.vehicle_services import record_mileage
from app.merchant.services import merchant_timezone
from app.stores.services import staff_names

NO_CONVERSATION = ("no_answer", "wrong_number")
# Calls that reached the member: they ask for the mileage, and a follow-up asks for a score.
CONVERSATION = ("reached", "booked")
# ``due``: which open entries to list, against the merchant's local today.
DUE_SCOPES = ("overdue", "today", "today_or_overdue", "upcoming")
CALLBACK_REF = "follow_up"


def _visible(stmt, actor):
    if actor is not None and actor.role in ("cashier", "advisor"):
        return stmt.where(FollowUp.store_id.in_(list(actor.store_ids)))
    return stmt


def _due_condition(due, today):
    return {
        "overdue": FollowUp.due_date < today,
        "today": FollowUp.due_date == today,
        "today_or_overdue": FollowUp.due_date <= today,
        "upcoming": FollowUp.due_date > today,
    }[due]


def list_follow_ups(
    *,
    actor=None,
    kind=None,
    store_id=None,
    status="open",
    due=None,
    due_from=None,
    due_to=None,
    member_id=None,
    reason=None,
    result=None,
    churn_reason=None,
    staff_id=None,
    page=1,
    per_page=20,
    now=None,
):
    """The call list, oldest due first; a cashier only sees their stores' entries. ``staff_id``
    names who recorded the outcome; ``due`` compares with the merchant's local today."""
    today = clock.local_today(merchant_timezone(), now)
    stmt = _visible(select(FollowUp), actor).order_by(FollowUp.due_date, FollowUp.id)
    filters = {
        FollowUp.kind: kind,
        FollowUp.store_id: store_id,
        FollowUp.status: status,
        FollowUp.member_id: member_id,
        FollowUp.reason: reason,
        FollowUp.result: result,
        FollowUp.churn_reason: churn_reason,
        FollowUp.handled_by_staff_id: staff_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if due is not None:
        stmt = stmt.where(_due_condition(due, today))
    if due_from is not None:
        stmt = stmt.where(FollowUp.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(FollowUp.due_date <= due_to)
    listed = paginate(stmt, page, per_page)
    describe(listed["items"], today=today)
    return listed


def _cars(entries):
    """{entry id: Vehicle or None}: the car each entry is about, in two queries for the page."""
    order_ids = {entry.ref_id for entry in entries if entry.ref_type == "work_order"}
    plates = (
        dict(
            db.session.execute(select(Visit.work_order_id, Visit.plate).where(Visit.work_order_id.in_(order_ids))).all()
        )
        if order_ids
        else {}
    )
    vehicle_ids = {entry.ref_id for entry in entries if entry.ref_type == "vehicle"}
    member_ids = {entry.member_id for entry in entries}
    vehicles = db.session.scalars(
        select(Vehicle)
        .where(or_(Vehicle.member_id.in_(member_ids), Vehicle.id.in_(vehicle_ids), Vehicle.plate.in_(plates.values())))
        .order_by(Vehicle.id)
    ).all()
    by_id = {vehicle.id: vehicle for vehicle in vehicles}
    by_plate = {vehicle.plate: vehicle for vehicle in vehicles}
    first_car = {}
    for vehicle in vehicles:
        first_car.setdefault(vehicle.member_id, vehicle)
    cars = {}
    for entry in entries:
        car = None
        if entry.ref_type == "vehicle":
            car = by_id.get(entry.ref_id)
        elif entry.ref_type == "work_order":
            car = by_plate.get(plates.get(entry.ref_id))
        cars[entry.id] = car or first_car.get(entry.member_id)
    return cars


def describe(entries, *, today):
    """Attach what the call list shows beside each entry (see the module docstring)."""
    if not entries:
        return entries
    cars = _cars(entries)
    names = staff_names(entry.handled_by_staff_id for entry in entries)
    done_ids = [entry.id for entry in entries if entry.status == "done"]
    callbacks = (
        dict(
            db.session.execute(
                select(FollowUp.ref_id, FollowUp.due_date).where(
                    FollowUp.ref_type == CALLBACK_REF, FollowUp.ref_id.in_(done_ids)
                )
            ).all()
        )
        if done_ids
        else {}
    )
    ratings = ratings_of_orders(entry.ref_id for entry in entries if entry.ref_type == "work_order")
    for entry in entries:
        entry.vehicle = cars[entry.id]
        entry.rating = ratings.get(entry.ref_id) if entry.ref_type == "work_order" else None
        staff_id = entry.handled_by_staff_id
        entry.handled_by = {"id": staff_id, "username": names.get(staff_id)} if staff_id is not None else None
        entry.next_contact_date = callbacks.get(entry.id)
        entry.overdue_days = max(0, (today - entry.due_date).days) if entry.status == "open" else 0
    return entries


def get_follow_up(*, follow_up_id, actor=None) -> FollowUp:
    entry = db.session.scalar(_visible(select(FollowUp).where(FollowUp.id == follow_up_id), actor))
    if entry is None:
        raise NotFound("follow_up_not_found", "No such call-list entry.")
    return entry


def record_outcome(
    *,
    follow_up_id,
    result,
    churn_reason=None,
    note=None,
    mileage_km=None,
    vehicle_id=None,
    mileage_unknown=False,
    score=None,
    comment=None,
    next_contact_date=None,
    actor=None,
    now=None,
) -> FollowUp:
    """Close an open entry with what the call produced (see the module docstring for the rules)."""
    if result not in FOLLOW_UP_RESULTS:
        raise Unprocessable("unknown_result", "Unknown call result.", details={"known": list(FOLLOW_UP_RESULTS)})
    if churn_reason is not None and churn_reason not in CHURN_REASONS:
        raise Unprocessable("unknown_churn_reason", "Unknown churn reason.", details={"known": list(CHURN_REASONS)})
    if result == "lost" and churn_reason is None:
        raise Unprocessable(
            "churn_reason_required", "Say why the customer left.", details={"known": list(CHURN_REASONS)}
        )
    if result in NO_CONVERSATION and churn_reason is not None:
        raise Unprocessable("churn_reason_not_applicable", "A churn reason needs a conversation.")
    now = now or clock.now()
    today = clock.local_today(merchant_timezone(), now)
    if next_contact_date is not None and next_contact_date <= today:
        raise Unprocessable(
            "next_contact_not_after_today",
            "The next contact date must be after today.",
            details={"today": today.isoformat()},
        )
    entry = get_follow_up(follow_up_id=follow_up_id, actor=actor)
    if score is not None and (
        result not in CONVERSATION or entry.kind != "follow_up" or entry.ref_type != "work_order"
    ):
        raise Unprocessable(
            "rating_not_applicable", "A score is given on a service follow-up call that reached the member."
        )
    vehicle = None
    if mileage_km is not None:
        if vehicle_id is None:
            vehicle = _cars([entry])[entry.id]
        else:
            vehicle = db.session.get(Vehicle, vehicle_id)
        if vehicle is None or vehicle.member_id != entry.member_id:
            raise NotFound("vehicle_not_found", "No such vehicle.")
    elif result in CONVERSATION and not mileage_unknown:
        car = _cars([entry])[entry.id]
        if car is not None and car.member_id == entry.member_id:
            raise Unprocessable(
                "mileage_required",
                "Ask for the car's mileage (or say the member could not tell).",
                details={"vehicle_id": car.id},
            )
    closed = db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == entry.id, FollowUp.status == "open")
        .values(
            status="done",
            result=result,
            churn_reason=churn_reason,
            note=note,
            handled_at=now,
            handled_by_staff_id=actor.id if actor is not None and actor.kind == "staff" else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:
        raise Conflict("follow_up_closed", "This entry already has an outcome.")
    staff_id = actor.id if actor is not None and actor.kind == "staff" else None
    if vehicle is not None:
        record_mileage(vehicle, mileage_km)
        reforecast(vehicle, on_date=today)
    if score is not None:
        rate_from_call(
            work_order_id=entry.ref_id,
            member_id=entry.member_id,
            score=score,
            comment=comment,
            follow_up_id=entry.id,
            staff_id=staff_id,
            now=now,
        )
    if next_contact_date is not None:
        db.session.execute(
            insert_for(db.session, FollowUp.__table__)
            .values(
                member_id=entry.member_id,
                kind=entry.kind,
                reason="callback",
                dedupe_key=f"callback:{entry.id}",
                store_id=entry.store_id,
                due_date=next_contact_date,
                ref_type=CALLBACK_REF,
                ref_id=entry.id,
                status="open",
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
    db.session.refresh(entry)
    return describe([entry], today=today)[0]


def follow_up_outcome_counts(*, start, end, store_id=None):
    """Outcomes recorded in [start, end): {"total", "by_result", "by_churn_reason", "by_kind"}, for stats."""
    stmt = (
        select(FollowUp.kind, FollowUp.result, FollowUp.churn_reason, func.count())
        .where(FollowUp.status == "done", FollowUp.handled_at >= start, FollowUp.handled_at < end)
        .group_by(FollowUp.kind, FollowUp.result, FollowUp.churn_reason)
    )
    if store_id is not None:
        stmt = stmt.where(FollowUp.store_id == store_id)
    counts = {
        "total": 0,
        "by_result": dict.fromkeys(FOLLOW_UP_RESULTS, 0),
        "by_churn_reason": dict.fromkeys(CHURN_REASONS, 0),
        "by_kind": {},
    }
    for kind, result, churn_reason, count in db.session.execute(stmt):
        counts["total"] += count
        counts["by_result"][result] += count
        if churn_reason:
            counts["by_churn_reason"][churn_reason] += count
        by_kind = counts["by_kind"].setdefault(kind, {})
        by_kind[result] = by_kind.get(result, 0) + count
    return counts
