"""Live WeChat Pay APIv3: notifications verified and decrypted, orders signed, refunds, error answers."""

import json
from base64 import b64decode
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from app.common import clock
from app.common.errors import Unprocessable
from app.wechat import InvalidNotification, PaymentNotice, WeChatError, WeChatRateLimited, WeChatUnavailable, pay
from app.wechat.live_pay import LivePay
from tests.wechat.pay_signing import (
    PAY_GATEWAY,
    TEST_APPID,
    TEST_MCHID,
    TEST_NOTIFY_URL,
    add_pay_answer,
    build_notification,
    encrypt_resource,
    generate_rsa_key,
    live_pay_config,
    pay_test_keys,
    private_pem,
    signature_headers,
    transaction,
)

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def keys():
    return pay_test_keys()


@pytest.fixture
def live_pay(live_app):
    clock.set_now(NOW)
    with live_app.app_context():
        yield pay()


def _verify(public_key, signature, message):
    public_key.verify(
        b64decode(signature), message.encode() if isinstance(message, str) else message, PKCS1v15(), SHA256()
    )  # raises InvalidSignature


# -- notifications ----------------------------------------------------------------------------


def test_a_signed_encrypted_notification_gives_the_payment_notice(live_pay, keys):
    headers, body = build_notification(
        keys, out_trade_no="TOPUP-1", amount_fen=10000, transaction_id="4200000001202503010001", openid="o-alice"
    )
    notice = live_pay.parse_notification(headers, body)
    assert notice == PaymentNotice(
        transaction_id="4200000001202503010001",
        out_trade_no="TOPUP-1",
        trade_state="SUCCESS",
        amount_fen=10000,
        payer_openid="o-alice",
    )


def test_header_names_are_read_case_insensitively(live_pay, keys):
    headers, body = build_notification(keys, out_trade_no="T-2", amount_fen=1)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert live_pay.parse_notification(lowered, body).out_trade_no == "T-2"


def _bad_notifications(keys):
    now = int(NOW.timestamp())
    other = generate_rsa_key()
    good_headers, good_body = build_notification(keys, out_trade_no="T-1", amount_fen=100)
    tampered = good_body.replace(b'"summary"', b'"summary" ', 1)
    envelope = json.loads(good_body)
    envelope["resource"] = encrypt_resource("0" * 32, transaction(out_trade_no="T-1", amount_fen=100))
    wrong_key_body = json.dumps(envelope).encode()
    return {
        "signed by another key": build_notification(keys, out_trade_no="T-1", amount_fen=100, signing_key=other),
        "signature probe": build_notification(
            keys,
            out_trade_no="T-1",
            amount_fen=100,
            signature="WECHATPAY/SIGNTEST/" + good_headers["Wechatpay-Signature"],
        ),
        "stale timestamp": build_notification(keys, out_trade_no="T-1", amount_fen=100, timestamp=now - 301),
        "future timestamp": build_notification(keys, out_trade_no="T-1", amount_fen=100, timestamp=now + 301),
        "unknown serial": build_notification(keys, out_trade_no="T-1", amount_fen=100, serial="PUB_KEY_ID_OTHER"),
        "tampered body": (good_headers, tampered),
        "missing signature": ({k: v for k, v in good_headers.items() if k != "Wechatpay-Signature"}, good_body),
        "encrypted with another APIv3 key": (
            signature_headers(keys.platform_private, keys.public_key_id, wrong_key_body),
            wrong_key_body,
        ),
        "another merchant": build_notification(keys, out_trade_no="T-1", amount_fen=100, mchid="1900000999"),
        "another app": build_notification(keys, out_trade_no="T-1", amount_fen=100, appid="wx-other"),
        "not JSON": (signature_headers(keys.platform_private, keys.public_key_id, b"<xml/>"), b"<xml/>"),
        "amount not an integer": build_notification(
            keys,
            content={**transaction(out_trade_no="T-1", amount_fen=100), "amount": {"total": "100", "currency": "CNY"}},
        ),
    }


@pytest.mark.parametrize("case", list(_bad_notifications(pay_test_keys())))
def test_bad_notifications_are_refused(live_pay, keys, case):
    headers, body = _bad_notifications(keys)[case]
    with pytest.raises(InvalidNotification) as raised:
        live_pay.parse_notification(headers, body)
    assert raised.value.status == 401 and raised.value.code == "invalid_notification"


def test_timestamps_within_five_minutes_are_accepted(live_pay, keys):
    now = int(NOW.timestamp())
    for timestamp in (now - 300, now + 300):
        headers, body = build_notification(keys, out_trade_no="T-1", amount_fen=100, timestamp=timestamp)
        assert live_pay.parse_notification(headers, body).amount_fen == 100


