"""Charging a settled order to an account (挂账) and taking charges back.

``charge`` (called by the settle in the same transaction): the account must be active, the order's
car or member must be on the account, and balance + charge ≤ credit limit. Above the limit the
charge is refused (``credit_limit_exceeded``) unless the tender carries ``over_limit_approved``,
which only the owner's token may send (the approval is audited). The charge creates a receivable due
``payment_terms_days`` after the merchant-local day of the settle; credit the account holds (an
overpayment, or what a refund gave back) is applied to it at once, oldest receivable first.
``reverse_reference`` takes back what a work order put on its account (a refund). All under the
account's row lock (see services.py); the entries stay append-only.
"""

from datetime import timedelta

from sqlalchemy import func, or_, select

from app.accounts.models import (
    AccountAllocation,
    AccountEntry,
    AccountMember,
    AccountReceivable,
    AccountVehicle,
)
from app.accounts.services import load_account
from app.audit.services import record_change
from app.common import clock
from app.common.errors import Conflict, Forbidden, Unprocessable
from app.extensions import db
from app.merchant.services import merchant_timezone


def check_charge(*, account_id, vehicle_id, member_id, amount_fen, over_limit_approved=False, lock=False):
    """The account a charge of ``amount_fen`` may go to, or the refusal: suspended, car and member not
    on the account, or over the credit limit without the owner's approval."""
    account = load_account(account_id, lock=lock)
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


def add_entry(account, kind, amount_fen, now, receivable_id=None, repayment_id=None):
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


def allocate(account, receivable, amount_fen, now, repayment_id=None, chosen=False):
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


def open_receivables(account_id):
    return db.session.scalars(
        select(AccountReceivable)
        .where(AccountReceivable.account_id == account_id, AccountReceivable.open_fen > 0)
        .order_by(AccountReceivable.charged_at, AccountReceivable.id)
    ).all()


def apply_credit(account, now, repayment_id=None, up_to=None):
    """Apply the account's credit to its open receivables, oldest first; the rest stays credit."""
    budget = account.credit_fen if up_to is None else min(up_to, account.credit_fen)
    for receivable in open_receivables(account.id):
        if budget <= 0:
            break
        amount = min(budget, receivable.open_fen)
        allocate(account, receivable, amount, now, repayment_id=repayment_id)
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
    add_entry(account, "charge", amount_fen, now, receivable_id=receivable.id)
    apply_credit(account, now)
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
    account = load_account(account_id, lock=True)
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
    add_entry(account, "refund", -receivable.amount_fen, now, receivable_id=receivable.id)
    db.session.flush()
    apply_credit(account, now)
    return receivable
