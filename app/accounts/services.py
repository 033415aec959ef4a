"""Accounts (挂账): who may charge, charging a settled order, repayments, refunds, statements, ageing.

Every change of an account's money runs under its row lock (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite transactions are serialised by BEGIN IMMEDIATE), so two settles racing against one credit
limit are checked one after the other and never exceed it. Services flush; the caller commits.

Charging (``charge``, called by the settle in the same transaction): the account must be active, the
order's car or member must be on the account, and balance + charge ≤ credit limit. Above the limit
the charge is refused (``credit_limit_exceeded``) unless the tender carries ``over_limit_approved``,
which only the owner's token may send (the approval is audited). The charge creates a receivable due
``payment_terms_days`` after the merchant-local day of the settle; credit the account holds (an
overpayment, or what a refund gave back) is applied to it at once, oldest receivable first.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from app.accounts.models import (
    Account,
    AccountAllocation,
    AccountEntry,
    AccountMember,
    AccountReceivable,
    AccountRepayment,
    AccountVehicle,
)
from app.audit.services import record_change, snapshot
from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.services import mask_phone
from app.merchant.services import merchant_timezone

AUDITED_FIELDS = (
    "name",
    "kind",
    "contact_name",
    "contact_phone",
    "tax_number",
    "credit_limit_fen",
    "payment_terms_days",
    "suspend_after_overdue_days",
    "status",
    "note",
    "vehicle_ids",
    "member_ids",
)
PLAIN_FIELDS = (
    "name",
    "kind",
    "contact_name",
    "contact_phone",
    "tax_number",
    "credit_limit_fen",
    "payment_terms_days",
    "suspend_after_overdue_days",
    "note",
)
BUCKETS = ("not_due_fen", "days_0_30_fen", "days_31_60_fen", "days_61_90_fen", "days_over_90_fen")


# -- reading -------------------------------------------------------------------------------------


def _get(account_id, lock=False) -> Account:
    statement = select(Account).where(Account.id == account_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    account = db.session.scalar(statement)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    return account


def _vehicle_ids(account_id):
    return sorted(
        db.session.scalars(select(AccountVehicle.vehicle_id).where(AccountVehicle.account_id == account_id)).all()
    )


def _member_ids(account_id):
    return sorted(
        db.session.scalars(select(AccountMember.member_id).where(AccountMember.account_id == account_id)).all()
    )


def _open_fen(account_id):
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(AccountReceivable.open_fen), 0)).where(
                AccountReceivable.account_id == account_id
            )
        )
    )


def account_dict(account):
    vehicle_ids, member_ids = _vehicle_ids(account.id), _member_ids(account.id)
    vehicles = (
        db.session.execute(select(Vehicle.id, Vehicle.plate, Vehicle.model).where(Vehicle.id.in_(vehicle_ids))).all()
        if vehicle_ids
        else []
    )
    members = (
        db.session.execute(select(Member.id, Member.nickname, Member.phone).where(Member.id.in_(member_ids))).all()
        if member_ids
        else []
    )
    return {
        **{name: getattr(account, name) for name in PLAIN_FIELDS},
        "id": account.id,
        "status": account.status,
        "suspended_by": account.suspended_by,
        "suspended_at": account.suspended_at,
        "balance_fen": account.balance_fen,
        "credit_fen": account.credit_fen,
        "open_fen": _open_fen(account.id),
        "available_fen": account.credit_limit_fen - account.balance_fen,
        "vehicles": [{"id": v.id, "plate": v.plate, "model": v.model} for v in sorted(vehicles)],
        "members": [{"id": m.id, "nickname": m.nickname, "phone": mask_phone(m.phone)} for m in sorted(members)],
        "created_at": account.created_at,
    }


def get_account(account_id):
    return account_dict(_get(account_id))


def list_accounts(*, page, per_page, status=None, kind=None, q=None, vehicle_id=None, member_id=None):
    """Accounts by name; with ``vehicle_id``/``member_id``, those the car or the member may charge to."""
    statement = select(Account)
    if status:
        statement = statement.where(Account.status == status)
    if kind:
        statement = statement.where(Account.kind == kind)
    if q:
        statement = statement.where(Account.name.contains(q.strip(), autoescape=True))
    allowed = []
    if vehicle_id is not None:
        allowed.append(Account.id.in_(select(AccountVehicle.account_id).where(AccountVehicle.vehicle_id == vehicle_id)))
    if member_id is not None:
        allowed.append(Account.id.in_(select(AccountMember.account_id).where(AccountMember.member_id == member_id)))
    if allowed:
        statement = statement.where(or_(*allowed))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    accounts = db.session.scalars(
        statement.order_by(Account.name, Account.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return {"items": [account_dict(a) for a in accounts], "total": total, "page": page, "per_page": per_page}


# -- managing (owner, audited) ---------------------------------------------------------------------


def _audit_snapshot(account):
    return {
        **snapshot(account, [n for n in AUDITED_FIELDS if n not in ("vehicle_ids", "member_ids")]),
        "vehicle_ids": _vehicle_ids(account.id),
        "member_ids": _member_ids(account.id),
    }


def _check_name(name, account_id=None):
    taken = db.session.scalar(select(Account.id).where(Account.name == name, Account.id != (account_id or 0)))
    if taken is not None:
        raise Conflict("account_name_taken", "Another account has this name.", details={"account_id": taken})


def _set_links(account, vehicle_ids, member_ids):
    if vehicle_ids is not None:
        vehicle_ids = sorted(set(vehicle_ids))
        found = set(db.session.scalars(select(Vehicle.id).where(Vehicle.id.in_(vehicle_ids))).all())
        if missing := [v for v in vehicle_ids if v not in found]:
            raise NotFound("vehicle_not_found", "No such vehicle.", details={"vehicle_ids": missing})
        db.session.execute(AccountVehicle.__table__.delete().where(AccountVehicle.account_id == account.id))
        db.session.add_all(AccountVehicle(account_id=account.id, vehicle_id=v) for v in vehicle_ids)
    if member_ids is not None:
        member_ids = sorted(set(member_ids))
        found = set(db.session.scalars(select(Member.id).where(Member.id.in_(member_ids))).all())
        if missing := [m for m in member_ids if m not in found]:
            raise NotFound("member_not_found", "No such member.", details={"member_ids": missing})
        db.session.execute(AccountMember.__table__.delete().where(AccountMember.account_id == account.id))
        db.session.add_all(AccountMember(account_id=account.id, member_id=m) for m in member_ids)
    db.session.flush()


def create_account(*, actor, data, now=None):
    now = now or clock.now()
    data = dict(data)
    vehicle_ids, member_ids = data.pop("vehicle_ids", []), data.pop("member_ids", [])
    _check_name(data["name"])
    account = Account(**data, status="active", created_at=now, updated_at=now)
    db.session.add(account)
    db.session.flush()
    _set_links(account, vehicle_ids, member_ids)
    record_change(
        actor=actor,
        kind="account",
        entity_type="account",
        entity_id=account.id,
        before=None,
        after=_audit_snapshot(account),
        now=now,
    )
    return account_dict(account)


def update_account(*, actor, account_id, changes, reason=None, now=None):
    """Change an account's details, limit, terms or allowed cars and members (audited)."""
    now = now or clock.now()
    account = _get(account_id, lock=True)
    before = _audit_snapshot(account)
    changes = dict(changes)
    vehicle_ids, member_ids = changes.pop("vehicle_ids", None), changes.pop("member_ids", None)
    if "name" in changes:
        _check_name(changes["name"], account.id)
    for name, value in changes.items():
        setattr(account, name, value)
    db.session.flush()
    _set_links(account, vehicle_ids, member_ids)
    record_change(
        actor=actor,
        kind="account",
        entity_type="account",
        entity_id=account.id,
        before=before,
        after=_audit_snapshot(account),
        reason=reason,
        now=now,
    )
    return account_dict(account)


