from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import STAFF_ROLES, auth_required, counter_staff, current_actor, member_only, owner_only
from app.common.schemas import PageQuery
from app.common.transaction import unit_of_work
from app.workorders import (
    approvals,
    car_page,
    discounts,
    examples,
    member_pay,
    receipt,
    receipt_text,
    refund,
    services,
    settle,
    technicians,
)
from app.workorders.car_page_schemas import CarPageRead
from app.workorders.schemas import (
    AssignableStaffList,
    DiscountLimitList,
    DiscountLimitRead,
    DiscountLimitUpdate,
    LineDiscountBody,
    LineTechniciansBody,
    MyJobPage,
    MyJobsQuery,
    OrderDiscountBody,
    ReceiptQuery,
    ReceiptRead,
    WorkOrderApprovalsBody,
    WorkOrderCreate,
    WorkOrderLinesAdd,
    WorkOrderPage,
    WorkOrderPayBody,
    WorkOrderPayRead,
    WorkOrderPhoneApproval,
    WorkOrderQuery,
    WorkOrderQuoteRead,
    WorkOrderRead,
    WorkOrderRefundBody,
    WorkOrderStatusChange,
    WorkOrderTenders,
    WorkOrderUpdate,
)

blp = Blueprint("work-orders", __name__, description="Work orders at the counter: open, price, settle, refund")
member_blp = Blueprint("my-work-orders", __name__, description="A member's own work orders")
blueprints = [blp, member_blp]


@blp.route("/vehicles/<int:vehicle_id>/page")
@counter_staff
@blp.response(200, CarPageRead)
def vehicle_car_page(vehicle_id):
    """The counter's car page in one answer: the car's record, its member, stored value and points,
    package and stamp cards, usable coupons and the car's last visits (each part as its own endpoint
    answers it)"""
    return car_page.car_page(actor=current_actor(), vehicle_id=vehicle_id)


@blp.route("/work-orders")
class WorkOrders(MethodView):
    @counter_staff
    @blp.arguments(WorkOrderQuery, location="query")
    @blp.response(200, WorkOrderPage)
    def get(self, query):
        """List work orders of the caller's stores by plate fragment, status, store and the workshop board's day"""
        return services.list_work_orders(actor=current_actor(), **query)

    @counter_staff
    @unit_of_work(idempotent=True)
    @blp.arguments(WorkOrderCreate, example=examples.OPEN_WORK_ORDER)
    @blp.response(201, WorkOrderRead)
    def post(self, body):
        """Open a work order by plate (an unknown plate creates a walk-in vehicle)"""
        return services.open_work_order(actor=current_actor(), **body)


@blp.route("/work-orders/<int:work_order_id>")
class WorkOrderResource(MethodView):
    @counter_staff
    @blp.response(200, WorkOrderRead)
    def get(self, work_order_id):
        """One work order with its lines and payments"""
        return services.get_work_order(work_order_id=work_order_id, actor=current_actor())

    @counter_staff
    @unit_of_work()
    @blp.arguments(WorkOrderUpdate)
    @blp.response(200, WorkOrderRead)
    def patch(self, body, work_order_id):
        """Record the mileage the car came in with on an order not yet paid (the car's mileage follows)"""
        return services.record_order_mileage(actor=current_actor(), work_order_id=work_order_id, **body)


