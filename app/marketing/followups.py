"""The staff call list (回访/提醒): who to call, why, and what came of it.

Entries come from the jobs (a birthday call for the top tiers, maintenance due in 11 days when the
push was not delivered or not acted on) and from the sender (a push skipped for lack of a grant or
refused). Back-office staff see every entry; a cashier sees the entries of their own stores.

An outcome closes the entry: ``reached``, ``booked``, ``no_answer``, ``wrong_number`` or ``lost``
(the customer went elsewhere: a churn reason of DESIGN.md is then required). A churn reason may
also be given with ``reached``; it makes no sense without a conversation (no_answer, wrong_number).
"""

from sqlalchemy import func, select, update

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.models import CHURN_REASONS, FOLLOW_UP_RESULTS, FollowUp

NO_CONVERSATION = ("no_answer", "wrong_number")


def _visible(stmt, actor):
    if actor is not None and actor.role in ("cashier", "advisor"):
        return stmt.where(FollowUp.store_id.in_(list(actor.store_ids)))
    return stmt


def list_follow_ups(
    *,
    actor=None,
    kind=None,
    store_id=None,
    status="open",
    due_from=None,
    due_to=None,
    member_id=None,
    page=1,
    per_page=20,
):
    """The call list, oldest due first; a cashier only sees their stores' entries."""
    stmt = _visible(select(FollowUp), actor).order_by(FollowUp.due_date, FollowUp.id)
    filters = {FollowUp.kind: kind, FollowUp.store_id: store_id, FollowUp.status: status, FollowUp.member_id: member_id}
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if due_from is not None:
        stmt = stmt.where(FollowUp.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(FollowUp.due_date <= due_to)
    return paginate(stmt, page, per_page)


def get_follow_up(*, follow_up_id, actor=None) -> FollowUp:
    entry = db.session.scalar(_visible(select(FollowUp).where(FollowUp.id == follow_up_id), actor))
    if entry is None:
        raise NotFound("follow_up_not_found", "No such call-list entry.")
    return entry


def record_outcome(*, follow_up_id, result, churn_reason=None, note=None, actor=None, now=None) -> FollowUp:
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
    entry = get_follow_up(follow_up_id=follow_up_id, actor=actor)
    now = now or clock.now()
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
    db.session.refresh(entry)
    return entry


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
