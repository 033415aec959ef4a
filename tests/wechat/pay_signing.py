"""Build WeChat Pay APIv3 traffic in tests: keys, signed + encrypted notifications, signed answers.

Import it from any test: ``from tests.wechat.pay_signing import ...``. Typical use::

    keys = pay_test_keys()                                   # generated once per test run
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WECHAT_MODE": "live",
                                 **live_pay_config(keys)})
    headers, body = build_notification(keys, out_trade_no="T1", amount_fen=1000, openid="o-1")
    client.post("/api/v1/<your notify endpoint>", data=body, headers=headers)

    with responses.RequestsMock() as rsps:                   # an outgoing Pay call, answered signed
        add_pay_answer(rsps, keys, "POST", "/v3/pay/transactions/jsapi", {"prepay_id": "wx1"})

Timestamps default to ``app.common.clock.now()`` (so ``clock.set_now`` moves them too).
"""

import functools
import json
import secrets
from base64 import b64encode
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256

from app.common import clock

PAY_GATEWAY = "https://api.mch.weixin.qq.com"
TEST_APPID = "wx1234567890abcdef"
TEST_MCHID = "1900000109"
TEST_NOTIFY_URL = "https://pitstop.example.com/api/v1/payments/wechat/notify"


@dataclass(frozen=True)
class PayTestKeys:
    """The merchant's key pair (signs our requests and paySign) and the platform's (signs WeChat's
    answers and notifications), with the identifiers and the APIv3 key that go with them."""

    merchant_private: rsa.RSAPrivateKey
    merchant_serial: str
    platform_private: rsa.RSAPrivateKey
    public_key_id: str
    apiv3_key: str

    @property
    def merchant_public(self):
        return self.merchant_private.public_key()

    @property
    def platform_public(self):
        return self.platform_private.public_key()


def generate_rsa_key():
    """A fresh 2048-bit RSA private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key):
    """PKCS#8 PEM text of a private key (the form of WeChat's apiclient_key.pem)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key):
    """SubjectPublicKeyInfo PEM text of a public key (the form of WeChat's pub_key.pem)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@functools.lru_cache(maxsize=1)
def pay_test_keys():
    """One set of test keys per test run (RSA generation is slow)."""
    return PayTestKeys(
        merchant_private=generate_rsa_key(),
        merchant_serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        platform_private=generate_rsa_key(),
        public_key_id="PUB_KEY_ID_0119000000000000000000000000000001",
        apiv3_key=secrets.token_hex(16),  # 32 characters, as WeChat's APIv3 keys
    )


def live_pay_config(keys, *, appid=TEST_APPID, mchid=TEST_MCHID, notify_url=TEST_NOTIFY_URL):
    """The app config entries live WeChat Pay needs (public-key mode), for ``create_app(..., overrides)``."""
    return {
        "WECHAT_APPID": appid,
        "WECHAT_PAY_MCHID": mchid,
        "WECHAT_PAY_PRIVATE_KEY": private_pem(keys.merchant_private),
        "WECHAT_PAY_CERT_SERIAL_NO": keys.merchant_serial,
        "WECHAT_PAY_APIV3_KEY": keys.apiv3_key,
        "WECHAT_PAY_NOTIFY_URL": notify_url,
        "WECHAT_PAY_PUBLIC_KEY": public_pem(keys.platform_public),
        "WECHAT_PAY_PUBLIC_KEY_ID": keys.public_key_id,
    }


def rsa_sign(private_key, message):
    """Base64 RSA-SHA256 (PKCS#1 v1.5) signature of ``message`` (str or bytes)."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return b64encode(private_key.sign(data, PKCS1v15(), SHA256())).decode()


def signature_headers(private_key, serial, body, *, timestamp=None, nonce=None):
    """The Wechatpay-* headers over ``body``: RSA-SHA256 of "timestamp\\nnonce\\nbody\\n"."""
    body = body.encode("utf-8") if isinstance(body, str) else body
    timestamp = str(int(clock.now().timestamp())) if timestamp is None else str(timestamp)
    nonce = nonce or secrets.token_hex(16)
    signature = rsa_sign(private_key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n")
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def encrypt_resource(apiv3_key, plaintext, *, associated_data="transaction", nonce=None, original_type="transaction"):
    """The ``resource`` object of a notification: ``plaintext`` (dict or str) under AES-256-GCM."""
    text = json.dumps(plaintext, ensure_ascii=False) if isinstance(plaintext, dict) else plaintext
    nonce = nonce or secrets.token_hex(6)  # 12 characters
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), text.encode("utf-8"), associated_data.encode())
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def transaction(
    *,
    out_trade_no,
    amount_fen,
    transaction_id=None,
    trade_state="SUCCESS",
    openid="o-test-payer",
    appid=TEST_APPID,
    mchid=TEST_MCHID,
):
    """The decrypted content of a payment notification, as WeChat writes it."""
    return {
        "mchid": mchid,
        "appid": appid,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id or "4200000" + secrets.token_hex(10)[:21],
        "trade_type": "JSAPI",
        "trade_state": trade_state,
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": clock.now().astimezone(clock.zone("Asia/Shanghai")).isoformat(timespec="seconds"),
        "payer": {"openid": openid},
        "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
    }


def build_notification(
    keys,
    *,
    out_trade_no=None,
    amount_fen=None,
    content=None,
    transaction_id=None,
    trade_state="SUCCESS",
    openid="o-test-payer",
    appid=TEST_APPID,
    mchid=TEST_MCHID,
    timestamp=None,
    serial=None,
    signing_key=None,
    signature=None,
):
    """(headers, body bytes) of a payment notification, signed and encrypted as WeChat does.

    Give ``out_trade_no`` + ``amount_fen`` (and optionally transaction_id, trade_state, openid...),
    or the whole decrypted ``content`` dict. To build bad ones: ``timestamp`` (epoch seconds),
    ``serial`` (another key id), ``signing_key`` (another private key) or ``signature`` (used as is,
    e.g. "WECHATPAY/SIGNTEST/...").
    """
    if content is None:
        content = transaction(
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            transaction_id=transaction_id,
            trade_state=trade_state,
            openid=openid,
            appid=appid,
            mchid=mchid,
        )
    envelope = {
        "id": "EV-" + secrets.token_hex(8),
        "create_time": clock.now().isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": encrypt_resource(keys.apiv3_key, content),
    }
    body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    headers = signature_headers(
        signing_key or keys.platform_private, serial or keys.public_key_id, body, timestamp=timestamp
    )
    if signature is not None:
        headers["Wechatpay-Signature"] = signature
    return headers, body


def add_pay_answer(rsps, keys, method, path, body=None, *, status=200):
    """Answer a WeChat Pay call in a ``responses.RequestsMock``, signed by the platform key.

    ``path`` is under https://api.mch.weixin.qq.com (e.g. "/v3/pay/transactions/jsapi"); ``body``
    a dict (JSON) or None (empty answer, as for 204). Returns the registered response.
    """
    text = json.dumps(body) if body is not None else ""
    headers = signature_headers(keys.platform_private, keys.public_key_id, text)
    headers["Request-ID"] = secrets.token_hex(8)
    return rsps.add(
        method,
        PAY_GATEWAY + path,
        body=text,
        status=status,
        headers=headers,
        content_type="application/json" if body is not None else "text/plain",
    )
