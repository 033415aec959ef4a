"""What a member paid through WeChat Pay goes back through WeChat Pay: promised with the work
order's refund (or when a payment came too late to settle anything), sent by the payment_refunds
job, once, and followed until WeChat calls it final."""

import json
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select, update

from app.common import clock
from app.common.jobs import registered_jobs
from app.extensions import db
from app.payments import refunds
from app.payments.models import PaymentRefund
from app.wechat.fake import FakePay
from tests.factories import top_up
from tests.helpers import ON_POSTGRES, error_code, run_concurrently, run_together, settle
from tests.ledgers import ledgers, scalar
from tests.wechat.pay_signing import PAY_GATEWAY, add_pay_answer, pay_test_keys

REFUNDS = "/v3/refund/domestic/refunds"


@pytest.fixture
def paid_in_app(app, api, member, completed):
    """The completed order paid in the mini-program: 5000 stored value, 13000 through WeChat Pay."""
    top_up(app, member["id"], 5000)
    response = api.post(
        f"/me/work-orders/{completed['id']}/pay",
        member["token"],
        json={"tenders": [{"type": "stored_value", "amount_fen": 5000}]},
    )
    assert response.status_code == 200, response.json
    out_trade_no = response.json["payment"]["out_trade_no"]
    assert api.post(f"/dev/payments/{out_trade_no}/confirm").status_code == 200
    return {"order": completed, "out_trade_no": out_trade_no}


