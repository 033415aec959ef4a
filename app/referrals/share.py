"""The image a member shares: a mini-program code in live mode, a plain QR otherwise.

Live mode asks WeChat (``getwxacodeunlimit``: scene = the member's referral code, page from the
settings) once per member and page and keeps the PNG (WeChat limits how often codes are made, and
they never change). Fake mode, and any WeChat failure, answers a QR of the mini-program path with
the code; that fallback is not kept, so WeChat is asked again next time.
"""

import hashlib
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import wechat
from app.common.qr import qr_png
from app.extensions import db
from app.members.services import get_member
from app.merchant.services import get_settings
from app.referrals.models import ReferralShareCode
from app.referrals.services import share_path

log = logging.getLogger(__name__)


def referral_code_png(*, member_id):
    """The member's share image (see the module docstring): ``(png_bytes, lasting)``, where
    ``lasting`` is False for a fallback QR that should not be cached by the client either."""
    member = get_member(member_id)
    page = get_settings().referral_share_page
    plain = share_path(page, member.referral_code)
    if current_app.config.get("WECHAT_MODE", "fake") != "live":
        return qr_png(plain), True
    cached = db.session.scalar(
        select(ReferralShareCode.png).where(ReferralShareCode.member_id == member.id, ReferralShareCode.page == page)
    )
    if cached is not None:
        return cached, True
    try:
        png = wechat.mini_program().unlimited_code(scene=member.referral_code, page=page)
    except wechat.WeChatError as error:
        log.warning("mini-program code for member %s not made (%s); answering a plain QR", member.id, error.code)
        return qr_png(plain), False
    _keep(member_id=member.id, page=page, scene=member.referral_code, png=png)
    return png, True


def _keep(*, member_id, page, scene, png):
    row = ReferralShareCode(
        member_id=member_id, page=page, scene=scene, png=png, sha256=hashlib.sha256(png).hexdigest()
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        pass  # a concurrent request kept its copy first; both are the same code
