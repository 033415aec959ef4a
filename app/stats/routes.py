from flask_smorest import Blueprint

from app.common.auth import owner_only
from app.stats import export, profiles, satisfaction, services
from app.stats.schemas import (
    MemberProfilesRead,
    OverviewRead,
    PeriodQuery,
    ProfileQuery,
    SatisfactionRead,
    TimeseriesQuery,
    TimeseriesRead,
    TopMembersQuery,
    TopMembersRead,
)

blp = Blueprint("stats", __name__, description="The owner's statistics (JSON, or CSV with ?format=csv)")

CSV_DOC = {
    "schema": {"type": "string"},
    "content_type": "text/csv",
    "description": "JSON; with ?format=csv, UTF-8 CSV with a byte-order mark.",
}


def _period_args(query):
    return {"first_day": query["from_"], "last_day": query["to"], "store_id": query["store_id"]}


def _answer(query, result, schema, to_csv):
    """The figures as JSON (dumped by the route's schema), or as CSV from the same dump."""
    return to_csv(schema().dump(result)) if query["format"] == "csv" else result


@blp.route("/stats/overview")
@owner_only
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, OverviewRead)
@blp.alt_response(200, success=True, **CSV_DOC)
def overview(query):
    """The dashboard: members, visits, revenue, retention, liabilities, campaigns, referrals"""
    return _answer(query, services.overview(**_period_args(query)), OverviewRead, export.overview_csv)


@blp.route("/stats/timeseries")
@owner_only
@blp.arguments(TimeseriesQuery, location="query")
@blp.response(200, TimeseriesRead)
@blp.alt_response(200, success=True, **CSV_DOC)
def timeseries(query):
    """One metric per merchant-local day, for charts"""
    return _answer(
        query, services.timeseries(metric=query["metric"], **_period_args(query)), TimeseriesRead, export.timeseries_csv
    )


@blp.route("/stats/top-members")
@owner_only
@blp.arguments(TopMembersQuery, location="query")
@blp.response(200, TopMembersRead)
@blp.alt_response(200, success=True, **CSV_DOC)
def top_members(query):
    """The members who paid the most in the period"""
    return _answer(
        query, services.top_members(limit=query["limit"], **_period_args(query)), TopMembersRead, export.top_members_csv
    )


@blp.route("/stats/satisfaction")
@owner_only
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, SatisfactionRead)
@blp.alt_response(200, success=True, **CSV_DOC)
def satisfaction_scores(query):
    """Ratings of the period by store, technician and month, and the complaints they opened"""
    result = satisfaction.satisfaction(**_period_args(query))
    return _answer(query, result, SatisfactionRead, export.satisfaction_csv)


@blp.route("/stats/member-profiles")
@owner_only
@blp.arguments(ProfileQuery, location="query")
@blp.response(200, MemberProfilesRead)
@blp.alt_response(200, success=True, **CSV_DOC)
def member_profiles(query):
    """Members by each profile fact (gender, birth decade, region, occupation, car use, channel)"""
    result = profiles.member_profiles(store_id=query["store_id"])
    return _answer(query, result, MemberProfilesRead, export.member_profiles_csv)
