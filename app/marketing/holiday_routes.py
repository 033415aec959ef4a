"""Routes of the holiday calendar: marketing staff and the owner keep it (every change audited)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import back_office, current_actor
from app.common.transaction import unit_of_work
from app.marketing import holidays
from app.marketing.holiday_schemas import HolidayCreate, HolidayPage, HolidayQuery, HolidayRead, HolidayUpdate

blp = Blueprint("marketing-holidays", __name__, description="The holiday calendar of greetings")


@blp.route("/marketing/holidays")
class Holidays(MethodView):
    @back_office
    @blp.arguments(HolidayQuery, location="query")
    @blp.response(200, HolidayPage)
    def get(self, query):
        """The holiday calendar by day (one year with ``year``)"""
        return holidays.list_holidays(**query)

    @back_office
    @unit_of_work()
    @blp.arguments(HolidayCreate, example={"name": "春节", "day": "2027-02-06", "days_before": 1})
    @blp.response(201, HolidayRead)
    def post(self, body):
        """Add a holiday: members are greeted ``days_before`` its day, with its coupon if any (audited)"""
        return holidays.create_holiday(actor=current_actor(), values=body)


@blp.route("/marketing/holidays/<int:holiday_id>")
class HolidayItem(MethodView):
    @back_office
    @unit_of_work()
    @blp.arguments(HolidayUpdate)
    @blp.response(200, HolidayRead)
    def patch(self, changes, holiday_id):
        """Change a holiday (audited); members greeted for it already are not greeted again"""
        return holidays.update_holiday(actor=current_actor(), holiday_id=holiday_id, changes=changes)

    @back_office
    @unit_of_work()
    @blp.response(204)
    def delete(self, holiday_id):
        """Remove a holiday from the calendar (audited)"""
        holidays.delete_holiday(actor=current_actor(), holiday_id=holiday_id)
