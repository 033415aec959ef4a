from flask_smorest import Blueprint

from app.audit import reads
from app.audit.schemas import AuditEntryPage, AuditLogQuery
from app.common.auth import owner_only

blp = Blueprint("audit-log", __name__, description="Who changed which rule, price, account or balance (owner)")

CSV_DOC = {
    "schema": {"type": "string"},
    "content_type": "text/csv",
    "description": "JSON; with ?format=csv, UTF-8 CSV with a byte-order mark.",
}


@blp.route("/audit-log")
@owner_only
@blp.arguments(AuditLogQuery, location="query")
@blp.response(200, AuditEntryPage)
@blp.alt_response(200, success=True, **CSV_DOC)
def audit_log(query):
    """The audit log, newest first; filter by kind, actor (staff id) and merchant-local days"""
    filters = {"kind": query["kind"], "actor_id": query["actor"], "first_day": query["from_"], "last_day": query["to"]}
    if query["format"] == "csv":
        return reads.entries_csv(**filters)
    return reads.list_entries(page=query["page"], per_page=query["per_page"], **filters)
