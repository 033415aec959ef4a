"""Session settings every connection to the database gets (app/common/db.py)."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.helpers import ON_POSTGRES


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's JIT setting")
def test_postgresql_sessions_run_without_jit_in_and_out_of_transactions(app):
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.rollback()  # a rolled-back transaction does not undo the session's setting
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            assert connection.scalar(text("SHOW jit")) == "off"


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's pragmas")
def test_sqlite_connections_enforce_foreign_keys_and_wait_for_locks(app):
    with app.app_context():
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 15000


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's settings")
def test_local_settings_are_set_together_and_end_with_the_transaction(app):
    from app.common.db import set_local

    with app.app_context():
        before = {name: db.session.scalar(text(f"SHOW {name}")) for name in ("work_mem", "jit_above_cost")}
        set_local(db.session, work_mem="48MB", jit_above_cost=123456)
        assert db.session.scalar(text("SHOW work_mem")) == "48MB"
        assert db.session.scalar(text("SHOW jit_above_cost")) == "123456"
        db.session.rollback()
        assert {name: db.session.scalar(text(f"SHOW {name}")) for name in before} == before


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's planner setting")
def test_planning_for_data_in_memory_lasts_to_the_end_of_the_transaction(app):
    from app.common.db import RANDOM_PAGE_COST_IN_MEMORY, plan_for_data_in_memory

    with app.app_context():
        default = db.session.scalar(text("SHOW random_page_cost"))
        plan_for_data_in_memory(db.session)
        assert db.session.scalar(text("SHOW random_page_cost")) == RANDOM_PAGE_COST_IN_MEMORY != default
        # A statement prepared on the connection is still planned for this run's values.
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        db.session.rollback()
        assert db.session.scalar(text("SHOW random_page_cost")) == default
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's planner setting")
def test_a_segment_count_plans_for_data_in_memory(app):
    from app.marketing.segments import preview_rules

    with app.app_context():
        default = db.session.scalar(text("SHOW random_page_cost"))
        preview_rules({"all": [{"field": "visit_count", "op": "gte", "value": 1}]})
        assert db.session.scalar(text("SHOW random_page_cost")) == "1.1" != default
        db.session.rollback()
