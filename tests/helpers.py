"""Helpers every test package shares: the JSON client, error codes, the database in use, and the
one harness that races real threads against each other.

Fixtures stay in the conftests; anything a test imports by name lives in a plain module like this
one (or tests/factories.py, tests/ledgers.py, tests/wechat_live.py), never in a conftest.
"""

import os
import threading

from sqlalchemy import create_engine, text

from app.common import clock
from app.common.errors import AppError
from app.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)


class Api:
    """A thin client: JSON in, (status, json) out, tokens by name."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, token=None, json=None, headers=None, **kwargs):
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(f"/api/v1{path}", method=method, json=json, headers=all_headers, **kwargs)
        return response

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def post(self, path, token=None, json=None, **kwargs):
        return self.call("POST", path, token, json=json, **kwargs)

    def patch(self, path, token=None, json=None, **kwargs):
        return self.call("PATCH", path, token, json=json, **kwargs)


def login_member(api, code):
    response = api.post("/auth/wechat/login", json={"code": code})
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


def error_code(response):
    body = response.get_json()
    assert body is not None and "error" in body, response.data[:300]
    return body["error"]["code"]


def login_staff(api, username, password="password-123"):
    response = api.post("/auth/staff/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return response.json["token"]


def settle(api, token, work_order_id, tenders, key=None):
    """POST the settle of a work order (with an Idempotency-Key when ``key`` is given)."""
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/work-orders/{work_order_id}/settle", token, json={"tenders": tenders}, headers=headers)


def travel(api, staff_tokens, delta, member=None):
    """Move the clock and log everyone in again (tokens live a week); ``member`` is alice's dict."""
    clock.set_now(clock.now() + delta)
    for username in staff_tokens:
        staff_tokens[username] = login_staff(api, username)
    if member is not None:
        member["token"] = login_member(api, "alice")[0]


# Tables with a trigger that refuses or rewrites a DELETE (the audit log is append-only): a
# TRUNCATE, which fires no row trigger, empties them.
_REFUSING_DELETES = text(
    "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger"
    " WHERE NOT tgisinternal AND tgtype & 2 = 2 AND tgtype & 8 = 8"  # BEFORE ... DELETE
)


def empty_tables(url):
    """Empty every table of the PostgreSQL database at ``url`` (ids restart at 1).

    Only the tables that hold rows are emptied, and with DELETE: a test writes a few rows into a
    handful of the hundred tables, and a TRUNCATE gives each table and each of its indexes a new
    file (made, then the old one removed at the commit), which costs more than deleting those few
    rows (with a shop's first rows written, medians of 40 each: 188 ms truncated, 61 ms deleted).
    The tables are emptied dependents first, so each DELETE leaves every foreign key whole; a
    table whose trigger refuses deletes is truncated. Every sequence restarts at 1."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        probes = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables)
        holding_rows = set(conn.scalars(text(probes)))
        refusing = set(conn.scalars(_REFUSING_DELETES))
        for name in reversed(tables):
            if name in holding_rows:
                conn.execute(text(f'{"TRUNCATE" if name in refusing else "DELETE FROM"} "{name}"'))
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    engine.dispose()


# --- racing real threads ----------------------------------------------------------------------------


def run_together(*calls, timeout=120):
    """Call each of ``calls`` on its own thread, all released at once by a barrier, and return their
    results in order. A call that raises fails the test with its error; so does one still running
    after ``timeout`` seconds (a lock never released)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as error:  # re-raised below, so the test names what went wrong
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"a racing call still runs after {timeout}s"
    if errors:
        raise errors[0]
    return results


def run_concurrently(app, function, count, timeout=120):
    """Call ``function(index)`` in ``count`` threads released together, each in its own app context
    (its own session and connection); each commits on success and rolls back on an error. Returns the
    outcomes in order: "ok", the AppError's code, or the name and text of any other error."""

    def in_own_context(index):
        with app.app_context():
            try:
                function(index)
                db.session.commit()
                return "ok"
            except AppError as error:
                db.session.rollback()
                return error.code
            except Exception as error:  # reported, so a failure names what went wrong
                db.session.rollback()
                return f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    return run_together(*(lambda index=index: in_own_context(index) for index in range(count)), timeout=timeout)
