"""Offline SMS for development, tests and the demo: messages are recorded in ``SENT``, not sent.

A number ending in ``0000`` answers as if it were on the provider's blacklist, so the opt-out path
can be shown without a provider. Each SMS "sent" gets a delivery report (delivered) in ``REPORTS``;
tests put members' replies in ``REPLIES``. Pulling hands each out once, as the provider does.
"""

import hashlib

from app.sms.errors import SmsOptedOut
from app.sms.templates import SMS_TEMPLATES, parts, rendered
from app.sms.types import PULL_LIMIT, SmsDeliveryReport, SmsReceipt

# Messages "sent" in fake mode, newest last; tests read and clear it.
SENT = []
# What the pull APIs would hand out next: SmsReply and SmsDeliveryReport values.
REPLIES = []
REPORTS = []


def _take(queue, limit):
    taken = queue[:limit]
    del queue[:limit]
    return taken


class FakeSms:
    def __init__(self, config):
        self.sign = config.get("SMS_SIGN_NAME") or "Pitstop"

    def send(self, *, phone, kind, template_id, params):
        if str(phone).endswith("0000"):
            raise SmsOptedOut("FailedOperation.PhoneNumberInBlacklist", "fake blacklist")
        text = rendered(SMS_TEMPLATES[kind].text, params)
        serial = "fake-" + hashlib.sha256(f"{len(SENT)}:{phone}:{text}".encode()).hexdigest()[:24]
        SENT.append({"phone": phone, "kind": kind, "template_id": template_id, "params": list(params), "text": text})
        REPORTS.append(SmsDeliveryReport(serial_no=serial, delivered=True, description=None, received_at=None))
        return SmsReceipt(serial_no=serial, parts=parts(text, self.sign))

    def pull_replies(self, limit=PULL_LIMIT):
        return _take(REPLIES, limit)

    def pull_delivery_reports(self, limit=PULL_LIMIT):
        return _take(REPORTS, limit)
