"""WeChat failures as the rest of the service sees them."""

from app.common.errors import AppError


class WeChatError(AppError):
    """WeChat answered with an error code we do not treat specially."""

    status = 502
    code = "wechat_error"

    def __init__(self, errcode=None, errmsg=None, *, code=None, message=None, status=None):
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(
            code=code,
            message=message or f"WeChat answered {errcode}: {errmsg}",
            status=status,
            details={"errcode": errcode} if errcode is not None else {},
        )


class WeChatInvalidCode(WeChatError):
    """40029 / 40163: the login or phone code is invalid, expired or already used."""

    status = 400
    code = "wechat_invalid_code"


class WeChatRateLimited(WeChatError):
    """45011 and friends: WeChat's frequency limit; try again later."""

    status = 503
    code = "wechat_rate_limited"


class WeChatUnavailable(WeChatError):
    """-1 (system busy), timeouts and connection errors."""

    status = 503
    code = "wechat_unavailable"


class SubscribeRefused(WeChatError):
    """43101: the member has no subscribe grant left for this template."""

    status = 409
    code = "subscribe_refused"


class SubscribeUserInvalid(WeChatError):
    """40003 / 43004: the openid is not valid for this app, or the user refused messages."""

    status = 409
    code = "subscribe_user_invalid"


class InvalidNotification(AppError):
    """A payment notification whose signature, timestamp or content does not check out."""

    status = 401
    code = "invalid_notification"
