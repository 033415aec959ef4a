"""Manual discounts (手工折扣 / 改价) on a line or on the whole order, within the role's limit.

The owner sets each counter role's limit (``DiscountLimit``): a discount is within it when it takes
off at most ``max_percent`` of what it applies to AND at most ``max_fen`` — the stricter of the two.
A discount beyond a cashier's or an advisor's limit is refused with 403
``discount_needs_owner_approval`` (details: the limit and what was asked); the owner, who has no
limit, gives it from their own login — that is the approval, and the discount then carries the
owner's name. Every discount carries who gave it and why, shows on the quote and the receipt, and is
written to the audit log; removing one is audited too.
"""

from app.audit.services import record_change
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.extensions import db
from app.workorders import pricing
from app.workorders.models import SETTLEABLE, DiscountLimit, WorkOrder
from app.workorders.services import lock_work_order

# The roles that may discount at all.
LIMITED_ROLES = ("cashier", "advisor")
# A role's limit until the owner sets one: 10 % and 50 yuan.
DEFAULT_LIMIT = {"max_percent": 10, "max_fen": 5000}


def limit_of(role):
    """{"max_percent", "max_fen"} of ``role``: the owner's setting, else the default."""
    row = db.session.get(DiscountLimit, role)
    return {"max_percent": row.max_percent, "max_fen": row.max_fen} if row is not None else dict(DEFAULT_LIMIT)


def _editable(actor, work_order_id):
    order = lock_work_order(work_order_id=work_order_id, actor=actor)
    if order.status not in SETTLEABLE:
        raise Conflict(
            "work_order_not_editable", f"A {order.status} work order cannot change.", details={"status": order.status}
        )
    return order


def _check_limit(actor, *, base_fen, discount_fen, percent=None):
    """A percent discount is measured by the percent asked (rounding the price down in the
    customer's favour may take a fen more); an amount or a new price by what it takes off."""
    if actor is None or actor.is_owner or discount_fen <= 0:
        return
    if actor.role not in LIMITED_ROLES:
        raise Forbidden("forbidden", "Your role cannot discount.")
    limit = limit_of(actor.role)
    max_percent, max_fen = limit["max_percent"], limit["max_fen"]
    over_percent = percent > max_percent if percent is not None else discount_fen * 100 > max_percent * base_fen
    if discount_fen > max_fen or over_percent:
        raise Forbidden(
            "discount_needs_owner_approval",
            "This discount is above your limit: the owner gives it.",
            details={
                "max_percent": max_percent,
                "max_fen": max_fen,
                "discount_fen": discount_fen,
                "base_fen": base_fen,
            },
        )


def _staff_id(actor):
    return actor.id if actor is not None and actor.kind == "staff" else None


def _line(order, line_id):
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("work_order_line_not_found", "No such line on this work order.")
    return line


def _write_discount(actor, order, target, *, kind, value, reason, snapshot, now):
    """Set (or, with ``kind`` None, take off) the manual discount of ``target`` — a line or the
    order itself — reprice the order, and write the change to the audit log."""
    before = snapshot(target)
    target.manual_discount_kind, target.manual_discount_value = kind, value
    target.manual_discount_reason = reason
    target.manual_discount_by_staff_id = _staff_id(actor) if kind is not None else None
    pricing.price(order)
    db.session.flush()
    record_change(
        actor=actor, kind="manual_discount", entity_type="work_order" if target is order else "work_order_line",
        entity_id=target.id, before=before, after=snapshot(target), reason=reason, store_id=order.store_id, now=now,
    )  # fmt: skip
    return order


def _line_snapshot(line):
    return {"kind": line.manual_discount_kind, "value": line.manual_discount_value, "unit_net_fen": line.unit_net_fen}


def set_line_discount(*, actor, work_order_id, line_id, kind, value, reason, now=None) -> WorkOrder:
    """Discount one line per unit: ``percent`` (1–100) off its tier price, or ``unit_price`` (at
    most its list price: 422 ``unit_price_above_list``) as its new unit price; replaces any earlier
    manual discount on the line. Within the actor's limit (see the module docstring)."""
    order = _editable(actor, work_order_id)
    line = _line(order, line_id)
    if kind == "unit_price" and value > line.unit_price_fen:
        raise Unprocessable(
            "unit_price_above_list",
            "A manual price cannot be above the list price.",
            details={"unit_price_fen": line.unit_price_fen},
        )
    labor_percent, parts_percent = pricing.discount_percents(order.member_id)
    tier_unit = pricing.tier_unit_fen(line, labor_percent, parts_percent)
    new_unit = pricing.manual_unit_fen(tier_unit, kind, value)
    _check_limit(
        actor,
        base_fen=tier_unit * line.quantity,
        discount_fen=(tier_unit - new_unit) * line.quantity,
        percent=value if kind == "percent" else None,
    )
    return _write_discount(actor, order, line, kind=kind, value=value, reason=reason, snapshot=_line_snapshot, now=now)


def clear_line_discount(*, actor, work_order_id, line_id, now=None) -> WorkOrder:
    """Take a line's manual discount off (audited); a line without one is left as it is."""
    order = _editable(actor, work_order_id)
    line = _line(order, line_id)
    if line.manual_discount_kind is None:
        return order
    return _write_discount(actor, order, line, kind=None, value=None, reason=None, snapshot=_line_snapshot, now=now)


def _order_snapshot(order):
    return {
        "kind": order.manual_discount_kind,
        "value": order.manual_discount_value,
        "discount_fen": order.manual_discount_fen,
        "total_fen": order.total_fen,
    }


def set_order_discount(*, actor, work_order_id, kind, value, reason, now=None) -> WorkOrder:
    """Discount the whole order: ``amount`` fen off (at most what the lines come to) or ``percent``
    (1–100) off the lines' total; replaces any earlier order discount. Within the actor's limit."""
    order = _editable(actor, work_order_id)
    lines_total = sum(line.line_total_fen for line in order.billable_lines)
    _check_limit(
        actor,
        base_fen=lines_total,
        discount_fen=pricing.order_discount_fen(lines_total, kind, value),
        percent=value if kind == "percent" else None,
    )
    return _write_discount(
        actor, order, order, kind=kind, value=value, reason=reason, snapshot=_order_snapshot, now=now
    )


def clear_order_discount(*, actor, work_order_id, now=None) -> WorkOrder:
    """Take the order's manual discount off (audited)."""
    order = _editable(actor, work_order_id)
    if order.manual_discount_kind is None:
        return order
    return _write_discount(actor, order, order, kind=None, value=None, reason=None, snapshot=_order_snapshot, now=now)


def list_limits():
    """Each limited role's limit (the default until the owner sets one)."""
    return {"items": [{"role": role, **limit_of(role)} for role in LIMITED_ROLES]}


def set_limit(*, actor, role, max_percent, max_fen, now=None):
    """The owner sets how far a counter role may discount without them (audited)."""
    before = limit_of(role)
    limit = db.session.get(DiscountLimit, role)
    if limit is None:
        limit = DiscountLimit(role=role, max_percent=max_percent, max_fen=max_fen)
        db.session.add(limit)
    limit.max_percent, limit.max_fen = max_percent, max_fen
    db.session.flush()
    record_change(
        actor=actor, kind="discount_limit", entity_type=f"{role}_discount_limit", entity_id=None,
        before=before, after={"max_percent": max_percent, "max_fen": max_fen}, now=now,
    )  # fmt: skip
    return {"role": role, "max_percent": max_percent, "max_fen": max_fen}
