"""Commission rules, and the ledger written at settle and reversed at refund.

The rule for a line is the most specific active one: its service item's or part's own rule, else
its category's. ``percent`` pays that share of what the line was paid (its price after every
discount, a manual order discount shared over the lines by their totals; whichever tender paid it:
the work was done all the same), rounded down to the fen; ``fixed`` pays
``fixed_fen`` per unit. The line's commission is split between the people who worked it by their
shares, by largest remainder, so the parts add up to the whole exactly.
"""

from sqlalchemy import case, func, or_, select

from app.audit.services import record_change
from app.commissions.models import CommissionEntry, CommissionRule
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.stores.models import Staff

_RULE_FIELDS = ("service_item_id", "part_id", "category", "method", "percent", "fixed_fen", "is_active")


def _snapshot(rule):
    return {name: getattr(rule, name) for name in _RULE_FIELDS}


def _check_rule(rule):
    targets = [rule.service_item_id, rule.part_id, rule.category]
    if sum(target is not None for target in targets) != 1:
        raise Unprocessable("commission_rule_target", "Name exactly one of service_item_id, part_id or category.")
    if rule.method == "percent" and rule.fixed_fen:
        raise Unprocessable("commission_rule_method", "A percent rule has no fixed amount.")
    if rule.method == "fixed" and rule.percent:
        raise Unprocessable("commission_rule_method", "A fixed rule has no percent.")


def _check_target_free(rule):
    """409 when another rule names the same target (the unique constraints are the net under this)."""
    if rule.service_item_id is not None:
        same = CommissionRule.service_item_id == rule.service_item_id
    elif rule.part_id is not None:
        same = CommissionRule.part_id == rule.part_id
    else:
        same = CommissionRule.category == rule.category
    existing = db.session.scalar(select(CommissionRule.id).where(same))
    if existing is not None:
        raise Conflict("commission_rule_exists", "A rule for this target exists: change it.", details={"id": existing})


def list_rules():
    return {"items": db.session.scalars(select(CommissionRule).order_by(CommissionRule.id)).all()}


def get_rule(*, rule_id) -> CommissionRule:
    rule = db.session.get(CommissionRule, rule_id)
    if rule is None:
        raise NotFound("commission_rule_not_found", "No such commission rule.")
    return rule


def create_rule(*, actor, data, now=None) -> CommissionRule:
    """A rule for one target (409 ``commission_rule_exists`` if it has one). Audited."""
    rule = CommissionRule(**data, created_at=now or clock.now())
    _check_rule(rule)
    _check_target_free(rule)
    db.session.add(rule)
    db.session.flush()
    record_change(
        actor=actor, kind="commission_rule", entity_type="commission_rule", entity_id=rule.id,
        before=None, after=_snapshot(rule), now=now,
    )  # fmt: skip
    return rule


def update_rule(*, actor, rule_id, changes, now=None) -> CommissionRule:
    """Change a rule's method, rate or activity (its target stays). Audited."""
    rule = get_rule(rule_id=rule_id)
    before = _snapshot(rule)
    for name, value in changes.items():
        setattr(rule, name, value)
    if changes.get("method") == "percent" and "fixed_fen" not in changes:
        rule.fixed_fen = 0
    if changes.get("method") == "fixed" and "percent" not in changes:
        rule.percent = 0
    _check_rule(rule)
    db.session.flush()
    record_change(
        actor=actor, kind="commission_rule", entity_type="commission_rule", entity_id=rule.id,
        before=before, after=_snapshot(rule), now=now,
    )  # fmt: skip
    return rule


def _rules_for(lines):
    item_ids = {line.service_item_id for line in lines if line.service_item_id}
    part_ids = {line.part_id for line in lines if line.part_id}
    categories = {line.category for line in lines}
    rules = db.session.scalars(
        select(CommissionRule).where(
            CommissionRule.is_active,
            or_(
                CommissionRule.service_item_id.in_(item_ids),
                CommissionRule.part_id.in_(part_ids),
                CommissionRule.category.in_(categories),
            ),
        )
    ).all()
    return {_target(rule): rule for rule in rules}


def _target(rule):
    if rule.service_item_id is not None:
        return ("item", rule.service_item_id)
    if rule.part_id is not None:
        return ("part", rule.part_id)
    return ("category", rule.category)


def rule_for(line, rules):
    """The rule that pays ``line``: its item's or part's own, else its category's (or None)."""
    own = ("item", line.service_item_id) if line.service_item_id else ("part", line.part_id)
    return rules.get(own) or rules.get(("category", line.category))


def line_commission_fen(line, rule, basis_fen):
    """What working ``line`` pays under ``rule``, in fen (``basis_fen``: what the line was paid)."""
    if rule.method == "percent":
        return basis_fen * rule.percent // 100
    return rule.fixed_fen * line.quantity