def set_status(*, actor, account_id, status, reason=None, suspended_by="owner", now=None):
    """Suspend (no new charges) or reactivate an account (audited); the same status again changes nothing."""
    now = now or clock.now()
    account = _get(account_id, lock=True)
    if account.status != status:
        before = snapshot(account, ("status", "suspended_by"))
        account.status = status
        account.suspended_by = suspended_by if status == "suspended" else None
        account.suspended_at = now if status == "suspended" else None
        db.session.flush()
        record_change(
            actor=actor,
            kind="account",
            entity_type="account",
            entity_id=account.id,
            before=before,
            after=snapshot(account, ("status", "suspended_by")),
            reason=reason,
            now=now,
        )
    return account_dict(account)


# -- charging ----------------------------------------------------------------------------------------


def check_charge(*, account_id, vehicle_id, member_id, amount_fen, over_limit_approved=False, lock=False):
    """The account a charge of ``amount_fen`` may go to, or the refusal: suspended, car and member not
    on the account, or over the credit limit without the owner's approval."""
    account = _get(account_id, lock=lock)
    if account.status != "active":
        raise Conflict(
            "account_suspended",
            "This account is suspended: nothing more can be charged to it.",
            details={"account_id": account.id, "suspended_by": account.suspended_by},
        )
    allowed = db.session.scalar(
        select(func.count()).where(
            or_(
                select(AccountVehicle.vehicle_id)
                .where(AccountVehicle.account_id == account.id, AccountVehicle.vehicle_id == vehicle_id)
                .exists(),
                select(AccountMember.member_id)
                .where(AccountMember.account_id == account.id, AccountMember.member_id == (member_id or 0))
                .exists(),
            )
        )
    )
    if not allowed:
        raise Unprocessable(
            "account_not_allowed",
            "Neither this car nor this member may charge to this account.",
            details={"account_id": account.id, "vehicle_id": vehicle_id, "member_id": member_id},
        )
    if account.balance_fen + amount_fen > account.credit_limit_fen and not over_limit_approved:
        raise Conflict(
            "credit_limit_exceeded",
            "This charge would take the account over its credit limit; the owner may approve it.",
            details={
                "account_id": account.id,
                "credit_limit_fen": account.credit_limit_fen,
                "balance_fen": account.balance_fen,
                "amount_fen": amount_fen,
                "available_fen": account.credit_limit_fen - account.balance_fen,
            },
        )
    return account


