from app.care.models import COMPLAINT_STATUSES, RATING_SOURCES
from app.common.schemas import (
    BodySchema,
    PageQuery,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)

SCORE = validate.Range(min=1, max=5)


class RatingBody(BodySchema):
    score = StrictInteger(required=True, validate=SCORE, metadata={"description": "1 (very poor) to 5 (very good)."})
    comment = fields.String(validate=validate.Length(max=500), allow_none=True)


class RatingRead(ResponseSchema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    store_id = fields.Integer()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    source = fields.String(validate=validate.OneOf(RATING_SOURCES))
    rated_at = fields.DateTime()


class CareSettingsRead(ResponseSchema):
    complaint_max_score = fields.Integer(metadata={"description": "A rating at or below this opens a complaint."})
    complaint_due_hours = fields.Integer()


class CareSettingsUpdate(BodySchema):
    complaint_max_score = StrictInteger(validate=validate.Range(min=0, max=5))
    complaint_due_hours = StrictInteger(validate=validate.Range(min=1, max=24 * 30))


class ComplaintQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    store_id = fields.Integer(validate=validate.Range(min=1))
    overdue = fields.Boolean(metadata={"description": "true: not resolved after the due time; false: the others."})


class ComplaintMember(ResponseSchema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)


class ComplaintOrder(ResponseSchema):
    id = fields.Integer()
    number = fields.String()
    plate = fields.String()


class ComplaintStaff(ResponseSchema):
    id = fields.Integer()
    username = fields.String(allow_none=True)


class ComplaintEventRead(ResponseSchema):
    id = fields.Integer()
    from_status = fields.String(allow_none=True, validate=validate.OneOf(COMPLAINT_STATUSES))
    to_status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    note = fields.String(allow_none=True)
    staff = fields.Nested(ComplaintStaff, allow_none=True)
    created_at = fields.DateTime()


class ComplaintRead(ResponseSchema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    store_id = fields.Integer()
    member = fields.Nested(ComplaintMember)
    work_order = fields.Nested(ComplaintOrder)
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    source = fields.String(validate=validate.OneOf(RATING_SOURCES))
    opened_at = fields.DateTime()
    due_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()


class ComplaintDetail(ComplaintRead):
    events = fields.List(fields.Nested(ComplaintEventRead))


ComplaintPage = page_schema(ComplaintRead, "ComplaintPage")


class ComplaintMove(BodySchema):
    status = fields.String(required=True, validate=validate.OneOf(COMPLAINT_STATUSES))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class ComplaintNote(BodySchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))
