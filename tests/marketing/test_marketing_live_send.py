"""The sender in live mode against mocked WeChat endpoints (``responses``): success, 43101,
40001 then success after a token refresh, and a rate limit retried on a later run."""

import json
from datetime import date, timedelta

import pytest
import responses

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.models import SubscriptionGrant
from app.marketing.sender import send_outbox
from tests.marketing.helpers import Seeder, local, messages
from tests.wechat_live import API, mock_stable_token

D = date(2026, 3, 10)
SEND = API + "cgi-bin/message/subscribe/send"


@pytest.fixture
def live_settings():
    return {"WECHAT_TEMPLATE_IDS": {"birthday_greeting": "TPL-BIRTHDAY"}}


@pytest.fixture
def member_id(live_app):
    clock.set_now(local(D, 9, 1))
    member = Seeder(live_app).member("alice", birthday=date(1990, 3, 10), grants={"birthday_greeting": 2})
    with live_app.app_context():
        run_job("birthday_greetings", day=D)
    return member


def _send(app, now=None):
    with app.app_context():
        result = send_outbox(now=now or local(D, 9, 1))
        db.session.commit()
        return result


def _remaining(app, member_id):
    with app.app_context():
        return db.session.get(SubscriptionGrant, (member_id, "birthday_greeting")).remaining


def test_a_live_send_posts_the_fitted_message_and_records_it_sent(live_app, wx, member_id):
    mock_stable_token(wx, token="TOKEN-1")
    wx.add(responses.POST, SEND, json={"errcode": 0, "errmsg": "ok", "msgid": 987654})
    assert _send(live_app) == {"sent": 1}
    call = wx.calls[-1]
    assert "access_token=TOKEN-1" in call.request.url
    body = json.loads(call.request.body)
    assert body["template_id"] == "TPL-BIRTHDAY" and body["touser"].startswith("openid-alice")
    assert body["page"] == "pages/member/benefits?from=birthday"
    assert body["data"]["thing2"] == {"value": "您有一份生日权益待查看"}
    assert body["data"]["date3"] == {"value": "2026-03-10"}
    [message] = messages(live_app)
    assert (message.status, message.wechat_msgid, message.sent_at) == ("sent", "987654", local(D, 9, 1))
    assert _remaining(live_app, member_id) == 1


def test_43101_zeroes_the_grant_and_records_the_refusal(live_app, wx, member_id):
    mock_stable_token(wx)
    wx.add(responses.POST, SEND, json={"errcode": 43101, "errmsg": "user refuse to accept the msg"})
    assert _send(live_app) == {"failed": 1}
    [message] = messages(live_app)
    assert (message.status, message.failure_reason) == ("failed", "refused")
    assert _remaining(live_app, member_id) == 0


def test_an_expired_token_is_refreshed_once_and_the_send_retried(live_app, wx, member_id):
    mock_stable_token(wx, token="TOKEN-OLD")
    wx.add(responses.POST, SEND, json={"errcode": 40001, "errmsg": "invalid credential"})
    mock_stable_token(wx, token="TOKEN-NEW")
    wx.add(responses.POST, SEND, json={"errcode": 0, "errmsg": "ok", "msgid": 1})
    assert _send(live_app) == {"sent": 1}
    sends = [call for call in wx.calls if call.request.url.startswith(SEND)]
    assert ["TOKEN-OLD" in sends[0].request.url, "TOKEN-NEW" in sends[1].request.url] == [True, True]
    refresh = json.loads(wx.calls[2].request.body)
    assert refresh["force_refresh"] is True
    assert [m.status for m in messages(live_app)] == ["sent"]
    assert _remaining(live_app, member_id) == 1


def test_a_rate_limit_is_retried_on_a_later_run(live_app, wx, member_id):
    mock_stable_token(wx)
    wx.add(responses.POST, SEND, json={"errcode": 45011, "errmsg": "api minute-quota reach limit"})
    first_run = local(D, 9, 1)
    assert _send(live_app, first_run) == {"rate_limited": 1}
    [message] = messages(live_app)
    assert message.status == "queued" and message.next_attempt_at > first_run
    assert _remaining(live_app, member_id) == 2  # the grant was given back

    assert _send(live_app, first_run + timedelta(seconds=20)) == {}  # not due yet: no call made
    wx.add(responses.POST, SEND, json={"errcode": 0, "errmsg": "ok", "msgid": 2})
    assert _send(live_app, message.next_attempt_at) == {"sent": 1}
    [message] = messages(live_app)
    assert (message.status, message.attempts) == ("sent", 2)
    assert _remaining(live_app, member_id) == 1


def test_live_mode_without_a_template_id_records_a_configuration_failure(live_app, wx):
    clock.set_now(local(D, 9, 1))
    seeder = Seeder(live_app)
    seeder.member("bob", birthday=date(1990, 3, 10), grants={"birthday_greeting": 1})
    live_app.config["WECHAT_TEMPLATE_IDS"] = {}
    with live_app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(live_app) == {"failed": 1}
    [message] = messages(live_app)
    assert message.failure_reason == "template_not_configured"
