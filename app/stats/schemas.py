"""Query strings and response shapes of the owner's statistics."""

from app.common.schemas import QuerySchema, ResponseSchema, fields, validate
from app.marketing.schemas import CampaignResults
from app.referrals.schemas import ReferralStatsRead
from app.stats.services import METRICS

FORMATS = ("json", "csv")


def _counts():
    return fields.Dict(keys=fields.String(), values=fields.Integer())


class PeriodQuery(QuerySchema):
    from_ = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First merchant-local day (YYYY-MM-DD); default 29 days before `to`."},
    )
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive; default today."})
    store_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Narrow the work-order figures to one store."},
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "`csv`: text/csv (UTF-8 with BOM) instead of JSON."},
    )


class TimeseriesQuery(PeriodQuery):
    metric = fields.String(
        required=True,
        validate=validate.OneOf(METRICS),
        metadata={
            "description": "A daily figure of the counted orders, members, top-ups or coupons; or a liability's "
            "closing balance each day (stored_value_principal_fen, stored_value_bonus_fen, points_balance, "
            "package_card_items_balance: merchant-wide, store_id does not narrow them)."
        },
    )


class TopMembersQuery(PeriodQuery):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class PeriodRead(ResponseSchema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    store_id = fields.Integer(allow_none=True)
    timezone = fields.String()


class TierCount(ResponseSchema):
    tier_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    members = fields.Integer()


class MembersRead(ResponseSchema):
    total = fields.Integer()
    new = fields.Integer()
    by_lifecycle = _counts()
    by_tier = fields.List(fields.Nested(TierCount))
    by_value_class = _counts()


class VisitsRead(ResponseSchema):
    work_orders = fields.Integer(metadata={"description": "台次: work orders settled in the period, not refunded."})
    vehicles = fields.Integer()
    member_work_orders = fields.Integer()
    walk_in_work_orders = fields.Integer()
    members = fields.Integer()


class RevenueRead(ResponseSchema):
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    tier_discount_fen = fields.Integer()
    by_tender = _counts()
    by_category = _counts()
    average_ticket_fen = fields.Integer()
    average_paid_fen = fields.Integer()


class RefundsRead(ResponseSchema):
    work_orders = fields.Integer()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    settled_before_period = fields.Integer()


class RetentionRead(ResponseSchema):
    return_window_from = fields.Date()
    return_window_to = fields.Date()
    visited_members = fields.Integer()
    returning_members = fields.Integer()
    return_rate_percent = fields.Float()
    members_with_visits = fields.Integer()
    churned_members = fields.Integer()
    churn_rate_percent = fields.Float()


class LiabilitiesRead(ResponseSchema):
    stored_value_principal_fen = fields.Integer()
    stored_value_bonus_fen = fields.Integer()
    stored_value_fen = fields.Integer()
    points_outstanding = fields.Integer()
    package_card_items_outstanding = fields.Integer()
    period_cards_unearned_fen = fields.Integer(
        metadata={"description": "Unearned revenue of period cards (月卡/年卡), earned straight-line by day."}
    )
    receivables_fen = fields.Integer(
        metadata={"description": "An asset: what accounts (挂账) still owe on their receivables."}
    )
    account_credit_fen = fields.Integer(
        metadata={"description": "A liability: what accounts paid in beyond their receivables (their credit)."}
    )


class TopupsRead(ResponseSchema):
    count = fields.Integer()
    principal_fen = fields.Integer()
    bonus_fen = fields.Integer()
    by_paid_via = _counts()


class CardSalesRead(ResponseSchema):
    sold_fen = fields.Integer()
    by_paid_via = _counts()


class PrepaidRead(ResponseSchema):
    topups = fields.Nested(TopupsRead)
    package_cards = fields.Nested(CardSalesRead)
    period_cards = fields.Nested(CardSalesRead, metadata={"description": "Period cards (月卡/年卡) sold."})


class CouponsRead(ResponseSchema):
    issued = fields.Integer()
    redeemed = fields.Integer()
    issued_by_source = _counts()


class CampaignResult(CampaignResults):
    id = fields.Integer()
    name = fields.String()
    launched_at = fields.DateTime()


class CampaignsRead(ResponseSchema):
    launched = fields.Integer()
    audience = fields.Integer()
    sent = fields.Integer()
    skipped_no_grant = fields.Integer()
    coupons_issued = fields.Integer()
    coupons_used = fields.Integer()
    revenue_fen = fields.Integer()
    items = fields.List(fields.Nested(CampaignResult))


class FollowUpsRead(ResponseSchema):
    total = fields.Integer()
    by_result = _counts()
    by_churn_reason = _counts()
    by_kind = fields.Dict(keys=fields.String(), values=_counts())


class OverviewRead(PeriodRead):
    generated_at = fields.DateTime()
    members = fields.Nested(MembersRead)
    visits = fields.Nested(VisitsRead)
    revenue = fields.Nested(RevenueRead)
    refunds = fields.Nested(RefundsRead)
    retention = fields.Nested(RetentionRead)
    liabilities = fields.Nested(LiabilitiesRead)
    prepaid = fields.Nested(PrepaidRead)
    coupons = fields.Nested(CouponsRead)
    campaigns = fields.Nested(CampaignsRead)
    referrals = fields.Nested(ReferralStatsRead)
    follow_ups = fields.Nested(FollowUpsRead)


class SeriesPoint(ResponseSchema):
    date = fields.Date()
    value = fields.Integer()


class TimeseriesRead(PeriodRead):
    metric = fields.String()
    points = fields.List(fields.Nested(SeriesPoint))


class TopMember(ResponseSchema):
    rank = fields.Integer()
    member_id = fields.Integer()
    nickname = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "Masked: 138****5678."})
    tier = fields.String(allow_none=True)
    work_orders = fields.Integer()
    paid_fen = fields.Integer()
    total_fen = fields.Integer()


