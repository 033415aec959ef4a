"""WeChat being down delays messages without failing web requests.

Live mode against ``responses``: WeChat refuses connections, times out, answers HTTP 502 or errcode
-1 (system busy). Web requests at the counter and in the back office never wait on WeChat (messages
are queued by jobs and pushed by the sender), the sender keeps every message queued with a later
``next_attempt_at`` (exponential backoff) while attempts remain, and once WeChat answers again a
later run delivers each message exactly once. Member login, which needs WeChat itself, answers a
clean 503.
"""

import json
import re
import time
from datetime import date, timedelta

import pytest
import requests
import responses
from sqlalchemy import func, select

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.models import FollowUp, SubscriptionGrant
from app.marketing.sender import BACKOFF, send_outbox
from app.members.models import Member
from tests.helpers import error_code
from tests.marketing.helpers import Seeder, local, messages
from tests.wechat_live import API, mock_login, mock_stable_token

D = date(2026, 3, 10)  # the settle; the follow-up and the campaign are due three days later
DUE = local(D + timedelta(days=3), 15)
SEND = API + "cgi-bin/message/subscribe/send"
ANY_WECHAT = re.compile(re.escape(API) + ".*")
TEMPLATE_IDS = {"service_follow_up": "TPL-FOLLOW-UP", "campaign": "TPL-CAMPAIGN"}
CAMPAIGN_MESSAGE = {
    "template_key": "campaign",
    "fields": {"thing1": "{nickname}的爱车", "thing2": "您有一项车主权益待查看"},
    "page": "pages/member/benefits?from=campaign",
}
HANG_SECONDS = 5  # far longer than any request here takes, even on a loaded machine


@pytest.fixture
def live_settings():
    return {"WECHAT_TEMPLATE_IDS": TEMPLATE_IDS}


@pytest.fixture
def wx():
    """WeChat as the test makes it; a call nothing answers fails with ConnectionError (unreachable)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def shop(live_app, live_api):
    """Two stores' worth of staff, a wash on the menu and two subscribed members (alice has a car)."""
    from app.stores.services import create_staff, create_store

    clock.set_now(local(D, 10))
    with live_app.app_context():
        store_id = create_store(name="南山店").id
        for username, role in (("owner", "owner"), ("marketing", "marketing"), ("cashier", "cashier")):
            create_staff(username=username, password="password-123", role=role, store_ids=[store_id])
        db.session.commit()
    tokens = {}
    for username in ("owner", "marketing", "cashier"):
        response = live_api.post("/auth/staff/login", json={"username": username, "password": "password-123"})
        assert response.status_code == 200, response.json
        tokens[username] = response.json["token"]
    seeder = Seeder(live_app)
    alice = seeder.member("alice", grants={"service_follow_up": 1, "campaign": 1})
    seeder.vehicle(alice, "粤B12345")
    bob = seeder.member("bob", grants={"campaign": 1})
    wash = live_api.post(
        "/service-items", tokens["owner"], json={"name": "精洗", "category": "wash", "price_fen": 5000}
    )
    assert wash.status_code == 201, wash.json
    return {"store_id": store_id, "tokens": tokens, "alice": alice, "bob": bob, "wash": wash.json["id"]}


def _hanging(request):
    time.sleep(HANG_SECONDS)  # what a dead WeChat costs whoever calls it
    raise requests.ReadTimeout("WeChat did not answer")


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _web_requests_while_wechat_hangs(live_api, wx, shop):
    """Settle at the counter and schedule a campaign while every WeChat call would hang."""
    wx.add_callback(responses.GET, ANY_WECHAT, callback=_hanging)
    wx.add_callback(responses.POST, ANY_WECHAT, callback=_hanging)
    cashier, marketing = shop["tokens"]["cashier"], shop["tokens"]["marketing"]
    opened, took = _timed(
        lambda: live_api.post(
            "/work-orders",
            cashier,
            json={
                "store_id": shop["store_id"],
                "plate": "粤B12345",
                "lines": [{"service_item_id": shop["wash"], "quantity": 1}],
            },
        )
    )
    assert opened.status_code == 201, opened.json
    settled, took_settle = _timed(
        lambda: live_api.post(
            f"/work-orders/{opened.json['id']}/settle",
            cashier,
            json={"tenders": [{"type": "cash", "amount_fen": 5000}]},
            headers={"Idempotency-Key": "wash-1"},
        )
    )
    assert settled.status_code == 200 and settled.json["status"] == "settled", settled.json
    segment = live_api.post(
        "/segments",
        marketing,
        json={"name": "全部会员", "rules": {"all": [{"field": "visit_count", "op": "gte", "value": 0}]}},
    )
    assert segment.status_code == 201, segment.json
    campaign, took_campaign = _timed(
        lambda: live_api.post(
            "/campaigns",
            marketing,
            json={
                "name": "春季回馈",
                "segment_id": segment.json["id"],
                "message": CAMPAIGN_MESSAGE,
                "send_at": DUE.isoformat(),
            },
        )
    )
    assert campaign.status_code == 201, campaign.json
    assert max(took, took_settle, took_campaign) < HANG_SECONDS
    assert len(wx.calls) == 0  # none of them waited on WeChat
    wx.reset()


