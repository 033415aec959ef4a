from app.common.schemas import PageQuery, QuerySchema, ResponseSchema, fields, page_schema, validate
from app.referrals.models import REFERRAL_STATUSES, REFUSAL_REASONS, REWARD_STATUSES


class FrozenRewardRead(ResponseSchema):
    points = fields.Integer()
    coupon_template_id = fields.Integer(allow_none=True)
    releases_at = fields.DateTime()


class ReferralRules(ResponseSchema):
    welcome_coupon_template_id = fields.Integer(allow_none=True)
    reward_points = fields.Integer()
    reward_coupon_template_id = fields.Integer(allow_none=True)
    min_order_fen = fields.Integer()
    freeze_days = fields.Integer()


class MyReferralRead(ResponseSchema):
    referral_code = fields.String()
    invited_count = fields.Integer()
    pending_count = fields.Integer()
    converted_count = fields.Integer()
    rewarded_count = fields.Integer()
    points_earned = fields.Integer()
    frozen_rewards = fields.List(fields.Nested(FrozenRewardRead))
    share_page = fields.String()
    share_path = fields.String()
    rules = fields.Nested(ReferralRules)


class MemberBrief(ResponseSchema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    referral_code = fields.String()


class RewardRead(ResponseSchema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(REWARD_STATUSES))
    points = fields.Integer()
    coupon_template_id = fields.Integer(allow_none=True)
    member_coupon_id = fields.Integer(allow_none=True)
    releases_at = fields.DateTime()
    released_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    reversed_at = fields.DateTime(allow_none=True)
    points_not_recovered = fields.Integer()
    coupon_not_recovered = fields.Boolean()


class ReferralRead(ResponseSchema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))
    code = fields.String()
    referrer = fields.Nested(MemberBrief)
    referred = fields.Nested(MemberBrief)
    welcome_coupon_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    order_paid_fen = fields.Integer(allow_none=True)
    converted_at = fields.DateTime(allow_none=True)
    reversed_at = fields.DateTime(allow_none=True)
    refused_reason = fields.String(allow_none=True)
    reward = fields.Nested(RewardRead, allow_none=True)
    created_at = fields.DateTime()


ReferralPage = page_schema(ReferralRead, name="ReferralPage")


class ReferralQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))
    referrer_id = fields.Integer(validate=validate.Range(min=1))
    referred_id = fields.Integer(validate=validate.Range(min=1))


class RefusalRead(ResponseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    referrer_id = fields.Integer(allow_none=True)
    referral_id = fields.Integer(allow_none=True)
    code = fields.String()
    reason = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    last_attempt_at = fields.DateTime()


RefusalPage = page_schema(RefusalRead, name="ReferralRefusalPage")


class RefusalQuery(PageQuery):
    reason = fields.String(validate=validate.OneOf(REFUSAL_REASONS))
    referrer_id = fields.Integer(validate=validate.Range(min=1))
    member_id = fields.Integer(validate=validate.Range(min=1))


class PeriodQuery(QuerySchema):
    """Referrals made from ``from`` to ``to`` (merchant-local dates, both inclusive)."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()


class StatsQuery(PeriodQuery):
    top = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class ReferrerStatsQuery(PeriodQuery, PageQuery):
    pass


class ReferrerStatsRead(ResponseSchema):
    member_id = fields.Integer()
    nickname = fields.String(allow_none=True)
    referral_code = fields.String()
    invited = fields.Integer()
    converted = fields.Integer()
    rewarded = fields.Integer()
    repeat_visits = fields.Integer()
    referred_paid_fen = fields.Integer()


ReferrerStatsPage = page_schema(ReferrerStatsRead, name="ReferrerStatsPage")


class RefusalCount(ResponseSchema):
    count = fields.Integer()
    attempts = fields.Integer()


class RepeatPurchases(ResponseSchema):
    referred_members = fields.Integer()
    with_paid_visit = fields.Integer()
    with_repeat_visit = fields.Integer()
    repeat_visits = fields.Integer()
    repeat_rate_percent = fields.Integer()
    paid_fen = fields.Integer()


class ReferralStatsRead(ResponseSchema):
    invited = fields.Integer()
    pending = fields.Integer()
    converted = fields.Integer()
    reversed = fields.Integer()
    rewarded = fields.Integer()
    rewards_frozen = fields.Integer()
    reward_points_released = fields.Integer()
    refusals = fields.Dict(keys=fields.String(), values=fields.Nested(RefusalCount))
    top_referrers = fields.List(fields.Nested(ReferrerStatsRead))
    repeat_purchases = fields.Nested(RepeatPurchases)
