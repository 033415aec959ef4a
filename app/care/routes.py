from flask.views import MethodView
from flask_smorest import Blueprint

from app.care import complaints, services
from app.care.schemas import (
    CareSettingsRead,
    CareSettingsUpdate,
    ComplaintDetail,
    ComplaintMove,
    ComplaintNote,
    ComplaintPage,
    ComplaintQuery,
    RatingBody,
    RatingRead,
)
from app.common.auth import back_office, current_actor, member_only, owner_only
from app.common.transaction import unit_of_work

blp = Blueprint("care", __name__, description="Satisfaction ratings and complaints")


@blp.route("/me/work-orders/<int:work_order_id>/rating", methods=["POST"])
@member_only
@unit_of_work()
@blp.arguments(RatingBody)
@blp.response(201, RatingRead)
def rate_my_work_order(body, work_order_id):
    """Rate one of the caller's settled work orders, once (opened from the follow-up notice)"""
    return services.rate_by_member(member_id=current_actor().id, work_order_id=work_order_id, **body)


@blp.route("/care/settings")
class CareSettings(MethodView):
    @back_office
    @blp.response(200, CareSettingsRead)
    def get(self):
        """The satisfaction rules: which score opens a complaint, and its due time"""
        return services.care_settings()

    @owner_only
    @unit_of_work()
    @blp.arguments(CareSettingsUpdate)
    @blp.response(200, CareSettingsRead)
    def patch(self, changes):
        """Change the satisfaction rules"""
        return services.update_care_settings(changes=changes)


@blp.route("/complaints")
@back_office
@blp.arguments(ComplaintQuery, location="query")
@blp.response(200, ComplaintPage)
def list_complaints(query):
    """Complaints, the soonest due first (filter by status, store, overdue)"""
    return complaints.list_complaints(**query)


@blp.route("/complaints/<int:complaint_id>")
@back_office
@blp.response(200, ComplaintDetail)
def get_complaint(complaint_id):
    """One complaint with its history"""
    return complaints.get_complaint(complaint_id=complaint_id)


@blp.route("/complaints/<int:complaint_id>/status", methods=["POST"])
@back_office
@unit_of_work()
@blp.arguments(ComplaintMove)
@blp.response(200, ComplaintDetail)
def move_complaint(body, complaint_id):
    """Move a complaint: open → in_hand → resolved (resolving needs a note)"""
    return complaints.move_complaint(complaint_id=complaint_id, actor=current_actor(), **body)


@blp.route("/complaints/<int:complaint_id>/notes", methods=["POST"])
@back_office
@unit_of_work()
@blp.arguments(ComplaintNote)
@blp.response(200, ComplaintDetail)
def add_complaint_note(body, complaint_id):
    """Add a note to a complaint's history"""
    return complaints.add_note(complaint_id=complaint_id, actor=current_actor(), **body)
