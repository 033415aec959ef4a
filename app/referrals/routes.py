import io

from flask import send_file
from flask_smorest import Blueprint

from app.common.auth import back_office, current_actor, member_only
from app.common.qr import PNG_RESPONSE
from app.common.transaction import unit_of_work
from app.referrals import services, share, stats
from app.referrals.schemas import (
    MyReferralRead,
    ReferralPage,
    ReferralQuery,
    ReferralStatsRead,
    ReferrerStatsPage,
    ReferrerStatsQuery,
    RefusalPage,
    RefusalQuery,
    StatsQuery,
)

blp = Blueprint("referrals", __name__, description="Referrals: share codes, attribution, rewards")


@blp.route("/me/referral")
@member_only
@blp.response(200, MyReferralRead)
def my_referral():
    """The caller's referral code, invitations and rewards"""
    return services.member_referral_summary(member_id=current_actor().id)


@blp.route("/me/referral/qr.png")
@member_only
@unit_of_work()
@blp.doc(responses=PNG_RESPONSE)
def my_referral_code_image():
    """The caller's share image: a mini-program code (live) or a QR of the share path"""
    png, lasting = share.referral_code_png(member_id=current_actor().id)
    response = send_file(io.BytesIO(png), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=86400" if lasting else "no-store"
    return response


@blp.route("/referrals")
@back_office
@blp.arguments(ReferralQuery, location="query")
@blp.response(200, ReferralPage)
def list_referrals(query):
    """Referrals, newest first; filter by status, referrer or referred member"""
    return services.list_referrals(**query)


@blp.route("/referrals/refusals")
@back_office
@blp.arguments(RefusalQuery, location="query")
@blp.response(200, RefusalPage)
def list_refusals(query):
    """Refused referral codes with their reasons"""
    return services.list_refusals(**query)


@blp.route("/referrals/stats")
@back_office
@blp.arguments(StatsQuery, location="query")
@blp.response(200, ReferralStatsRead)
def referral_stats(query):
    """Referral results: totals, refusals, top referrers, repeat purchases of referred members"""
    return stats.referral_stats(date_from=query.get("from_"), date_to=query.get("to"), top=query["top"])


@blp.route("/referrals/referrers")
@back_office
@blp.arguments(ReferrerStatsQuery, location="query")
@blp.response(200, ReferrerStatsPage)
def referrer_stats(query):
    """Referrals per member (invited, converted, rewarded, repeat visits), best first"""
    return stats.list_referrer_stats(
        date_from=query.get("from_"), date_to=query.get("to"), page=query["page"], per_page=query["per_page"]
    )
