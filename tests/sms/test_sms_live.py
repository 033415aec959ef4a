"""Live SMS (Tencent Cloud SendSms through its SDK) against a mocked endpoint: the request we make,
the provider's documented error codes mapped to our error kinds, a per-number status other than "Ok",
the sender's outcomes in live mode, keys and numbers kept out of the logs, and no start without keys."""

import json
import logging
from datetime import UTC, date, datetime

import pytest
import requests
import responses
from sqlalchemy import select

from app import create_app, sms
from app.config import ConfigurationError
from app.extensions import db
from app.marketing.jobs import pull_sms_reports
from app.marketing.models import Message, SmsOptOut
from app.marketing.outbox import enqueue_rows, message_row
from app.marketing.sender import send_outbox
from app.sms.live import LiveSms
from tests.marketing.helpers import Seeder, local

URL = "https://sms.tencentcloudapi.com/"
SECRET_KEY = "tc-secret-key-do-not-log"
LIVE = {
    "SMS_MODE": "live",
    "SMS_SECRET_ID": "AKIDtest",
    "SMS_SECRET_KEY": SECRET_KEY,
    "SMS_SDK_APP_ID": "1400000001",
    "SMS_SIGN_NAME": "驰站养车",
    "SMS_TEMPLATE_IDS": {"booking_reminder": "2000001", "car_ready": "2000002"},
}
PHONE = "13912345678"
D = date(2026, 3, 10)
NOW = local(D, 10, 0)


@pytest.fixture
def live_sms_app(database_url):
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **LIVE})
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def tc():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _ok(serial="2433:1234", fee=1):
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial,
                    "PhoneNumber": f"+86{PHONE}",
                    "Fee": fee,
                    "SessionContext": "booking_reminder",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


def _status(code, message="refused"):
    answer = _ok()
    answer["Response"]["SendStatusSet"][0].update(Code=code, Message=message, SerialNo="", Fee=0)
    return answer


def _error(code, message="error"):
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "req-1"}}


def _client(app):
    with app.app_context():
        return sms.client()


def test_a_send_posts_the_template_and_its_parameters_signed(live_sms_app, tc):
    tc.add(responses.POST, URL, json=_ok(fee=2))
    receipt = _client(live_sms_app).send(
        phone=PHONE, kind="booking_reminder", template_id="2000001", params=["驰站", "2026-03-11 15:00", "粤B12345"]
    )
    assert receipt == sms.SmsReceipt(serial_no="2433:1234", parts=2)
    [call] = tc.calls
    body = json.loads(call.request.body)
    assert body == {
        "PhoneNumberSet": [f"+86{PHONE}"],
        "SmsSdkAppId": "1400000001",
        "SignName": "驰站养车",
        "TemplateId": "2000001",
        "TemplateParamSet": ["驰站", "2026-03-11 15:00", "粤B12345"],
        "SessionContext": "booking_reminder",
    }
    assert call.request.headers["X-TC-Action"] == "SendSms"
    assert call.request.headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert SECRET_KEY not in call.request.headers["Authorization"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", sms.SmsRateLimited),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", sms.SmsRateLimited),
        ("LimitExceeded.DeliveryFrequencyLimit", sms.SmsRateLimited),
        ("RequestLimitExceeded", sms.SmsRateLimited),
        ("InvalidParameterValue.TemplateParameterFormatError", sms.SmsRejected),
        ("InvalidParameterValue.TemplateParameterLengthLimit", sms.SmsRejected),
        ("InvalidParameterValue.IncorrectPhoneNumber", sms.SmsRejected),
        ("FailedOperation.TemplateIncorrectOrUnapproved", sms.SmsRejected),
        ("FailedOperation.SignatureIncorrectOrUnapproved", sms.SmsRejected),
        ("FailedOperation.InsufficientBalanceInSmsPackage", sms.SmsRejected),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", sms.SmsRejected),
        ("UnauthorizedOperation.ServiceSuspendDueToArrears", sms.SmsRejected),
        ("AuthFailure.SecretIdNotFound", sms.SmsRejected),
        ("FailedOperation.PhoneNumberInBlacklist", sms.SmsOptedOut),
        ("InternalError.Timeout", sms.SmsUnavailable),
        ("InternalError.SendAndRecvFail", sms.SmsUnavailable),
        ("Something.Unheardof", sms.SmsRejected),
    ],
)
def test_the_documented_error_codes_map_to_what_we_do_next(live_sms_app, tc, code, error):
    tc.add(responses.POST, URL, json=_error(code))
    with pytest.raises(error) as raised:
        _client(live_sms_app).send(phone=PHONE, kind="car_ready", template_id="2000002", params=["粤B12345"])
    assert raised.value.provider_code == code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("FailedOperation.PhoneNumberInBlacklist", sms.SmsOptedOut),
        ("LimitExceeded.PhoneNumberOneHourLimit", sms.SmsRateLimited),
        ("InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", sms.SmsRejected),
    ],
)
def test_a_per_number_status_other_than_ok_is_mapped_the_same_way(live_sms_app, tc, code, error):
    tc.add(responses.POST, URL, json=_status(code))
    with pytest.raises(error):
        _client(live_sms_app).send(phone=PHONE, kind="car_ready", template_id="2000002", params=["x"])