def test_platform_certificates_verify_notifications_by_their_serial(live_app, keys, wx, tmp_path):
    clock.set_now(NOW)
    platform = generate_rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(platform.public_key())
        .serial_number(0x6F2A9C01)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
        .sign(platform, SHA256())
    )
    (tmp_path / "6F2A9C01.pem").write_bytes(certificate.public_bytes(Encoding.PEM))
    config = {
        **live_pay_config(keys),
        "WECHAT_PAY_PUBLIC_KEY": None,
        "WECHAT_PAY_PUBLIC_KEY_ID": None,
        "WECHAT_PAY_PLATFORM_CERTS_DIR": str(tmp_path),
    }
    live = LivePay.from_config(config)
    headers, body = build_notification(keys, out_trade_no="T-9", amount_fen=5, signing_key=platform, serial="6F2A9C01")
    assert live.parse_notification(headers, body).out_trade_no == "T-9"
    headers, body = build_notification(keys, out_trade_no="T-9", amount_fen=5, serial="6F2A9C01")  # wrong key
    with pytest.raises(InvalidNotification):
        live.parse_notification(headers, body)


# -- orders -----------------------------------------------------------------------------------


def test_jsapi_order_answers_signed_parameters_for_the_mini_program(live_pay, keys, wx):
    answer = add_pay_answer(wx, keys, "POST", "/v3/pay/transactions/jsapi", {"prepay_id": "wx0108prepay123"})
    order = live_pay.create_jsapi_order(
        out_trade_no="TOPUP-7",
        amount_fen=50000,
        description="储值 500 元",
        openid="o-alice",
        expires_at=NOW + timedelta(minutes=30),
    )

    assert order["prepay_id"] == "wx0108prepay123"
    params = order["params"]
    assert params["appId"] == TEST_APPID and params["package"] == "prepay_id=wx0108prepay123"
    assert params["signType"] == "RSA" and params["timeStamp"] == str(int(NOW.timestamp()))
    _verify(
        keys.merchant_public,
        params["paySign"],
        f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n",
    )

    request = answer.calls[0].request
    sent = json.loads(request.body)
    assert sent == {
        "notify_url": TEST_NOTIFY_URL,
        "description": "储值 500 元",
        "out_trade_no": "TOPUP-7",
        "amount": {"total": 50000, "currency": "CNY"},
        "payer": {"openid": "o-alice"},
        "time_expire": "2025-03-01T16:30:00+08:00",
        "appid": TEST_APPID,
        "mchid": TEST_MCHID,
    }
    # The request is signed with the merchant key: "METHOD\npath\ntimestamp\nnonce\nbody\n".
    scheme, _, fields = request.headers["Authorization"].partition(" ")
    auth = dict(part.split("=", 1) for part in fields.split(","))
    auth = {key: value.strip('"') for key, value in auth.items()}
    assert scheme == "WECHATPAY2-SHA256-RSA2048" and auth["mchid"] == TEST_MCHID
    assert auth["serial_no"] == keys.merchant_serial
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    _verify(
        keys.merchant_public,
        auth["signature"],
        f"POST\n/v3/pay/transactions/jsapi\n{auth['timestamp']}\n{auth['nonce_str']}\n{body}\n",
    )


def test_an_answer_not_signed_by_the_platform_is_refused(live_pay, keys, wx):
    text = json.dumps({"prepay_id": "wx-forged"})
    wx.add(
        responses.POST,
        PAY_GATEWAY + "/v3/pay/transactions/jsapi",
        body=text,
        content_type="application/json",
        headers=signature_headers(generate_rsa_key(), keys.public_key_id, text),
    )
    with pytest.raises(WeChatError):
        live_pay.create_jsapi_order(out_trade_no="T-1", amount_fen=100, description="x", openid="o-1")


@pytest.mark.parametrize(
    "status, code, error",
    [
        (400, "PARAM_ERROR", WeChatError),
        (403, "NOTENOUGH", WeChatError),
        (429, "FREQUENCY_LIMITED", WeChatRateLimited),
        (500, "SYSTEM_ERROR", WeChatUnavailable),
    ],
)
def test_pay_error_answers_map_to_wechat_errors(live_pay, keys, wx, status, code, error):
    wx.add(
        responses.POST,
        PAY_GATEWAY + "/v3/pay/transactions/jsapi",
        status=status,
        json={"code": code, "message": "refused"},
    )
    with pytest.raises(error) as raised:
        live_pay.create_jsapi_order(out_trade_no="T-1", amount_fen=100, description="x", openid="o-1")
    assert type(raised.value) is error and raised.value.errcode == code


