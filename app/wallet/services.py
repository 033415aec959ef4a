"""Stored value (储值): top-ups, spends, refunds and reversals on an append-only ledger.

A wallet holds principal (money the member paid in) and bonus (given by top-up plans) apart;
``balance_fen`` is their sum and always equals the sum of the member's entries. Every change
locks the wallet row first (PostgreSQL ``FOR UPDATE``; SQLite transactions already hold the
write lock) and moves it with one conditional UPDATE checked by its row count, so no balance
part ever goes below zero, also under concurrent requests. Functions flush, never commit.
"""

import logging

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import record_change
from app.common import clock
from app.common.errors import Conflict, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.services import get_member, update_member_by_staff
from app.members.tiers.services import get_tier
from app.payments.services import create_wechat_payment
from app.wallet import points as points_ledger
from app.wallet.models import PAID_VIA, TopupPlan, Wallet, WalletEntry
from app.wallet.plans import resolve_plan
from app.wallet.rows import check_amount, lock_or_create_row, lock_row, move_and_append

log = logging.getLogger(__name__)
TOPUP_PURPOSE = "topup"
PAYMENT_REF = "payment_order"


# --- the rules -------------------------------------------------------------------------------


def spend_split(amount_fen, principal_fen, bonus_fen):
    """THE spend rule: a spend takes principal and bonus in proportion to what the wallet holds.

    principal part = floor(amount × principal / balance), bonus part = the rest (so the bonus
    rounds up by at most one fen). Proportional use keeps the principal:bonus ratio of a top-up,
    so neither "spend the bonus first, refund all the principal" nor the reverse is possible.
    Requires ``0 < amount_fen <= principal_fen + bonus_fen``. Returns (principal, bonus) taken.
    """
    balance = principal_fen + bonus_fen
    principal_part = amount_fen * principal_fen // balance
    return principal_part, amount_fen - principal_part


