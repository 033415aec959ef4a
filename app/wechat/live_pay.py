"""WeChat Pay APIv3 for the mini-program (JSAPI orders, notifications, closing, refunds).

Outgoing requests go through ``wechatpayv3`` (it signs the Authorization header with the merchant
key and verifies the signature of every 2xx answer). It is configured with the platform keys we
are given, so nothing is downloaded at construction:
- public-key mode (merchants since 2024): ``WECHAT_PAY_PUBLIC_KEY`` + ``WECHAT_PAY_PUBLIC_KEY_ID``;
- certificate mode (older merchants): PEM platform certificates in ``WECHAT_PAY_PLATFORM_CERTS_DIR``
  (wechatpayv3 fetches newer ones from ``/v3/certificates`` only when an answer names an unknown
  serial, and saves them to that directory).
Incoming notifications are verified here, over the raw body, with those same keys; the serial in
``Wechatpay-Serial`` must name one of them (no download on an unknown serial).

PEM values may be given as text (``\\n`` escapes are accepted, as environment variables often
carry them), as a bare base64 body, or as a path to a PEM file.
"""

import json
import logging
import os
import secrets
from base64 import b64decode
from pathlib import Path

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from wechatpayv3 import WeChatPay, WeChatPayType

from app.common import clock
from app.common.errors import Unprocessable
from app.wechat.errors import InvalidNotification, WeChatError, WeChatRateLimited, WeChatUnavailable
from app.wechat.types import PaymentNotice

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 10)
NOTIFICATION_MAX_SKEW_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PROBE_SIGNATURE_PREFIX = "WECHATPAY/SIGNTEST/"  # WeChat's signature probes: must never verify
ORDER_ZONE = clock.zone("Asia/Shanghai")  # time_expire is written in China time
UNAVAILABLE_CODES = {"SYSTEM_ERROR", "SYSTEMERROR", "BANK_ERROR"}
RATE_LIMIT_CODES = {"FREQUENCY_LIMITED", "FREQUENCY_LIMIT_EXCEED"}


def _config_error(message):
    return WeChatError(code="wechat_pay_not_configured", status=503, message=message)


def _pem_text(value, kind):
    """PEM text from PEM text, a ``\\n``-escaped one-liner, a bare base64 body or a file path."""
    if not value:
        return None
    value = value.strip()
    if "\\n" in value and "\n" not in value:
        value = value.replace("\\n", "\n")
    if not value.startswith("-----") and os.path.isfile(value):
        value = Path(value).read_text(encoding="utf-8").strip()
    if not value.startswith("-----"):
        value = f"-----BEGIN {kind}-----\n{value}\n-----END {kind}-----"
    return value


def _load_private_key(value):
    try:
        return serialization.load_pem_private_key(_pem_text(value, "PRIVATE KEY").encode(), password=None)
    except (ValueError, TypeError, AttributeError):
        raise _config_error("WECHAT_PAY_PRIVATE_KEY is not a PEM private key.") from None


def _load_public_key(value):
    try:
        return serialization.load_pem_public_key(_pem_text(value, "PUBLIC KEY").encode())
    except (ValueError, TypeError, AttributeError):
        raise _config_error("WECHAT_PAY_PUBLIC_KEY is not a PEM public key.") from None


def _load_certificates(directory):
    """Platform certificates valid now, by serial number (upper-case hex, as WeChat writes it)."""
    keys = {}
    now = clock.now()
    for path in sorted(Path(directory).glob("*.pem")):
        try:
            certificate = x509.load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            log.warning("skipping %s: not a PEM certificate", path.name)
            continue
        if certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            keys[format(certificate.serial_number, "X")] = certificate.public_key()
    return keys


