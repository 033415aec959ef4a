from flask.views import MethodView
from flask_smorest import Blueprint

from app.common import clock
from app.common.auth import back_office, current_actor, member_only, owner_only, staff_any
from app.common.schemas import PageQuery
from app.common.transaction import unit_of_work
from app.marketing import (
    campaigns,
    examples,
    followups,
    grants,
    holiday_routes,
    outbox,
    segments,
    settings_services,
    sms_opt_outs,
)
from app.marketing.schemas import (
    CampaignCreate,
    CampaignPage,
    CampaignQuery,
    CampaignRead,
    FollowUpPage,
    FollowUpQuery,
    FollowUpRead,
    MarketingSettingsRead,
    MarketingSettingsUpdate,
    MessagePage,
    MessageQuery,
    OutcomeBody,
    OutcomeCounts,
    OutcomeCountsQuery,
    RulesBody,
    SegmentCreate,
    SegmentPage,
    SegmentPreview,
    SegmentRead,
    SmsOptOutBody,
    SmsOptOutRead,
    SmsUsage,
    SmsUsageQuery,
    SubscriptionsBody,
    SubscriptionsRead,
)
from app.merchant.services import merchant_timezone

blp = Blueprint("marketing", __name__, description="Segments, campaigns, pushes and the call list")
blueprints = [blp, holiday_routes.blp]


@blp.route("/me/subscriptions")
class MySubscriptions(MethodView):
    @member_only
    @blp.response(200, SubscriptionsRead)
    def get(self):
        """The caller's remaining subscribe-message grants by template key"""
        return {"grants": grants.grants_of(member_id=current_actor().id)}

    @member_only
    @unit_of_work()
    @blp.arguments(SubscriptionsBody)
    @blp.response(200, SubscriptionsRead)
    def post(self, body):
        """Record the templates the member accepted in wx.requestSubscribeMessage (one grant each)"""
        return {"grants": grants.record_grants(member_id=current_actor().id, template_keys=body["template_keys"])}


@blp.route("/segments")
class Segments(MethodView):
    @back_office
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, SegmentPage)
    def get(self, query):
        """List segments, newest first"""
        return segments.list_segments(**query)

    @back_office
    @unit_of_work()
    @blp.arguments(SegmentCreate, example=examples.SEGMENT)
    @blp.response(201, SegmentRead)
    def post(self, body):
        """Save a segment (rules are validated and compiled; unknown fields or operators → 422)"""
        return segments.create_segment(name=body["name"], rules=body["rules"], staff_id=current_actor().id)


@blp.route("/segments/preview", methods=["POST"])
@back_office
@blp.arguments(RulesBody, example={"rules": examples.SEGMENT["rules"]})
@blp.response(200, SegmentPreview)
def preview_unsaved(body):
    """Count and sample the members of rules before saving them"""
    return segments.preview_rules(body["rules"])


@blp.route("/segments/<int:segment_id>")
@back_office
@blp.response(200, SegmentRead)
def get_segment(segment_id):
    """Read one segment"""
    return segments.get_segment(segment_id)


@blp.route("/segments/<int:segment_id>/preview")
@back_office
@blp.response(200, SegmentPreview)
def preview_segment(segment_id):
    """How many members a segment selects now, with a sample of them"""
    return segments.preview_segment(segment_id=segment_id)


@blp.route("/campaigns")
class Campaigns(MethodView):
    @back_office
    @blp.arguments(CampaignQuery, location="query")
    @blp.response(200, CampaignPage)
    def get(self, query):
        """List campaigns, newest first"""
        result = campaigns.list_campaigns(**query)
        for campaign in result["items"]:
            campaign.results = campaigns.campaign_results(campaign)
        return result

    @back_office
    @unit_of_work()
    @blp.arguments(CampaignCreate, example=examples.CAMPAIGN)
    @blp.response(201, CampaignRead)
    def post(self, body):
        """Schedule a campaign: a segment, an optional coupon and a service-notice message"""
        campaign = campaigns.create_campaign(staff_id=current_actor().id, **body)
        return campaigns.campaign_with_results(campaign.id)


@blp.route("/campaigns/<int:campaign_id>")
@back_office
@blp.response(200, CampaignRead)
def get_campaign(campaign_id):
    """A campaign with its results (audience, sent, skipped, coupons issued and used, revenue)"""
    return campaigns.campaign_with_results(campaign_id)


