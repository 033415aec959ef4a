"""Offline WeChat for development and tests: deterministic identities, recorded messages.

- login: the code is the identity (code ``alice`` always yields the same openid);
- phone: the code is the phone number;
- subscribe messages and mini-program codes are recorded in ``SENT`` instead of sent;
- payments are confirmed through the development-only endpoint, which builds a ``PaymentNotice``.
"""

import hashlib
import io
import uuid

import qrcode

from app.wechat.errors import InvalidNotification, WeChatInvalidCode
from app.wechat.templates import validate_and_truncate
from app.wechat.types import PaymentNotice, PhoneNumber, Session

# Messages "sent" in fake mode, newest last; tests read and clear it.
SENT = []


class FakeMiniProgram:
    def __init__(self, config):
        self.appid = config.get("WECHAT_APPID")

    def code_to_session(self, code):
        if not code or not code.strip():
            raise WeChatInvalidCode(40029, "invalid code")
        digest = hashlib.sha256(f"{self.appid}:{code}".encode()).hexdigest()
        return Session(openid=f"fake-{digest[:24]}", unionid=None, session_key=digest[24:48])

    def phone_number(self, code):
        digits = (code or "").strip()
        if not (digits.isdigit() and len(digits) == 11 and digits.startswith("1")):
            raise WeChatInvalidCode(40029, "invalid code")
        return PhoneNumber(phone=digits)

    def send_subscribe_message(self, *, openid, template_key, template_id, data, page=None, fields=None):
        payload = validate_and_truncate(data, fields or {})
        SENT.append(
            {"openid": openid, "template_key": template_key, "template_id": template_id, "data": payload, "page": page}
        )
        return {"errcode": 0, "msgid": len(SENT)}

    def unlimited_code(self, *, scene, page):
        image = qrcode.make(f"{page}?scene={scene}")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()


class FakePay:
    def __init__(self, config):
        self.appid = config.get("WECHAT_APPID")

    def create_jsapi_order(self, *, out_trade_no, amount_fen, description, openid, expires_at=None):
        prepay_id = f"fake_prepay_{out_trade_no}"
        return {
            "prepay_id": prepay_id,
            "params": {
                "appId": self.appid,
                "timeStamp": "0",
                "nonceStr": uuid.uuid4().hex,
                "package": f"prepay_id={prepay_id}",
                "signType": "RSA",
                "paySign": "fake-signature",
            },
        }

    def parse_notification(self, headers, body):
        raise InvalidNotification("invalid_notification", "Fake mode takes no notifications; use the confirm endpoint.")

    def fake_notice(self, *, out_trade_no, amount_fen, openid=None):
        transaction_id = "fake_" + hashlib.sha256(out_trade_no.encode()).hexdigest()[:28]
        return PaymentNotice(
            transaction_id=transaction_id,
            out_trade_no=out_trade_no,
            trade_state="SUCCESS",
            amount_fen=amount_fen,
            payer_openid=openid,
        )

    def close_order(self, *, out_trade_no):
        return None

    def refund(self, *, out_refund_no, out_trade_no, refund_fen, total_fen, reason=None):
        return {"refund_id": f"fake_refund_{out_refund_no}", "status": "SUCCESS"}

    def refund_status(self, *, out_refund_no):
        return {"refund_id": f"fake_refund_{out_refund_no}", "status": "SUCCESS"}
