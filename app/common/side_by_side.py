"""Independent reads run side by side on PostgreSQL, each on a connection of its own.

The owner's overview is a dozen independent groups of aggregate queries; one after another they
leave one of the server's CPUs idle while the owner waits. Here each group runs in a small pool of
threads, each in an application context with its own session (a connection from the pool), and
the answers are gathered in the order given. Under READ COMMITTED every statement sees its own
snapshot whichever connection sends it, so the figures are the ones the groups give one after
another. A group does not see what the caller's own transaction has written and not committed,
and could wait on its locks while the caller waits on the group, so a caller whose transaction has
written (a flush, or an INSERT/UPDATE/DELETE sent through the session) runs the groups in turn, in
its own session, as does SQLite (one embedded database file, its writers serialised).
"""

from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.common.db import is_sqlite
from app.extensions import db

# Two: this machine's kind has two CPUs, and the database does the work.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="side-by-side")


def run_side_by_side(groups, *, prepare=None):
    """``{name: result}`` of each ``groups[name]()`` (called without arguments), started in the
    order given (the longest first keeps both threads busy); ``prepare()`` runs first in each
    group's session (a SET LOCAL, say). An exception in a group is raised here."""
    if is_sqlite(db.session) or db.session.info.get(_WROTE):
        if prepare is not None:
            prepare()
        return {name: group() for name, group in groups.items()}
    app = current_app._get_current_object()

    def run(group):
        with app.app_context():
            try:
                if prepare is not None:
                    prepare()
                return group()
            finally:
                db.session.rollback()  # read only: close the transaction before the pool takes the connection

    futures = {name: _POOL.submit(run, group) for name, group in groups.items()}
    return {name: future.result() for name, future in futures.items()}


_WROTE = "side_by_side.wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _sent_a_write(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