def require_owner_for_approval(actor):
    if actor is None or not actor.is_owner:
        raise Forbidden(
            "over_limit_owner_only",
            "Only the owner may approve a charge over an account's credit limit.",
        )


def _entry(account, kind, amount_fen, now, receivable_id=None, repayment_id=None):
    account.balance_fen += amount_fen
    db.session.add(
        AccountEntry(
            account_id=account.id,
            kind=kind,
            amount_fen=amount_fen,
            balance_after_fen=account.balance_fen,
            receivable_id=receivable_id,
            repayment_id=repayment_id,
            created_at=now,
        )
    )


def _allocate(account, receivable, amount_fen, now, repayment_id=None, chosen=False):
    receivable.open_fen -= amount_fen
    account.credit_fen -= amount_fen
    db.session.add(
        AccountAllocation(
            account_id=account.id,
            receivable_id=receivable.id,
            repayment_id=repayment_id,
            amount_fen=amount_fen,
            chosen=chosen,
            created_at=now,
        )
    )


def _open_receivables(account_id):
    return db.session.scalars(
        select(AccountReceivable)
        .where(AccountReceivable.account_id == account_id, AccountReceivable.open_fen > 0)
        .order_by(AccountReceivable.charged_at, AccountReceivable.id)
    ).all()


def _apply_credit(account, now, repayment_id=None, up_to=None):
    """Apply the account's credit to its open receivables, oldest first; the rest stays credit."""
    budget = account.credit_fen if up_to is None else min(up_to, account.credit_fen)
    for receivable in _open_receivables(account.id):
        if budget <= 0:
            break
        amount = min(budget, receivable.open_fen)
        _allocate(account, receivable, amount, now, repayment_id=repayment_id)
        budget -= amount
    db.session.flush()