def _queue_due_messages(live_app, wx):
    """The jobs queue the follow-up and the campaign's pushes; queueing never calls WeChat either."""
    clock.set_now(DUE)
    with live_app.app_context():
        assert run_job("campaign_sends") == {"launched": 1}
        assert run_job("service_follow_ups") == {"queued": 1}
    assert len(wx.calls) == 0
    return sorted((m.member_id, m.kind) for m in messages(live_app))


def _run_sender(live_app, now):
    with live_app.app_context():
        result = send_outbox(now=now)
        db.session.commit()
        return result


def _grants(live_app):
    with live_app.app_context():
        return {(g.member_id, g.template_key): g.remaining for g in db.session.scalars(select(SubscriptionGrant))}


def _wechat_fails(wx, failure):
    """Make WeChat fail the way ``failure`` says (nothing registered: connections are refused)."""
    if failure == "unreachable":
        return
    mock_stable_token(wx, token="TOKEN-1")
    if failure == "timeout":
        wx.add(responses.POST, SEND, body=requests.ReadTimeout("read timed out"))
    elif failure == "http-502":
        wx.add(responses.POST, SEND, status=502, body="Bad Gateway")
    elif failure == "system-busy":
        wx.add(responses.POST, SEND, json={"errcode": -1, "errmsg": "system error"})


def _wechat_is_back(wx):
    wx.reset()
    mock_stable_token(wx, token="TOKEN-2")
    msgids = iter(range(1000, 2000))
    wx.add_callback(
        responses.POST,
        SEND,
        callback=lambda request: (200, {}, json.dumps({"errcode": 0, "errmsg": "ok", "msgid": next(msgids)})),
    )


def _sends(wx):
    """The bodies of the subscribe-message sends WeChat received since it came back."""
    return [json.loads(call.request.body) for call in wx.calls if call.request.url.startswith(SEND)]


@pytest.mark.parametrize("failure", ["unreachable", "timeout", "http-502", "system-busy"])
def test_messages_wait_for_wechat_and_are_delivered_once_when_it_is_back(live_app, live_api, wx, shop, failure):
    _web_requests_while_wechat_hangs(live_api, wx, shop)
    queued = _queue_due_messages(live_app, wx)
    assert queued == sorted([(shop["alice"], "follow_up"), (shop["alice"], "campaign"), (shop["bob"], "campaign")])
    grants_before = _grants(live_app)

    # WeChat fails: every message stays queued, retried a backoff later; the grants are given back.
    _wechat_fails(wx, failure)
    first = DUE + timedelta(minutes=1)
    assert _run_sender(live_app, first) == {"retry": 3}
    for message in messages(live_app):
        assert (message.status, message.attempts, message.next_attempt_at) == ("queued", 1, first + BACKOFF)
        assert message.last_error and message.claim_token is None and message.sent_at is None
    assert _grants(live_app) == grants_before
    with live_app.app_context():  # nobody is put on the call list for an outage
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0

    calls = len(wx.calls)
    assert _run_sender(live_app, first + BACKOFF / 2) == {}  # not due yet: WeChat is left alone
    assert len(wx.calls) == calls

    second = first + BACKOFF
    assert _run_sender(live_app, second) == {"retry": 3}  # still down: the wait doubles
    assert {(m.attempts, m.next_attempt_at) for m in messages(live_app)} == {(2, second + 2 * BACKOFF)}

    # WeChat is back: the next due run delivers each message once; later runs send nothing more.
    _wechat_is_back(wx)
    assert _run_sender(live_app, second + BACKOFF) == {}  # due only after the doubled wait
    third = second + 2 * BACKOFF
    assert _run_sender(live_app, third) == {"sent": 3}
    assert _run_sender(live_app, third + timedelta(hours=1)) == {}
    sends = _sends(wx)
    assert sorted((s["touser"].split("-")[1], s["template_id"]) for s in sends) == [
        ("alice", "TPL-CAMPAIGN"),
        ("alice", "TPL-FOLLOW-UP"),
        ("bob", "TPL-CAMPAIGN"),
    ]
    assert {(m.status, m.attempts, m.sent_at) for m in messages(live_app)} == {("sent", 3, third)}
    assert len({m.wechat_msgid for m in messages(live_app)}) == 3
    assert _grants(live_app) == {key: remaining - 1 for key, remaining in grants_before.items()}


@pytest.mark.parametrize("failure", ["unreachable", "timeout", "http-502", "system-busy"])
def test_member_login_while_wechat_is_down_answers_503_and_works_once_it_is_back(live_app, live_api, wx, failure):
    login = API + "sns/jscode2session"
    if failure == "timeout":
        wx.add(responses.GET, login, body=requests.ConnectTimeout("connect timed out"))
    elif failure == "http-502":
        wx.add(responses.GET, login, status=502, body="Bad Gateway")
    elif failure == "system-busy":
        mock_login(wx, errcode=-1)
    response = live_api.post("/auth/wechat/login", json={"code": "code-1"})
    assert response.status_code == 503
    assert error_code(response) == "wechat_unavailable"
    assert set(response.json["error"]) == {"code", "message", "details"} and b"Traceback" not in response.data
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 0

    wx.reset()
    mock_login(wx, openid="o-alice")
    assert live_api.post("/auth/wechat/login", json={"code": "code-2"}).status_code == 200
