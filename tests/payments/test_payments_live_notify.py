"""Live-mode WeChat Pay: the order is placed at WeChat (mocked) and its signed, encrypted
notification credits the wallet exactly once; anything that does not verify credits nothing."""

import pytest
import responses
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.payments.models import PaymentOrder
from app.wallet.models import WalletEntry
from tests.helpers import Api
from tests.wechat.pay_signing import (
    add_pay_answer,
    build_notification,
    generate_rsa_key,
    pay_test_keys,
)

NOTIFY = "/api/v1/payments/wechat/notify"


@pytest.fixture
def order(live_app, member_login):
    """A 100-yuan top-up order placed at (mocked) WeChat Pay in live mode."""
    token, _ = member_login("alice")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_pay_answer(rsps, pay_test_keys(), "POST", "/v3/pay/transactions/jsapi", {"prepay_id": "wx201410272009"})
        response = Api(live_app.test_client()).post("/me/topups", token, json={"amount_fen": 10000})
    assert response.status_code == 201, response.json
    params = response.json["pay_params"]
    assert params["package"] == "prepay_id=wx201410272009" and params["paySign"] not in ("", "fake-signature")
    return {"token": token, "out_trade_no": response.json["payment"]["out_trade_no"]}


def _notify(live_app, headers, body):
    return live_app.test_client().post(NOTIFY, data=body, headers=headers, content_type="application/json")


def _credited(live_app):
    with live_app.app_context():
        return [entry.amount_fen for entry in db.session.scalars(select(WalletEntry))]


def test_a_signed_notification_credits_once_and_its_replays_are_no_ops(live_app, order):
    keys = pay_test_keys()
    headers, body = build_notification(
        keys, out_trade_no=order["out_trade_no"], amount_fen=10000, transaction_id="4200001234202501010000000001"
    )
    first = _notify(live_app, headers, body)
    assert first.status_code == 200 and first.get_json() == {"code": "SUCCESS"}
    assert _notify(live_app, headers, body).status_code == 200  # the same delivery again
    again_headers, again_body = build_notification(
        keys, out_trade_no=order["out_trade_no"], amount_fen=10000, transaction_id="4200001234202501010000000001"
    )
    assert _notify(live_app, again_headers, again_body).status_code == 200  # a fresh retry
    assert _credited(live_app) == [10000]
    with live_app.app_context():
        paid = db.session.scalar(select(PaymentOrder))
        assert (paid.status, paid.transaction_id) == ("paid", "4200001234202501010000000001")


@pytest.mark.parametrize("tamper", ["wrong_key", "probe", "stale", "unknown_serial", "edited_body"])
def test_a_notification_that_does_not_verify_is_refused_and_credits_nothing(live_app, order, tamper):
    keys = pay_test_keys()
    options = {
        "wrong_key": {"signing_key": generate_rsa_key()},
        "probe": {"signature": "WECHATPAY/SIGNTEST/abc"},
        "stale": {"timestamp": int(clock.now().timestamp()) - 3600},
        "unknown_serial": {"serial": "PUB_KEY_ID_SOMEONE_ELSE"},
        "edited_body": {},
    }[tamper]
    headers, body = build_notification(keys, out_trade_no=order["out_trade_no"], amount_fen=10000, **options)
    if tamper == "edited_body":
        body = body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS" ')
    response = _notify(live_app, headers, body)
    assert response.status_code == 401
    assert response.get_json()["code"] == "FAIL" and response.get_json()["message"]
    assert _credited(live_app) == []
    with live_app.app_context():
        assert db.session.scalar(select(PaymentOrder.status)) == "pending"


def test_a_verified_notification_with_another_amount_is_refused(live_app, order):
    headers, body = build_notification(pay_test_keys(), out_trade_no=order["out_trade_no"], amount_fen=1)
    response = _notify(live_app, headers, body)
    assert response.status_code == 422 and response.get_json()["code"] == "FAIL"
    assert _credited(live_app) == []


def test_a_notification_for_an_unknown_order_is_refused(live_app, order):
    headers, body = build_notification(pay_test_keys(), out_trade_no="PSNOSUCHORDER000", amount_fen=10000)
    response = _notify(live_app, headers, body)
    assert response.status_code == 404 and response.get_json()["code"] == "FAIL"
    assert _credited(live_app) == []


def test_the_paid_order_shows_in_the_members_wallet(live_app, order):
    headers, body = build_notification(pay_test_keys(), out_trade_no=order["out_trade_no"], amount_fen=10000)
    assert _notify(live_app, headers, body).status_code == 200
    wallet = Api(live_app.test_client()).get("/me/wallet", order["token"]).get_json()
    assert (wallet["balance_fen"], wallet["principal_fen"]) == (10000, 10000)