def refund_bonus_forfeit(refund_fen, principal_fen, bonus_fen):
    """Refunding principal forfeits bonus in the same proportion: ceil(refund × bonus / principal).

    Refunding all the principal forfeits all the bonus; the bonus is never paid out in money.
    """
    return -(-refund_fen * bonus_fen // principal_fen)


# --- reading ---------------------------------------------------------------------------------


def get_wallet(*, member_id) -> Wallet:
    """The member's wallet; a member who never topped up has an empty one (stored on first use)."""
    get_member(member_id)
    wallet = db.session.get(Wallet, member_id, populate_existing=True)
    return wallet or Wallet(member_id=member_id, principal_fen=0, bonus_fen=0, balance_fen=0)


def wallet_summary(*, member_id, now=None):
    """What the member sees: balance split, points available now, and their tier."""
    member = get_member(member_id)
    wallet = get_wallet(member_id=member_id)
    return {
        "balance_fen": wallet.balance_fen,
        "principal_fen": wallet.principal_fen,
        "bonus_fen": wallet.bonus_fen,
        "points": points_ledger.live_points(member_id=member_id, now=now),
        "next_points_expiry": points_ledger.next_expiry(member_id=member_id, now=now),
        "tier": member.tier,
    }


def summary_columns(member_id, now):
    """The counter summary's stored-value balance and usable points, as expressions per member."""
    return {
        "balance_fen": func.coalesce(
            select(Wallet.balance_fen).where(Wallet.member_id == member_id).scalar_subquery(), 0
        ),
        "points": points_ledger.live_points_column(member_id, now),
    }


def list_entries(*, member_id, page=1, per_page=20):
    """The member's stored-value entries, newest first."""
    get_member(member_id)
    stmt = select(WalletEntry).where(WalletEntry.member_id == member_id).order_by(WalletEntry.id.desc())
    return paginate(stmt, page, per_page)


# --- moving value ----------------------------------------------------------------------------


def _lock_wallet(member_id, *, create=False):
    if create:
        return lock_or_create_row(
            Wallet, member_id, principal_fen=0, bonus_fen=0, balance_fen=0, updated_at=clock.now()
        )
    return lock_row(Wallet, member_id)


def _record(wallet, kind, principal_delta, bonus_delta, *, unless=None, **fields) -> WalletEntry:
    """Move the locked wallet by the deltas (one conditional UPDATE) and append the entry, in one
    statement on PostgreSQL (``rows.move_and_append``). ``unless``: a further SQL condition that
    refuses the move when true (the UPDATE then changes no row and the caller tells why)."""
    conditions = [
        Wallet.member_id == wallet.member_id,
        Wallet.principal_fen + principal_delta >= 0,
        Wallet.bonus_fen + bonus_delta >= 0,
    ]
    if unless is not None:
        conditions.append(~unless)
    stamp = clock.now()
    entry = WalletEntry(
        member_id=wallet.member_id,
        kind=kind,
        amount_fen=principal_delta + bonus_delta,
        principal_fen=principal_delta,
        bonus_fen=bonus_delta,
        **fields,
    )
    balance = move_and_append(
        update(Wallet)
        .where(*conditions)
        .values(
            principal_fen=Wallet.principal_fen + principal_delta,
            bonus_fen=Wallet.bonus_fen + bonus_delta,
            balance_fen=Wallet.balance_fen + principal_delta + bonus_delta,
            updated_at=stamp,
        )
        .returning(Wallet.balance_fen),
        entry,
        balance_after="balance_after_fen",
    )
    if balance is None:
        raise Conflict(
            "insufficient_balance",
            "The stored-value balance is not enough.",
            details={"balance_fen": wallet.balance_fen},
        )
    # The wallet row is locked and was read under the lock, so its new parts are the old ones plus
    # the deltas; the balance the database returned must agree.
    if balance != wallet.balance_fen + principal_delta + bonus_delta:
        raise RuntimeError(f"wallet of member {wallet.member_id} moved while locked")
    set_committed_value(wallet, "principal_fen", wallet.principal_fen + principal_delta)
    set_committed_value(wallet, "bonus_fen", wallet.bonus_fen + bonus_delta)
    set_committed_value(wallet, "balance_fen", balance)
    set_committed_value(wallet, "updated_at", stamp)
    return entry


def _reference_entry(ref_type, ref_id, kind):
    return exists().where(WalletEntry.ref_type == ref_type, WalletEntry.ref_id == ref_id, WalletEntry.kind == kind)


def _referenced(ref_type, ref_id, kind):
    return db.session.scalar(select(_reference_entry(ref_type, ref_id, kind)))


def _check_paid_via(paid_via):
    if paid_via not in PAID_VIA:
        raise Unprocessable("invalid_paid_via", f"paid_via must be one of {', '.join(PAID_VIA)}.")


def top_up(
    *, member_id, amount_fen, plan_id=None, paid_via, ref_type=None, ref_id=None, actor_key=None, store_id=None
) -> WalletEntry:
    """Credit money paid in: ``amount_fen`` to principal, the plan's bonus to bonus; ``store_id``:
    the store whose till took the money (the till reads it).

    The plan follows ``plans.resolve_plan`` (an explicit plan must match the amount; otherwise the
    active plan priced at the amount applies). A plan's ``grants_tier_id`` lifts the member to that
    tier when it ranks above their current one (never lowers it; a later refund keeps the tier).
    A referenced top-up (e.g. a payment order) credits once: a repeat → 409 already_credited.
    """
    check_amount(amount_fen, "amount_fen")
    _check_paid_via(paid_via)
    plan, amount_fen = resolve_plan(amount_fen=amount_fen, plan_id=plan_id)
    return _credit(
        member_id=member_id,
        amount_fen=amount_fen,
        plan=plan,
        paid_via=paid_via,
        ref_type=ref_type,
        ref_id=ref_id,
        actor_key=actor_key,
        store_id=store_id,
    )


def _credit(*, member_id, amount_fen, plan, paid_via, ref_type, ref_id, actor_key, store_id=None):
    member = get_member(member_id)
    wallet = _lock_wallet(member_id, create=True)
    if ref_type is not None and _referenced(ref_type, ref_id, "topup"):
        raise Conflict("already_credited", "This reference has already been credited.")
    entry = _record(
        wallet,
        "topup",
        amount_fen,
        plan.bonus_fen if plan else 0,
        ref_type=ref_type,
        ref_id=ref_id,
        plan_id=plan.id if plan else None,
        paid_via=paid_via,
        store_id=store_id,
        created_by=actor_key,
    )
    if plan is not None and plan.grants_tier_id is not None:
        granted = get_tier(plan.grants_tier_id)
        if member.tier is None or member.tier.rank < granted.rank:
            update_member_by_staff(member_id=member_id, changes={"tier_id": granted.id})
    return entry


def spend(*, member_id, amount_fen, ref_type, ref_id) -> WalletEntry:
    """Pay ``amount_fen`` from stored value for a reference (e.g. "work_order", 42).

    Principal and bonus go by ``spend_split``. A short balance → 409 insufficient_balance and
    nothing is written; a reference spends once (409 already_spent: add the tenders up first).
    """
    check_amount(amount_fen, "amount_fen")
    if not ref_type:
        raise Unprocessable("reference_required", "A spend names what it pays for.")
    get_member(member_id)
    wallet = _lock_wallet(member_id)
    if wallet is None or wallet.balance_fen < amount_fen:
        raise Conflict(
            "insufficient_balance",
            "The stored-value balance is not enough.",
            details={"balance_fen": wallet.balance_fen if wallet else 0, "amount_fen": amount_fen},
        )
    principal_part, bonus_part = spend_split(amount_fen, wallet.principal_fen, wallet.bonus_fen)
    # "Spends once" is checked by the UPDATE itself: it runs under the wallet's lock, so it sees
    # every spend committed before, and the locked balance covers the amount, so a refused UPDATE
    # means the reference was already paid (still asked, to answer with the right code).
    try:
        return _record(
            wallet,
            "spend",
            -principal_part,
            -bonus_part,
            ref_type=ref_type,
            ref_id=ref_id,
            unless=_reference_entry(ref_type, ref_id, "spend"),
        )
    except Conflict:
        if _referenced(ref_type, ref_id, "spend"):
            raise Conflict("already_spent", "This reference has already been paid with stored value.")
        raise


def reverse_reference(*, ref_type, ref_id) -> list[WalletEntry]:
    """Undo every entry of a reference that is not undone yet, principal and bonus exactly as they
    moved (a spend comes back, a top-up is taken back). Idempotent: a second call returns [].

    Taking back a top-up whose money was already spent → 409 insufficient_balance, nothing written.
    """
    original = aliased(WalletEntry)
    reversal = aliased(WalletEntry)
    pending = select(original).where(
        original.ref_type == ref_type,
        original.ref_id == ref_id,
        original.kind != "reversal",
        ~exists().where(reversal.reverses_entry_id == original.id),
    )
    member_ids = sorted(set(db.session.scalars(pending.with_only_columns(original.member_id)).all()))
    # Lock the wallets in primary-key order, so two reversals never wait on each other in a cycle.
    wallets = {member_id: _lock_wallet(member_id) for member_id in member_ids}
    # Read again under the locks: a concurrent reversal may have committed meanwhile.
    entries = db.session.scalars(pending.order_by(original.amount_fen, original.id)).all()
    # Credits back (undoing spends) come before debits, so a reference's own money covers both.
    return [
        _record(
            wallets[entry.member_id],
            "reversal",
            -entry.principal_fen,
            -entry.bonus_fen,
            ref_type=ref_type,
            ref_id=ref_id,
            reverses_entry_id=entry.id,
            paid_via=entry.paid_via,
        )
        for entry in entries
    ]


def refund_principal(
    *, member_id, amount_fen, reason, paid_via="cash", actor_key=None, actor=None, store_id=None
) -> WalletEntry:
    """Pay unused principal back to the member (owner) from ``store_id``'s till when given. The bonus
    goes in the same proportion (``refund_bonus_forfeit``); more than the principal held → 409
    insufficient_principal. Audited ("balance_adjustment": the wallet before and after, and the entry's id)."""
    check_amount(amount_fen, "amount_fen")
    _check_paid_via(paid_via)
    get_member(member_id)
    wallet = _lock_wallet(member_id)
    if wallet is None or wallet.principal_fen < amount_fen:
        raise Conflict(
            "insufficient_principal",
            "The refund exceeds the unused principal.",
            details={"principal_fen": wallet.principal_fen if wallet else 0, "amount_fen": amount_fen},
        )
    forfeit = refund_bonus_forfeit(amount_fen, wallet.principal_fen, wallet.bonus_fen)
    names = ("balance_fen", "principal_fen", "bonus_fen")
    before = {name: getattr(wallet, name) for name in names}
    entry = _record(
        wallet, "refund", -amount_fen, -forfeit, paid_via=paid_via, store_id=store_id, note=reason, created_by=actor_key
    )
    record_change(
        actor=actor,
        kind="balance_adjustment",
        entity_type="member",
        entity_id=member_id,
        before=before,
        after={**{name: getattr(wallet, name) for name in names}, "wallet_entry_id": entry.id, "paid_via": paid_via},
        reason=reason,
    )
    return entry


# --- WeChat Pay top-ups ----------------------------------------------------------------------


def start_wechat_topup(*, member_id, amount_fen=None, plan_id=None):
    """Open a WeChat Pay order for a top-up; the wallet is credited when the payment is confirmed.

    The plan is resolved now (as at the counter) and kept on the order, so the member gets the
    plan they saw even if it is withdrawn before the payment arrives.
    """
    if amount_fen is not None:
        check_amount(amount_fen, "amount_fen")
    plan, amount_fen = resolve_plan(amount_fen=amount_fen, plan_id=plan_id)
    description = f"会员储值 {plan.name}" if plan else "会员储值"
    return create_wechat_payment(
        member_id=member_id,
        purpose=TOPUP_PURPOSE,
        purpose_ref_id=plan.id if plan else None,
        amount_fen=amount_fen,
        description=description,
    )


def credit_topup_payment(payment_order, notice):
    """on_paid for purpose "topup": credit the paid amount (and the order's plan) exactly once."""
    plan = db.session.get(TopupPlan, payment_order.purpose_ref_id) if payment_order.purpose_ref_id else None
    if plan is not None and plan.pay_fen != payment_order.amount_fen:
        log.error(
            "payment %s: plan %s no longer prices %s fen; crediting without bonus",
            payment_order.out_trade_no,
            plan.id,
            payment_order.amount_fen,
        )
        plan = None
    return _credit(
        member_id=payment_order.member_id,
        amount_fen=payment_order.amount_fen,
        plan=plan,
        paid_via="wechat",
        ref_type=PAYMENT_REF,
        ref_id=payment_order.id,
        actor_key=f"member:{payment_order.member_id}",
    )


def topup_payment_closed(payment_order):
    """on_closed for purpose "topup": nothing was credited, so nothing to undo."""
    return None


def till_movements(*, store_id, start, end) -> list[tuple]:
    """Counter top-ups and principal refunds recorded at ``store_id`` in [start, end), for the till:
    rows of (created_by actor key, kind "topup" | "refund", paid_via, count, principal fen summed,
    bonus fen summed). A refund's amounts are negative, as on the ledger."""
    return db.session.execute(
        select(
            WalletEntry.created_by,
            WalletEntry.kind,
            WalletEntry.paid_via,
            func.count(),
            func.sum(WalletEntry.principal_fen),
            func.sum(WalletEntry.bonus_fen),
        )
        .where(
            WalletEntry.store_id == store_id,
            WalletEntry.kind.in_(("topup", "refund")),
            WalletEntry.created_at >= start,
            WalletEntry.created_at < end,
        )
        .group_by(WalletEntry.created_by, WalletEntry.kind, WalletEntry.paid_via)
    ).all()


def balance_after(*, member_id, at, refs=()) -> int:
    """The member's stored-value balance right after ``at`` (the last entry at or before it; 0 if
    none). The spends of ``refs`` ((ref_type, ref_id) pairs: the operation that happened at ``at``)
    count as at or before it: an operation's own entries are written a moment after its time."""
    own = [
        and_(WalletEntry.ref_type == ref_type, WalletEntry.ref_id == ref_id, WalletEntry.kind == "spend")
        for ref_type, ref_id in refs
    ]
    return (
        db.session.scalar(
            select(WalletEntry.balance_after_fen)
            .where(WalletEntry.member_id == member_id, or_(WalletEntry.created_at <= at, *own))
            .order_by(WalletEntry.id.desc())
            .limit(1)
        )
        or 0
    )
