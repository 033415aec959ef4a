"""The audit log's query string and rows."""

from app.audit.models import ACTOR_KINDS
from app.audit.services import KINDS
from app.common.auth import ROLES
from app.common.schemas import PageQuery, ResponseSchema, fields, page_schema, validate

FORMATS = ("json", "csv")


class AuditLogQuery(PageQuery):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    actor = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "A staff account's id: only the changes they made."},
    )
    from_ = fields.Date(
        data_key="from", load_default=None, metadata={"description": "First merchant-local day (YYYY-MM-DD)."}
    )
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive."})
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "`csv`: every entry of the filter as text/csv (UTF-8 with BOM), not a page."},
    )


# Field name → its value as JSON (text, number, true/false, a list or an object).
CHANGED_FIELDS = {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ErrorDetail"}}


class AuditEntryRead(ResponseSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor_kind = fields.String(validate=validate.OneOf(ACTOR_KINDS))
    actor_id = fields.Integer(allow_none=True)
    actor_username = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True, validate=validate.OneOf(ROLES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    entity_type = fields.String()
    entity_id = fields.Integer(allow_none=True)
    before = fields.Dict(
        allow_none=True, metadata={"description": "The changed fields before; null: created.", "shape": CHANGED_FIELDS}
    )
    after = fields.Dict(
        allow_none=True, metadata={"description": "The changed fields after; null: removed.", "shape": CHANGED_FIELDS}
    )
    reason = fields.String(allow_none=True)
    store_id = fields.Integer(allow_none=True)


AuditEntryPage = page_schema(AuditEntryRead, name="AuditEntryPage")
