"""Bearer tokens and role checks.

Tokens are HS256 JWTs (the algorithm is pinned when decoding) naming a principal kind (member or
staff), its id, role and token version. Each request reloads the principal, so a disabled staff
account or a bumped token version stops its tokens at once.
"""

import functools
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
from flask import current_app, g, request

from app.common import clock
from app.common.errors import Forbidden, Unauthorized
from app.extensions import DATABASE_INT_MAX

ALGORITHM = "HS256"
STAFF_ROLES = ("cashier", "advisor", "technician", "marketing", "owner")
# Staff who work with customers' data. Technicians see only their own jobs and commission.
OFFICE_ROLES = ("cashier", "advisor", "marketing", "owner")
ROLES = ("member",) + STAFF_ROLES

_principal_loaders = {}


@dataclass(frozen=True)
class Actor:
    """Who is calling: a member, or a staff member with a role and the stores they work at."""

    kind: str  # "member" | "staff"
    id: int
    role: str
    store_ids: tuple = field(default_factory=tuple)
    token_version: int = 0
    username: str | None = None  # staff only: recorded in the audit log as it was at the time

    @property
    def is_owner(self):
        return self.role == "owner"

    @property
    def key(self):
        return f"{self.kind}:{self.id}"

    def can_access_store(self, store_id):
        return self.is_owner or store_id in self.store_ids

    def till_store(self, store_id=None):
        """The store whose till a counter sale or payout belongs to: ``store_id`` when given (403
        store_forbidden unless the caller works there), else the caller's only store, else None."""
        if store_id is not None:
            if not self.can_access_store(store_id):
                raise Forbidden("store_forbidden", "You do not work at this store.")
            return store_id
        return self.store_ids[0] if len(self.store_ids) == 1 else None


def register_principal_loader(kind, loader):
    """``loader(id, claims) -> Actor | None``; domains register how their principals load."""
    _principal_loaders[kind] = loader


def issue_token(*, kind, subject_id, role, token_version=0, purpose="access", ttl_seconds=None):
    issued = clock.now()
    ttl = ttl_seconds or current_app.config["TOKEN_TTL_SECONDS"]
    claims = {
        "sub": str(subject_id),
        "kind": kind,
        "role": role,
        "ver": token_version,
        "typ": purpose,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def decode_token(token, purpose="access"):
    """Verify signature, expiry and purpose; raise ``Unauthorized`` with a precise code."""
    try:
        claims = dict(_signed_claims(token, current_app.config["SECRET_KEY"]))
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid_token", "The token is not valid.")
    if not _well_formed(claims):
        raise Unauthorized("invalid_token", "The token is not valid.")
    if claims["exp"] <= int(clock.now().timestamp()):
        raise Unauthorized("token_expired", "The token has expired; log in again.")
    if claims.get("typ") != purpose:
        raise Unauthorized("invalid_token", "The token is not valid for this use.")
    return claims


@functools.lru_cache(maxsize=4096)
def _signed_claims(token, secret):
    """The claims of a token whose signature holds. Checking a signature costs more Python than the
    rest of a lookup's authentication, and the same bytes under the same key always give the same
    answer, so each token is checked once per process; expiry, purpose and the account itself are
    checked on every request (``decode_token``, ``_actor_from_request``)."""
    # Expiry is checked against the service clock in decode_token, so tests can move time.
    return jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
    )


def _well_formed(claims):
    """Claims as issue_token writes them: integer times, and a subject that is a database id.

    Signed tokens come only from this service, but a leaked or old key must not turn odd claims
    (a text ``exp``, a 23-digit ``sub``) into server errors."""
    times = (claims.get("exp"), claims.get("iat"))
    if any(isinstance(value, bool) or not isinstance(value, int) for value in times):
        return False
    subject = claims.get("sub")
    return (
        isinstance(subject, str) and subject.isascii() and subject.isdigit() and 1 <= int(subject) <= DATABASE_INT_MAX
    )


def _actor_from_request():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing_token", "Send Authorization: Bearer <token>.")
    claims = decode_token(token.strip())
    loader = _principal_loaders.get(claims.get("kind"))
    actor = loader(int(claims["sub"]), claims) if loader else None
    if actor is None or actor.token_version != claims.get("ver"):
        raise Unauthorized("token_revoked", "The token is no longer valid; log in again.")
    return actor


def current_actor() -> Actor:
    return g.actor


def auth_required(*roles):
    """Allow the listed roles (owner is allowed wherever any staff role is)."""
    allowed = set(roles)
    if allowed & set(STAFF_ROLES):
        allowed.add("owner")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            actor = _actor_from_request()
            if actor.role not in allowed:
                raise Forbidden("forbidden", "Your role cannot do this.")
            g.actor = actor
            return view(*args, **kwargs)

        wrapper._roles = tuple(sorted(allowed))
        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{"bearerAuth": []}]
        # The description (docstring + these roles) is written by app/common/openapi.py from ``_roles``.
        apidoc["manual_doc"] = manual
        wrapper._apidoc = apidoc
        return wrapper

    return decorator


member_only = auth_required("member")
staff_any = auth_required(*OFFICE_ROLES)
# The service advisor receives the car and may also take the payment: the counter's rights.
counter_staff = auth_required("cashier", "advisor", "owner")
back_office = auth_required("marketing", "owner")
owner_only = auth_required("owner")
