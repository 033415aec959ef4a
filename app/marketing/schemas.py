from marshmallow import validates_schema

from app.care.schemas import RatingRead
from app.common.schemas import (
    BodySchema,
    Computed,
    Count,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    ValidationError,
    fields,
    page_schema,
    validate,
)
from app.marketing import segments
from app.marketing.followups import DUE_SCOPES
from app.marketing.models import (
    CAMPAIGN_STATUSES,
    CHANNELS,
    CHURN_REASONS,
    FOLLOW_UP_REASONS,
    FOLLOW_UP_RESULTS,
    MESSAGE_KINDS,
    MESSAGE_STATUSES,
    SMS_OPT_OUT_SOURCES,
    SMS_OUTCOMES,
    TEMPLATE_KEYS,
)
from app.members.metrics import LIFECYCLES
from app.members.schemas import MemberSummary, TierBrief, VehicleRead


class SubscriptionsBody(BodySchema):
    template_keys = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), required=True, validate=validate.Length(min=1, max=20)
    )


class GrantRead(ResponseSchema):
    template_key = fields.String()
    remaining = fields.Integer()


class SubscriptionsRead(ResponseSchema):
    grants = fields.List(fields.Nested(GrantRead))


def _rules_shape():
    """The rules' grammar for the document (app/marketing/segments.py checks it when compiling)."""
    ref = "#/components/schemas/{}".format
    scalar = [{"type": "integer"}, {"type": "string"}, {"type": "boolean"}]
    # Which keys a group or condition has is the grammar's choice, not always the same: x-omitted.
    group = {"type": "array", "items": {"$ref": ref("SegmentRules")}, "x-omitted": True}
    return {
        "shape": {"allOf": [{"$ref": ref("SegmentRules")}]},
        "components": {
            "SegmentRules": {
                "description": 'A group ({"all": [...]} or {"any": [...]}) or a condition, nested at most '
                f"{segments.MAX_DEPTH} deep, at most {segments.MAX_CONDITIONS} conditions in all.",
                "oneOf": [{"$ref": ref("SegmentGroup")}, {"$ref": ref("SegmentCondition")}],
            },
            "SegmentGroup": {
                "type": "object",
                "properties": {"all": group, "any": group},
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
            },
            "SegmentCondition": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "enum": list(segments.FIELDS)},
                    "op": {"type": "string", "enum": sorted({op for ops, _ in segments.FIELDS.values() for op in ops})},
                    "value": {
                        "x-omitted": True,
                        "description": "A number, text (a date is YYYY-MM-DD), true/false, a list of them, or null.",
                        "nullable": True,
                        "oneOf": [*scalar, {"type": "array", "items": {"oneOf": scalar, "nullable": True}}],
                    },
                },
                "required": ["field", "op"],
                "additionalProperties": False,
            },
        },
    }


class SegmentCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    rules = fields.Dict(required=True, metadata=_rules_shape())


class RulesBody(BodySchema):
    rules = fields.Dict(required=True, metadata=_rules_shape())


class SegmentRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    rules = fields.Dict(metadata=_rules_shape())
    created_at = fields.DateTime()


class SegmentPreview(ResponseSchema):
    count = fields.Integer()
    sample = fields.List(fields.Nested(MemberSummary))


class CampaignMessage(BodySchema):
    template_key = fields.String(load_default="campaign", validate=validate.Length(min=1, max=32))
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        required=True,
        keys=fields.String(validate=validate.Length(min=1, max=32)),
        values=fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(min=1, max=10),
    )
    page = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)


class CampaignCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    segment_id = StrictInteger(required=True)
    coupon_template_id = StrictInteger(allow_none=True)
    message = fields.Nested(CampaignMessage, required=True)
    send_at = fields.AwareDateTime(required=True)


class CampaignResults(ResponseSchema):
    audience = fields.Integer()
    sent = fields.Integer()
    skipped_no_grant = fields.Integer()
    failed = fields.Integer()
    queued = fields.Integer()
    coupons_issued = fields.Integer()
    coupons_used = fields.Integer()
    revenue_fen = fields.Integer()
    sms_sent = fields.Integer(metadata={"description": "messages delivered by SMS (campaigns are WeChat only: 0)"})
    sms_cost_fen = fields.Integer()


class CampaignMessageRead(ResponseSchema):
    template_key = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(), values=fields.String())
    page = fields.String(allow_none=True)


class CampaignRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    segment_id = fields.Integer()
    coupon_template_id = fields.Integer(allow_none=True)
    message = Computed(
        lambda c: {"template_key": c.template_key, "fields": c.fields, "page": c.page},
        fields.Nested(CampaignMessageRead),
    )
    send_at = fields.DateTime()
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))
    launched_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    results = fields.Nested(CampaignResults)


class CampaignQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))


class MessageQuery(PageQuery):
    member_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(MESSAGE_KINDS))
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
    campaign_id = fields.Integer()


class MessageRead(ResponseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(MESSAGE_KINDS))
    template_key = fields.String()
    dedupe_key = fields.String()
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
    failure_reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    campaign_id = fields.Integer(allow_none=True)
    coupon_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    channel = fields.String(allow_none=True, validate=validate.OneOf(CHANNELS))
    sms_outcome = fields.String(allow_none=True, validate=validate.OneOf(SMS_OUTCOMES))
    cost_fen = fields.Integer()


class FollowUpQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(MESSAGE_KINDS))
    store_id = fields.Integer()
    member_id = fields.Integer()
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "done"]))
    due = fields.String(
        validate=validate.OneOf(DUE_SCOPES),
        metadata={
            "description": "Against the merchant's local today: `overdue` (due before today), `today`, "
            "`today_or_overdue` (the day's calls), `upcoming` (due after today)."
        },
    )
    due_from = fields.Date()
    due_to = fields.Date()
    reason = fields.String(validate=validate.OneOf(FOLLOW_UP_REASONS), metadata={"description": "Why it is listed."})
    result = fields.String(validate=validate.OneOf(FOLLOW_UP_RESULTS))
    churn_reason = fields.String(validate=validate.OneOf(CHURN_REASONS))
    staff_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Who recorded the outcome (staff id)."}
    )


class FollowUpMember(ResponseSchema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    tier = fields.Nested(TierBrief, allow_none=True)
    lifecycle = fields.String(validate=validate.OneOf(LIFECYCLES))
    last_visit_at = fields.DateTime(attribute="last_paid_visit_at", allow_none=True)
    paid_visit_count = fields.Integer()


class StaffBrief(ResponseSchema):
    id = fields.Integer()
    username = fields.String(allow_none=True)


class FollowUpRead(ResponseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    member = fields.Nested(FollowUpMember)
    vehicle = fields.Nested(
        VehicleRead,
        allow_none=True,
        metadata={"description": "The car the call is about (reminder or work order), else the member's first car."},
    )
    kind = fields.String(validate=validate.OneOf(MESSAGE_KINDS))
    reason = fields.String(validate=validate.OneOf(FOLLOW_UP_REASONS))
    due_date = fields.Date()
    overdue_days = fields.Integer(metadata={"description": "Days an open entry is past its due date (0 otherwise)."})
    status = fields.String(validate=validate.OneOf(("open", "done")))
    store_id = fields.Integer(allow_none=True)
    message_id = fields.Integer(allow_none=True)
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    result = fields.String(allow_none=True)
    churn_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    next_contact_date = fields.Date(
        allow_none=True, metadata={"description": "The call back this outcome asked for (its own open entry)."}
    )
    handled_at = fields.DateTime(allow_none=True)
    handled_by_staff_id = fields.Integer(allow_none=True)
    handled_by = fields.Nested(StaffBrief, allow_none=True)
    rating = fields.Nested(
        RatingRead, allow_none=True, metadata={"description": "The followed-up work order's rating, once given."}
    )
    created_at = fields.DateTime()


class OutcomeBody(BodySchema):
    result = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_RESULTS))
    churn_reason = fields.String(validate=validate.OneOf(CHURN_REASONS), allow_none=True)
    note = fields.String(validate=validate.Length(max=500), allow_none=True)
    mileage_km = Count(
        allow_none=True,
        metadata={
            "description": "The odometer reading the member gave: required on a call that reached them "
            "(unless mileage_unknown)."
        },
    )
    vehicle_id = StrictInteger(
        validate=validate.Range(min=1),
        allow_none=True,
        metadata={"description": "The car read; default the entry's car."},
    )
    mileage_unknown = fields.Boolean(metadata={"description": "The member reached could not tell the mileage."})
    score = StrictInteger(
        validate=validate.Range(min=1, max=5),
        allow_none=True,
        metadata={"description": "The member's rating of the followed-up work order (1-5)."},
    )
    comment = fields.String(validate=validate.Length(max=500), allow_none=True)
    next_contact_date = fields.Date(
        allow_none=True, metadata={"description": "Call again on this day (after today): a callback entry."}
    )


