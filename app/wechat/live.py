"""The real mini-program APIs, through wechatpy's ``WeChatClient``.

How the shared access_token is plugged into wechatpy: ``_SharedTokenClient`` overrides the
client's ``access_token`` property (which wechatpy's ``_request`` reads for every call) to read
the shared row of ``token_store``, and its ``fetch_access_token`` hook to force a refresh through
the same store, instead of wechatpy's per-process session storage and ``cgi-bin/token`` (which
would invalidate the token other processes hold). wechatpy's own retry on 40001/42001 is turned
off (it retries without limit); ``LiveMiniProgram._with_token`` refreshes once and retries once.

``session_key`` is returned to the caller and never logged; error logs carry errcode/errmsg only.
"""

import io
import logging
import re
import threading

import requests
from PIL import Image, UnidentifiedImageError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from app.common.errors import Unprocessable
from app.wechat.errors import (
    SubscribeRefused,
    SubscribeUserInvalid,
    WeChatError,
    WeChatInvalidCode,
    WeChatRateLimited,
    WeChatUnavailable,
)
from app.wechat.templates import validate_and_truncate
from app.wechat.token_store import TokenStore
from app.wechat.types import PhoneNumber, Session

log = logging.getLogger(__name__)

API = "https://api.weixin.qq.com/"
DEFAULT_TIMEOUT = (3.05, 10)  # (connect, read) seconds
TOKEN_REJECTED = (40001, 42001)  # invalid / expired access_token
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
# WECHAT_MINIPROGRAM_STATE -> the env_version of mini-program codes.
CODE_ENV_VERSIONS = {"formal": "release", "trial": "trial", "developer": "develop"}

_INSTANCES = {}  # LiveMiniProgram by configuration

# errcode -> error, for every API; each call adds its own.
COMMON_ERRORS = {-1: WeChatUnavailable, 45009: WeChatRateLimited, 45011: WeChatRateLimited}
CODE_ERRORS = {**COMMON_ERRORS, 40029: WeChatInvalidCode, 40163: WeChatInvalidCode}
SUBSCRIBE_ERRORS = {
    **COMMON_ERRORS,
    43101: SubscribeRefused,
    40003: SubscribeUserInvalid,
    43004: SubscribeUserInvalid,
}


class _SharedTokenClient(WeChatClient):
    """wechatpy's client reading the access_token from the shared row (see the module docstring)."""

    def __init__(self, appid, secret, tokens, timeout):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self._tokens = tokens
        self._used = threading.local()  # the token this thread last sent, for the 40001 re-check

    @property
    def last_token(self):
        return getattr(self._used, "token", None)

    @property
    def access_token(self):
        self._used.token = self._tokens.token()
        return self._used.token

    def fetch_access_token(self):
        return self._tokens.refresh(stale=self.last_token)


def _raise_mapped(error, table, what):
    """Turn a wechatpy or requests failure into one of ``app.wechat.errors``."""
    if isinstance(error, WeChatClientException):
        errcode = error.errcode
        if errcode is None:  # an HTTP error status, not a WeChat errcode
            status = getattr(error.response, "status_code", None)
            log.warning("WeChat %s answered HTTP %s", what, status)
            kind = WeChatUnavailable if status is None or status >= 500 else WeChatError
            raise kind(None, f"HTTP {status}", message=f"WeChat {what} answered HTTP {status}.") from None
        log.warning("WeChat %s answered errcode %s: %s", what, errcode, error.errmsg)
        raise table.get(errcode, WeChatError)(errcode, error.errmsg) from None
    if isinstance(error, requests.RequestException):
        log.warning("WeChat %s unreachable: %s", what, type(error).__name__)
        raise WeChatUnavailable(None, type(error).__name__, message=f"WeChat {what} is unreachable.") from None
    raise error