def test_http_errors_and_unreachable_provider_are_unavailable(live_sms_app, tc):
    tc.add(responses.POST, URL, status=502, body="bad gateway")
    tc.add(responses.POST, URL, body=requests.ConnectionError("refused"))
    client = _client(live_sms_app)
    for _ in range(2):
        with pytest.raises(sms.SmsUnavailable):
            client.send(phone=PHONE, kind="car_ready", template_id="2000002", params=["x"])


def test_keys_and_numbers_stay_out_of_the_logs(live_sms_app, tc, caplog):
    caplog.set_level(logging.DEBUG)
    tc.add(responses.POST, URL, json=_ok())
    tc.add(responses.POST, URL, json=_error("LimitExceeded.PhoneNumberDailyLimit"))
    client = _client(live_sms_app)
    client.send(phone=PHONE, kind="car_ready", template_id="2000002", params=["x"])
    with pytest.raises(sms.SmsRateLimited):
        client.send(phone=PHONE, kind="car_ready", template_id="2000002", params=["x"])
    assert "139****5678" in caplog.text
    assert PHONE not in caplog.text and SECRET_KEY not in caplog.text


def test_live_mode_refuses_to_start_without_its_keys(database_url):
    for missing in ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME"):
        with pytest.raises(ConfigurationError, match=missing):
            create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **LIVE, missing: None})
    with pytest.raises(ConfigurationError):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "SMS_MODE": "loud"})
    with pytest.raises(sms.SmsError):
        LiveSms(secret_id="a", secret_key=None, sdk_app_id="1", sign_name="s")


def _queue(app, member_id, kind="booking_reminder"):
    with app.app_context():
        enqueue_rows(
            [message_row(kind, member_id, "1", NOW, plate="粤B12345", detail="2026-03-11 15:00", occasion_date=D)]
        )
        db.session.commit()


def _member(app, name, phone):
    member_id = Seeder(app).member(name)
    from app.members.models import Member

    with app.app_context():
        db.session.get(Member, member_id).phone = phone
        db.session.commit()
    return member_id


def test_the_sender_in_live_mode_records_sent_blacklisted_and_retried(live_sms_app, tc):
    app = live_sms_app
    sent, blacklisted, limited = (
        _member(app, n, p) for n, p in (("s", PHONE), ("b", "13900000001"), ("l", "13900000002"))
    )
    for member in (sent, blacklisted, limited):
        _queue(app, member)
    tc.add(responses.POST, URL, json=_ok(serial="serial-1", fee=1))
    tc.add(responses.POST, URL, json=_error("FailedOperation.PhoneNumberInBlacklist"))
    tc.add(responses.POST, URL, json=_status("LimitExceeded.PhoneNumberDailyLimit"))
    with app.app_context():
        assert send_outbox(now=NOW) == {"sent_sms": 1, "failed": 1, "retry": 1}
        db.session.commit()
        by_member = {m.member_id: m for m in db.session.scalars(select(Message))}
        assert (by_member[sent].status, by_member[sent].sms_serial, by_member[sent].cost_fen) == ("sent", "serial-1", 5)
        assert (by_member[blacklisted].failure_reason, by_member[blacklisted].last_error) == (
            "sms_opted_out",
            "FailedOperation.PhoneNumberInBlacklist",
        )
        assert db.session.get(SmsOptOut, blacklisted).source == "provider"
        assert (by_member[limited].status, by_member[limited].channel) == ("queued", None)
    bodies = [json.loads(call.request.body) for call in tc.calls]
    assert [b["TemplateId"] for b in bodies] == ["2000001"] * 3


def test_a_kind_without_a_template_id_in_live_mode_is_not_sent_by_sms(live_sms_app, tc):
    app = live_sms_app
    member = _member(app, "x", PHONE)
    _queue(app, member, kind="follow_up")
    with app.app_context():
        assert send_outbox(now=NOW) == {"skipped_no_grant": 1}
        db.session.commit()
        assert db.session.scalar(select(Message.sms_outcome)) == "not_by_sms"
    assert len(tc.calls) == 0


# -- pulling replies and delivery reports (PullSmsReplyStatus, PullSmsSendStatus) --------------------


def _action(name):
    return [responses.matchers.header_matcher({"X-TC-Action": name})]