def allocate(amount_fen, weights):
    """``amount_fen`` split in proportion to ``weights`` into whole fen that add up to it exactly:
    each gets the floor, the largest remainders one fen more (ties: the first)."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    exact = [amount_fen * weight for weight in weights]
    parts = [value // total for value in exact]
    short = amount_fen - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-(exact[i] % total), i))[:short]:
        parts[index] += 1
    return parts


def split_by_shares(amount_fen, shares):
    """``amount_fen`` split by percent ``shares`` (adding up to 100), to the fen exactly."""
    return allocate(amount_fen, shares)


def write_for_settled_order(*, work_order_id, store_id, lines, now, order_discount_fen=0):
    """Write the commission of every worked line of a settling order (one ``earned`` entry per
    person and line with a non-zero amount). ``lines`` are the order's billable lines; a manual
    discount on the whole order is shared over them in proportion to their totals, so a line's
    basis is what it was actually paid. Returns the entries."""
    worked = [line for line in lines if line.technicians]
    if not worked:
        return []
    shares_of_discount = allocate(order_discount_fen, [line.line_total_fen for line in lines])
    basis = {line.id: line.line_total_fen - cut for line, cut in zip(lines, shares_of_discount, strict=True)}
    rules = _rules_for(worked)
    entries = []
    for line in worked:
        rule = rule_for(line, rules)
        if rule is None:
            continue
        amount = line_commission_fen(line, rule, basis[line.id])
        shares = [tech.share_percent for tech in line.technicians]
        for tech, part in zip(line.technicians, split_by_shares(amount, shares), strict=True):
            if part:
                entries.append(
                    CommissionEntry(
                        staff_id=tech.staff_id, store_id=store_id, work_order_id=work_order_id, line_id=line.id,
                        rule_id=rule.id, kind="earned", basis_fen=basis[line.id],
                        share_percent=tech.share_percent, amount_fen=part, created_at=now,
                    )
                )  # fmt: skip
    db.session.add_all(entries)
    db.session.flush()
    return entries


def reverse_for_refunded_order(*, work_order_id, now):
    """Reverse every commission an order earned, exactly (one ``reversed`` entry per earned one)."""
    earned = db.session.scalars(
        select(CommissionEntry).where(CommissionEntry.work_order_id == work_order_id, CommissionEntry.kind == "earned")
    ).all()
    reversals = [
        CommissionEntry(
            staff_id=entry.staff_id, store_id=entry.store_id, work_order_id=work_order_id, line_id=entry.line_id,
            rule_id=entry.rule_id, kind="reversed", basis_fen=entry.basis_fen, share_percent=entry.share_percent,
            amount_fen=-entry.amount_fen, created_at=now,
        )
        for entry in earned
    ]  # fmt: skip
    db.session.add_all(reversals)
    db.session.flush()
    return reversals


def _period_filter(*, start, end, staff_id=None, store_id=None):
    """The conditions of a report: the period, and one person and/or one store when given."""
    conditions = [CommissionEntry.created_at >= start, CommissionEntry.created_at < end]
    if staff_id is not None:
        conditions.append(CommissionEntry.staff_id == staff_id)
    if store_id is not None:
        conditions.append(CommissionEntry.store_id == store_id)
    return conditions


def commission_report(*, start, end, staff_id=None, store_id=None, page=1, per_page=50):
    """Entries of the period (newest first, paginated) and each person's totals over the whole period."""
    conditions = _period_filter(start=start, end=end, staff_id=staff_id, store_id=store_id)
    result = paginate(select(CommissionEntry).where(*conditions).order_by(CommissionEntry.id.desc()), page, per_page)
    result["totals"] = _staff_totals(conditions)
    return result


def _staff_totals(conditions):
    """Per person: earned, reversed and net commission of the entries ``conditions`` select."""
    earned = func.sum(case((CommissionEntry.kind == "earned", CommissionEntry.amount_fen), else_=0))
    reversed_ = func.sum(case((CommissionEntry.kind == "reversed", CommissionEntry.amount_fen), else_=0))
    stmt = (
        select(CommissionEntry.staff_id, Staff.username, earned, reversed_, func.sum(CommissionEntry.amount_fen))
        .join(Staff, Staff.id == CommissionEntry.staff_id)
        .where(*conditions)
        .group_by(CommissionEntry.staff_id, Staff.username)
        .order_by(CommissionEntry.staff_id)
    )
    return [
        {"staff_id": row[0], "username": row[1], "earned_fen": row[2], "reversed_fen": row[3], "net_fen": row[4]}
        for row in db.session.execute(stmt)
    ]


def all_entries(*, start, end, staff_id=None, store_id=None):
    """Every entry of the period, oldest first (the CSV export)."""
    conditions = _period_filter(start=start, end=end, staff_id=staff_id, store_id=store_id)
    return db.session.scalars(select(CommissionEntry).where(*conditions).order_by(CommissionEntry.id)).all()
