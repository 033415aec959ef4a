"""Tencent Cloud SMS (API 2021-01-11: ``SendSms``, and ``PullSmsReplyStatus`` /
``PullSmsSendStatus`` for members' replies and delivery reports) through its official SDK, which
calls over ``requests``.

The two pull APIs hand out each reply or report once, at most 100 a call (the provider's support
enables them for the app; until then they answer an error, which the pulling job logs).

The SDK's own logger writes whole responses (phone numbers included) at DEBUG: it is held at
WARNING here, and our log lines carry the provider's code and a masked number only. Keys are read
from the configuration and never logged.

Error codes (https://cloud.tencent.com/document/product/382/52075), by what we do next:
- ``LimitExceeded.*`` (per number per 30 s / hour / day, per app) and ``RequestLimitExceeded``:
  rate-limited, try again later;
- ``FailedOperation.PhoneNumberInBlacklist``: the member unsubscribed (replied 退订/TD): opt-out;
- ``InternalError.*``, ``ServerNetworkError``, ``ClientNetworkError``: unavailable, try again;
- everything else (``InvalidParameterValue.*``, ``FailedOperation.Template...``, ``Signature...``,
  ``UnauthorizedOperation.*``, ``AuthFailure.*``, an unknown code): rejected, permanently.
The request may succeed while the number fails: each ``SendStatusSet`` entry has its own ``Code``
("Ok" when accepted), mapped the same way.
"""

import logging
from datetime import UTC, datetime, timedelta, timezone

from tencentcloud.common import credential
from tencentcloud.common.abstract_client import LOGGER_NAME
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from app.sms.errors import SmsError, SmsNotConfigured, SmsOptedOut, SmsRateLimited, SmsRejected, SmsUnavailable
from app.sms.types import PULL_LIMIT, SmsDeliveryReport, SmsReceipt, SmsReply, mainland_number, mask_phone

log = logging.getLogger(__name__)
logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)  # its DEBUG lines carry phone numbers

ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_TIMEOUT = 10  # seconds (the SDK takes one number)
OPTED_OUT = {"FailedOperation.PhoneNumberInBlacklist"}
RETRY_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded")
UNAVAILABLE_PREFIXES = (
    "InternalError",
    "ServerNetworkError",
    "ClientNetworkError",
    "FailedOperation.FailResolvePacket",
)
REQUIRED = ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME")
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # the provider's wall-clock times

_INSTANCES = {}


def error_for(code, message):
    """The error of ``app.sms.errors`` a provider code means."""
    code = code or ""
    if code in OPTED_OUT:
        return SmsOptedOut(code, message)
    if code.startswith(RETRY_PREFIXES):
        return SmsRateLimited(code, message)
    if code.startswith(UNAVAILABLE_PREFIXES):
        return SmsUnavailable(code, message, message=f"The SMS provider is unavailable ({code}).")
    return SmsRejected(code, message)


def missing_settings(config):
    """The live-mode settings not set (create_app refuses to start without them, app/config.py)."""
    return [name for name in REQUIRED if not config.get(name)]


class LiveSms:
    def __init__(self, *, secret_id, secret_key, sdk_app_id, sign_name, region="ap-guangzhou", timeout=DEFAULT_TIMEOUT):
        if not (secret_id and secret_key and sdk_app_id and sign_name):
            raise SmsNotConfigured(
                message="SMS_SECRET_ID, SMS_SECRET_KEY, SMS_SDK_APP_ID and SMS_SIGN_NAME are needed."
            )
        self.sdk_app_id = str(sdk_app_id)
        self.sign = sign_name
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=ENDPOINT, reqTimeout=timeout))
        self.client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region, profile)

    @classmethod
    def from_config(cls, config):
        """One instance per configuration, so its HTTP connections are reused."""
        settings = tuple(config.get(name) for name in (*REQUIRED, "SMS_REGION", "SMS_HTTP_TIMEOUT"))
        instance = _INSTANCES.get(settings)
        if instance is None:
            secret_id, secret_key, app_id, sign, region, timeout = settings
            instance = cls(
                secret_id=secret_id,
                secret_key=secret_key,
                sdk_app_id=app_id,
                sign_name=sign,
                region=region or "ap-guangzhou",
                timeout=timeout or DEFAULT_TIMEOUT,
            )
            _INSTANCES[settings] = instance
        return instance

    def send(self, *, phone, kind, template_id, params):
        """Send one templated SMS to a mainland number; a ``SmsReceipt`` or an ``SmsError``."""
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign
        request.TemplateId = str(template_id)
        request.TemplateParamSet = [str(value) for value in params]
        request.SessionContext = kind
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            mapped = error_for(error.get_code(), error.get_message())
            log.warning("SMS %s to %s refused: %s", kind, mask_phone(phone), error.get_code())
            raise mapped from None
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsUnavailable(None, "no status", message="The SMS provider answered without a status.")
        status = statuses[0]
        if status.Code != "Ok":
            log.warning("SMS %s to %s not accepted: %s", kind, mask_phone(phone), status.Code)
            raise error_for(status.Code, status.Message)
        return SmsReceipt(serial_no=status.SerialNo, parts=int(status.Fee or 1))

    def pull_replies(self, limit=PULL_LIMIT):
        """Members' replies not pulled before (``SmsReply``), or an ``SmsError``."""
        request = models.PullSmsReplyStatusRequest()
        request.Limit, request.SmsSdkAppId = limit, self.sdk_app_id
        answer = self._pull("PullSmsReplyStatus", request)
        return [
            SmsReply(
                phone=mainland_number(item.PhoneNumber),
                text=item.ReplyContent or "",
                replied_at=_instant(item.ReplyTime),
            )
            for item in answer.PullSmsReplyStatusSet or []
        ]

    def pull_delivery_reports(self, limit=PULL_LIMIT):
        """Delivery reports not pulled before (``SmsDeliveryReport``), or an ``SmsError``."""
        request = models.PullSmsSendStatusRequest()
        request.Limit, request.SmsSdkAppId = limit, self.sdk_app_id
        answer = self._pull("PullSmsSendStatus", request)
        return [
            SmsDeliveryReport(
                serial_no=item.SerialNo,
                delivered=item.ReportStatus == "SUCCESS",
                description=None if item.ReportStatus == "SUCCESS" else (item.Description or None),
                received_at=_instant(item.UserReceiveTime),
            )
            for item in answer.PullSmsSendStatusSet or []
            if item.SerialNo
        ]

    def _pull(self, action, request):
        try:
            return getattr(self.client, action)(request)
        except TencentCloudSDKException as error:
            log.warning("SMS %s refused: %s", action, error.get_code())
            raise error_for(error.get_code(), error.get_message()) from None


def _instant(value):
    """The provider's times: a Unix timestamp (seconds) or "2021-05-11 19:56:28" in Beijing time."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        return None


__all__ = ["LiveSms", "SmsError", "error_for", "missing_settings"]
