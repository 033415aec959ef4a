"""Gunicorn settings of the service (gunicorn reads this file when started from the repository root).

Gunicorn answers some requests itself, before the application sees them: a request line over its
limit (414), too many or too large headers (431), a malformed request (400). Those answers use the
service's one JSON error envelope too, and the access log redacts phone numbers and tokens as the
application's own log does (a phone in a query string must not land in every access log).
"""

import json
from http import HTTPStatus

from gunicorn import glogging, util

from app.common.http import RedactingFilter


def write_json_error(sock, status_int, reason, mesg):
    """gunicorn.util.write_error, answering the JSON envelope instead of an HTML page.

    The message is the status's reason only: gunicorn's detail echoes the offending request line or
    header, which may carry personal data."""
    try:
        code = HTTPStatus(status_int).name.lower()
    except ValueError:
        code = "http_error"
    body = json.dumps({"error": {"code": code, "message": reason, "details": {}}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# Every worker class (sync, gthread, ...) writes its own error answers through this one function.
util.write_error = write_json_error


class RedactingLogger(glogging.Logger):
    """Gunicorn's logger with the application's redaction on the access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactingFilter) for f in log.filters):
                log.addFilter(RedactingFilter())


logger_class = RedactingLogger