def _pkcs8(private_key):
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class LivePay:
    def __init__(
        self,
        *,
        appid,
        mchid,
        private_key,
        cert_serial_no,
        apiv3_key,
        notify_url,
        public_key=None,
        public_key_id=None,
        certs_dir=None,
        refund_notify_url=None,
        timeout=DEFAULT_TIMEOUT,
    ):
        missing = [
            name
            for name, value in (
                ("WECHAT_APPID", appid),
                ("WECHAT_PAY_MCHID", mchid),
                ("WECHAT_PAY_PRIVATE_KEY", private_key),
                ("WECHAT_PAY_CERT_SERIAL_NO", cert_serial_no),
                ("WECHAT_PAY_APIV3_KEY", apiv3_key),
                ("WECHAT_PAY_NOTIFY_URL", notify_url),
            )
            if not value
        ]
        if missing:
            raise _config_error(f"WeChat Pay needs {', '.join(missing)} in live mode.")
        if len(apiv3_key.encode()) != 32:
            raise _config_error("WECHAT_PAY_APIV3_KEY must be 32 bytes.")
        if bool(public_key) != bool(public_key_id):
            raise _config_error("WECHAT_PAY_PUBLIC_KEY and WECHAT_PAY_PUBLIC_KEY_ID go together.")
        self.appid, self.mchid = appid, str(mchid)
        self.notify_url, self.refund_notify_url = notify_url, refund_notify_url
        self._apiv3_key = apiv3_key.encode()
        platform_key = _load_public_key(public_key) if public_key else None
        self._platform_keys = _load_certificates(certs_dir) if certs_dir and os.path.isdir(certs_dir) else {}
        if platform_key is not None:
            self._platform_keys[public_key_id] = platform_key
        if not self._platform_keys:
            raise _config_error(
                "WeChat Pay needs WECHAT_PAY_PUBLIC_KEY(_ID) or platform certificates in WECHAT_PAY_PLATFORM_CERTS_DIR."
            )
        self._wxpay = WeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG,
            mchid=self.mchid,
            private_key=_pkcs8(_load_private_key(private_key)),
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=None,  # given per order: refunds must not send their notices to the payment URL
            cert_dir=certs_dir,
            timeout=timeout,
            public_key=_spki(platform_key) if platform_key is not None else None,
            public_key_id=public_key_id if platform_key is not None else None,
        )

    @classmethod
    def from_config(cls, config):
        return cls(
            appid=config.get("WECHAT_APPID"),
            mchid=config.get("WECHAT_PAY_MCHID"),
            private_key=config.get("WECHAT_PAY_PRIVATE_KEY"),
            cert_serial_no=config.get("WECHAT_PAY_CERT_SERIAL_NO"),
            apiv3_key=config.get("WECHAT_PAY_APIV3_KEY"),
            notify_url=config.get("WECHAT_PAY_NOTIFY_URL"),
            public_key=config.get("WECHAT_PAY_PUBLIC_KEY"),
            public_key_id=config.get("WECHAT_PAY_PUBLIC_KEY_ID"),
            certs_dir=config.get("WECHAT_PAY_PLATFORM_CERTS_DIR"),
            refund_notify_url=config.get("WECHAT_PAY_REFUND_NOTIFY_URL"),
            timeout=config.get("WECHAT_HTTP_TIMEOUT") or DEFAULT_TIMEOUT,
        )

    # -- outgoing -------------------------------------------------------------------------

    def _request(self, what, call):
        """Run a wechatpayv3 call; a 2xx answer's JSON (``{}`` if empty), or a mapped error."""
        try:
            status, body = call()
        except requests.RequestException as error:
            log.warning("WeChat Pay %s unreachable: %s", what, type(error).__name__)
            raise WeChatUnavailable(None, type(error).__name__, message=f"WeChat Pay {what} is unreachable.") from None
        except Exception as error:  # wechatpayv3 raises bare Exception, e.g. on a bad answer signature
            log.error("WeChat Pay %s failed: %s", what, error)
            raise WeChatError(None, str(error), message=f"WeChat Pay {what} failed: {error}") from None
        try:
            data = json.loads(body) if body else {}
        except (TypeError, ValueError):
            data = {}
        if 200 <= status < 300:
            return data
        code, message = data.get("code"), data.get("message") or f"HTTP {status}"
        log.warning("WeChat Pay %s answered %s %s: %s", what, status, code, message)
        if status == 429 or code in RATE_LIMIT_CODES:
            raise WeChatRateLimited(code, message)
        if status >= 500 or code in UNAVAILABLE_CODES:
            raise WeChatUnavailable(code, message)
        raise WeChatError(code, message)

    def create_jsapi_order(self, *, out_trade_no, amount_fen, description, openid, expires_at=None):
        """Place a JSAPI order and sign the parameters the mini-program passes to wx.requestPayment.

        Repeating the same ``out_trade_no`` with the same content answers the same prepay_id.
        """
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise Unprocessable("invalid_amount", "An order amount is a positive number of fen.")
        time_expire = expires_at.astimezone(ORDER_ZONE).isoformat(timespec="seconds") if expires_at else None
        result = self._request(
            "order",
            lambda: self._wxpay.pay(
                description=(description or "")[:127],
                out_trade_no=out_trade_no,
                amount={"total": amount_fen, "currency": "CNY"},
                payer={"openid": openid},
                time_expire=time_expire,
                notify_url=self.notify_url,
                pay_type=WeChatPayType.JSAPI,
            ),
        )
        prepay_id = result.get("prepay_id")
        if not prepay_id:
            raise WeChatError(None, "no prepay_id", message="WeChat Pay answered no prepay_id.")
        params = {
            "appId": self.appid,
            "timeStamp": str(int(clock.now().timestamp())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        # paySign: RSA-SHA256 over "appId\ntimeStamp\nnonceStr\npackage\n", base64.
        params["paySign"] = self._wxpay.sign(
            [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
        )
        return {"prepay_id": prepay_id, "params": params}

    def close_order(self, *, out_trade_no):
        """Close an unpaid order (WeChat answers ORDERPAID, as a WeChatError, if it was paid)."""
        self._request("close", lambda: self._wxpay.close(out_trade_no=out_trade_no))

    def refund(self, *, out_refund_no, out_trade_no, refund_fen, total_fen, reason=None):
        """Ask for a refund; the answer's status is usually PROCESSING (see ``refund_status``).

        Retries must reuse the same ``out_refund_no``: WeChat then answers the refund already made
        instead of refunding twice. An order takes at most 50 partial refunds, within a year.
        """
        for value in (refund_fen, total_fen):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise Unprocessable("invalid_amount", "Refund amounts are positive numbers of fen.")
        if refund_fen > total_fen:
            raise Unprocessable("refund_exceeds_total", "A refund cannot exceed the order total.")
        result = self._request(
            "refund",
            lambda: self._wxpay.refund(
                out_refund_no=out_refund_no,
                out_trade_no=out_trade_no,
                amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
                reason=(reason or None) and reason[:80],
                notify_url=self.refund_notify_url,
            ),
        )
        return {"refund_id": result.get("refund_id"), "status": result.get("status")}

    def refund_status(self, *, out_refund_no):
        """Where a refund stands: SUCCESS, PROCESSING, CLOSED or ABNORMAL."""
        result = self._request("refund query", lambda: self._wxpay.query_refund(out_refund_no=out_refund_no))
        return {"refund_id": result.get("refund_id"), "status": result.get("status")}

    # -- incoming -------------------------------------------------------------------------

    def parse_notification(self, headers, body):
        """Verify and decrypt a payment notification; anything that does not check out raises
        InvalidNotification (answer it with a non-2xx status: WeChat retries)."""
        try:
            return self._parse_notification(headers, body)
        except InvalidNotification:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, InvalidTag) as error:
            raise InvalidNotification(message=f"The notification does not decode: {type(error).__name__}.") from None

    def _parse_notification(self, headers, body):
        if isinstance(body, str):
            body = body.encode("utf-8")
        given = {str(name).lower(): value for name, value in headers.items()}
        signature = given.get("wechatpay-signature") or ""
        timestamp = given.get("wechatpay-timestamp") or ""
        nonce = given.get("wechatpay-nonce") or ""
        serial = given.get("wechatpay-serial") or ""
        if not (signature and timestamp and nonce and serial):
            raise InvalidNotification(message="The notification lacks its signature headers.")
        if signature.startswith(PROBE_SIGNATURE_PREFIX):
            raise InvalidNotification(message="A signature probe is never accepted.")
        if given.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise InvalidNotification(message="Unsupported signature type.")
        key = self._platform_keys.get(serial) or self._platform_keys.get(serial.upper())
        if key is None:
            raise InvalidNotification(message="The notification is signed by an unknown platform key.")
        if not timestamp.isdigit() or abs(clock.now().timestamp() - int(timestamp)) > NOTIFICATION_MAX_SKEW_SECONDS:
            raise InvalidNotification(message="The notification's timestamp is stale.")
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        try:
            key.verify(b64decode(signature, validate=True), message, PKCS1v15(), SHA256())
        except InvalidSignature:
            raise InvalidNotification(message="The notification's signature does not verify.") from None
        resource = json.loads(body)["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise InvalidNotification(message="Unsupported resource algorithm.")
        plaintext = AESGCM(self._apiv3_key).decrypt(
            resource["nonce"].encode(),
            b64decode(resource["ciphertext"]),
            (resource.get("associated_data") or "").encode(),
        )
        transaction = json.loads(plaintext)
        mchid, appid = str(transaction.get("mchid", self.mchid)), transaction.get("appid", self.appid)
        if mchid != self.mchid or appid != self.appid:
            raise InvalidNotification(message="The notification is for another merchant or app.")
        total = transaction["amount"]["total"]
        if "trade_state" not in transaction or not isinstance(total, int) or isinstance(total, bool):
            raise InvalidNotification(message="Not a payment notification.")
        return PaymentNotice(
            transaction_id=transaction["transaction_id"],
            out_trade_no=transaction["out_trade_no"],
            trade_state=transaction["trade_state"],
            amount_fen=total,
            payer_openid=(transaction.get("payer") or {}).get("openid"),
        )
