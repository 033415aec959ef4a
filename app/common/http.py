"""HTTP edges: the proxy in front, cross-origin access for the staff console, log redaction."""

import logging
import re

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

# Phone numbers, bearer tokens and JWT-shaped strings never reach the logs.
_REDACTIONS = (
    (re.compile(r"(?<!\d)1\d{10}(?!\d)"), lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:]),
    (re.compile(r"(?i)bearer\s+[\w\-.~+/=]+"), lambda m: "Bearer [redacted]"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), lambda m: "[token]"),
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


def init_http(app):
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
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Idempotency-Key"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
