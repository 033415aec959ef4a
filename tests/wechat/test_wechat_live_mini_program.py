"""Live mini-program APIs (login, phone, subscribe messages, codes) against mocked WeChat endpoints."""

import io
import json
import logging
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from PIL import Image
from sqlalchemy import func, select

from app.common.errors import Unprocessable
from app.extensions import db
from app.members.models import Member
from app.wechat import (
    SubscribeRefused,
    SubscribeUserInvalid,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
    mini_program,
)
from app.wechat.templates import TemplateFieldInvalid
from tests.helpers import error_code
from tests.wechat.pay_signing import TEST_APPID
from tests.wechat_live import API, SECRET, mock_login, mock_phone, mock_stable_token

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _query(call):
    return parse_qs(urlparse(call.request.url).query)


def _member_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id)))


def _login(live_api, wx, openid="o-alice"):
    mock_login(wx, openid=openid)
    response = live_api.post("/auth/wechat/login", json={"code": "login-code"})
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


# -- login ------------------------------------------------------------------------------------


def test_login_maps_the_openid_to_one_member_and_never_logs_the_session_key(live_app, live_api, wx, caplog):
    caplog.set_level(logging.DEBUG)
    mock_login(wx, openid="o-alice", session_key="SESSION-KEY-alice==", unionid="u-alice")
    first = live_api.post("/auth/wechat/login", json={"code": "code-1"})
    again = live_api.post("/auth/wechat/login", json={"code": "code-2"})

    assert first.status_code == again.status_code == 200
    assert first.json["member"]["id"] == again.json["member"]["id"]
    call = wx.calls[0]
    assert _query(call) == {
        "appid": [TEST_APPID],
        "secret": [SECRET],
        "js_code": ["code-1"],
        "grant_type": ["authorization_code"],
    }  # no access_token needed or fetched
    with live_app.app_context():
        member = db.session.scalar(select(Member))
        assert (member.appid, member.openid, member.unionid) == (TEST_APPID, "o-alice", "u-alice")
        assert member.session_key == "SESSION-KEY-alice=="
    assert "SESSION-KEY-alice" not in caplog.text
    assert "SESSION-KEY-alice" not in first.get_data(as_text=True)


@pytest.mark.parametrize(
    "errcode, status, code",
    [
        (40029, 400, "wechat_invalid_code"),
        (40163, 400, "wechat_invalid_code"),
        (45011, 503, "wechat_rate_limited"),
        (-1, 503, "wechat_unavailable"),
        (40226, 502, "wechat_error"),
    ],
)
def test_login_errors_answer_their_code_and_create_no_member(live_app, live_api, wx, errcode, status, code):
    mock_login(wx, errcode=errcode)
    response = live_api.post("/auth/wechat/login", json={"code": "used-code"})

    assert response.status_code == status
    assert error_code(response) == code
    assert response.json["error"]["details"] == {"errcode": errcode}
    assert _member_count(live_app) == 0


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), requests.Timeout("slow")])
def test_unreachable_wechat_answers_503(live_app, live_api, wx, failure):
    wx.add(responses.GET, API + "sns/jscode2session", body=failure)
    response = live_api.post("/auth/wechat/login", json={"code": "code"})

    assert response.status_code == 503
    assert error_code(response) == "wechat_unavailable"
    assert _member_count(live_app) == 0


def test_http_error_status_from_wechat_maps_to_unavailable_or_error(live_app, wx):
    wx.add(responses.GET, API + "sns/jscode2session", status=502, body="bad gateway")
    wx.add(responses.GET, API + "sns/jscode2session", status=404, body="not found")
    with live_app.app_context():
        with pytest.raises(WeChatUnavailable):
            mini_program().code_to_session("code")
        with pytest.raises(WeChatError) as raised:
            mini_program().code_to_session("code")
    assert raised.value.status == 502


# -- phone ------------------------------------------------------------------------------------


def test_member_binds_the_phone_wechat_vouches_for_once(live_app, live_api, wx):
    token, _ = _login(live_api, wx)
    mock_stable_token(wx, token="TOKEN-1")
    phone_call = mock_phone(wx, phone="13800138000")

    response = live_api.post("/me/phone", token, json={"code": "phone-code"})
    assert response.status_code == 200, response.json
    assert response.json["phone"] == "138****8000"
    assert json.loads(phone_call.calls[0].request.body) == {"code": "phone-code"}
    assert _query(phone_call.calls[0])["access_token"] == ["TOKEN-1"]

    # Bound once: another bind answers from the database (each WeChat lookup is billed).
    again = live_api.post("/me/phone", token, json={"code": "another-code"})
    assert again.status_code == 200
    assert phone_call.call_count == 1
    with live_app.app_context():
        assert db.session.scalar(select(Member.phone)) == "13800138000"


@pytest.mark.parametrize(
    "errcode, status, code",
    [
        (40029, 400, "wechat_invalid_code"),
        (45011, 503, "wechat_rate_limited"),
        (-1, 503, "wechat_unavailable"),
        (40013, 502, "wechat_error"),
    ],
)
def test_phone_binding_errors_leave_the_member_without_phone(live_app, live_api, wx, errcode, status, code):
    token, _ = _login(live_api, wx)
    mock_stable_token(wx)
    mock_phone(wx, errcode=errcode)

    response = live_api.post("/me/phone", token, json={"code": "phone-code"})
    assert response.status_code == status
    assert error_code(response) == code
    with live_app.app_context():
        assert db.session.scalar(select(Member.phone)) is None