def charge(*, actor, order, account_id, amount_fen, over_limit_approved=False, now=None):
    """Charge ``amount_fen`` of a settling order to the account (the settle's transaction): a receivable."""
    now = now or clock.now()
    account = check_charge(
        account_id=account_id,
        vehicle_id=order.vehicle_id,
        member_id=order.member_id,
        amount_fen=amount_fen,
        over_limit_approved=over_limit_approved,
        lock=True,
    )
    over_limit = account.balance_fen + amount_fen > account.credit_limit_fen
    approver = actor.id if over_limit and actor is not None and actor.kind == "staff" else None
    day = clock.local_today(merchant_timezone(), now)
    receivable = AccountReceivable(
        account_id=account.id,
        work_order_id=order.id,
        vehicle_id=order.vehicle_id,
        plate=order.plate,
        member_id=order.member_id,
        amount_fen=amount_fen,
        open_fen=amount_fen,
        charged_at=now,
        due_on=day + timedelta(days=account.payment_terms_days),
        over_limit_approved_by=approver,
    )
    db.session.add(receivable)
    db.session.flush()
    if over_limit:
        record_change(
            actor=actor,
            kind="account_over_limit",
            entity_type="account_receivable",
            entity_id=receivable.id,
            before={"balance_fen": account.balance_fen, "credit_limit_fen": account.credit_limit_fen},
            after={"balance_fen": account.balance_fen + amount_fen, "work_order_id": order.id},
            now=now,
        )
    _entry(account, "charge", amount_fen, now, receivable_id=receivable.id)
    _apply_credit(account, now)
    return receivable


def reverse_reference(*, ref_type, ref_id, now=None):
    """A refunded order's charge: its open part is cancelled and what was already paid on it becomes
    the account's credit (applied at once to the account's other open receivables, oldest first)."""
    if ref_type != "work_order":
        return None
    now = now or clock.now()
    account_id = db.session.scalar(
        select(AccountReceivable.account_id).where(
            AccountReceivable.work_order_id == ref_id, AccountReceivable.refunded_at.is_(None)
        )
    )
    if account_id is None:
        return None
    account = _get(account_id, lock=True)
    receivable = db.session.scalar(
        select(AccountReceivable)
        .where(AccountReceivable.work_order_id == ref_id)
        .execution_options(populate_existing=True)
    )
    if receivable.refunded_at is not None:
        return receivable
    paid = receivable.amount_fen - receivable.open_fen
    receivable.cancelled_fen, receivable.open_fen, receivable.refunded_at = receivable.open_fen, 0, now
    account.credit_fen += paid
    _entry(account, "refund", -receivable.amount_fen, now, receivable_id=receivable.id)
    db.session.flush()
    _apply_credit(account, now)
    return receivable


# -- repayments ----------------------------------------------------------------------------------------


def record_repayment(*, actor, account_id, amount_fen, paid_via, reference=None, note=None, allocations=None, now=None):
    """Record money the account paid (回款) and allocate it: to the receivables chosen (each at most
    its open amount; together at most the repayment), or else to the oldest open ones. What is left
    stays as the account's credit."""
    now = now or clock.now()
    account = _get(account_id, lock=True)
    repayment = AccountRepayment(
        account_id=account.id,
        amount_fen=amount_fen,
        paid_via=paid_via,
        reference=reference,
        note=note,
        received_at=now,
        created_by_staff_id=actor.id if actor is not None and actor.kind == "staff" else None,
    )
    db.session.add(repayment)
    db.session.flush()
    _entry(account, "repayment", -amount_fen, now, repayment_id=repayment.id)
    account.credit_fen += amount_fen
    if allocations:
        if sum(a["amount_fen"] for a in allocations) > amount_fen:
            raise Unprocessable(
                "allocation_exceeds_repayment",
                "The allocations add up to more than the repayment.",
                details={"amount_fen": amount_fen, "allocated_fen": sum(a["amount_fen"] for a in allocations)},
            )
        ids = [a["receivable_id"] for a in allocations]
        receivables = {
            r.id: r
            for r in db.session.scalars(
                select(AccountReceivable).where(
                    AccountReceivable.id.in_(ids), AccountReceivable.account_id == account.id
                )
            ).all()
        }
        for allocation in allocations:
            receivable = receivables.get(allocation["receivable_id"])
            if receivable is None:
                raise NotFound(
                    "receivable_not_found",
                    "No such receivable on this account.",
                    details={"receivable_id": allocation["receivable_id"]},
                )
            if allocation["amount_fen"] > receivable.open_fen:
                raise Unprocessable(
                    "allocation_exceeds_open",
                    "An allocation is larger than what is still open on its receivable.",
                    details={
                        "receivable_id": receivable.id,
                        "open_fen": receivable.open_fen,
                        "amount_fen": allocation["amount_fen"],
                    },
                )
            _allocate(account, receivable, allocation["amount_fen"], now, repayment_id=repayment.id, chosen=True)
        db.session.flush()
    else:
        _apply_credit(account, now, repayment_id=repayment.id, up_to=amount_fen)
    return repayment_dict(repayment)


