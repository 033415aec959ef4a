"""Writing the audit log (``record_change``) and reading it back for the owner."""

from datetime import date, datetime
from decimal import Decimal

from app.audit.models import AuditEntry
from app.common import clock
from app.extensions import db

# What a row is about. Add a kind here with the code that records it.
KINDS = (
    "settings",
    "topup_plan",
    "tier",
    "referral_reward",
    "catalog_price",
    "staff",
    "store",
    "balance_adjustment",
    "points_adjustment",
    "member_tier",
    "price_override",
    "manual_discount",
    "vehicle_transfer",
    "stock_adjustment",
    "commission_rule",
    "mileage_correction",
    "discount_limit",
    "account",
    "account_over_limit",
    "data_import",
    "data_export",
    "exchange_reward",
    "marketing_settings",
    "sms_opt_out",
    "sms_settings",
    "holiday",
)
SYSTEM_USERNAME = "command line"


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, dict):
        return {str(key): _jsonable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_jsonable(inner) for inner in value]
    return value


def _changed(before, after):
    """Only the fields whose value differs (a field present on one side only counts as changed)."""
    if before is None or after is None:
        return before, after
    names = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    return {name: before.get(name) for name in names}, {name: after.get(name) for name in names}


def record_change(*, actor, kind, entity_type, entity_id, before, after, reason=None, store_id=None, now=None):
    """Append one row to the audit log, in the caller's transaction (flushed, never committed).

    - ``actor``: the ``app.common.auth.Actor`` who made the change (the route passes
      ``current_actor()``), or None for the command line and the scheduler (kind "system"). The
      staff member's username and role are copied into the row as they are now.
    - ``kind``: one of ``KINDS`` (a ValueError otherwise: it is a programming error, not input).
    - ``entity_type`` / ``entity_id``: what changed, e.g. "topup_plan" / 7.
    - ``before`` / ``after``: dicts of field values; None for "did not exist" (a creation) or
      "no longer exists". Only the fields that differ are kept, so callers may pass whole
      snapshots; when both are dicts and nothing differs, no row is written and None is returned.
      Dates, Decimals and sets are stored as JSON text, numbers and lists.
    - ``reason``: the staff's note, when the action takes one; ``store_id`` where a store applies.
    Returns the new ``AuditEntry``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    before, after = _changed(_jsonable(before), _jsonable(after))
    if before == {} and after == {}:
        return None
    entry = AuditEntry(
        created_at=now or clock.now(),
        actor_kind=actor.kind if actor is not None else "system",
        actor_id=actor.id if actor is not None else None,
        actor_username=getattr(actor, "username", None) if actor is not None else SYSTEM_USERNAME,
        actor_role=actor.role if actor is not None else None,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=(reason or "").strip()[:500] or None,
        store_id=store_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def snapshot(obj, names):
    """The named attributes of a row as a dict: the ``before`` of a change, taken before it."""
    return {name: getattr(obj, name) for name in names}