class OutcomeCountsQuery(QuerySchema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    store_id = fields.Integer()

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["from_"] > data["to"]:
            raise ValidationError("from is after to", field_name="from")


class OutcomeCounts(ResponseSchema):
    total = fields.Integer()
    by_result = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_churn_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))


class MarketingSettingsRead(ResponseSchema):
    birthday_coupons = fields.Dict(keys=fields.String(), values=fields.Integer())
    birthday_call_min_tier_rank = fields.Integer(allow_none=True)
    win_back_coupon_template_id = fields.Integer(allow_none=True)
    win_back_interval_days = fields.Integer()
    first_maintenance_months = fields.Integer()
    sms_quiet_start_minute = fields.Integer(metadata={"description": "quiet hours start, minutes after midnight"})
    sms_quiet_end_minute = fields.Integer(metadata={"description": "quiet hours end (equal to the start: none)"})
    sms_daily_cap = fields.Integer(metadata={"description": "SMS per member in any 24 hours"})
    sms_weekly_cap = fields.Integer(metadata={"description": "SMS per member in any 7 days"})
    sms_cost_fen = fields.Integer(metadata={"description": "price of one billed SMS part"})
    insurance_reminder_days = fields.List(fields.Integer())
    inspection_reminder_days = fields.Integer()
    template_keys = fields.Constant(
        list(TEMPLATE_KEYS), metadata={"type": "array", "items": {"type": "string", "enum": list(TEMPLATE_KEYS)}}
    )


class MarketingSettingsUpdate(BodySchema):
    birthday_coupons = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=16)),
        values=StrictInteger(),
        validate=validate.Length(max=50),
    )
    birthday_call_min_tier_rank = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=1000))
    win_back_coupon_template_id = StrictInteger(allow_none=True)
    win_back_interval_days = StrictInteger(validate=validate.Range(min=1, max=3650))
    first_maintenance_months = StrictInteger(validate=validate.Range(min=1, max=60))
    sms_quiet_start_minute = StrictInteger(validate=validate.Range(min=0, max=1439))
    sms_quiet_end_minute = StrictInteger(validate=validate.Range(min=0, max=1439))
    sms_daily_cap = StrictInteger(validate=validate.Range(min=0, max=20))
    sms_weekly_cap = StrictInteger(validate=validate.Range(min=0, max=100))
    sms_cost_fen = StrictInteger(validate=validate.Range(min=0, max=1000))
    # Days before the insurance expiry a renewal reminder goes out: one to five lead times.
    insurance_reminder_days = fields.List(
        StrictInteger(validate=validate.Range(min=1, max=90)), validate=validate.Length(min=1, max=5)
    )
    inspection_reminder_days = StrictInteger(validate=validate.Range(min=1, max=90))


class SmsOptOutRead(ResponseSchema):
    sms_opted_out = fields.Boolean()
    opted_out_at = fields.DateTime(allow_none=True)
    source = fields.String(allow_none=True, validate=validate.OneOf(SMS_OPT_OUT_SOURCES))


class SmsOptOutBody(BodySchema):
    opted_out = fields.Boolean(required=True)


class SmsUsageQuery(QuerySchema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["from_"] > data["to"]:
            raise ValidationError("from is after to", field_name="from")


class SmsKindUsage(ResponseSchema):
    sent = fields.Integer()
    cost_fen = fields.Integer()
    delivered = fields.Integer(metadata={"description": "Of those sent, reported delivered to the phone"})
    undelivered = fields.Integer(metadata={"description": "Of those sent, reported not delivered"})
    not_sent = fields.Dict(keys=fields.String(), values=fields.Integer())


class SmsUsage(ResponseSchema):
    sent = fields.Integer(metadata={"description": "SMS the provider accepted"})
    cost_fen = fields.Integer()
    delivered = fields.Integer(metadata={"description": "Of those sent, reported delivered to the phone"})
    undelivered = fields.Integer(metadata={"description": "Of those sent, reported not delivered"})
    by_kind = fields.Dict(keys=fields.String(), values=fields.Nested(SmsKindUsage))


SegmentPage = page_schema(SegmentRead, name="SegmentPage")
CampaignPage = page_schema(CampaignRead, name="CampaignPage")
MessagePage = page_schema(MessageRead, name="MessagePage")
FollowUpPage = page_schema(FollowUpRead, name="FollowUpPage")