def _replies(*items):
    return {"Response": {"PullSmsReplyStatusSet": list(items), "RequestId": "req-replies"}}


def _reply(phone, text, at="2026-03-10 10:03:00"):
    return {
        "ExtendCode": "",
        "CountryCode": "86",
        "PhoneNumber": f"+86{phone}",
        "SignName": "驰站养车",
        "ReplyContent": text,
        "ReplyTime": at,
        "SubscriberNumber": "106900000000",
    }


def _reports(*items):
    return {"Response": {"PullSmsSendStatusSet": list(items), "RequestId": "req-reports"}}


def _report(serial, status="SUCCESS", description="DELIVRD", at=1773108300):
    return {
        "UserReceiveTime": at,
        "CountryCode": "86",
        "SubscriberNumber": f"+86{PHONE}",
        "PhoneNumber": f"+86{PHONE}",
        "SerialNo": serial,
        "ReportStatus": status,
        "Description": description,
        "SessionContext": "car_ready",
    }


def test_pulling_asks_for_a_full_pull_and_maps_replies_and_reports(live_sms_app, tc):
    tc.add(responses.POST, URL, json=_replies(_reply(PHONE, "TD")), match=_action("PullSmsReplyStatus"))
    reports = _reports(_report("s-1"), _report("s-2", status="FAIL", description="MN:0001"))
    tc.add(responses.POST, URL, json=reports, match=_action("PullSmsSendStatus"))
    client = _client(live_sms_app)
    assert client.pull_replies() == [
        sms.SmsReply(phone=PHONE, text="TD", replied_at=datetime(2026, 3, 10, 2, 3, tzinfo=UTC))
    ]
    assert client.pull_delivery_reports() == [
        sms.SmsDeliveryReport(
            serial_no="s-1", delivered=True, description=None, received_at=datetime.fromtimestamp(1773108300, UTC)
        ),
        sms.SmsDeliveryReport(
            serial_no="s-2", delivered=False, description="MN:0001", received_at=datetime.fromtimestamp(1773108300, UTC)
        ),
    ]
    assert [json.loads(call.request.body) for call in tc.calls] == [{"Limit": 100, "SmsSdkAppId": "1400000001"}] * 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("RequestLimitExceeded", sms.SmsRateLimited),
        ("InternalError.Timeout", sms.SmsUnavailable),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", sms.SmsRejected),
        ("UnauthorizedOperation.RequestPermissionDeny", sms.SmsRejected),
        ("AuthFailure.SignatureFailure", sms.SmsRejected),
        ("InvalidParameterValue.SdkAppIdNotExist", sms.SmsRejected),
    ],
)
def test_the_pull_apis_error_codes_map_as_the_sends_do(live_sms_app, tc, code, error):
    tc.add(responses.POST, URL, json=_error(code), match=_action("PullSmsReplyStatus"))
    with pytest.raises(error) as raised:
        _client(live_sms_app).pull_replies()
    assert raised.value.provider_code == code


def test_the_job_in_live_mode_records_the_opt_out_and_the_reports_and_goes_on_after_an_error(live_sms_app, tc, caplog):
    app = live_sms_app
    member = _member(app, "m", PHONE)
    _queue(app, member)
    tc.add(responses.POST, URL, json=_ok(serial="serial-9"), match=_action("SendSms"))
    with app.app_context():
        assert send_outbox(now=NOW) == {"sent_sms": 1}
        db.session.commit()
    # Replies: an outage first; the reports still come in this run, and the reply in the next one.
    tc.add(responses.POST, URL, json=_error("InternalError.Timeout"), match=_action("PullSmsReplyStatus"))
    failed = _report("serial-9", status="FAIL", description="MN:0001")
    tc.add(responses.POST, URL, json=_reports(failed), match=_action("PullSmsSendStatus"))
    with app.app_context():
        assert pull_sms_reports(today=D, now=NOW) == {
            "replies": 0,
            "opted_out": 0,
            "delivered": 0,
            "undelivered": 1,
            "replies_error": "InternalError.Timeout",
        }
        message = db.session.scalar(select(Message))
        assert (message.sms_delivery, message.sms_delivered_at, message.last_error) == (
            "undelivered",
            datetime.fromtimestamp(1773108300, UTC),
            "MN:0001",
        )
    tc.reset()
    tc.add(responses.POST, URL, json=_replies(_reply(PHONE, "退订")), match=_action("PullSmsReplyStatus"))
    tc.add(responses.POST, URL, json=_reports(), match=_action("PullSmsSendStatus"))
    with app.app_context():
        assert pull_sms_reports(today=D, now=NOW) == {"replies": 1, "opted_out": 1, "delivered": 0, "undelivered": 0}
        assert db.session.get(SmsOptOut, member).source == "provider"
    assert PHONE not in caplog.text and SECRET_KEY not in caplog.text
