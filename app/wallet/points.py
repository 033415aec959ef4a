"""Points (积分): earned per yuan paid, kept in lots that expire, used and expired first-in-first-out.

Rules (the merchant's settings name the numbers):
- Earning: floor(yuan paid × ``points_per_yuan`` × the member's tier ``points_multiplier``)
  (``points_for_payment``). Each earning is a lot.
- Expiry: a lot earned on merchant-local day D expires at the start of the local day
  ``points_valid_months`` after D (earned 2025-01-15, 12 months: usable through 2026-01-14).
  Every change first expires the member's due lots, so a balance never spends points past their day.
- Redeeming: ``points_per_yuan_redeemed`` points pay one yuan, so value = points × 100 / rate fen;
  only counts that map to whole fen are accepted (multiples of ``redeem_step``). A bill takes at
  most ``points_max_redeem_percent`` of its amount in points (``max_redeemable_points``).
- FIFO: debits take from the lots that expire first; a lot expires once.
- Reversing a reference: redeemed points go back to the lots they came from, except into a lot that
  has expired or whose earning was reversed (those points are forfeited: the entry's shortfall).
  Earned points are taken back: what is left of the lot, then the part already used from the
  member's other points (FIFO); what cannot be taken (they are spent) is recorded as the shortfall.
  Points of the lot that had already expired are not taken again. Balances never go negative.

The account row is locked before any lot is read for a change, so lots and balance move together.
"""

import math
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import record_change
from app.common import clock
from app.common.errors import Conflict, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.services import get_member
from app.merchant.services import get_settings
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse
from app.wallet.rows import check_amount, lock_or_create_row, lock_row, move_and_append

# --- the rules -------------------------------------------------------------------------------


def points_for_payment(paid_fen, multiplier, points_per_yuan) -> int:
    """Points earned for ``paid_fen``: floor(paid_fen / 100 × points_per_yuan × multiplier)."""
    hundredths = int((Decimal(str(multiplier)) * 100).to_integral_value(rounding=ROUND_HALF_UP))
    return paid_fen * points_per_yuan * hundredths // 10000


def expiry_for(earned_at, settings):
    """The instant a lot earned at ``earned_at`` expires (start of the merchant-local day)."""
    earned_day = clock.local_today(settings.timezone, earned_at)
    expiry_day = clock.add_months(earned_day, settings.points_valid_months)
    return clock.local_day_bounds(expiry_day, settings.timezone)[0]


def redeem_step(settings=None) -> int:
    """The smallest point count worth whole fen (1 at the default 100 points per yuan)."""
    rate = (settings or get_settings()).points_per_yuan_redeemed
    return rate // math.gcd(rate, 100)


def points_value_fen(points) -> int:
    """What ``points`` pay, in fen, at the redeem rate; a count not worth whole fen → 422."""
    check_amount(points, "points", allow_zero=True)
    settings = get_settings()
    step = redeem_step(settings)
    if points % step:
        raise Unprocessable(
            "points_not_whole_fen", f"Points are redeemed in multiples of {step}.", details={"step": step}
        )
    return points * 100 // settings.points_per_yuan_redeemed


