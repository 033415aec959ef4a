"""Complaints (投诉): opened by a low rating, for the owner, with a due time; moved open → in_hand →
resolved (open → resolved too, when one call settles it), each step recorded with who and when.

A move the table ``COMPLAINT_MOVES`` does not allow is refused (409 ``complaint_transition_invalid``
with the current and asked status); resolving needs a note saying how (422 ``complaint_note_required``).
Notes may be added at any time. The back office (marketing, owner) sees every store's complaints.
A complaint is overdue while it is not resolved after its due time.
"""

from datetime import timedelta

from sqlalchemy import select

from app.care.models import COMPLAINT_MOVES, Complaint, ComplaintEvent, Rating
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.models import Member
from app.stores.services import staff_names
from app.workorders.models import WorkOrder


def open_complaint(*, rating, due_hours, staff_id=None, now=None) -> Complaint:
    """Open the complaint of a low rating, due ``due_hours`` after now."""
    now = now or clock.now()
    complaint = Complaint(
        rating_id=rating.id,
        work_order_id=rating.work_order_id,
        member_id=rating.member_id,
        store_id=rating.store_id,
        status="open",
        opened_at=now,
        due_at=now + timedelta(hours=due_hours),
    )
    db.session.add(complaint)
    db.session.flush()
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            from_status=None,
            to_status="open",
            note=rating.comment,
            staff_id=staff_id,
            created_at=now,
        )
    )
    db.session.flush()
    return complaint


def _describe(complaints, *, now):
    """Attach the rating, member, plate and overdue flag of each complaint (one query each)."""
    if not complaints:
        return complaints
    ratings = {
        rating.id: rating
        for rating in db.session.scalars(select(Rating).where(Rating.id.in_({c.rating_id for c in complaints})))
    }
    members = dict(
        db.session.execute(
            select(Member.id, Member.nickname).where(Member.id.in_({c.member_id for c in complaints}))
        ).all()
    )
    orders = {
        row.id: row
        for row in db.session.execute(
            select(WorkOrder.id, WorkOrder.number, WorkOrder.plate).where(
                WorkOrder.id.in_({c.work_order_id for c in complaints})
            )
        )
    }
    for complaint in complaints:
        rating = ratings[complaint.rating_id]
        complaint.score, complaint.comment, complaint.source = rating.score, rating.comment, rating.source
        complaint.member = {"id": complaint.member_id, "nickname": members.get(complaint.member_id)}
        order = orders[complaint.work_order_id]
        complaint.work_order = {"id": order.id, "number": order.number, "plate": order.plate}
        complaint.overdue = complaint.status != "resolved" and complaint.due_at < now
    return complaints


def list_complaints(*, status=None, store_id=None, overdue=None, page=1, per_page=20, now=None):
    """Complaints, the soonest due first; filtered by status, store and whether overdue."""
    now = now or clock.now()
    stmt = select(Complaint).order_by(Complaint.due_at, Complaint.id)
    if status is not None:
        stmt = stmt.where(Complaint.status == status)
    if store_id is not None:
        stmt = stmt.where(Complaint.store_id == store_id)
    if overdue is True:
        stmt = stmt.where(Complaint.status != "resolved", Complaint.due_at < now)
    elif overdue is False:
        stmt = stmt.where((Complaint.status == "resolved") | (Complaint.due_at >= now))
    listed = paginate(stmt, page, per_page)
    _describe(listed["items"], now=now)
    return listed


def get_complaint(*, complaint_id, now=None) -> Complaint:
    """One complaint with its history, oldest step first."""
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint_not_found", "No such complaint.")
    _describe([complaint], now=now or clock.now())
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).all()
    names = staff_names(event.staff_id for event in events)
    for event in events:
        event.staff = {"id": event.staff_id, "username": names.get(event.staff_id)} if event.staff_id else None
    complaint.events = events
    return complaint


def _locked(complaint_id):
    complaint = db.session.scalar(select(Complaint).where(Complaint.id == complaint_id).with_for_update())
    if complaint is None:
        raise NotFound("complaint_not_found", "No such complaint.")
    return complaint


def move_complaint(*, complaint_id, status, note=None, actor=None, now=None) -> Complaint:
    """Move a complaint along open → in_hand → resolved (see the module docstring)."""
    now = now or clock.now()
    note = (note or "").strip() or None
    complaint = _locked(complaint_id)
    if status not in COMPLAINT_MOVES[complaint.status]:
        raise Conflict(
            "complaint_transition_invalid",
            f"A complaint cannot move from {complaint.status} to {status}.",
            details={"from": complaint.status, "to": status},
        )
    if status == "resolved" and note is None:
        raise Unprocessable("complaint_note_required", "Say how the complaint was resolved.")
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            from_status=complaint.status,
            to_status=status,
            note=note,
            staff_id=actor.id if actor is not None else None,
            created_at=now,
        )
    )
    complaint.status = status
    if status == "resolved":
        complaint.resolved_at = now
    db.session.flush()
    return get_complaint(complaint_id=complaint.id, now=now)


def add_note(*, complaint_id, note, actor=None, now=None) -> Complaint:
    """Add a note to a complaint's history without moving it."""
    now = now or clock.now()
    note = (note or "").strip()
    if not note:
        raise Unprocessable("complaint_note_required", "A note cannot be empty.")
    complaint = _locked(complaint_id)
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            from_status=complaint.status,
            to_status=complaint.status,
            note=note,
            staff_id=actor.id if actor is not None else None,
            created_at=now,
        )
    )
    db.session.flush()
    return get_complaint(complaint_id=complaint.id, now=now)
