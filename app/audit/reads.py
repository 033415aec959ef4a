"""The owner's view of the audit log: filtered, newest first, a page or the whole period as CSV.

Kept apart from services.py (the writing side) because reading needs the merchant's time zone,
while the merchant's settings are themselves audited: services.py imports no other domain."""

import json

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.common import clock
from app.common.csv_export import csv_response
from app.common.errors import Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.merchant.services import merchant_timezone

CSV_MAX_ROWS = 50_000
CSV_COLUMNS = (
    "id",
    "created_at",
    "actor_kind",
    "actor_id",
    "actor_username",
    "actor_role",
    "kind",
    "entity_type",
    "entity_id",
    "store_id",
    "reason",
    "before",
    "after",
)


def _filtered(*, kind=None, actor_id=None, first_day=None, last_day=None):
    if first_day is not None and last_day is not None and first_day > last_day:
        raise Unprocessable("invalid_period", "`from` must not be after `to`.")
    tz_name = merchant_timezone()
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if kind is not None:
        stmt = stmt.where(AuditEntry.kind == kind)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_kind == "staff", AuditEntry.actor_id == actor_id)
    if first_day is not None:
        stmt = stmt.where(AuditEntry.created_at >= clock.local_day_bounds(first_day, tz_name)[0])
    if last_day is not None:
        stmt = stmt.where(AuditEntry.created_at < clock.local_day_bounds(last_day, tz_name)[1])
    return stmt


def list_entries(*, page=1, per_page=20, **filters):
    """One page of the log, newest first. Filters: ``kind``, ``actor_id`` (a staff id),
    ``first_day`` / ``last_day`` (merchant-local days, inclusive; from after to → 422)."""
    return paginate(_filtered(**filters), page, per_page)


def entries_csv(**filters):
    """Every entry the filters select, as CSV (before/after as JSON text); more than
    ``CSV_MAX_ROWS`` → 422 ``audit_export_too_large`` (ask for a shorter period)."""
    stmt = _filtered(**filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if total > CSV_MAX_ROWS:
        raise Unprocessable(
            "audit_export_too_large",
            f"At most {CSV_MAX_ROWS} entries per export; choose a shorter period.",
            details={"entries": total, "max_entries": CSV_MAX_ROWS},
        )
    rows = []
    for entry in db.session.scalars(stmt):
        row = [getattr(entry, column) for column in CSV_COLUMNS]
        row[1] = entry.created_at.isoformat()
        row[-2:] = [
            None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
            for value in (entry.before, entry.after)
        ]
        rows.append(row)
    first, last = filters.get("first_day"), filters.get("last_day")
    return csv_response(CSV_COLUMNS, rows, f"audit-log-{first or 'start'}-{last or 'now'}.csv")
