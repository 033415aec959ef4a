"""The shared access_token: one row for every process, refreshed under a lock, 40001 handled once."""

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.stores.models import Store
from app.stores.services import create_store
from app.wechat import WeChatError, mini_program
from app.wechat.live import LiveMiniProgram
from app.wechat.models import WeChatAccessToken
from tests.helpers import ON_POSTGRES, run_together
from tests.wechat.pay_signing import TEST_APPID
from tests.wechat_live import API, SECRET, mock_phone, mock_stable_token

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _token_used(call):
    return parse_qs(urlparse(call.request.url).query)["access_token"][0]


def _stored(app):
    with app.app_context():
        return db.session.get(WeChatAccessToken, TEST_APPID)


def _store_token(app, token, expires_at):
    with app.app_context():
        db.session.add(
            WeChatAccessToken(
                appid=TEST_APPID,
                access_token=token,
                expires_at=expires_at,
                refreshed_at=expires_at - timedelta(hours=2),
            )
        )
        db.session.commit()


def test_token_is_fetched_once_and_shared_by_every_instance(live_app, wx):
    clock.set_now(NOW)
    fetch = mock_stable_token(wx, token="TOKEN-1", expires_in=7200)
    phone = mock_phone(wx)
    with live_app.app_context():
        mini_program().phone_number("code-1")
    with live_app.app_context():
        # Another process's instance: reads the row, fetches nothing.
        LiveMiniProgram(appid=TEST_APPID, secret=SECRET).phone_number("code-2")

    assert fetch.call_count == 1
    assert json.loads(fetch.calls[0].request.body) == {
        "grant_type": "client_credential",
        "appid": TEST_APPID,
        "secret": SECRET,
        "force_refresh": False,
    }
    assert "access_token" not in parse_qs(urlparse(fetch.calls[0].request.url).query)
    assert [_token_used(call) for call in wx.calls[1:]] == ["TOKEN-1", "TOKEN-1"]
    assert phone.call_count == 2
    row = _stored(live_app)
    assert (row.access_token, row.expires_at, row.refreshed_at) == ("TOKEN-1", NOW + timedelta(hours=2), NOW)


@pytest.mark.parametrize(
    "remaining, refreshed",
    [
        (timedelta(minutes=4, seconds=59), True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=5, seconds=1), False),
        (-timedelta(hours=1), True),
    ],
)
def test_token_expiring_within_five_minutes_is_refreshed_first(live_app, wx, remaining, refreshed):
    clock.set_now(NOW)
    _store_token(live_app, "OLD", NOW + remaining)
    if refreshed:
        mock_stable_token(wx, token="NEW")
    call = mock_phone(wx)
    with live_app.app_context():
        mini_program().phone_number("code")
    assert _token_used(call.calls[0]) == ("NEW" if refreshed else "OLD")
    assert _stored(live_app).access_token == ("NEW" if refreshed else "OLD")


def test_rejected_token_is_force_refreshed_once_and_the_call_retried(live_app, wx):
    clock.set_now(NOW)
    _store_token(live_app, "REVOKED", NOW + timedelta(hours=1))
    wx.add(responses.POST, API + "wxa/business/getuserphonenumber", json={"errcode": 40001, "errmsg": "invalid"})
    fetch = mock_stable_token(wx, token="FRESH")
    mock_phone(wx, phone="13900139000")

    with live_app.app_context():
        assert mini_program().phone_number("code").phone == "13900139000"

    assert fetch.call_count == 1
    assert json.loads(fetch.calls[0].request.body)["force_refresh"] is True
    phone_calls = [call for call in wx.calls if "getuserphonenumber" in call.request.url]
    assert [_token_used(call) for call in phone_calls] == ["REVOKED", "FRESH"]
    assert _stored(live_app).access_token == "FRESH"


