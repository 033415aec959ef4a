"""Import and export requests and answers."""

from marshmallow import Schema

from app.common.schemas import BodySchema, ResponseSchema, fields, validate
from app.transfer.columns import KINDS
from app.transfer.models import EXPORT_FORMATS, EXPORT_KINDS, EXPORT_STATUSES, IMPORT_STATUSES

IMPORT_KINDS = tuple(KINDS)


class ImportUpload(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "The filled-in template: .xlsx, or .csv in UTF-8 or GBK.",
        },
    )


class ImportKindForm(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(IMPORT_KINDS),
        metadata={"description": "members, stored_value, points, visits, package_cards or coupons"},
    )


class ImportErrorRead(ResponseSchema):
    row = fields.Integer(metadata={"description": "The sheet's row number (1 is the header)."})
    column = fields.String(
        allow_none=True, metadata={"description": "The column's Chinese header; null: the whole row."}
    )
    code = fields.String()
    message = fields.String(metadata={"description": "What is wrong, in Chinese."})


class ImportCountsRead(ResponseSchema):
    create = fields.Integer()
    merge = fields.Integer()
    skip = fields.Integer(metadata={"description": "Rows imported before (the same row key): nothing is written."})
    error = fields.Integer()


class ImportPreviewRead(ResponseSchema):
    row = fields.Integer()
    action = fields.String(validate=validate.OneOf(("create", "merge", "skip")))
    member_id = fields.Integer(allow_none=True, metadata={"description": "The member a merge adds to."})
    phone = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    principal_fen = fields.Integer(allow_none=True)
    bonus_fen = fields.Integer(allow_none=True)
    points = fields.Integer(allow_none=True)


class ImportReportRead(ResponseSchema):
    counts = fields.Nested(ImportCountsRead)
    errors = fields.List(
        fields.Nested(ImportErrorRead), metadata={"description": "Every error, by row (the first 1000)."}
    )
    errors_truncated = fields.Boolean()
    preview = fields.List(fields.Nested(ImportPreviewRead), metadata={"description": "The first 50 good rows."})
    same_file_committed_in = fields.Integer(
        allow_none=True, metadata={"description": "An earlier committed import of the very same file."}
    )


class ImportResultRead(ResponseSchema):
    members_created = fields.Integer()
    members_merged = fields.Integer()
    vehicles = fields.Integer()
    principal_fen = fields.Integer()
    bonus_fen = fields.Integer()
    points = fields.Integer()
    skipped = fields.Integer()
    cards = fields.Integer(metadata={"description": "Package cards created."})
    card_items = fields.Integer(metadata={"description": "Uses left on them, all items together."})
    coupons = fields.Integer()


class ImportRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(IMPORT_KINDS))
    filename = fields.String()
    file_hash = fields.String()
    status = fields.String(validate=validate.OneOf(IMPORT_STATUSES))
    row_count = fields.Integer()
    error_count = fields.Integer()
    rows_done = fields.Integer(metadata={"description": "Progress of the commit."})
    report = fields.Nested(ImportReportRead)
    result = fields.Nested(ImportResultRead, allow_none=True, metadata={"description": "What the commit wrote."})
    failure = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    committed_at = fields.DateTime(allow_none=True)
    undone_at = fields.DateTime(allow_none=True)


class ImportList(ResponseSchema):
    items = fields.List(fields.Nested(ImportRead))


class ExportCreate(BodySchema):
    kind = fields.String(required=True, validate=validate.OneOf(EXPORT_KINDS))
    format = fields.String(load_default="csv", validate=validate.OneOf(EXPORT_FORMATS))


class ExportRead(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(EXPORT_KINDS))
    format = fields.String(validate=validate.OneOf(EXPORT_FORMATS))
    status = fields.String(validate=validate.OneOf(EXPORT_STATUSES))
    row_count = fields.Integer()
    failure = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