def test_unreachable_pay_is_unavailable(live_pay, wx):
    wx.add(responses.POST, PAY_GATEWAY + "/v3/refund/domestic/refunds", body=requests.ConnectTimeout("slow"))
    with pytest.raises(WeChatUnavailable):
        live_pay.refund(out_refund_no="R-1", out_trade_no="T-1", refund_fen=100, total_fen=100)


def test_order_amount_must_be_positive_fen(live_pay, wx):
    for amount in (0, -1, 1.5, True, "100"):
        with pytest.raises(Unprocessable):
            live_pay.create_jsapi_order(out_trade_no="T-1", amount_fen=amount, description="x", openid="o-1")
    assert len(wx.calls) == 0


def test_close_order(live_pay, keys, wx):
    answer = add_pay_answer(wx, keys, "POST", "/v3/pay/transactions/out-trade-no/T-1/close", None, status=204)
    assert live_pay.close_order(out_trade_no="T-1") is None
    assert json.loads(answer.calls[0].request.body) == {"mchid": TEST_MCHID}


# -- refunds ----------------------------------------------------------------------------------


def test_refund_sends_the_amounts_and_answers_its_status(live_pay, keys, wx):
    answer = add_pay_answer(
        wx,
        keys,
        "POST",
        "/v3/refund/domestic/refunds",
        {
            "refund_id": "50000000382019052709732678859",
            "out_refund_no": "R-1",
            "status": "PROCESSING",
            "amount": {"refund": 3000, "total": 10000},
        },
    )
    result = live_pay.refund(
        out_refund_no="R-1", out_trade_no="T-1", refund_fen=3000, total_fen=10000, reason="未使用的储值退款"
    )
    assert result == {"refund_id": "50000000382019052709732678859", "status": "PROCESSING"}
    assert json.loads(answer.calls[0].request.body) == {
        "out_refund_no": "R-1",
        "out_trade_no": "T-1",
        "reason": "未使用的储值退款",
        "amount": {"refund": 3000, "total": 10000, "currency": "CNY"},
    }  # no notify_url: not the payment URL


def test_refund_retry_reuses_its_refund_number(live_pay, keys, wx):
    answer = add_pay_answer(
        wx,
        keys,
        "POST",
        "/v3/refund/domestic/refunds",
        {"refund_id": "5000000038", "out_refund_no": "R-1", "status": "SUCCESS"},
    )
    first = live_pay.refund(out_refund_no="R-1", out_trade_no="T-1", refund_fen=100, total_fen=100)
    again = live_pay.refund(out_refund_no="R-1", out_trade_no="T-1", refund_fen=100, total_fen=100)
    assert first == again
    assert [json.loads(call.request.body)["out_refund_no"] for call in answer.calls] == ["R-1", "R-1"]


def test_refund_status_is_queried_by_refund_number(live_pay, keys, wx):
    add_pay_answer(wx, keys, "GET", "/v3/refund/domestic/refunds/R-1", {"refund_id": "5000000038", "status": "SUCCESS"})
    assert live_pay.refund_status(out_refund_no="R-1") == {"refund_id": "5000000038", "status": "SUCCESS"}


def test_refund_cannot_exceed_the_total(live_pay, wx):
    with pytest.raises(Unprocessable):
        live_pay.refund(out_refund_no="R-1", out_trade_no="T-1", refund_fen=101, total_fen=100)
    assert len(wx.calls) == 0


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"WECHAT_PAY_MCHID": None},
        {"WECHAT_PAY_APIV3_KEY": "too-short"},
        {"WECHAT_PAY_PUBLIC_KEY": None, "WECHAT_PAY_PUBLIC_KEY_ID": None},
        {"WECHAT_PAY_PUBLIC_KEY_ID": None},
        {"WECHAT_PAY_PRIVATE_KEY": "not a key"},
    ],
)
def test_incomplete_pay_configuration_is_reported(keys, change):
    with pytest.raises(WeChatError) as raised:
        LivePay.from_config({**live_pay_config(keys), **change})
    assert raised.value.code == "wechat_pay_not_configured" and raised.value.status == 503


def test_private_key_given_as_an_escaped_one_liner_or_a_file(keys, tmp_path):
    pem = private_pem(keys.merchant_private)
    path = tmp_path / "apiclient_key.pem"
    path.write_text(pem)
    for value in (pem.replace("\n", "\\n"), str(path)):
        live = LivePay.from_config({**live_pay_config(keys), "WECHAT_PAY_PRIVATE_KEY": value})
        sign = live._wxpay.sign(["a", "b"])
        _verify(keys.merchant_public, sign, "a\nb\n")
