"""The member's approval of extra work (增项确认).

A line added once work is in progress, or flagged ``needs_approval`` by the advisor, is ``pending``
until it is decided: by the member in the mini-program, or by staff recording what the member said
on the phone (with a note). Approved lines are charged like any other; declined lines stay on the
order, priced out of its totals, and never settle (no stock, stamps or maintenance from them);
while any line is pending, the order cannot be quoted, settled or paid (409 approval_pending).

Decisions are taken under the order's row lock and re-price the order. They are possible while the
order can still be settled (open, in progress, completed), not while the member is paying it.
"""

from app.common import clock
from app.common.errors import Conflict, NotFound
from app.extensions import db
from app.workorders import pricing, services
from app.workorders.models import SETTLEABLE


def _ensure_decidable(order):
    if order.status == "paying":
        raise Conflict("work_order_paying", "The member is paying this order in the mini-program.")
    if order.status not in SETTLEABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )


def _line(order, line_id):
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("work_order_line_not_found", "No such line on this work order.", details={"line_id": line_id})
    if line.approval == "not_needed":
        raise Conflict(
            "approval_not_needed", "This line does not need the member's approval.", details={"line_id": line_id}
        )
    return line


def _record(line, decision, *, via, now, member_id=None, staff_id=None, note=None):
    line.approval = decision
    line.approval_via = via
    line.approval_member_id = member_id
    line.approval_staff_id = staff_id
    line.approval_note = note
    line.approval_decided_at = now


def decide_as_member(*, member_id, work_order_id, decisions, now=None):
    """The member approves or declines pending extra work on their own order (another's → 404).

    ``decisions``: [{"line_id", "decision": "approved"|"declined"}], applied all or none. Repeating
    the decision a line already has changes nothing (a retried request); a line decided otherwise
    is not the member's to change in the app (409 approval_already_decided: they call the shop).
    """
    now = now or clock.now()
    order = services.lock_work_order(work_order_id=work_order_id)
    if order.member_id != member_id:
        raise NotFound("work_order_not_found", "No such work order.")
    services.load_lines_and_payments(order)
    _ensure_decidable(order)
    for item in decisions:
        line = _line(order, item["line_id"])
        if line.approval == item["decision"]:
            continue
        if line.approval != "pending":
            raise Conflict(
                "approval_already_decided",
                "This extra work was decided already; call the shop to change it.",
                details={"line_id": line.id, "approval": line.approval},
            )
        _record(line, item["decision"], via="mini_program", member_id=member_id, now=now)
    pricing.price(order)
    db.session.flush()
    return order


def decide_by_phone(*, actor, work_order_id, line_id, decision, note, now=None):
    """Staff of the order's store record what the member decided on the phone, with a note. Staff
    may also record a changed mind on a line decided earlier (the last decision counts)."""
    now = now or clock.now()
    order = services.lock_work_order(work_order_id=work_order_id, actor=actor)
    services.load_lines_and_payments(order)
    _ensure_decidable(order)
    line = _line(order, line_id)
    _record(line, decision, via="phone", staff_id=actor.id if actor.kind == "staff" else None, note=note, now=now)
    pricing.price(order)
    db.session.flush()
    return order
