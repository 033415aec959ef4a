from app.common.schemas import BodySchema, Count, Fen, ResponseSchema, StrictInteger, fields, validate


class SettingsRead(ResponseSchema):
    name = fields.String()
    timezone = fields.String()
    points_per_yuan = fields.Integer()
    points_per_yuan_redeemed = fields.Integer()
    points_max_redeem_percent = fields.Integer()
    points_valid_months = fields.Integer()
    at_risk_after_days = fields.Integer()
    churned_after_days = fields.Integer()
    referral_welcome_coupon_template_id = fields.Integer(allow_none=True)
    referral_reward_points = fields.Integer()
    referral_reward_coupon_template_id = fields.Integer(allow_none=True)
    referral_min_order_fen = fields.Integer()
    referral_reward_freeze_days = fields.Integer()
    referral_monthly_cap = fields.Integer(allow_none=True)
    referral_share_page = fields.String()
    topup_bonus_max_percent = fields.Integer()
    tier_labor_discount_max_percent = fields.Integer()
    tier_parts_discount_max_percent = fields.Integer()
    referral_reward_max_points = fields.Integer()
    console_lock_minutes = fields.Integer()


class SettingsUpdate(BodySchema):
    # Months and days within a century: a points expiry or lifecycle threshold computed from more
    # would fall outside the calendar the service can represent (a 500, not a rule).
    name = fields.String(validate=validate.Length(min=1, max=100))
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    points_per_yuan = Count()
    points_per_yuan_redeemed = Count(minimum=1)
    points_max_redeem_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    points_valid_months = StrictInteger(validate=validate.Range(min=1, max=1200))
    at_risk_after_days = StrictInteger(validate=validate.Range(min=1, max=36500))
    churned_after_days = StrictInteger(validate=validate.Range(min=2, max=36500))
    referral_welcome_coupon_template_id = StrictInteger(allow_none=True, validate=validate.Range(min=1))
    referral_reward_points = Count()
    referral_reward_coupon_template_id = StrictInteger(allow_none=True, validate=validate.Range(min=1))
    referral_min_order_fen = Fen()
    referral_reward_freeze_days = StrictInteger(validate=validate.Range(min=0, max=365))
    referral_monthly_cap = Count(minimum=1, allow_none=True)
    # A mini-program page path (no leading slash), e.g. pages/index/index.
    referral_share_page = fields.String(
        validate=[validate.Length(min=1, max=128), validate.Regexp(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$")]
    )
    # The owner's bounds on what plans, tiers and the referral reward may give (see the model).
    topup_bonus_max_percent = StrictInteger(validate=validate.Range(min=0, max=1000))
    tier_labor_discount_max_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    tier_parts_discount_max_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    referral_reward_max_points = Count()
    # Minutes of quiet before the staff console locks (1 to 240).
    console_lock_minutes = StrictInteger(validate=validate.Range(min=1, max=240))