class TopMembersRead(PeriodRead):
    items = fields.List(fields.Nested(TopMember))


# -- satisfaction and member profiles (app/stats/satisfaction.py, app/stats/profiles.py) ---------


class ScoreFigures(ResponseSchema):
    count = fields.Integer()
    score_total = fields.Integer(metadata={"description": "The sum of the scores (exact)."})
    average = fields.Float(allow_none=True, metadata={"description": "Rounded to two decimals; null without ratings."})


class OverallScores(ScoreFigures):
    by_score = fields.Dict(keys=fields.String(), values=fields.Integer())


class StoreScores(ScoreFigures):
    store_id = fields.Integer()
    name = fields.String()


class TechnicianScores(ScoreFigures):
    staff_id = fields.Integer()
    username = fields.String(allow_none=True)


class MonthScores(ScoreFigures):
    month = fields.String(metadata={"description": "YYYY-MM, merchant-local."})


class ComplaintFigures(ResponseSchema):
    opened = fields.Integer()
    resolved = fields.Integer()
    overdue_now = fields.Integer()


class SatisfactionRead(PeriodRead):
    overall = fields.Nested(OverallScores)
    by_store = fields.List(fields.Nested(StoreScores))
    by_technician = fields.List(fields.Nested(TechnicianScores))
    by_month = fields.List(fields.Nested(MonthScores))
    complaints = fields.Nested(ComplaintFigures)


class ProfileQuery(QuerySchema):
    store_id = fields.Integer(
        load_default=None, validate=validate.Range(min=1), metadata={"description": "Members registered there."}
    )
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class FactCount(ResponseSchema):
    value = fields.String()
    count = fields.Integer()


class MemberProfilesRead(ResponseSchema):
    store_id = fields.Integer(allow_none=True)
    total = fields.Integer()
    facts = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FactCount)))
