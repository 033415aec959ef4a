from flask.views import MethodView
from flask_smorest import Blueprint

from app.bookings import services
from app.bookings.schemas import (
    BookingCancel,
    BookingCreate,
    BookingPage,
    BookingRead,
    BookingReschedule,
    CheckInBody,
    MemberBookingQuery,
    SlotList,
    SlotQuery,
    StaffBookingQuery,
)
from app.common.auth import ROLES, auth_required, counter_staff, current_actor, member_only
from app.common.transaction import unit_of_work
from app.workorders.schemas import WorkOrderRead

blp = Blueprint("bookings", __name__, description="Booking slots, bookings and check-in")


@blp.route("/stores/<int:store_id>/slots")
@auth_required(*ROLES)
@blp.arguments(SlotQuery, location="query")
@blp.response(200, SlotList)
def store_slots(query, store_id):
    """A store's bookable slots on a day, with the bays free for the item's duration"""
    return {
        "items": services.available_slots(
            store_id=store_id, day=query["date"], service_item_id=query.get("service_item_id")
        )
    }


@blp.route("/me/bookings")
class MyBookings(MethodView):
    @member_only
    @blp.arguments(MemberBookingQuery, location="query")
    @blp.response(200, BookingPage)
    def get(self, query):
        """The caller's bookings, latest start first"""
        return services.list_member_bookings(member_id=current_actor().id, **query)

    @member_only
    @unit_of_work(idempotent=True)
    @blp.arguments(BookingCreate)
    @blp.response(201, BookingRead)
    def post(self, body):
        """Book a slot for one of the caller's vehicles; a full slot is 409"""
        return services.create_booking(member_id=current_actor().id, **body)


@blp.route("/me/bookings/<int:booking_id>")
@member_only
@blp.response(200, BookingRead)
def my_booking(booking_id):
    """One of the caller's bookings"""
    return services.get_member_booking(member_id=current_actor().id, booking_id=booking_id)


@blp.route("/me/bookings/<int:booking_id>/cancel", methods=["POST"])
@member_only
@unit_of_work()
@blp.arguments(BookingCancel)
@blp.response(200, BookingRead)
def cancel_my_booking(body, booking_id):
    """Cancel one of the caller's bookings (until the store's cut-off before the start)"""
    return services.cancel_member_booking(member_id=current_actor().id, booking_id=booking_id, **body)


@blp.route("/me/bookings/<int:booking_id>/reschedule", methods=["POST"])
@member_only
@unit_of_work()
@blp.arguments(BookingReschedule)
@blp.response(200, BookingRead)
def reschedule_my_booking(body, booking_id):
    """Move one of the caller's bookings to another start (until the cut-off)"""
    return services.reschedule_member_booking(member_id=current_actor().id, booking_id=booking_id, **body)


@blp.route("/bookings")
@counter_staff
@blp.arguments(StaffBookingQuery, location="query")
@blp.response(200, BookingPage)
def store_bookings(query):
    """A day's bookings of a store (cashiers: their stores), by start time"""
    query["day"] = query.pop("date", None)
    return services.list_store_bookings(actor=current_actor(), **query)


@blp.route("/bookings/<int:booking_id>")
@counter_staff
@blp.response(200, BookingRead)
def store_booking(booking_id):
    """One booking of the caller's stores"""
    return services.get_staff_booking(actor=current_actor(), booking_id=booking_id)


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(BookingCancel)
@blp.response(200, BookingRead)
def cancel_store_booking(body, booking_id):
    """Cancel a booking at any time (staff of its store)"""
    return services.cancel_booking_by_staff(actor=current_actor(), booking_id=booking_id, **body)


@blp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.response(200, BookingRead)
def mark_no_show(booking_id):
    """Mark a booked car that did not come (after its start time); frees the bay"""
    return services.mark_no_show(actor=current_actor(), booking_id=booking_id)


@blp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(CheckInBody)
@blp.response(201, WorkOrderRead)
def check_in(body, booking_id):
    """The booked car arrived: open its work order for the booked item (once)"""
    _, work_order = services.check_in(actor=current_actor(), booking_id=booking_id, **body)
    return work_order
