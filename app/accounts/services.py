"""Accounts (挂账): the company, fleet and insurer accounts themselves — reading, the owner's audited
changes, the cars and members on them, suspension.

Every change of an account's money runs under its row lock (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite transactions are serialised by BEGIN IMMEDIATE), so two settles racing against one credit
limit are checked one after the other and never exceed it. Services flush; the caller commits.

The money is in the neighbouring modules: charging.py (who may charge, charging a settled order,
taking a charge back), repayments.py (repayments and their allocation to receivables) and
statements.py (statements, ageing, the overdue suspension).
"""

from sqlalchemy import func, or_, select

from app.accounts.models import (
    Account,
    AccountMember,
    AccountReceivable,
    AccountVehicle,
)
from app.audit.services import record_change, snapshot
from app.common import clock
from app.common.errors import Conflict, NotFound
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.services import mask_phone

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


# -- reading -------------------------------------------------------------------------------------


def load_account(account_id, lock=False) -> Account:
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
    return account_dict(load_account(account_id))


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
    account = load_account(account_id, lock=True)
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
    account = load_account(account_id, lock=True)
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