def _refund_order(api, staff_tokens, work_order_id, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(
        f"/work-orders/{work_order_id}/refund", staff_tokens["owner"], json={"reason": "wrong car"}, headers=headers
    )


def _refund_rows(app):
    with app.app_context():
        return [
            (row.out_refund_no, row.amount_fen, row.status, row.attempts)
            for row in db.session.scalars(select(PaymentRefund).order_by(PaymentRefund.id))
        ]


def _run_job(app, now=None):
    with app.app_context():
        result = refunds.send_payment_refunds(now=now or clock.now())
        db.session.commit()
        return result


@pytest.fixture
def wechat_refund_calls(monkeypatch):
    """Every refund call the fake WeChat Pay takes, in order."""
    calls = []
    original = FakePay.refund

    def refund(self, **kwargs):
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(FakePay, "refund", refund)
    return calls


def test_refunding_an_order_paid_in_the_app_returns_its_wechat_payment_once(
    app, api, staff_tokens, member, paid_in_app, wechat_refund_calls
):
    order, out_trade_no = paid_in_app["order"], paid_in_app["out_trade_no"]
    response = _refund_order(api, staff_tokens, order["id"], key="refund-1")
    assert response.status_code == 200 and response.json["status"] == "refunded"
    # The ledgers are back at once; the WeChat part is promised, not yet sent: no request waits on WeChat.
    assert ledgers(app, member["id"])["wallet"] == [(5000, 0, 5000)]
    assert _refund_rows(app) == [(f"RF{out_trade_no}", 13000, "pending", 0)]
    assert wechat_refund_calls == []
    payment = api.get(f"/me/payments/{out_trade_no}", member["token"]).json
    assert payment["refund"]["status"] == "pending" and payment["refund"]["amount_fen"] == 13000

    # A replay, and a second refund of the refunded order, promise nothing more.
    assert _refund_order(api, staff_tokens, order["id"], key="refund-1").status_code == 200
    assert _refund_order(api, staff_tokens, order["id"]).status_code == 200
    assert len(_refund_rows(app)) == 1

    assert _run_job(app) == {"succeeded": 1}
    assert wechat_refund_calls == [
        {
            "out_refund_no": f"RF{out_trade_no}",
            "out_trade_no": out_trade_no,
            "refund_fen": 13000,
            "total_fen": 13000,
            "reason": f"工单{order['number']}退款",
        }
    ]
    assert _refund_rows(app) == [(f"RF{out_trade_no}", 13000, "succeeded", 1)]
    assert _run_job(app, clock.now() + timedelta(hours=1)) == {}  # a final refund is never sent again
    assert len(wechat_refund_calls) == 1
    payment = api.get(f"/me/payments/{out_trade_no}", member["token"]).json
    assert payment["refund"]["status"] == "succeeded" and payment["refund"]["finished_at"]


def test_orders_paid_at_the_counter_promise_no_wechat_refund(app, api, staff_tokens, member, completed):
    settled = settle(api, staff_tokens["cashier"], completed["id"], [{"type": "wechat", "amount_fen": 18000}])
    assert settled.status_code == 200, settled.json
    assert _refund_order(api, staff_tokens, completed["id"]).status_code == 200
    assert _refund_rows(app) == []  # the counter's terminal took that money: it goes back there


def test_a_payment_too_late_to_settle_anything_is_refunded(app, api, member, completed, wechat_refund_calls):
    from app.payments.services import close_expired_payments

    top_up(app, member["id"], 5000)
    first = api.post(
        f"/me/work-orders/{completed['id']}/pay",
        member["token"],
        json={"tenders": [{"type": "stored_value", "amount_fen": 5000}]},
    ).json
    clock.set_now(clock.now() + timedelta(minutes=31))
    with app.app_context():
        assert close_expired_payments(now=clock.now()) == 1
        db.session.commit()
    out_trade_no = first["payment"]["out_trade_no"]
    assert api.post(f"/dev/payments/{out_trade_no}/confirm").status_code == 200  # paid while closing
    assert scalar(app, "SELECT status FROM work_order_pay_attempts") == "paid_late"
    assert _refund_rows(app) == [(f"RF{out_trade_no}", 13000, "pending", 0)]
    assert api.post(f"/dev/payments/{out_trade_no}/confirm").status_code == 200  # WeChat repeats the notice
    assert len(_refund_rows(app)) == 1
    assert _run_job(app) == {"succeeded": 1} and len(wechat_refund_calls) == 1


def test_the_job_is_registered_to_run_every_minute(app):
    job = registered_jobs()["payment_refunds"]
    assert job.every_minutes == 1


def test_the_owner_lists_refunds_and_retries_a_failed_one(
    app, api, staff_tokens, member, paid_in_app, wechat_refund_calls, monkeypatch
):
    _refund_order(api, staff_tokens, paid_in_app["order"]["id"])

    def refuse(self, **kwargs):
        from app.wechat import WeChatError

        raise WeChatError("INVALID_REQUEST", "订单已全额退款")

    with monkeypatch.context() as patched:
        patched.setattr(FakePay, "refund", refuse)
        assert _run_job(app) == {"failed": 1}
    listed = api.get("/payments/refunds?status=failed", staff_tokens["owner"])
    assert listed.status_code == 200 and listed.json["total"] == 1
    item = listed.json["items"][0]
    assert (item["out_trade_no"], item["purpose"], item["purpose_ref_id"], item["member_id"]) == (
        paid_in_app["out_trade_no"],
        "work_order",
        paid_in_app["order"]["id"],
        member["id"],
    )
    assert "订单已全额退款" in item["last_error"] and item["attempts"] == 1
    assert api.get("/payments/refunds?status=pending", staff_tokens["owner"]).json["total"] == 0
    for caller in ("cashier", "marketing"):
        assert api.get("/payments/refunds", staff_tokens[caller]).status_code == 403
    bad = api.get("/payments/refunds?status=lost", staff_tokens["owner"])
    assert bad.status_code == 422

    retried = api.post(
        f"/payments/refunds/{item['id']}/retry", staff_tokens["owner"], headers={"Idempotency-Key": "r1"}
    )
    assert retried.status_code == 200 and retried.json["status"] == "pending" and retried.json["attempts"] == 0
    again = api.post(f"/payments/refunds/{item['id']}/retry", staff_tokens["owner"])
    assert again.status_code == 409 and error_code(again) == "refund_not_failed"
    missing = api.post("/payments/refunds/999999/retry", staff_tokens["owner"])
    assert missing.status_code == 404 and error_code(missing) == "refund_not_found"
    assert _run_job(app) == {"succeeded": 1}
    assert [call["out_refund_no"] for call in wechat_refund_calls] == [f"RF{paid_in_app['out_trade_no']}"]


# -- live mode: WeChat Pay's answers, mocked --------------------------------------------------------


@pytest.fixture
def promised(app, api, staff_tokens, paid_in_app):
    assert _refund_order(api, staff_tokens, paid_in_app["order"]["id"]).status_code == 200
    return f"RF{paid_in_app['out_trade_no']}"


def _sent_numbers(rsps):
    return [json.loads(call.request.body)["out_refund_no"] for call in rsps.calls if call.request.method == "POST"]


def test_live_refund_processing_then_polled_until_it_succeeds(live_app, promised):
    keys = pay_test_keys()
    now = clock.now()
    with responses.RequestsMock() as rsps:
        add_pay_answer(
            rsps, keys, "POST", REFUNDS, {"refund_id": "5000001", "out_refund_no": promised, "status": "PROCESSING"}
        )
        assert _run_job(live_app, now) == {"processing": 1}
        assert _run_job(live_app, now + timedelta(seconds=30)) == {}  # not due yet
        add_pay_answer(rsps, keys, "GET", f"{REFUNDS}/{promised}", {"refund_id": "5000001", "status": "PROCESSING"})
        assert _run_job(live_app, now + timedelta(minutes=1)) == {"processing": 1}
        rsps.remove(responses.GET, PAY_GATEWAY + f"{REFUNDS}/{promised}")
        add_pay_answer(rsps, keys, "GET", f"{REFUNDS}/{promised}", {"refund_id": "5000001", "status": "SUCCESS"})
        assert _run_job(live_app, now + timedelta(minutes=3)) == {"succeeded": 1}
        assert _sent_numbers(rsps) == [promised]  # asked after, never sent again
    with live_app.app_context():
        refund = db.session.scalar(select(PaymentRefund))
        assert (refund.status, refund.refund_id, refund.last_error) == ("succeeded", "5000001", None)


def test_live_refund_processing_for_weeks_is_asked_after_every_six_hours(live_app, promised):
    now = clock.now()
    with live_app.app_context():
        db.session.execute(update(PaymentRefund).values(status="processing", attempts=400))
        db.session.commit()
    with responses.RequestsMock() as rsps:
        add_pay_answer(
            rsps, pay_test_keys(), "GET", f"{REFUNDS}/{promised}", {"refund_id": "5000004", "status": "PROCESSING"}
        )
        assert _run_job(live_app, now) == {"processing": 1}
    with live_app.app_context():
        refund = db.session.scalar(select(PaymentRefund))
        assert refund.next_attempt_at == now + refunds.MAX_BACKOFF and refund.attempts == 401


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": {"code": "SYSTEM_ERROR", "message": "系统错误"}},
        {"status": 429, "body": {"code": "FREQUENCY_LIMITED", "message": "频率限制"}},
        {"status": 403, "body": {"code": "NOT_ENOUGH", "message": "余额不足"}},
        {"status": None, "body": None},  # WeChat does not answer at all
    ],
)
def test_live_refund_waits_out_an_outage_and_is_sent_again_with_the_same_number(live_app, promised, answer):
    keys = pay_test_keys()
    now = clock.now()
    with responses.RequestsMock() as rsps:
        if answer["status"] is None:
            import requests

            rsps.add(responses.POST, PAY_GATEWAY + REFUNDS, body=requests.ConnectionError("down"))
        else:
            add_pay_answer(rsps, keys, "POST", REFUNDS, answer["body"], status=answer["status"])
        assert _run_job(live_app, now) == {"pending": 1}
        assert _run_job(live_app, now + timedelta(seconds=59)) == {}  # backoff: one minute, then two
        assert _run_job(live_app, now + timedelta(minutes=1)) == {"pending": 1}
        assert _run_job(live_app, now + timedelta(minutes=2)) == {}
        rsps.remove(responses.POST, PAY_GATEWAY + REFUNDS)
        add_pay_answer(rsps, keys, "POST", REFUNDS, {"refund_id": "5000002", "status": "SUCCESS"})
        assert _run_job(live_app, now + timedelta(minutes=3)) == {"succeeded": 1}
        assert _sent_numbers(rsps) == [promised] * 3
    with live_app.app_context():
        refund = db.session.scalar(select(PaymentRefund))
        assert (refund.status, refund.attempts, refund.last_error) == ("succeeded", 3, None)


