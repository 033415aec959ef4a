"""PostgreSQL connections keep their prepared statements when a transaction rolls back.

psycopg prepares a statement on a connection once it has run five times there, so PostgreSQL
parses and plans it once instead of on every run. But at every ROLLBACK (a ``ROLLBACK TO
SAVEPOINT`` included) psycopg forgets all of them and deallocates them on the server, in case the
transaction created or changed what they refer to. On the service's write connections a rollback
ends every request that only read, and every quote (its pricing runs in a savepoint rolled back),
so no statement ever stayed prepared: at a million members a settle's statements were planned
afresh on each request, about half of their time.

The service changes no table outside its migrations, and a prepared statement outlives the
transaction it was prepared in (PostgreSQL's PREPARE is not transactional), so here a rollback
keeps the cache. Whatever psycopg takes as a change of the schema or of the session's statements
(DROP, ALTER, DISCARD ALL or PLANS, DEALLOCATE ALL: a migration, a reset) still clears it, as
psycopg does. tests/foundation/test_statement_cache.py holds both, on the psycopg version pinned
in requirements.txt (this reaches into its ``PrepareManager``).
"""

import re

from psycopg import pq
from psycopg._preparing import Prepare, PrepareManager

_CHANGES_STATEMENTS = re.compile(rb"^(?:DROP|ALTER|DISCARD ALL|DISCARD PLANS|DEALLOCATE ALL)\b").match


class KeptOnRollback(PrepareManager):
    """psycopg's cache of a connection's prepared statements, cleared by what changes the schema
    or the session's statements, and not by a rollback."""

    def clear(self) -> bool:
        # psycopg calls this after each ROLLBACK (Connection.rollback); the statements stay valid.
        return False

    def _should_discard(self, prep, results) -> bool:
        if self._names or prep == Prepare.SHOULD:
            for result in results:
                status = result.command_status
                if result.status == pq.ExecStatus.COMMAND_OK and status and _CHANGES_STATEMENTS(status):
                    return PrepareManager.clear(self)
        return False


def keep_prepared_statements_on_rollback(connection):
    """Give a new psycopg connection the cache above, with the connection's own limits."""
    cache, given = KeptOnRollback(), connection._prepared
    cache.prepare_threshold, cache.prepared_max = given.prepare_threshold, given.prepared_max
    connection._prepared = cache