def repayment_dict(repayment):
    allocations = db.session.execute(
        select(AccountAllocation.receivable_id, AccountAllocation.amount_fen, AccountReceivable.work_order_id)
        .join(AccountReceivable, AccountReceivable.id == AccountAllocation.receivable_id)
        .where(AccountAllocation.repayment_id == repayment.id)
        .order_by(AccountAllocation.id)
    ).all()
    allocated = sum(a.amount_fen for a in allocations)
    return {
        "id": repayment.id,
        "account_id": repayment.account_id,
        "amount_fen": repayment.amount_fen,
        "paid_via": repayment.paid_via,
        "reference": repayment.reference,
        "note": repayment.note,
        "received_at": repayment.received_at,
        "created_by_staff_id": repayment.created_by_staff_id,
        "allocations": [
            {"receivable_id": a.receivable_id, "work_order_id": a.work_order_id, "amount_fen": a.amount_fen}
            for a in allocations
        ],
        "unallocated_fen": repayment.amount_fen - allocated,
    }


def list_repayments(*, account_id, page, per_page):
    _get(account_id)
    statement = select(AccountRepayment).where(AccountRepayment.account_id == account_id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.order_by(AccountRepayment.received_at.desc(), AccountRepayment.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {"items": [repayment_dict(r) for r in rows], "total": total, "page": page, "per_page": per_page}


# -- receivables, statements, ageing ----------------------------------------------------------------


def _order_numbers(work_order_ids):
    from app.workorders.models import WorkOrder

    if not work_order_ids:
        return {}
    return {
        row.id: row
        for row in db.session.execute(
            select(WorkOrder.id, WorkOrder.number, WorkOrder.total_fen, WorkOrder.settled_at).where(
                WorkOrder.id.in_(work_order_ids)
            )
        ).all()
    }


def receivable_dict(receivable, orders):
    order = orders.get(receivable.work_order_id)
    return {
        "id": receivable.id,
        "account_id": receivable.account_id,
        "work_order_id": receivable.work_order_id,
        "work_order_number": order.number if order else None,
        "order_total_fen": order.total_fen if order else None,
        "vehicle_id": receivable.vehicle_id,
        "plate": receivable.plate,
        "member_id": receivable.member_id,
        "amount_fen": receivable.amount_fen,
        "open_fen": receivable.open_fen,
        "paid_fen": receivable.amount_fen - receivable.open_fen - receivable.cancelled_fen,
        "cancelled_fen": receivable.cancelled_fen,
        "charged_at": receivable.charged_at,
        "due_on": receivable.due_on,
        "refunded_at": receivable.refunded_at,
        "over_limit_approved_by": receivable.over_limit_approved_by,
        "status": "refunded" if receivable.refunded_at else ("open" if receivable.open_fen else "paid"),
    }


def list_receivables(*, account_id, page, per_page, status=None):
    _get(account_id)
    statement = select(AccountReceivable).where(AccountReceivable.account_id == account_id)
    if status == "open":
        statement = statement.where(AccountReceivable.open_fen > 0)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.order_by(AccountReceivable.charged_at, AccountReceivable.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    orders = _order_numbers([r.work_order_id for r in rows])
    return {"items": [receivable_dict(r, orders) for r in rows], "total": total, "page": page, "per_page": per_page}


def _balance_before(account_id, instant):
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(AccountEntry.amount_fen), 0)).where(
                AccountEntry.account_id == account_id, AccountEntry.created_at < instant
            )
        )
    )