def test_live_refund_gives_up_after_the_last_attempt(live_app, promised):
    now = clock.now()
    with responses.RequestsMock() as rsps:
        add_pay_answer(rsps, pay_test_keys(), "POST", REFUNDS, {"code": "SYSTEM_ERROR", "message": "忙"}, status=500)
        outcomes = [_run_job(live_app, now + timedelta(days=day)) for day in range(refunds.MAX_ATTEMPTS)]
    assert outcomes == [{"pending": 1}] * (refunds.MAX_ATTEMPTS - 1) + [{"failed": 1}]
    assert _run_job(live_app, now + timedelta(days=30)) == {}


@pytest.mark.parametrize(
    "answer, status",
    [
        ({"code": "INVALID_REQUEST", "message": "订单已全额退款"}, "failed"),
        ({"code": "PARAM_ERROR", "message": "参数错误"}, "failed"),
    ],
)
def test_live_refund_refused_for_good_fails_at_once(live_app, promised, answer, status):
    with responses.RequestsMock() as rsps:
        add_pay_answer(rsps, pay_test_keys(), "POST", REFUNDS, answer, status=400)
        assert _run_job(live_app) == {status: 1}
    with live_app.app_context():
        refund = db.session.scalar(select(PaymentRefund))
        assert refund.status == status and answer["message"] in refund.last_error and refund.finished_at