@blp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@back_office
@unit_of_work()
@blp.response(200, CampaignRead)
def cancel_campaign(campaign_id):
    """Cancel a campaign that has not been sent"""
    campaigns.cancel_campaign(campaign_id=campaign_id)
    return campaigns.campaign_with_results(campaign_id)


@blp.route("/messages")
@back_office
@blp.arguments(MessageQuery, location="query")
@blp.response(200, MessagePage)
def list_messages(query):
    """The outbox of subscribe messages, newest first"""
    return outbox.list_messages(**query)


@blp.route("/follow-ups")
@staff_any
@blp.arguments(FollowUpQuery, location="query")
@blp.response(200, FollowUpPage)
def list_follow_ups(query):
    """The staff call list (cashiers see their stores' entries)"""
    return followups.list_follow_ups(actor=current_actor(), **query)


@blp.route("/follow-ups/outcomes")
@back_office
@blp.arguments(OutcomeCountsQuery, location="query")
@blp.response(200, OutcomeCounts)
def outcome_counts(query):
    """Call outcomes and churn reasons recorded between two local dates"""
    tz_name = merchant_timezone()
    start = clock.local_day_bounds(query["from_"], tz_name)[0]
    end = clock.local_day_bounds(query["to"], tz_name)[1]
    return followups.follow_up_outcome_counts(start=start, end=end, store_id=query.get("store_id"))


@blp.route("/follow-ups/<int:follow_up_id>/outcome", methods=["POST"])
@staff_any
@unit_of_work()
@blp.arguments(OutcomeBody)
@blp.response(200, FollowUpRead)
def record_outcome(body, follow_up_id):
    """Record what a call produced (a lost customer needs a churn reason)"""
    return followups.record_outcome(follow_up_id=follow_up_id, actor=current_actor(), **body)


@blp.route("/marketing/settings")
class MarketingSettings(MethodView):
    @back_office
    @blp.response(200, MarketingSettingsRead)
    def get(self):
        """The marketing rules: birthday coupons and calls, win-back spacing, first maintenance"""
        return settings_services.marketing_settings()

    @owner_only
    @unit_of_work()
    @blp.arguments(MarketingSettingsUpdate)
    @blp.response(200, MarketingSettingsRead)
    def patch(self, changes):
        """Change the marketing rules (owner, audited)"""
        return settings_services.update_marketing_settings(changes=changes, actor=current_actor())


@blp.route("/me/sms-opt-out")
class MySmsOptOut(MethodView):
    @member_only
    @blp.response(200, SmsOptOutRead)
    def get(self):
        """Whether the caller has opted out of SMS (退订)"""
        return sms_opt_outs.sms_status(current_actor().id)

    @member_only
    @unit_of_work()
    @blp.arguments(SmsOptOutBody)
    @blp.response(200, SmsOptOutRead)
    def put(self, body):
        """Opt out of SMS reminders (退订), or back in (audited)"""
        return sms_opt_outs.set_sms_opt_out(
            member_id=current_actor().id, opted_out=body["opted_out"], source="member", actor=current_actor()
        )


@blp.route("/members/<int:member_id>/sms-opt-out")
class MemberSmsOptOut(MethodView):
    @staff_any
    @blp.response(200, SmsOptOutRead)
    def get(self, member_id):
        """Whether a member has opted out of SMS, since when and how"""
        return sms_opt_outs.sms_status(member_id)

    @staff_any
    @unit_of_work()
    @blp.arguments(SmsOptOutBody)
    @blp.response(200, SmsOptOutRead)
    def put(self, body, member_id):
        """Record a member's SMS opt-out (or opt-in) they asked staff for (audited)"""
        return sms_opt_outs.set_sms_opt_out(
            member_id=member_id, opted_out=body["opted_out"], source="staff", actor=current_actor()
        )


@blp.route("/marketing/sms-usage")
@back_office
@blp.arguments(SmsUsageQuery, location="query")
@blp.response(200, SmsUsage)
def sms_usage(query):
    """SMS sent and their cost, by kind, among the messages queued between two local dates"""
    tz_name = merchant_timezone()
    start = clock.local_day_bounds(query["from_"], tz_name)[0]
    end = clock.local_day_bounds(query["to"], tz_name)[1]
    return sms_opt_outs.sms_usage(start=start, end=end)