def statement(*, account_id, first_day: date, last_day: date):
    """The statement (对账单) of merchant-local days ``first_day``..``last_day``: the orders charged in
    it with their cars, lines and amounts, the refunds and repayments in it, and the balances."""
    from app.workorders.models import WorkOrder, WorkOrderLine, WorkOrderPayment

    if first_day > last_day:
        raise Unprocessable("invalid_period", "`from` must not be after `to`.")
    account = _get(account_id)
    tz_name = merchant_timezone()
    start = clock.local_day_bounds(first_day, tz_name)[0]
    end = clock.local_day_bounds(last_day, tz_name)[1]
    receivables = db.session.scalars(
        select(AccountReceivable)
        .where(
            AccountReceivable.account_id == account.id,
            AccountReceivable.charged_at >= start,
            AccountReceivable.charged_at < end,
        )
        .order_by(AccountReceivable.charged_at, AccountReceivable.id)
    ).all()
    order_ids = [r.work_order_id for r in receivables]
    orders = {o.id: o for o in db.session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids))).all()}
    models = dict(
        db.session.execute(
            select(Vehicle.id, Vehicle.model).where(Vehicle.id.in_({r.vehicle_id for r in receivables}))
        ).all()
    )
    lines_by_order, tenders_by_order = {}, {}
    for line in db.session.scalars(
        select(WorkOrderLine).where(WorkOrderLine.work_order_id.in_(order_ids)).order_by(WorkOrderLine.id)
    ):
        if line.approval == "declined":
            continue
        lines_by_order.setdefault(line.work_order_id, []).append(
            {
                "name": line.name,
                "kind": line.kind,
                "quantity": line.quantity,
                "unit_net_fen": line.unit_net_fen,
                "line_total_fen": line.line_total_fen,
            }
        )
    for payment in db.session.scalars(
        select(WorkOrderPayment)
        .where(WorkOrderPayment.work_order_id.in_(order_ids), WorkOrderPayment.status == "posted")
        .order_by(WorkOrderPayment.id)
    ):
        tenders_by_order.setdefault(payment.work_order_id, []).append(
            {"type": payment.type, "amount_fen": payment.amount_fen}
        )
    charges = []
    for receivable in receivables:
        order = orders[receivable.work_order_id]
        charges.append(
            {
                "receivable_id": receivable.id,
                "work_order_id": order.id,
                "work_order_number": order.number,
                "settled_at": order.settled_at,
                "plate": receivable.plate,
                "vehicle_model": models.get(receivable.vehicle_id),
                "lines": lines_by_order.get(order.id, []),
                "order_total_fen": order.total_fen,
                "manual_discount_fen": order.manual_discount_fen,
                "tenders": tenders_by_order.get(order.id, []),
                "charged_fen": receivable.amount_fen,
                "due_on": receivable.due_on,
                "refunded_at": receivable.refunded_at,
                "open_fen": receivable.open_fen,
            }
        )
    refunds = db.session.execute(
        select(
            AccountEntry.amount_fen, AccountEntry.created_at, AccountReceivable.work_order_id, AccountReceivable.plate
        )
        .join(AccountReceivable, AccountReceivable.id == AccountEntry.receivable_id)
        .where(
            AccountEntry.account_id == account.id,
            AccountEntry.kind == "refund",
            AccountEntry.created_at >= start,
            AccountEntry.created_at < end,
        )
        .order_by(AccountEntry.id)
    ).all()
    refund_numbers = _order_numbers([r.work_order_id for r in refunds])
    repayments = db.session.scalars(
        select(AccountRepayment)
        .where(
            AccountRepayment.account_id == account.id,
            AccountRepayment.received_at >= start,
            AccountRepayment.received_at < end,
        )
        .order_by(AccountRepayment.received_at, AccountRepayment.id)
    ).all()
    opening, closing = _balance_before(account.id, start), _balance_before(account.id, end)
    charged = sum(r.amount_fen for r in receivables)
    refunded = -sum(r.amount_fen for r in refunds)
    repaid = sum(r.amount_fen for r in repayments)
    return {
        "account": {
            "id": account.id,
            "name": account.name,
            "kind": account.kind,
            "contact_name": account.contact_name,
            "contact_phone": account.contact_phone,
            "tax_number": account.tax_number,
            "payment_terms_days": account.payment_terms_days,
            "credit_limit_fen": account.credit_limit_fen,
        },
        "from": first_day,
        "to": last_day,
        "timezone": tz_name,
        "opening_balance_fen": opening,
        "charges": charges,
        "refunds": [
            {
                "work_order_id": r.work_order_id,
                "work_order_number": refund_numbers[r.work_order_id].number,
                "plate": r.plate,
                "amount_fen": -r.amount_fen,
                "refunded_at": r.created_at,
            }
            for r in refunds
        ],
        "repayments": [repayment_dict(r) for r in repayments],
        "charged_fen": charged,
        "refunded_fen": refunded,
        "repaid_fen": repaid,
        "closing_balance_fen": closing,
    }


