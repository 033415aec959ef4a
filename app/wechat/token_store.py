"""The shared access_token: one row per appid in ``wechat_access_tokens``, for every process.

Every web worker and the scheduler read the same row. When it is missing or expires within
``REFRESH_MARGIN``, one process refreshes it under a lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every transaction starts with ``BEGIN IMMEDIATE``, which already takes the
database's write lock) and re-reads the row after locking, because another process may have
refreshed it while this one waited. Tokens come from ``cgi-bin/stable_token``, which does not
invalidate the copy other processes hold.

The caller's transaction is never committed or rolled back here:
- normally the token row is read and written in its own short session on ``db.engine``, committed
  on its own, so a refreshed token is kept even when the caller's request fails;
- on SQLite, when the caller's session already has a transaction open, that transaction holds the
  only write lock, and a second connection would wait for it until it timed out. The token work
  then runs in a SAVEPOINT of the caller's transaction (which already serialises it against other
  processes) and is committed with the caller's work; if the caller rolls back, the next call
  simply fetches the stable token again.
"""

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.common import clock
from app.common.db import is_sqlite
from app.extensions import db
from app.wechat.models import WeChatAccessToken

REFRESH_MARGIN = timedelta(minutes=5)


@contextmanager
def _token_session():
    caller = db.session()  # the request's (scoped) session itself
    if caller.in_transaction() and is_sqlite(caller):
        with caller.begin_nested():
            yield caller
        return
    with Session(bind=db.engine, expire_on_commit=False) as session, session.begin():
        yield session


def _usable(row, now):
    return bool(row is not None and row.access_token and row.expires_at and row.expires_at - now > REFRESH_MARGIN)


class TokenStore:
    """The access_token of one appid.

    ``fetch(force_refresh)`` asks WeChat for a token and returns ``(access_token, expires_in)``;
    it is called at most once per refresh, while the row is locked.
    """

    def __init__(self, appid, fetch):
        self.appid = appid
        self._fetch = fetch

    def token(self):
        """A token valid for at least ``REFRESH_MARGIN``, refreshed first if needed."""
        with _token_session() as session:
            row = session.get(WeChatAccessToken, self.appid)
            if _usable(row, clock.now()):
                return row.access_token
            return self._refresh_locked(session, stale=None)

    def refresh(self, *, stale):
        """WeChat rejected ``stale`` (40001/42001): replace it, unless another process already did.

        The replacement is fetched with ``force_refresh=true``, which WeChat limits per day, so the
        row is re-checked under the lock first.
        """
        with _token_session() as session:
            return self._refresh_locked(session, stale=stale)

    def _refresh_locked(self, session, *, stale):
        row = self._lock_row(session)
        now = clock.now()
        if _usable(row, now) and row.access_token != stale:
            return row.access_token  # another process refreshed it while we waited for the lock
        access_token, expires_in = self._fetch(force_refresh=stale is not None)
        now = clock.now()
        row.access_token = access_token
        row.expires_at = now + timedelta(seconds=int(expires_in))
        row.refreshed_at = now
        session.flush()
        return access_token

    def _lock_row(self, session):
        row = self._select_for_update(session)
        if row is None:
            # The first refresh ever: create the row, tolerating a concurrent creator (on
            # PostgreSQL its INSERT waits on ours, or ours on its, and one fails on the key).
            try:
                with session.begin_nested():
                    session.add(WeChatAccessToken(appid=self.appid))
            except IntegrityError:
                pass
            row = self._select_for_update(session)
        return row

    def _select_for_update(self, session):
        return session.get(WeChatAccessToken, self.appid, with_for_update=True, populate_existing=True)