@blp.route("/work-orders/<int:work_order_id>/lines", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(WorkOrderLinesAdd)
@blp.response(200, WorkOrderRead)
def add_lines(body, work_order_id):
    """Add labor or parts to an open or in-progress work order"""
    return services.add_lines(actor=current_actor(), work_order_id=work_order_id, lines=body["lines"])


@blp.route("/work-orders/<int:work_order_id>/lines/<int:line_id>", methods=["DELETE"])
@counter_staff
@unit_of_work()
@blp.response(200, WorkOrderRead)
def remove_line(work_order_id, line_id):
    """Remove a line from an open or in-progress work order"""
    return services.remove_line(actor=current_actor(), work_order_id=work_order_id, line_id=line_id)


@blp.route("/work-orders/<int:work_order_id>/lines/<int:line_id>/approval", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(WorkOrderPhoneApproval)
@blp.response(200, WorkOrderRead)
def record_phone_approval(body, work_order_id, line_id):
    """Record the member's approval or refusal of extra work given on the phone, with a note"""
    return approvals.decide_by_phone(actor=current_actor(), work_order_id=work_order_id, line_id=line_id, **body)


@blp.route("/work-orders/<int:work_order_id>/lines/<int:line_id>/technicians", methods=["PUT"])
@counter_staff
@unit_of_work()
@blp.arguments(LineTechniciansBody)
@blp.response(200, WorkOrderRead)
def assign_technicians(body, work_order_id, line_id):
    """Say who worked a line (派工): technicians or the advisor, with shares adding up to 100"""
    return technicians.assign_technicians(
        actor=current_actor(), work_order_id=work_order_id, line_id=line_id, technicians=body["technicians"]
    )


@blp.route("/stores/<int:store_id>/technicians")
@counter_staff
@blp.response(200, AssignableStaffList)
def store_technicians(store_id):
    """Who can work a line at a store (派工): its active technicians and advisors"""
    return technicians.list_assignable(actor=current_actor(), store_id=store_id)


@blp.route("/staff/me/jobs")
@auth_required(*STAFF_ROLES)
@blp.arguments(MyJobsQuery, location="query")
@blp.response(200, MyJobPage)
def my_jobs(query):
    """The lines the caller worked, newest order first (read-only)"""
    return technicians.list_my_jobs(staff_id=current_actor().id, **query)


@blp.route("/work-orders/<int:work_order_id>/lines/<int:line_id>/discount", methods=["PUT", "DELETE"])
class LineDiscount(MethodView):
    @counter_staff
    @unit_of_work()
    @blp.arguments(LineDiscountBody)
    @blp.response(200, WorkOrderRead)
    def put(self, body, work_order_id, line_id):
        """Discount a line by hand (percent, or a new unit price) with a reason, within the role's limit"""
        return discounts.set_line_discount(actor=current_actor(), work_order_id=work_order_id, line_id=line_id, **body)

    @counter_staff
    @unit_of_work()
    @blp.response(200, WorkOrderRead)
    def delete(self, work_order_id, line_id):
        """Take a line's manual discount off"""
        return discounts.clear_line_discount(actor=current_actor(), work_order_id=work_order_id, line_id=line_id)


@blp.route("/work-orders/<int:work_order_id>/discount", methods=["PUT", "DELETE"])
class OrderDiscount(MethodView):
    @counter_staff
    @unit_of_work()
    @blp.arguments(OrderDiscountBody)
    @blp.response(200, WorkOrderRead)
    def put(self, body, work_order_id):
        """Discount the whole order by hand (an amount or a percent) with a reason, within the role's limit"""
        return discounts.set_order_discount(actor=current_actor(), work_order_id=work_order_id, **body)

    @counter_staff
    @unit_of_work()
    @blp.response(200, WorkOrderRead)
    def delete(self, work_order_id):
        """Take the order's manual discount off"""
        return discounts.clear_order_discount(actor=current_actor(), work_order_id=work_order_id)


@blp.route("/discount-limits")
@counter_staff
@blp.response(200, DiscountLimitList)
def discount_limits():
    """How far cashiers and advisors may discount without the owner"""
    return discounts.list_limits()


@blp.route("/discount-limits", methods=["PUT"])
@owner_only
@unit_of_work()
@blp.arguments(DiscountLimitUpdate)
@blp.response(200, DiscountLimitRead)
def set_discount_limit(body):
    """Set a role's discount limit: the most it may take off, in percent and in fen (audited)"""
    return discounts.set_limit(actor=current_actor(), **body)


@blp.route("/work-orders/<int:work_order_id>/status", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(WorkOrderStatusChange)
@blp.response(200, WorkOrderRead)
def change_status(body, work_order_id):
    """Move a work order to in_progress, completed or cancelled"""
    return services.change_status(actor=current_actor(), work_order_id=work_order_id, status=body["status"])


@blp.route("/work-orders/<int:work_order_id>/quote", methods=["POST"])
@counter_staff
@blp.arguments(WorkOrderTenders, example=examples.SETTLE_TENDERS)
@blp.response(200, WorkOrderQuoteRead)
def quote(body, work_order_id):
    """What settling with these tenders would do: prices, each tender's value, what remains"""
    return settle.quote(actor=current_actor(), work_order_id=work_order_id, tenders=body["tenders"])


@blp.route("/work-orders/<int:work_order_id>/settle", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(WorkOrderTenders, example=examples.SETTLE_TENDERS)
@blp.response(200, WorkOrderRead)
def settle_work_order(body, work_order_id):
    """Settle with combined tenders that add up to the total exactly"""
    return settle.settle(actor=current_actor(), work_order_id=work_order_id, tenders=body["tenders"])


@blp.route("/work-orders/<int:work_order_id>/refund", methods=["POST"])
@owner_only
@unit_of_work(idempotent=True)
@blp.arguments(WorkOrderRefundBody)
@blp.response(200, WorkOrderRead)
def refund_work_order(body, work_order_id):
    """Refund a settled work order, reversing every ledger it touched"""
    return refund.refund(actor=current_actor(), work_order_id=work_order_id, reason=body["reason"])


RECEIPT_TEXT_DOC = {
    "schema": {"type": "string"},
    "content_type": "text/plain",
    "description": "JSON; with ?format=text, the fixed-width lines a thermal printer prints (UTF-8).",
}


def _receipt_answer(query, result):
    if query["format"] == "text":
        return Response(receipt_text.render(result, query["width"]), mimetype="text/plain; charset=utf-8")
    return result


@blp.route("/work-orders/<int:work_order_id>/receipt")
@counter_staff
@blp.arguments(ReceiptQuery, location="query")
@blp.response(200, ReceiptRead)
@blp.alt_response(200, success=True, **RECEIPT_TEXT_DOC)
def work_order_receipt(query, work_order_id):
    """The receipt (小票) of a settled or refunded order: JSON, or printer text with ?format=text&width=58|80"""
    return _receipt_answer(query, receipt.staff_receipt(actor=current_actor(), work_order_id=work_order_id))


@member_blp.route("/me/work-orders")
@member_only
@member_blp.arguments(PageQuery, location="query")
@member_blp.response(200, WorkOrderPage)
def my_work_orders(query):
    """The caller's work orders, newest first"""
    return services.list_member_work_orders(member_id=current_actor().id, **query)


@member_blp.route("/me/work-orders/<int:work_order_id>")
@member_only
@member_blp.response(200, WorkOrderRead)
def my_work_order(work_order_id):
    """One of the caller's work orders"""
    return services.get_member_work_order(member_id=current_actor().id, work_order_id=work_order_id)


@member_blp.route("/me/work-orders/<int:work_order_id>/approvals", methods=["POST"])
@member_only
@unit_of_work()
@member_blp.arguments(WorkOrderApprovalsBody)
@member_blp.response(200, WorkOrderRead)
def approve_my_extra_work(body, work_order_id):
    """Approve or decline extra work (增项) awaiting the caller's approval on their work order"""
    return approvals.decide_as_member(
        member_id=current_actor().id, work_order_id=work_order_id, decisions=body["lines"]
    )


@member_blp.route("/me/work-orders/<int:work_order_id>/pay", methods=["POST"])
@member_only
@unit_of_work(idempotent=True)
@member_blp.arguments(WorkOrderPayBody)
@member_blp.response(200, WorkOrderPayRead)
def pay_my_work_order(body, work_order_id):
    """Pay a completed work order: stored value, points, a coupon, card units, and WeChat Pay for the rest"""
    order, payment, pay_params = member_pay.pay(
        member_id=current_actor().id, work_order_id=work_order_id, tenders=body["tenders"]
    )
    return {"work_order": order, "payment": payment, "pay_params": pay_params}


@member_blp.route("/me/work-orders/<int:work_order_id>/receipt")
@member_only
@member_blp.arguments(ReceiptQuery, location="query")
@member_blp.response(200, ReceiptRead)
@member_blp.alt_response(200, success=True, **RECEIPT_TEXT_DOC)
def my_work_order_receipt(query, work_order_id):
    """The receipt of one of the caller's settled orders"""
    return _receipt_answer(query, receipt.member_receipt(member_id=current_actor().id, work_order_id=work_order_id))
