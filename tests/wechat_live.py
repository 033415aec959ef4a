"""Live-mode WeChat for tests: the settings of an app with WECHAT_MODE=live, and mocks of the
WeChat endpoints it calls. The fixtures (``live_app``, ``live_api``, ``wx``, ``live_settings``)
are in tests/conftest.py."""

import responses

from app import create_app
from app.common import clock
from app.extensions import db
from tests.wechat.pay_signing import TEST_APPID, live_pay_config, pay_test_keys

API = "https://api.weixin.qq.com/"
SECRET = "test-app-secret"


def live_config():
    return {
        "WECHAT_MODE": "live",
        "WECHAT_SECRET": SECRET,
        **live_pay_config(pay_test_keys()),
        "WECHAT_APPID": TEST_APPID,
    }


def live_application(database_url, **settings):
    """Yield a live-mode app (plus ``settings``) on the test database; afterwards the clock is
    released and the app's connections closed. The ``live_app`` fixture ``yield from``s it."""
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **live_config(), **settings})
    yield application
    clock.set_now(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def mock_login(rsps, *, openid="o-alice", session_key="SESSION-KEY-alice==", unionid=None, errcode=None):
    body = {"errcode": errcode, "errmsg": "error"} if errcode else {"openid": openid, "session_key": session_key}
    if unionid and not errcode:
        body["unionid"] = unionid
    return rsps.add(responses.GET, API + "sns/jscode2session", json=body)


def mock_stable_token(rsps, token="TOKEN-1", expires_in=7200):
    return rsps.add(
        responses.POST, API + "cgi-bin/stable_token", json={"access_token": token, "expires_in": expires_in}
    )


def mock_phone(rsps, phone="13800138000", errcode=None):
    if errcode:
        body = {"errcode": errcode, "errmsg": "error"}
    else:
        body = {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": 1700000000, "appid": TEST_APPID},
            },
        }
    return rsps.add(responses.POST, API + "wxa/business/getuserphonenumber", json=body)