def _bucket(days_past):
    if days_past < 0:
        return "not_due_fen"
    if days_past <= 30:
        return "days_0_30_fen"
    if days_past <= 60:
        return "days_31_60_fen"
    if days_past <= 90:
        return "days_61_90_fen"
    return "days_over_90_fen"


def open_at(as_of: datetime, account_id=None):
    """(receivable, open fen at ``as_of``) of every receivable open at that instant: charged before
    it, not refunded before it, less what was allocated to it before it."""
    conditions = [AccountReceivable.charged_at < as_of]
    if account_id is not None:
        conditions.append(AccountReceivable.account_id == account_id)
    allocated = (
        select(AccountAllocation.receivable_id, func.sum(AccountAllocation.amount_fen).label("fen"))
        .where(AccountAllocation.created_at < as_of)
        .group_by(AccountAllocation.receivable_id)
        .subquery()
    )
    rows = db.session.execute(
        select(AccountReceivable, func.coalesce(allocated.c.fen, 0))
        .outerjoin(allocated, allocated.c.receivable_id == AccountReceivable.id)
        .where(*conditions, or_(AccountReceivable.refunded_at.is_(None), AccountReceivable.refunded_at >= as_of))
        .order_by(AccountReceivable.id)
    ).all()
    return [(r, r.amount_fen - int(fen)) for r, fen in rows if r.amount_fen - int(fen) > 0]


def ageing(*, on: date | None = None, account_id=None, now=None):
    """Receivables open at the end of the merchant-local day ``on`` (default today), by days past their
    terms (``on`` − due day): not yet due, 0–30, 31–60, 61–90, over 90; per account and for the shop."""
    tz_name = merchant_timezone()
    on = on or clock.local_today(tz_name, now)
    if account_id is not None:
        _get(account_id)
    as_of = clock.local_day_bounds(on, tz_name)[1]
    per_account = {}
    for receivable, open_fen in open_at(as_of, account_id):
        figures = per_account.setdefault(receivable.account_id, dict.fromkeys(BUCKETS, 0))
        figures[_bucket((on - receivable.due_on).days)] += open_fen
    names = dict(db.session.execute(select(Account.id, Account.name).where(Account.id.in_(per_account))).all())
    accounts = []
    shop = dict.fromkeys(BUCKETS, 0)
    for key in sorted(per_account, key=lambda k: (names[k], k)):
        figures = per_account[key]
        for bucket in BUCKETS:
            shop[bucket] += figures[bucket]
        accounts.append({"account_id": key, "name": names[key], **figures, "total_fen": sum(figures.values())})
    return {"on": on, "timezone": tz_name, "accounts": accounts, "shop": {**shop, "total_fen": sum(shop.values())}}


def suspend_overdue(*, today: date, now):
    """Suspend the active accounts with a receivable open more than their ``suspend_after_overdue_days``
    past its terms (audited, by the system); a rerun changes nothing. Returns the ids suspended."""
    suspended = []
    candidates = db.session.scalars(
        select(Account)
        .where(Account.status == "active", Account.suspend_after_overdue_days.is_not(None))
        .order_by(Account.id)
    ).all()
    for account in candidates:
        oldest_due = db.session.scalar(
            select(func.min(AccountReceivable.due_on)).where(
                AccountReceivable.account_id == account.id, AccountReceivable.open_fen > 0
            )
        )
        if oldest_due is not None and (today - oldest_due).days > account.suspend_after_overdue_days:
            set_status(
                actor=None,
                account_id=account.id,
                status="suspended",
                suspended_by="overdue",
                reason=f"overdue since {oldest_due.isoformat()}",
                now=now,
            )
            suspended.append(account.id)
    return {"suspended": suspended}


def receivables_outstanding():
    """The shop's receivables still open and the credit its accounts hold (the owner's overview)."""
    open_fen = db.session.scalar(select(func.coalesce(func.sum(AccountReceivable.open_fen), 0)))
    credit_fen = db.session.scalar(select(func.coalesce(func.sum(Account.credit_fen), 0)))
    return {"receivables_fen": int(open_fen), "account_credit_fen": int(credit_fen)}
