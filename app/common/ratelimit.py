"""Rate limits on logins and value-moving requests (Flask-Limiter).

Storage is Redis when REDIS_URL is set, so every worker and host counts together; otherwise memory,
where each worker process counts alone (with two workers, twice the attempts before the first 429),
which production logs as a warning. Logins are limited per client address; value-moving requests
per caller. Behind a reverse proxy, set
PROXY_FIX_X_FOR so the client address is the real one (see app/common/http.py).
"""

import logging

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.extensions import limiter

log = logging.getLogger(__name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _value_limit():
    return current_app.config["VALUE_RATE_LIMIT"]


def _caller_key():
    actor = getattr(g, "actor", None)
    return actor.key if actor is not None else get_remote_address()


login_rate_limit = limiter.limit(_login_limit, key_func=get_remote_address)
value_rate_limit = limiter.limit(_value_limit, key_func=_caller_key)


# Reads are never limited: every limit guards a login or a value-moving write (a test in
# tests/foundation/test_hardening.py holds every limited route to a write). The limiter's own
# before-request check searches every request for limits that apply, which costs a counter lookup
# more Python than its authentication, so reads skip it (``_skip_reads``).
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_INJECT_HEADERS = Limiter._Limiter__inject_headers  # the hook Flask-Limiter registers (name-mangled)


def _skip_reads(app):
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in hooks:
        if not limiter.enabled:  # switched off (RATELIMIT_ENABLED): no check was registered
            return
        raise RuntimeError("Flask-Limiter no longer registers its check as a before-request hook")

    def check_writes():
        if request.method not in _READ_METHODS:
            check()

    hooks[hooks.index(check)] = check_writes
    # Its after-request hook looks up the limit the check applied to write the headers; a read
    # had none, so it writes nothing and skips the look-up.
    after = app.after_request_funcs.setdefault(None, [])
    inject = next((hook for hook in after if getattr(hook, "func", None) is _INJECT_HEADERS), None)
    if inject is None:
        raise RuntimeError("Flask-Limiter no longer registers its headers as an after-request hook")

    def inject_for_writes(response):
        return response if request.method in _READ_METHODS else inject(response)

    after[after.index(inject)] = inject_for_writes


def init_rate_limits(app):
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if not redis_url and app.config.get("ENV_NAME") == "production" and app.config.get("RATELIMIT_ENABLED"):
        log.warning(
            "REDIS_URL is not set: rate limits are counted per process, so each gunicorn worker and host "
            "allows the full limit. Set REDIS_URL to share them."
        )
    limiter.init_app(app)
    _skip_reads(app)
