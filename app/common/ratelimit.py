"""Rate limits on logins and value-moving requests (Flask-Limiter).

Storage is Redis when REDIS_URL is set (shared by every worker), memory otherwise. Logins are
limited per client address; value-moving requests per caller. Behind a reverse proxy, set
PROXY_FIX_X_FOR so the client address is the real one (see app/common/http.py).
"""

from flask import current_app, g
from flask_limiter.util import get_remote_address

from app.extensions import limiter


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _value_limit():
    return current_app.config["VALUE_RATE_LIMIT"]


def _caller_key():
    actor = getattr(g, "actor", None)
    return actor.key if actor is not None else get_remote_address()


login_rate_limit = limiter.limit(_login_limit, key_func=get_remote_address)
value_rate_limit = limiter.limit(_value_limit, key_func=_caller_key)


def init_rate_limits(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
