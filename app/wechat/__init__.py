"""Everything WeChat, behind one small interface (the only package that imports wechatpy/wechatpayv3).

``mini_program()`` and ``pay()`` return the live or the fake implementation according to
``WECHAT_MODE``. Callers see plain values and the errors of ``app.wechat.errors``.
"""

from flask import current_app

from app.wechat.errors import (  # noqa: F401  (re-exported for callers)
    InvalidNotification,
    SubscribeRefused,
    SubscribeUserInvalid,
    WeChatError,
    WeChatInvalidCode,
    WeChatRateLimited,
    WeChatUnavailable,
)
from app.wechat.types import PaymentNotice, PhoneNumber, Session  # noqa: F401


def _mode():
    return current_app.config.get("WECHAT_MODE", "fake")


def mini_program():
    """The mini-program APIs (login, phone, subscribe messages, mini-program codes)."""
    if _mode() == "live":
        from app.wechat.live import LiveMiniProgram

        return LiveMiniProgram.from_config(current_app.config)
    from app.wechat.fake import FakeMiniProgram

    return FakeMiniProgram(current_app.config)


def pay():
    """WeChat Pay APIv3 (JSAPI orders, notifications, refunds)."""
    if _mode() == "live":
        from app.wechat.live_pay import LivePay

        return LivePay.from_config(current_app.config)
    from app.wechat.fake import FakePay

    return FakePay(current_app.config)