@pytest.mark.parametrize("wechat_status, status", [("CLOSED", "closed"), ("ABNORMAL", "abnormal")])
def test_live_refund_that_wechat_could_not_pay_out_is_left_to_the_owner(live_app, promised, wechat_status, status):
    with responses.RequestsMock() as rsps:
        add_pay_answer(rsps, pay_test_keys(), "POST", REFUNDS, {"refund_id": "5000003", "status": wechat_status})
        assert _run_job(live_app) == {status: 1}
        assert _run_job(live_app, clock.now() + timedelta(days=1)) == {}


# -- concurrency (PostgreSQL) -----------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks with SKIP LOCKED need PostgreSQL")
def test_two_jobs_at_once_send_a_refund_once(app, promised, wechat_refund_calls):
    results = []
    outcomes = run_concurrently(app, lambda _index: results.append(refunds.send_payment_refunds(now=clock.now())), 2)
    assert outcomes == ["ok", "ok"]
    assert sorted(results, key=len) == [{}, {"succeeded": 1}]
    assert len(wechat_refund_calls) == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent refunds need PostgreSQL's row locks")
def test_concurrent_refunds_of_one_order_promise_one_wechat_refund(app, api, staff_tokens, paid_in_app):

    def refund():
        response = app.test_client().post(
            f"/api/v1/work-orders/{paid_in_app['order']['id']}/refund",
            json={"reason": "twice"},
            headers={"Authorization": f"Bearer {staff_tokens['owner']}"},
        )
        return response.status_code

    assert run_together(refund, refund, timeout=30) == [200, 200]
    assert len(_refund_rows(app)) == 1