class LiveMiniProgram:
    def __init__(self, *, appid, secret, timeout=DEFAULT_TIMEOUT, state="formal"):
        if not appid or not secret:
            raise WeChatError(
                code="wechat_not_configured",
                status=503,
                message="WECHAT_APPID and WECHAT_SECRET are needed in live mode.",
            )
        self.appid = appid
        self._secret = secret
        self.state = state
        self.tokens = TokenStore(appid, self._fetch_stable_token)
        self.client = _SharedTokenClient(appid, secret, self.tokens, timeout)

    @classmethod
    def from_config(cls, config):
        """One instance per configuration, so its HTTP connections are reused across requests
        (it keeps no per-request state: the token lives in the database)."""
        timeout = config.get("WECHAT_HTTP_TIMEOUT") or DEFAULT_TIMEOUT
        settings = (
            config.get("WECHAT_APPID"),
            config.get("WECHAT_SECRET"),
            tuple(timeout) if isinstance(timeout, list) else timeout,
            config.get("WECHAT_MINIPROGRAM_STATE") or "formal",
        )
        instance = _INSTANCES.get(settings)
        if instance is None:
            appid, secret, timeout, state = settings
            instance = _INSTANCES.setdefault(settings, cls(appid=appid, secret=secret, timeout=timeout, state=state))
        return instance

    # -- plumbing -------------------------------------------------------------------------

    def _call(self, what, table, func):
        try:
            return func()
        except (WeChatClientException, requests.RequestException) as error:
            _raise_mapped(error, table, what)

    def _with_token(self, what, table, func):
        """Run an access_token call; on 40001/42001 refresh the shared token once and retry once."""
        try:
            return func()
        except WeChatClientException as error:
            if error.errcode not in TOKEN_REJECTED:
                _raise_mapped(error, table, what)
            log.info("WeChat rejected the access_token (%s); refreshing it once", error.errcode)
        except requests.RequestException as error:
            _raise_mapped(error, table, what)
        self.client.fetch_access_token()
        return self._call(what, table, func)

    def _fetch_stable_token(self, *, force_refresh):
        # stable_token authenticates with the secret; access_token=None keeps wechatpy from
        # adding one (requests drops None parameters).
        result = self._call(
            "stable_token",
            COMMON_ERRORS,
            lambda: self.client.post(
                API + "cgi-bin/stable_token",
                params={"access_token": None},
                data={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self._secret,
                    "force_refresh": bool(force_refresh),
                },
            ),
        )
        if not isinstance(result, dict) or not result.get("access_token"):
            raise WeChatError(None, "no access_token", message="WeChat stable_token answered no token.")
        return result["access_token"], int(result.get("expires_in") or 7200)

    # -- the interface --------------------------------------------------------------------

    def code_to_session(self, code):
        """jscode2session: the login code for (openid, unionid, session_key)."""
        # Authenticated by the secret, not by an access_token (hence access_token=None).
        result = self._call(
            "login",
            CODE_ERRORS,
            lambda: self.client.get(
                API + "sns/jscode2session",
                params={
                    "appid": self.appid,
                    "secret": self._secret,
                    "js_code": code,
                    "grant_type": "authorization_code",
                    "access_token": None,
                },
            ),
        )
        if not isinstance(result, dict) or not result.get("openid"):
            raise WeChatError(None, "no openid", message="WeChat login answered no openid.")
        return Session(
            openid=result["openid"], unionid=result.get("unionid") or None, session_key=result.get("session_key")
        )

    def phone_number(self, code):
        """getuserphonenumber: the phone a phone-number button's code vouches for (billed per call)."""
        result = self._with_token(
            "phone number",
            CODE_ERRORS,
            lambda: self.client.post(
                API + "wxa/business/getuserphonenumber",
                data={"code": code},
            ),
        )
        info = result.get("phone_info") if isinstance(result, dict) else None
        if not info or not info.get("purePhoneNumber"):
            raise WeChatError(None, "no phone_info", message="WeChat answered no phone number.")
        watermark_appid = (info.get("watermark") or {}).get("appid")
        if watermark_appid and watermark_appid != self.appid:
            raise WeChatError(None, "watermark appid mismatch", message="The phone number is for another app.")
        return PhoneNumber(phone=info["purePhoneNumber"], country_code=str(info.get("countryCode") or "86"))

    def send_subscribe_message(self, *, openid, template_key, template_id, data, page=None, fields=None):
        """Send a one-time subscribe message, fitted to the template's field rules first.

        43101 (no grant left) raises SubscribeRefused; the caller zeroes its grant count.
        """
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": validate_and_truncate(data, fields or {}),
            "miniprogram_state": self.state,
            "lang": "zh_CN",
        }
        if page:
            payload["page"] = page
        result = self._with_token(
            f"subscribe message {template_key}",
            SUBSCRIBE_ERRORS,
            lambda: self.client.post(
                API + "cgi-bin/message/subscribe/send",
                data=payload,
            ),
        )
        return {"errcode": 0, "msgid": result.get("msgid") if isinstance(result, dict) else None}

    def unlimited_code(self, *, scene, page):
        """A mini-program code (PNG bytes) opening ``page`` with ``scene``."""
        if not isinstance(scene, str) or not SCENE.match(scene):
            raise Unprocessable(
                "invalid_scene",
                "A scene is 1 to 32 characters of 0-9A-Za-z!#$&'()*+,/:;=?@-._~",
                details={"scene": scene},
            )
        payload = {
            "scene": scene,
            "page": (page or "").lstrip("/") or None,
            "env_version": CODE_ENV_VERSIONS.get(self.state, "release"),
            # unpublished versions have no pages on WeChat's side to check against
            "check_path": self.state == "formal",
        }
        payload = {key: value for key, value in payload.items() if value is not None}
        result = self._with_token(
            "mini-program code",
            COMMON_ERRORS,
            lambda: self.client.post(
                API + "wxa/getwxacodeunlimit",
                data=payload,
            ),
        )
        # wechatpy returns a decoded dict for JSON answers (errors) and the response otherwise.
        if isinstance(result, requests.Response) and result.headers.get("Content-Type", "").startswith("image/"):
            return _as_png(result.content)
        raise WeChatError(None, "not an image", message="WeChat answered no mini-program code image.")


def _as_png(image):
    """WeChat draws codes as JPEG unless transparent; the interface promises PNG."""
    if image.startswith(PNG_SIGNATURE):
        return image
    try:
        buffer = io.BytesIO()
        Image.open(io.BytesIO(image)).save(buffer, format="PNG")
    except (UnidentifiedImageError, OSError):
        raise WeChatError(None, "unreadable image", message="WeChat answered an unreadable code image.") from None
    return buffer.getvalue()
