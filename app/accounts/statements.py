"""Statements (对账单) and ageing (账龄) of accounts, and the nightly suspension of accounts whose
receivables are overdue past their limit. Read-only except ``suspend_overdue``."""

from datetime import date, datetime

from sqlalchemy import func, or_, select

from app.accounts.models import (
    Account,
    AccountAllocation,
    AccountEntry,
    AccountReceivable,
    AccountRepayment,
)
from app.accounts.repayments import order_numbers, repayment_dict
from app.accounts.services import load_account, set_status
from app.common import clock
from app.common.errors import Unprocessable
from app.extensions import db
from app.members.models import Vehicle
from app.merchant.services import merchant_timezone

BUCKETS = ("not_due_fen", "days_0_30_fen", "days_31_60_fen", "days_61_90_fen", "days_over_90_fen")


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
    account = load_account(account_id)
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
    refund_numbers = order_numbers([r.work_order_id for r in refunds])
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
        load_account(account_id)
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