def test_phone_of_another_app_is_refused(live_app, wx):
    mock_stable_token(wx)
    wx.add(
        responses.POST,
        API + "wxa/business/getuserphonenumber",
        json={
            "errcode": 0,
            "phone_info": {
                "purePhoneNumber": "13800138000",
                "countryCode": "86",
                "watermark": {"appid": "wx-someone-else"},
            },
        },
    )
    with live_app.app_context(), pytest.raises(WeChatError):
        mini_program().phone_number("code")


# -- subscribe messages -----------------------------------------------------------------------


def _send(live_app, **overrides):
    arguments = {
        "openid": "o-alice",
        "template_key": "maintenance_due",
        "template_id": "TPL-1",
        "data": {"thing1": "保养提醒", "car_number2": "粤B12345"},
        "page": "pages/home/index",
    }
    arguments.update(overrides)
    with live_app.app_context():
        return mini_program().send_subscribe_message(**arguments)


def test_subscribe_message_is_fitted_to_the_field_rules_before_sending(live_app, wx):
    mock_stable_token(wx, token="TOKEN-1")
    send = wx.add(
        responses.POST, API + "cgi-bin/message/subscribe/send", json={"errcode": 0, "errmsg": "ok", "msgid": 2001}
    )
    long_thing = "您的爱车保养已到期请尽快到店保养以免影响车况和保修"  # 26 characters

    result = _send(live_app, data={"thing1": long_thing, "car_number2": "粤B12345", "time3": "2025-03-01 10:00"})

    assert result == {"errcode": 0, "msgid": 2001}
    sent = json.loads(send.calls[0].request.body)
    assert sent["touser"] == "o-alice" and sent["template_id"] == "TPL-1" and sent["page"] == "pages/home/index"
    assert sent["data"]["thing1"]["value"] == long_thing[:19] + "…"
    assert len(sent["data"]["thing1"]["value"]) == 20
    assert sent["data"]["car_number2"] == {"value": "粤B12345"}
    assert sent["miniprogram_state"] == "formal"
    assert _query(send.calls[0])["access_token"] == ["TOKEN-1"]


def test_subscribe_message_that_cannot_be_fitted_is_never_sent(live_app, wx):
    # No mock is registered: a token fetch or a send would fail with ConnectionError.
    with pytest.raises(TemplateFieldInvalid):
        _send(live_app, data={"phrase1": "预约已经成功确认"})  # phrase: at most 5 characters, not truncated
    assert len(wx.calls) == 0


@pytest.mark.parametrize(
    "errcode, error",
    [
        (43101, SubscribeRefused),
        (40003, SubscribeUserInvalid),
        (43004, SubscribeUserInvalid),
        (45009, WeChatRateLimited),
        (45011, WeChatRateLimited),
        (-1, WeChatUnavailable),
        (47003, WeChatError),
    ],
)
def test_subscribe_errors_map_to_their_type(live_app, wx, errcode, error):
    mock_stable_token(wx)
    wx.add(responses.POST, API + "cgi-bin/message/subscribe/send", json={"errcode": errcode, "errmsg": "no"})
    with pytest.raises(error) as raised:
        _send(live_app)
    assert type(raised.value) is error
    assert raised.value.errcode == errcode


# -- mini-program codes -----------------------------------------------------------------------


def _image(fmt):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=fmt)
    return buffer.getvalue()


def test_unlimited_code_returns_the_png(live_app, wx):
    mock_stable_token(wx)
    png = _image("PNG")
    call = wx.add(responses.POST, API + "wxa/getwxacodeunlimit", body=png, content_type="image/png")
    with live_app.app_context():
        assert mini_program().unlimited_code(scene="r=AB23CD45", page="/pages/invite/index") == png
    assert json.loads(call.calls[0].request.body) == {
        "scene": "r=AB23CD45",
        "page": "pages/invite/index",
        "env_version": "release",
        "check_path": True,
    }


def test_unlimited_code_converts_wechat_jpeg_to_png(live_app, wx):
    mock_stable_token(wx)
    wx.add(responses.POST, API + "wxa/getwxacodeunlimit", body=_image("JPEG"), content_type="image/jpeg")
    with live_app.app_context():
        image = mini_program().unlimited_code(scene="c=7QK2", page="pages/coupon/index")
    assert image.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(image)).size == (8, 8)


def test_unlimited_code_error_json_raises(live_app, wx):
    mock_stable_token(wx)
    wx.add(responses.POST, API + "wxa/getwxacodeunlimit", json={"errcode": 41030, "errmsg": "invalid page"})
    with live_app.app_context(), pytest.raises(WeChatError) as raised:
        mini_program().unlimited_code(scene="r=AB23CD45", page="pages/nowhere")
    assert raised.value.errcode == 41030 and raised.value.status == 502


@pytest.mark.parametrize("scene", ["", "x" * 33, "r=AB 23", "推荐=1", "a%20b", None])
def test_unlimited_code_refuses_a_scene_wechat_would_refuse(live_app, wx, scene):
    with live_app.app_context(), pytest.raises(Unprocessable) as raised:
        mini_program().unlimited_code(scene=scene, page="pages/index/index")
    assert raised.value.code == "invalid_scene"
    assert len(wx.calls) == 0


def test_unlimited_code_accepts_every_allowed_scene_character(live_app, wx):
    mock_stable_token(wx)
    wx.add(responses.POST, API + "wxa/getwxacodeunlimit", body=_image("PNG"), content_type="image/png")
    with live_app.app_context():
        assert mini_program().unlimited_code(scene="aZ09!#$&'()*+,/:;=?@-._~", page="pages/index/index")


def test_live_mode_without_a_secret_answers_503_not_configured(live_app, live_api, wx):
    live_app.config["WECHAT_SECRET"] = None
    response = live_api.post("/auth/wechat/login", json={"code": "code"})
    assert response.status_code == 503
    assert error_code(response) == "wechat_not_configured"
    assert len(wx.calls) == 0
