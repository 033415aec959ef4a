"""Bearer tokens and role checks.

Tokens are HS256 JWTs (the algorithm is pinned when decoding) naming a principal kind (member or
staff), its id, role and token version. Each request checks the principal in the database, so a
disabled staff account or a bumped token version stops its tokens at once.

A read-only view (``read_only``) checks its caller inside its own statement instead of in one of
its own: every change to what a staff account may do (role, stores, disabling, a password reset)
bumps its token version, so the account a version was loaded as stays that account while the
version is current and the account active. Such a view runs with the account this process last
loaded for that version, and the first precompiled read it sends carries a condition saying
whether the version is still current (``checking_in_read``); only when none answered yes (no
rows, a read that is not precompiled, an error) is the account loaded on its own before the
answer goes out. Either way nothing a refused caller asked for is sent, since the view wrote
nothing and its answer is replaced by the refusal.
"""

import contextvars
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
# kind -> current(id, version): a SQL condition, true while a token of that id and version is good.
_principal_checks = {}
# Per application (its database): (kind, id, token version) -> the Actor a full load gave.
_KNOWN_ACTORS = "known_actors"
_KNOWN_ACTORS_MAX = 4096
# Set by ``read_only`` around its view: the view writes nothing, so it may check in its read.
_read_only_view = contextvars.ContextVar("read_only_view", default=False)
# The caller a read-only view runs as until one of its reads says the token is still good.
_unconfirmed = contextvars.ContextVar("unconfirmed_actor", default=None)


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


def register_principal_loader(kind, loader, current=None):
    """``loader(id, claims) -> Actor | None``; domains register how their principals load, and
    optionally ``current(id, version)``: a SQL condition true while a token of that principal and
    version is still good (which lets read-only views check the caller inside their own read)."""
    _principal_loaders[kind] = loader
    if current is not None:
        _principal_checks[kind] = current


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


def _claims_from_request():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing_token", "Send Authorization: Bearer <token>.")
    return decode_token(token.strip())


def _load_actor(claims):
    """The principal behind ``claims``, read from the database (401 token_revoked when it is gone,
    disabled or its token version has moved on)."""
    loader = _principal_loaders.get(claims.get("kind"))
    actor = loader(int(claims["sub"]), claims) if loader else None
    if actor is None or actor.token_version != claims.get("ver"):
        raise Unauthorized("token_revoked", "The token is no longer valid; log in again.")
    if claims["kind"] in _principal_checks:
        known = current_app.extensions.setdefault(_KNOWN_ACTORS, {})
        if len(known) >= _KNOWN_ACTORS_MAX:
            known.clear()
        known[(actor.kind, actor.id, actor.token_version)] = actor
    return actor


def _allowed_actor(claims, allowed):
    actor = _load_actor(claims)
    if actor.role not in allowed:
        raise Forbidden("forbidden", "Your role cannot do this.")
    return actor


class UnconfirmedActor:
    """The caller of a read-only view before any read has said their token is still good."""

    def __init__(self, actor):
        self.actor = actor
        self.confirmed = False

    def condition(self, id_parameter, version_parameter):
        """The SQL condition that the token is still good, over the two parameters' names."""
        return _principal_checks[self.actor.kind](id_parameter, version_parameter)

    @property
    def parameters(self):
        return {"actor_id": self.actor.id, "actor_version": self.actor.token_version}


def checking_in_read():
    """The read-only view's caller still to be confirmed by a read, or None."""
    return _unconfirmed.get()


def read_only_view(view, *args, **kwargs):
    """Run ``view`` as one that writes nothing (``read_only``): its caller may be checked in its reads."""
    token = _read_only_view.set(True)
    try:
        return view(*args, **kwargs)
    finally:
        _read_only_view.reset(token)


def _run_checking_in_read(actor, claims, allowed, view, args, kwargs):
    """Run a read-only view as the account ``actor`` was loaded as; unless one of its reads said the
    token is still good, load the account before the answer (or the view's error) goes out."""
    unconfirmed = UnconfirmedActor(actor)
    g.actor = actor
    token = _unconfirmed.set(unconfirmed)
    try:
        return view(*args, **kwargs)
    finally:
        _unconfirmed.reset(token)
        if not unconfirmed.confirmed:
            # A refusal raised here replaces the view's answer or error: the caller learns nothing of it.
            g.actor = _allowed_actor(claims, allowed)


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
            claims = _claims_from_request()
            if _read_only_view.get():
                key = (claims.get("kind"), int(claims["sub"]), claims.get("ver"))
                known = current_app.extensions.get(_KNOWN_ACTORS, {}).get(key)
                if known is not None and known.role in allowed:
                    return _run_checking_in_read(known, claims, allowed, view, args, kwargs)
            g.actor = _allowed_actor(claims, allowed)
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
