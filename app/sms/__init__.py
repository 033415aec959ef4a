"""Everything SMS, behind one small interface (the only package that imports the provider's SDK).

``client()`` returns the live (Tencent Cloud SMS) or the fake implementation according to
``SMS_MODE``. Callers pass a message kind, a phone number and the template's fields, and see a
``SmsReceipt`` or one of the errors of ``app.sms.errors``:

- ``SmsRateLimited`` / ``SmsUnavailable``: try again later (with backoff);
- ``SmsRejected``: permanent, the message failed (the reason is kept);
- ``SmsOptedOut``: the number is on the provider's blacklist (the member replied 退订/TD or
  complained): record an opt-out.

``pull_replies()`` and ``pull_delivery_reports()`` hand out the members' replies (``SmsReply``) and
the carriers' delivery reports (``SmsDeliveryReport``) not pulled before.

Phone numbers and keys never reach a log line: ``mask_phone`` shows 138****0000.
"""

from flask import current_app

from app.sms.errors import (  # noqa: F401  (re-exported for callers)
    SmsError,
    SmsOptedOut,
    SmsRateLimited,
    SmsRejected,
    SmsUnavailable,
)
from app.sms.types import PULL_LIMIT, SmsDeliveryReport, SmsReceipt, SmsReply, mask_phone  # noqa: F401


def mode():
    return current_app.config.get("SMS_MODE", "fake")


def client():
    """The SMS provider (live) or the recording fake."""
    if mode() == "live":
        from app.sms.live import LiveSms

        return LiveSms.from_config(current_app.config)
    from app.sms.fake import FakeSms

    return FakeSms(current_app.config)