def max_redeemable_points(*, member_id, bill_fen, now=None) -> int:
    """The most points a bill of ``bill_fen`` may take: within the member's live points and worth
    at most ``points_max_redeem_percent`` of the bill, in whole-fen steps."""
    check_amount(bill_fen, "bill_fen", allow_zero=True)
    settings = get_settings()
    cap_fen = bill_fen * settings.points_max_redeem_percent // 100
    cap = min(cap_fen * settings.points_per_yuan_redeemed // 100, live_points(member_id=member_id, now=now))
    return cap - cap % redeem_step(settings)


# --- reading ---------------------------------------------------------------------------------


def _live(now):
    return (PointsLot.remaining > 0, PointsLot.expired_at.is_(None), PointsLot.expires_at > now)


def live_points_for(member_ids, now=None) -> dict:
    """{member_id: points usable now} for many members in one query (due lots not counted)."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(PointsLot.member_id, func.sum(PointsLot.remaining))
        .where(PointsLot.member_id.in_(ids), *_live(now or clock.now()))
        .group_by(PointsLot.member_id)
    ).all()
    return {member_id: int(total) for member_id, total in rows}


def live_points_column(member_id, now):
    """Usable points as a scalar SQL expression correlated to ``member_id`` (as live_points_for)."""
    return func.coalesce(
        select(func.sum(PointsLot.remaining)).where(PointsLot.member_id == member_id, *_live(now)).scalar_subquery(), 0
    )


def live_points(*, member_id, now=None) -> int:
    return live_points_for([member_id], now=now).get(member_id, 0)


def next_expiry(*, member_id, now=None):
    """The next day points expire and how many: {"points", "expires_at"}, or None."""
    live = (PointsLot.member_id == member_id, *_live(now or clock.now()))
    first = db.session.scalar(select(func.min(PointsLot.expires_at)).where(*live))
    if first is None:
        return None
    total = db.session.scalar(select(func.sum(PointsLot.remaining)).where(*live, PointsLot.expires_at == first))
    return {"points": int(total), "expires_at": first}


def list_entries(*, member_id, page=1, per_page=20):
    """The member's points entries, newest first."""
    get_member(member_id)
    stmt = select(PointsEntry).where(PointsEntry.member_id == member_id).order_by(PointsEntry.id.desc())
    return paginate(stmt, page, per_page)


# --- moving points ---------------------------------------------------------------------------


def _lock_account(member_id, *, create=False):
    if create:
        return lock_or_create_row(PointsAccount, member_id, balance=0, updated_at=clock.now())
    return lock_row(PointsAccount, member_id)


def _move(account, points, stamp, *, unless=None):
    """The conditional UPDATE moving the locked account by ``points`` (never below zero; ``unless``:
    a further SQL condition that refuses the move when true) at ``stamp``, returning the new balance."""
    conditions = [PointsAccount.member_id == account.member_id, PointsAccount.balance + points >= 0]
    if unless is not None:
        conditions.append(~unless)
    return (
        update(PointsAccount)
        .where(*conditions)
        .values(balance=PointsAccount.balance + points, updated_at=stamp)
        .returning(PointsAccount.balance)
    )


def _moved(account, balance, stamp):
    set_committed_value(account, "balance", balance)
    set_committed_value(account, "updated_at", stamp)


def _entry(account, kind, points, **fields) -> PointsEntry:
    """Move the locked account by ``points`` (conditional UPDATE, never below zero) and append the
    entry, in one statement on PostgreSQL (``rows.move_and_append``)."""
    stamp = clock.now()
    entry = PointsEntry(member_id=account.member_id, kind=kind, points=points, **fields)
    balance = move_and_append(_move(account, points, stamp), entry, balance_after="balance_after")
    if balance is None:
        raise Conflict("insufficient_points", "Not enough points.", details={"points": account.balance})
    _moved(account, balance, stamp)
    return entry


def _change_lot(lot, delta, *conditions, **values):
    result = db.session.execute(
        update(PointsLot)
        .where(
            PointsLot.id == lot.id,
            PointsLot.remaining + delta >= 0,
            PointsLot.remaining + delta <= PointsLot.earned,
            *conditions,
        )
        .values(remaining=PointsLot.remaining + delta, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("points_lot_changed", "The points changed meanwhile; try again.")


def _lots(*conditions):
    stmt = select(PointsLot).where(*conditions).order_by(PointsLot.expires_at, PointsLot.id)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).all()


def _expire_due(account, now) -> int:
    """Expire the member's lots whose day has come (each once); returns the points expired."""
    total = 0
    for lot in _lots(
        PointsLot.member_id == account.member_id, PointsLot.expired_at.is_(None), PointsLot.expires_at <= now
    ):
        remaining = lot.remaining
        _change_lot(lot, -remaining, PointsLot.expired_at.is_(None), expired_at=now)
        if remaining:
            _entry(account, "expiry", -remaining, lot_id=lot.id)
            total += remaining
    return total


def _take_fifo(entry, points, now):
    """Take ``points`` from the member's live lots, soonest-expiring first, noting each lot used."""
    left = points
    for lot in _lots(PointsLot.member_id == entry.member_id, *_live(now)):
        if left == 0:
            break
        taken = min(left, lot.remaining)
        _change_lot(lot, -taken)
        db.session.add(PointsLotUse(entry_id=entry.id, lot_id=lot.id, points=taken))
        left -= taken
    if left:
        raise RuntimeError(f"points lots of member {entry.member_id} do not cover the balance")
    db.session.flush()


def _new_lot(member_id, points, now, settings, **fields) -> PointsLot:
    lot = PointsLot(
        member_id=member_id,
        earned=points,
        remaining=points,
        earned_at=now,
        expires_at=expiry_for(now, settings),
        **fields,
    )
    db.session.add(lot)
    db.session.flush()
    return lot


def earn(*, member_id, paid_fen, ref_type, ref_id, now=None) -> int:
    """Credit points for money paid for a reference (``points_for_payment``); a new lot.

    A reference earns once: a repeat returns the points already earned and writes nothing.
    """
    check_amount(paid_fen, "paid_fen", allow_zero=True)
    member = get_member(member_id)
    multiplier = member.tier.points_multiplier if member.tier else 1
    points = points_for_payment(paid_fen, multiplier, get_settings().points_per_yuan)
    return _earn_once(member_id, points, ref_type, ref_id, now)


def grant(*, member_id, points, ref_type, ref_id, now=None) -> int:
    """Credit a fixed number of points for a reference (e.g. a referral reward, "referral_reward").

    Entered like ``earn`` (a new lot, an ``earn`` entry of the reference), so ``reverse_reference``
    takes it back; a reference is credited once, a repeat returns the points already credited.
    """
    check_amount(points, "points")
    get_member(member_id)
    return _earn_once(member_id, points, ref_type, ref_id, now)


def _earn_once(member_id, points, ref_type, ref_id, now):
    if not ref_type:
        raise Unprocessable("reference_required", "Points are earned for a reference.")
    now = now or clock.now()
    settings = get_settings()
    account = _lock_account(member_id, create=True)
    if points and _earn_when_clear(account, points, ref_type, ref_id, now, settings):
        return points
    earned = db.session.scalar(
        select(PointsEntry.points).where(
            PointsEntry.ref_type == ref_type, PointsEntry.ref_id == ref_id, PointsEntry.kind == "earn"
        )
    )
    if earned is not None:
        return earned
    _expire_due(account, now)
    if points == 0:
        return 0
    lot = _new_lot(member_id, points, now, settings, ref_type=ref_type, ref_id=ref_id)
    _entry(account, "earn", points, lot_id=lot.id, ref_type=ref_type, ref_id=ref_id)
    return points


def _earn_when_clear(account, points, ref_type, ref_id, now, settings) -> bool:
    """The usual earning in one statement on PostgreSQL: the account moves, the lot and the entry
    are written, provided the reference has not earned yet and none of the member's lots is due
    (checked in the UPDATE's condition, under the account's lock taken by the statement before, so
    every earlier change is seen). Otherwise nothing is written and False is returned: the caller
    then answers the repeat, or expires the due lots first, step by step."""
    stamp = clock.now()
    earned_before = exists().where(
        PointsEntry.ref_type == ref_type, PointsEntry.ref_id == ref_id, PointsEntry.kind == "earn"
    )
    due = exists().where(
        PointsLot.member_id == account.member_id, PointsLot.expired_at.is_(None), PointsLot.expires_at <= now
    )
    lot = PointsLot(
        member_id=account.member_id,
        earned=points,
        remaining=points,
        earned_at=now,
        expires_at=expiry_for(now, settings),
        ref_type=ref_type,
        ref_id=ref_id,
    )
    entry = PointsEntry(member_id=account.member_id, kind="earn", points=points, ref_type=ref_type, ref_id=ref_id)
    balance = move_and_append(
        _move(account, points, stamp, unless=or_(earned_before, due)), entry, balance_after="balance_after", lot=lot
    )
    if balance is None:
        return False
    _moved(account, balance, stamp)
    return True


def redeem(*, member_id, points, ref_type, ref_id, now=None) -> PointsEntry:
    """Use ``points`` (first-in-first-out) to pay for a reference; a reference redeems once.

    Not enough live points → 409 insufficient_points; a count not worth whole fen → 422.
    """
    check_amount(points, "points")
    points_value_fen(points)
    if not ref_type:
        raise Unprocessable("reference_required", "Points are redeemed for a reference.")
    now = now or clock.now()
    get_member(member_id)
    account = _lock_account(member_id)
    if account is not None:
        _expire_due(account, now)
    if account is None or account.balance < points:
        raise Conflict(
            "insufficient_points",
            "Not enough points.",
            details={"points": account.balance if account else 0, "requested": points},
        )
    if db.session.scalar(
        select(PointsEntry.id).where(
            PointsEntry.ref_type == ref_type, PointsEntry.ref_id == ref_id, PointsEntry.kind == "redeem"
        )
    ):
        raise Conflict("already_redeemed", "This reference has already been paid with points.")
    entry = _entry(account, "redeem", -points, ref_type=ref_type, ref_id=ref_id)
    _take_fifo(entry, points, now)
    return entry


def reverse_reference(*, ref_type, ref_id, now=None) -> list[PointsEntry]:
    """Undo the earns and redeems of a reference not undone yet (see the module's rules).

    Idempotent: a second call returns []. Redeems are restored before earns are taken back.
    """
    now = now or clock.now()
    original = aliased(PointsEntry)
    reversal = aliased(PointsEntry)
    pending = select(original).where(
        original.ref_type == ref_type,
        original.ref_id == ref_id,
        original.kind.in_(("earn", "redeem")),
        ~exists().where(reversal.reverses_entry_id == original.id),
    )
    member_ids = sorted(set(db.session.scalars(pending.with_only_columns(original.member_id)).all()))
    accounts = {}
    for member_id in member_ids:  # primary-key order, so concurrent reversals never deadlock
        accounts[member_id] = _lock_account(member_id)
        _expire_due(accounts[member_id], now)
    entries = db.session.scalars(pending.order_by(original.points, original.id)).all()
    return [
        (_restore_redeem if entry.kind == "redeem" else _take_back_earn)(accounts[entry.member_id], entry, now)
        for entry in entries
    ]


def _restore_redeem(account, entry, now):
    uses = db.session.scalars(select(PointsLotUse).where(PointsLotUse.entry_id == entry.id)).all()
    lots = {lot.id: lot for lot in _lots(PointsLot.id.in_([use.lot_id for use in uses]))}
    restored = forfeited = 0
    for use in sorted(uses, key=lambda u: u.lot_id):
        lot = lots[use.lot_id]
        if lot.expired_at is not None or lot.revoked_at is not None:
            forfeited += use.points
            continue
        _change_lot(lot, use.points)
        restored += use.points
    return _entry(
        account,
        "reversal",
        restored,
        shortfall=forfeited,
        reverses_entry_id=entry.id,
        ref_type=entry.ref_type,
        ref_id=entry.ref_id,
    )


def _take_back_earn(account, entry, now):
    lot = _lots(PointsLot.id == entry.lot_id)[0]
    expired = -(
        db.session.scalar(select(PointsEntry.points).where(PointsEntry.lot_id == lot.id, PointsEntry.kind == "expiry"))
        or 0
    )
    from_lot = lot.remaining
    used = lot.earned - from_lot - expired
    _change_lot(lot, -from_lot, PointsLot.revoked_at.is_(None), revoked_at=now)
    from_others = min(used, account.balance - from_lot)
    reversal = _entry(
        account,
        "reversal",
        -(from_lot + from_others),
        shortfall=used - from_others,
        reverses_entry_id=entry.id,
        lot_id=lot.id,
        ref_type=entry.ref_type,
        ref_id=entry.ref_id,
    )
    if from_lot:
        db.session.add(PointsLotUse(entry_id=reversal.id, lot_id=lot.id, points=from_lot))
    if from_others:
        _take_fifo(reversal, from_others, now)
    db.session.flush()
    return reversal


def adjust_points(*, member_id, points, reason, actor_key=None, actor=None, now=None) -> PointsEntry:
    """The owner's correction, with a reason: added points are a new lot expiring like earned ones;
    removed points are taken first-in-first-out, never below zero (409 insufficient_points).
    Audited ("points_adjustment": the member's points before and after, and the entry's id)."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise Unprocessable("invalid_points", "An adjustment is a non-zero whole number of points.")
    if not (reason or "").strip():
        raise Unprocessable("reason_required", "Say why the points are adjusted.")
    now = now or clock.now()
    settings = get_settings()
    get_member(member_id)
    account = _lock_account(member_id, create=True)
    _expire_due(account, now)
    fields = {"reason": reason.strip(), "created_by": actor_key}
    before = account.balance
    if points > 0:
        lot = _new_lot(member_id, points, now, settings)
        entry = _entry(account, "adjustment", points, lot_id=lot.id, **fields)
    else:
        if account.balance < -points:
            raise Conflict("insufficient_points", "Not enough points.", details={"points": account.balance})
        entry = _entry(account, "adjustment", points, **fields)
        _take_fifo(entry, -points, now)
    record_change(
        actor=actor,
        kind="points_adjustment",
        entity_type="member",
        entity_id=member_id,
        before={"points": before},
        after={"points": before + points, "points_entry_id": entry.id},
        reason=reason,
        now=now,
    )
    return entry


def expire_points(*, now) -> int:
    """The scheduler's job: expire every lot whose day has come. Idempotent (a lot expires once);
    returns the points expired by this call.

    Set-based, as ``_expire_due`` member by member: the accounts concerned are locked in member
    order, one INSERT ... SELECT writes an ``expiry`` entry per lot with points left (its
    ``balance_after`` a running total over the member's lots, soonest-expiring first), one UPDATE
    closes the lots and one UPDATE takes the points off the balances."""
    due = (PointsLot.expired_at.is_(None), PointsLot.expires_at <= now)
    member_ids = select(PointsLot.member_id).where(*due)
    locked = db.session.scalars(
        select(PointsAccount.member_id)
        .where(PointsAccount.member_id.in_(member_ids))
        .order_by(PointsAccount.member_id)
        .with_for_update()
    ).all()
    if not locked:
        return 0
    stamp = clock.now()
    taken_before = func.sum(PointsLot.remaining).over(
        partition_by=PointsLot.member_id, order_by=(PointsLot.expires_at, PointsLot.id)
    )
    entries = (
        select(
            PointsLot.member_id,
            literal("expiry").label("kind"),
            (-PointsLot.remaining).label("points"),
            (PointsAccount.balance - taken_before).label("balance_after"),
            literal(0).label("shortfall"),
            PointsLot.id.label("lot_id"),
            literal(stamp, PointsEntry.created_at.type).label("created_at"),
        )
        .join(PointsAccount, PointsAccount.member_id == PointsLot.member_id)
        .where(*due, PointsLot.remaining > 0)
        .order_by(PointsLot.member_id, PointsLot.expires_at, PointsLot.id)
    )
    db.session.execute(
        insert(PointsEntry).from_select(
            ["member_id", "kind", "points", "balance_after", "shortfall", "lot_id", "created_at"], entries
        )
    )
    expired = (
        select(PointsLot.member_id, func.sum(PointsLot.remaining).label("points"))
        .where(*due)
        .group_by(PointsLot.member_id)
        .subquery()
    )
    total = db.session.scalar(select(func.coalesce(func.sum(expired.c.points), 0)))
    db.session.execute(
        update(PointsAccount)
        .where(PointsAccount.member_id == expired.c.member_id, expired.c.points > 0)
        .values(balance=PointsAccount.balance - expired.c.points, updated_at=stamp)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(PointsLot).where(*due).values(remaining=0, expired_at=now).execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return int(total)


def balance_after(*, member_id, at, refs=()) -> int:
    """The member's points balance right after ``at`` (the last entry at or before it; 0 if none).
    The earns and redeems of ``refs`` ((ref_type, ref_id) pairs: the operation that happened at
    ``at``) count as at or before it: an operation's own entries are written a moment after its time."""
    own = [
        and_(PointsEntry.ref_type == ref_type, PointsEntry.ref_id == ref_id, PointsEntry.kind.in_(("earn", "redeem")))
        for ref_type, ref_id in refs
    ]
    return (
        db.session.scalar(
            select(PointsEntry.balance_after)
            .where(PointsEntry.member_id == member_id, or_(PointsEntry.created_at <= at, *own))
            .order_by(PointsEntry.id.desc())
            .limit(1)
        )
        or 0
    )
