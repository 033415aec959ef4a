"""Independent reads side by side (app/common/side_by_side.py): on PostgreSQL each group runs in a
thread of its own session; a caller whose transaction has written runs them in turn in its own
session (a group on another connection would not see the write, and could wait on its locks)."""

import threading

import pytest
from sqlalchemy import func, select

from app.common.db import is_sqlite
from app.common.side_by_side import run_side_by_side
from app.extensions import db
from app.stores.models import Store
from tests.helpers import ON_POSTGRES


def _where_and_how_many():
    return threading.current_thread().name, db.session.scalar(select(func.count()).select_from(Store))


def test_groups_run_in_threads_of_their_own_on_postgresql_and_in_turn_on_sqlite(app):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Store))
        answers = run_side_by_side({"a": _where_and_how_many, "b": _where_and_how_many})
        assert [count for _name, count in answers.values()] == [before, before]
        in_threads = all(name.startswith("side-by-side") for name, _count in answers.values())
        assert in_threads == (not is_sqlite(db.session))


def test_a_caller_that_has_written_runs_the_groups_in_its_own_session(app):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Store))
        db.session.add(Store(name="Not yet committed"))
        db.session.flush()
        answers = run_side_by_side({"a": _where_and_how_many, "b": _where_and_how_many})
        assert [count for _name, count in answers.values()] == [before + 1, before + 1]
        assert all(name == threading.current_thread().name for name, _count in answers.values())
        db.session.rollback()
        # The transaction is over: the next call may run side by side again.
        again = run_side_by_side({"a": _where_and_how_many})
        assert again["a"][1] == before


def test_an_error_in_a_group_reaches_the_caller(app):
    def broken():
        raise LookupError("no such figure")

    with app.app_context(), pytest.raises(LookupError, match="no such figure"):
        run_side_by_side({"fine": _where_and_how_many, "broken": broken})


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="planner settings are PostgreSQL's")
def test_the_overview_groups_plan_for_running_side_by_side_and_leave_the_caller_s_settings_alone(app):
    from sqlalchemy import text

    from app.stats.services import OVERVIEW_PLANNER, _overview_session

    def settings():
        return {name: db.session.scalar(text(f"SHOW {name}")) for name in OVERVIEW_PLANNER}

    with app.app_context():
        own = settings()
        answers = run_side_by_side({"a": settings, "b": settings}, prepare=_overview_session)
        assert answers == {"a": OVERVIEW_PLANNER, "b": OVERVIEW_PLANNER}
        assert settings() == own != OVERVIEW_PLANNER
