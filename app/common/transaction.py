"""The request boundary: one transaction per write request, committed only on success.

Services flush but never commit; ``unit_of_work`` commits after the view returns a 2xx response
and rolls everything back otherwise. With ``idempotent=True`` the ``Idempotency-Key`` header is
honoured: the key's record is inserted first in the same transaction (a concurrent duplicate
waits on its unique index, see ``_claim``), the response is stored with it, and a replay returns the stored
response without running the view again.
"""

import functools
import hashlib
import json
import logging
import time

from flask import Response, current_app, request
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from app.common import deferred
from app.common.auth import current_actor, read_only_view
from app.common.db import insert_for, reader_engine, reading_on, stop_reading
from app.common.errors import BadRequest, Conflict
from app.common.idempotency import IdempotencyRecord
from app.common.ratelimit import value_rate_limit
from app.extensions import db

log = logging.getLogger(__name__)
IDEMPOTENCY_HEADER = "Idempotency-Key"
# PostgreSQL serialization failure and deadlock: the transaction can simply run again.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
_ATTEMPTS = 3


def _is_retryable(error):
    return getattr(getattr(error, "orig", None), "sqlstate", None) in _RETRYABLE_SQLSTATES


def _canonical_body():
    """The body as a parsed document, so the same JSON with its keys in another order or other
    whitespace is the same request; a body that does not parse counts by its bytes (the route
    refuses it anyway)."""
    data = request.get_data(cache=True)
    try:
        document = json.loads(data)
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    except (ValueError, RecursionError):
        return data


def _request_fingerprint():
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(_canonical_body())
    return digest.hexdigest()


def _replay(record, fingerprint):
    if record.request_hash != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
        )
    if record.status_code is None:
        raise Conflict("idempotency_in_progress", "The first request with this key is still running.")
    response = Response(record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _find_record(actor_key, key):
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.actor_key == actor_key, IdempotencyRecord.key == key)
    )


def unit_of_work(idempotent=False):
    """Commit the view's work on success; ``idempotent=True`` marks a value-moving request:
    Idempotency-Key is honoured and the caller's rate limit for moving value applies."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(IDEMPOTENCY_HEADER) if idempotent else None
            if key is not None and not (1 <= len(key) <= 128):
                raise BadRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 128 characters.")
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    return _run_once(view, key, args, kwargs)
                except OperationalError as error:
                    db.session.rollback()
                    if not _is_retryable(error) or attempt == _ATTEMPTS:
                        raise
                    log.info("retrying a transaction after %s", error.orig.sqlstate)
                    time.sleep(0.01 * attempt)

        if not idempotent:
            return wrapper
        wrapper._idempotent = True  # the OpenAPI document declares the Idempotency-Key header from this
        limited = value_rate_limit(wrapper)
        limited._idempotent = True
        return limited

    return decorator


def _claim(actor_key, key, fingerprint):
    """Insert the key's record unless it exists; its id, or None when the key was used before.

    One statement: INSERT ... ON CONFLICT DO NOTHING RETURNING. A concurrent request with the same
    key still in flight makes it wait on the unique index until that request commits (then nothing
    is inserted) or rolls back (then this one inserts)."""
    return db.session.scalar(
        insert_for(db.session, IdempotencyRecord)
        .values(actor_key=actor_key, key=key, request_hash=fingerprint)
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.id)
    )


def _run_once(view, key, args, kwargs):
    record_id = None
    if key is not None:
        actor_key = current_actor().key
        fingerprint = _request_fingerprint()
        record_id = _claim(actor_key, key, fingerprint)
        if record_id is None:
            # The key was used before, or by a concurrent request that committed first: answer as it did.
            return _replay(_find_record(actor_key, key), fingerprint)
    response = view(*args, **kwargs)
    if not isinstance(response, Response):
        raise TypeError("unit_of_work wraps views that return a Response")
    if response.status_code >= 400:
        db.session.rollback()
        return response
    if record_id is not None:
        db.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status_code=response.status_code, response_body=response.get_data(as_text=True))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return deferred.after_response(response)


def read_only(view):
    """Run a view that only reads without a transaction on PostgreSQL.

    Every statement under READ COMMITTED sees its own snapshot whether or not a transaction is open,
    so for a view that never writes, BEGIN and the closing ROLLBACK are two round trips that change
    nothing; the counter's lookups, the busiest requests, skip them. The view runs on a connection
    of the reader engine (app/common/db.py: autocommit, its own pool): the precompiled reads use it
    directly, with no session around them, and the ORM's reads through the session run on it too.
    Goes above the auth decorator, which may then check the caller inside the view's first
    precompiled read rather than in a statement of its own (app/common/auth.py). (SQLite keeps its
    IMMEDIATE transactions.)"""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        engine = db.engine
        if engine.dialect.name == "sqlite":
            return read_only_view(view, *args, **kwargs)
        if db.session.registry.has():
            # A session is open already (an application context around several requests, as in
            # tests): the view reads on its connection, in autocommit.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            return read_only_view(view, *args, **kwargs)
        reader = reader_engine(engine, current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        with reader.connect() as connection:
            token = reading_on(connection)
            try:
                return read_only_view(view, *args, **kwargs)
            finally:
                stop_reading(token)
                db.session.remove()  # a session the view opened ran on this connection

    return wrapper
