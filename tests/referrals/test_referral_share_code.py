"""The share image: a plain QR in fake mode; in live mode a mini-program code fetched once from
WeChat and kept, with the plain QR whenever WeChat fails."""

import io
import json
from urllib.parse import parse_qs, urlparse

import pytest
import qrcode
import requests
import responses
from sqlalchemy import func, select

from app.extensions import db
from app.referrals.models import ReferralShareCode
from tests.referrals.helpers import set_rules
from tests.wechat_live import API, mock_login, mock_stable_token

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_of(text):
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


# Stands in for WeChat's image: any PNG that is not the plain QR of the share path.
WECHAT_CODE_PNG = qr_of("a mini-program code drawn by WeChat")


def live_join(live_api, wx, openid):
    mock_login(wx, openid=openid)
    response = live_api.post("/auth/wechat/login", json={"code": f"code-{openid}"})
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


def mock_code(wx, *, errcode=None):
    if errcode:
        return wx.add(responses.POST, API + "wxa/getwxacodeunlimit", json={"errcode": errcode, "errmsg": "error"})
    return wx.add(responses.POST, API + "wxa/getwxacodeunlimit", body=WECHAT_CODE_PNG, content_type="image/png")


def kept_codes(app):
    with app.app_context():
        return db.session.scalar(select(func.count(ReferralShareCode.id)))


def test_fake_mode_answers_a_qr_of_the_share_path(api, member_login):
    token, member = member_login("alice")
    response = api.get("/me/referral/qr.png", token)

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == qr_of(f"pages/index/index?scene={member['referral_code']}")


def test_the_image_is_for_members_only(api, staff_tokens):
    assert api.get("/me/referral/qr.png").status_code == 401
    assert api.get("/me/referral/qr.png", staff_tokens["owner"]).status_code == 403


def test_live_mode_asks_wechat_once_and_keeps_the_code(live_app, live_api, wx):
    token, member = live_join(live_api, wx, "o-alice")
    mock_stable_token(wx)
    code_call = mock_code(wx)

    first = live_api.get("/me/referral/qr.png", token)
    again = live_api.get("/me/referral/qr.png", token)

    assert first.status_code == again.status_code == 200
    assert first.mimetype == "image/png"
    assert first.data == again.data == WECHAT_CODE_PNG
    assert first.headers["Cache-Control"] == "private, max-age=86400"
    assert code_call.call_count == 1
    request = code_call.calls[0].request
    assert parse_qs(urlparse(request.url).query) == {"access_token": ["TOKEN-1"]}
    sent = json.loads(request.body)
    assert (sent["scene"], sent["page"]) == (member["referral_code"], "pages/index/index")
    assert kept_codes(live_app) == 1


def test_a_new_share_page_fetches_a_new_code(live_app, live_api, wx):
    token, _ = live_join(live_api, wx, "o-alice")
    mock_stable_token(wx)
    code_call = mock_code(wx)
    live_api.get("/me/referral/qr.png", token)
    set_rules(live_app, referral_share_page="pages/invite/index")

    assert live_api.get("/me/referral/qr.png", token).data == WECHAT_CODE_PNG
    assert code_call.call_count == 2
    assert json.loads(code_call.calls[1].request.body)["page"] == "pages/invite/index"
    assert kept_codes(live_app) == 2


@pytest.mark.parametrize("errcode", [41030, 45009, -1])
def test_a_wechat_error_falls_back_to_the_plain_qr_and_is_not_kept(live_app, live_api, wx, errcode):
    token, member = live_join(live_api, wx, "o-alice")
    mock_stable_token(wx)
    mock_code(wx, errcode=errcode)

    response = live_api.get("/me/referral/qr.png", token)

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == qr_of(f"pages/index/index?scene={member['referral_code']}")
    assert response.headers["Cache-Control"] == "no-store"  # the client asks again too
    assert kept_codes(live_app) == 0
    # WeChat is asked again next time, and a good answer is kept then.
    code_call = mock_code(wx)
    assert live_api.get("/me/referral/qr.png", token).data == WECHAT_CODE_PNG
    assert code_call.call_count == 1
    assert kept_codes(live_app) == 1


def test_wechat_unreachable_falls_back_to_the_plain_qr(live_app, live_api, wx):
    token, member = live_join(live_api, wx, "o-alice")
    mock_stable_token(wx)
    wx.add(responses.POST, API + "wxa/getwxacodeunlimit", body=requests.ConnectionError("network down"))

    response = live_api.get("/me/referral/qr.png", token)

    assert response.status_code == 200
    assert response.data.startswith(PNG_SIGNATURE)
    assert response.data == qr_of(f"pages/index/index?scene={member['referral_code']}")
