"""HTTP edges: the proxy in front, cross-origin access for the staff console, log redaction."""

import logging
import re

from flask import Request, request
from flask.sessions import SessionInterface
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from app.common.errors import BadRequest

# Phone numbers (with or without +86), bearer tokens, JWT-shaped strings and the value of any
# query parameter named like a token never reach the logs (the access log's request line included).
_REDACTIONS = (
    (re.compile(r"(?<!\d)(?:86)?1\d{10}(?!\d)"), lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:]),
    (re.compile(r"(?i)([?&][\w.-]*token=)[^&\s\"]+"), lambda m: m.group(1) + "[redacted]"),
    (re.compile(r"(?i)bearer\s+[\w\-.~+/=]+"), lambda m: "Bearer [redacted]"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), lambda m: "[token]"),
)


# A run of seven digits or more is (part of) a phone number: no plate holds that many.
_PHONE_SHAPED = re.compile(r"\d{7,}")
_TOKEN_SHAPED = re.compile(r"[\w-]{10,}\.[\w-]+\.[\w-]+")
# Query parameters that only ever carry a secret.
_SECRET_PARAMETERS = ("card_token", "token", "access_token")


def refuse_personal_data_in_url(args):
    """Refuse a query string carrying a phone number or a token (400 ``personal_data_in_url``).

    URLs land in every access log and proxy log on the way; such values go in the request body or a
    header of the route that takes them, and the error says where."""
    for name, value in args.items(multi=True):
        if name in _SECRET_PARAMETERS or _PHONE_SHAPED.search(value) or _TOKEN_SHAPED.search(value):
            raise BadRequest(
                "personal_data_in_url",
                "Phone numbers and member-card tokens stay out of URLs: search with POST /members/search "
                '{"q": ...}, look up a scanned card with the Member-Card-Token header of GET /vehicles.',
            )


def redact(text):
    for pattern, replace in _REDACTIONS:
        text = pattern.sub(replace, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction():
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


class BoundedRequest(Request):
    """A request whose streamed (chunked) body over MAX_CONTENT_LENGTH is refused with 413.

    Werkzeug refuses a declared Content-Length over the limit, but silently cuts a chunked body at
    it, so the route would see truncated JSON and answer 400 invalid_json."""

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if self.content_length is None and limit is not None and len(data) >= limit and self.stream.read(1):
            raise RequestEntityTooLarge()  # (reading past the limit raises it too)
        return data.decode(errors="replace") if as_text else data


class NoCookieSession(SessionInterface):
    """Callers authenticate with bearer tokens and the service keeps nothing in a cookie, so no
    request opens or signs Flask's cookie session (``flask.session`` is a null session that refuses
    writes)."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response):
        return None


def init_http(app):
    app.request_class = BoundedRequest
    app.session_interface = NoCookieSession()
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    allowed = set(app.config.get("CORS_ORIGINS") or ())

    @app.after_request
    def cross_origin(response):
        origin = request.headers.get("Origin")
        if origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, Idempotency-Key, Member-Card-Token"
            )
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
