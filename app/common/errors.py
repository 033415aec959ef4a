"""One error type for the domains and one JSON envelope for every failure."""

import logging

from flask import jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure a client can act on: a stable code, a message, an HTTP status, details."""

    status = 400
    code = "bad_request"

    def __init__(self, code=None, message=None, status=None, details=None):
        self.code = code or self.code
        self.message = message or self.code.replace("_", " ")
        self.status = status or self.status
        self.details = details or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Unprocessable(AppError):
    status = 422
    code = "validation_error"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


# Stable codes for HTTP failures raised by Flask, Werkzeug or webargs.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_response(code, message, status, details=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def _rollback():
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the session is discarded at teardown anyway
        log.exception("rollback failed")


def handle_app_error(error):
    _rollback()
    return error_response(error.code, error.message, error.status, error.details)


def handle_http_exception(error):
    _rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    code = data.get("code") or _HTTP_CODES.get(status, "http_error")
    details = {}
    if messages:
        # webargs nests messages by location ({"json": {...}}); keep the field errors.
        if (
            isinstance(messages, dict)
            and len(messages) == 1
            and next(iter(messages)) in ("json", "query", "form", "headers", "path", "files", "view_args")
        ):
            location, messages = next(iter(messages.items()))
            if location == "json" and messages == ["Invalid JSON body."]:
                return error_response("invalid_json", "The request body is not valid JSON.", 400)
        details = {"fields": messages}
    message = data.get("message") or error.description or code
    response = error_response(code, message, status, details)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_integrity_error(error):
    # Services translate the constraints they expect; this is the net under them.
    _rollback()
    log.warning("integrity error reached the boundary: %s", error.orig.__class__.__name__)
    return error_response("conflict", "The request conflicts with the current state.", 409)


def handle_operational_error(error):
    _rollback()
    log.error("database unavailable: %s", error.orig.__class__.__name__)
    response = error_response("database_unavailable", "The service is briefly unavailable; try again.", 503)
    response.headers["Retry-After"] = "1"
    return response


def handle_database_error(error):
    # A lost connection surfaces as whatever DBAPI error the next call on it raised (SQLite says
    # ProgrammingError for a closed database); SQLAlchemy flags it as a disconnect, and that is an
    # outage the client can retry, not a bug.
    if error.connection_invalidated:
        return handle_operational_error(error)
    return handle_unexpected(error)


def handle_unexpected(error):
    _rollback()
    log.exception("unhandled error")
    return error_response("internal_error", "Something went wrong on our side.", 500)


def register_error_handlers(app):
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
