from app.common.schemas import BodySchema, Count, ResponseSchema, StrictInteger, fields, validate


class SettingsRead(ResponseSchema):
    name = fields.String()
    timezone = fields.String()
    points_per_yuan = fields.Integer()
    points_per_yuan_redeemed = fields.Integer()
    points_max_redeem_percent = fields.Integer()
    points_valid_months = fields.Integer()
    at_risk_after_days = fields.Integer()
    churned_after_days = fields.Integer()


class SettingsUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    points_per_yuan = Count()
    points_per_yuan_redeemed = Count(minimum=1)
    points_max_redeem_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    points_valid_months = Count(minimum=1)
    at_risk_after_days = Count(minimum=1)
    churned_after_days = Count(minimum=2)
