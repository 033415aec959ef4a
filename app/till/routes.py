from flask_smorest import Blueprint

from app.common.auth import counter_staff, current_actor
from app.common.transaction import unit_of_work
from app.till import services
from app.till.schemas import ShiftClose, ShiftPage, ShiftQuery, ShiftRead, TillQuery, TillRead

blp = Blueprint("till", __name__, description="The till: a day's takings per cashier and store, shift closes")


@blp.route("/stores/<int:store_id>/till")
@counter_staff
@blp.arguments(TillQuery, location="query")
@blp.response(200, TillRead)
def get_till(query, store_id):
    """A day's till: money taken and refunded by tender, top-ups, card sales, cash expected (日结)"""
    return services.day_till(actor=current_actor(), store_id=store_id, day=query["date"])


@blp.route("/stores/<int:store_id>/shifts/close", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(ShiftClose)
@blp.response(201, ShiftRead)
def close_shift(body, store_id):
    """Close the caller's shift with the cash counted (交班): expected, counted and difference are kept"""
    return services.close_shift(actor=current_actor(), store_id=store_id, **body)


@blp.route("/stores/<int:store_id>/shifts")
@counter_staff
@blp.arguments(ShiftQuery, location="query")
@blp.response(200, ShiftPage)
def list_shifts(query, store_id):
    """Shifts closed at the store, newest first (the owner sees everyone's, counter staff their own)"""
    return services.list_shifts(
        actor=current_actor(),
        store_id=store_id,
        first_day=query["from_"],
        last_day=query["to"],
        page=query["page"],
        per_page=query["per_page"],
    )