def test_token_rejected_again_after_the_refresh_is_an_error_not_a_loop(live_app, wx):
    clock.set_now(NOW)
    _store_token(live_app, "REVOKED", NOW + timedelta(hours=1))
    wx.add(responses.POST, API + "wxa/business/getuserphonenumber", json={"errcode": 42001, "errmsg": "expired"})
    fetch = mock_stable_token(wx, token="FRESH")
    wx.add(responses.POST, API + "wxa/business/getuserphonenumber", json={"errcode": 40001, "errmsg": "invalid"})

    with live_app.app_context(), pytest.raises(WeChatError) as raised:
        mini_program().phone_number("code")
    assert raised.value.errcode == 40001 and raised.value.status == 502
    assert fetch.call_count == 1


def test_rejected_token_already_replaced_by_another_process_is_not_fetched_again(live_app, wx):
    clock.set_now(NOW)
    _store_token(live_app, "REVOKED", NOW + timedelta(hours=1))

    def reject_and_let_another_process_refresh(request):
        with live_app.app_context():
            row = db.session.get(WeChatAccessToken, TEST_APPID)
            row.access_token = "REPLACED-ELSEWHERE"
            db.session.commit()
        return 200, {}, json.dumps({"errcode": 40001, "errmsg": "invalid"})

    wx.add_callback(
        responses.POST, API + "wxa/business/getuserphonenumber", callback=reject_and_let_another_process_refresh
    )
    mock_phone(wx)
    # No stable_token mock: a fetch would fail.
    with live_app.app_context():
        mini_program().phone_number("code")
    assert _token_used(wx.calls[-1]) == "REPLACED-ELSEWHERE"


def test_stable_token_errors_surface_as_wechat_errors(live_app, wx):
    wx.add(responses.POST, API + "cgi-bin/stable_token", json={"errcode": 40125, "errmsg": "invalid appsecret"})
    with live_app.app_context(), pytest.raises(WeChatError) as raised:
        mini_program().phone_number("code")
    assert raised.value.errcode == 40125
    assert _stored(live_app) is None or _stored(live_app).access_token is None


def test_token_refresh_keeps_the_callers_transaction(live_app, wx):
    mock_stable_token(wx, token="TOKEN-1")
    mock_phone(wx)
    with live_app.app_context():
        store = create_store(name="南山店")  # the caller's own unfinished work
        db.session.flush()
        mini_program().phone_number("code")
        assert db.session.get(Store, store.id) is store
        db.session.commit()
    with live_app.app_context():
        assert db.session.scalar(select(Store.name)) == "南山店"
    assert _stored(live_app).access_token == "TOKEN-1"


@pytest.mark.skipif(not ON_POSTGRES, reason="on SQLite an open caller transaction holds the only write lock")
def test_refreshed_token_is_kept_when_the_caller_rolls_back(live_app, wx):
    mock_stable_token(wx, token="TOKEN-1")
    mock_phone(wx, errcode=40029)
    with live_app.app_context():
        create_store(name="南山店")
        db.session.flush()
        with pytest.raises(WeChatError):
            mini_program().phone_number("bad-code")
        db.session.rollback()
    with live_app.app_context():
        assert db.session.scalar(select(Store.id)) is None
    assert _stored(live_app).access_token == "TOKEN-1"


def test_concurrent_processes_fetch_the_token_once(live_app, wx):
    fetched = []

    def slow_stable_token(request):
        fetched.append(json.loads(request.body))
        time.sleep(0.3)  # hold the lock while the other thread wants the token
        return 200, {}, json.dumps({"access_token": f"TOKEN-{len(fetched)}", "expires_in": 7200})

    wx.add_callback(responses.POST, API + "cgi-bin/stable_token", callback=slow_stable_token)
    mock_phone(wx)

    def worker():
        with live_app.app_context():
            mini_program().phone_number("code")
            db.session.remove()

    run_together(worker, worker, worker, timeout=30)
    assert len(fetched) == 1
    assert [_token_used(call) for call in wx.calls if "getuserphonenumber" in call.request.url] == ["TOKEN-1"] * 3
