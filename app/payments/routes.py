import logging

from flask import current_app, jsonify, request
from flask_smorest import Blueprint

from app import wechat
from app.common.auth import current_actor, member_only, owner_only
from app.common.errors import AppError, NotFound
from app.common.transaction import unit_of_work
from app.payments import refunds, services
from app.payments.schemas import (
    NotifyAnswer,
    PaymentConfirmed,
    PaymentRead,
    PaymentRefundPage,
    PaymentRefundQuery,
    PaymentRefundRead,
)

log = logging.getLogger(__name__)
blp = Blueprint("payments", __name__, description="WeChat Pay orders and notifications")


def _answer(status, code, message=None):
    body = {"code": code}
    if message:
        body["message"] = message
    response = jsonify(body)
    response.status_code = status
    return response


@blp.route("/payments/wechat/notify", methods=["POST"])
@unit_of_work()
@blp.doc(
    security=[],
    responses={
        "200": {"description": "Credited (or a repeat)"},
        "401": {"description": "Signature, timestamp or content does not check out"},
    },
)
@blp.response(200, NotifyAnswer)
def wechat_notify():
    """WeChat Pay's payment notification: verified, then credited exactly once

    Answers WeChat's shape: 200 {"code": "SUCCESS"}, or a 4xx/5xx {"code": "FAIL", "message"}
    (WeChat retries those).
    """
    try:
        notice = wechat.pay().parse_notification(request.headers, request.get_data())
        services.record_payment_notice(notice)
    except AppError as error:
        log.warning("payment notification refused: %s (%s)", error.code, error.message)
        status = error.status if error.status >= 400 else 400
        return _answer(status, "FAIL", error.message)
    return _answer(200, "SUCCESS")


@blp.route("/dev/payments/<out_trade_no>/confirm", methods=["POST"])
@unit_of_work()
@blp.doc(security=[])
@blp.response(200, PaymentConfirmed)
def dev_confirm_payment(out_trade_no):
    """Development only (fake WeChat): confirm a payment as if WeChat had notified it"""
    if not (current_app.config.get("DEV_ENDPOINTS") and current_app.config.get("WECHAT_MODE") == "fake"):
        raise NotFound("not_found", "The requested URL was not found on the server.")
    return {"payment": services.confirm_fake_payment(out_trade_no=out_trade_no)}


@blp.route("/me/payments/<out_trade_no>")
@member_only
@blp.response(200, PaymentRead)
def my_payment(out_trade_no):
    """One of the caller's payments (poll its status after wx.requestPayment)"""
    return services.get_payment(out_trade_no=out_trade_no, member_id=current_actor().id)


@blp.route("/payments/refunds")
@owner_only
@blp.arguments(PaymentRefundQuery, location="query")
@blp.response(200, PaymentRefundPage)
def list_payment_refunds(query):
    """WeChat Pay refunds, newest first (filter by status: closed, abnormal and failed need the owner)"""
    return refunds.list_refunds(**query)


@blp.route("/payments/refunds/<int:refund_id>/retry", methods=["POST"])
@owner_only
@unit_of_work(idempotent=True)
@blp.response(200, PaymentRefundRead)
def retry_payment_refund(refund_id):
    """Send a failed refund to WeChat Pay again, with the same refund number"""
    return refunds.retry_refund(refund_id=refund_id)
