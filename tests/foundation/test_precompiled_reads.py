"""A precompiled read (app/common/precompiled.py) sends the statement's compiled text itself and
applies the statement's own type processors: its rows must be exactly what SQLAlchemy's execution
of the same statement gives -- instants as UTC-aware datetimes, dates, text, numbers, NULLs -- on
SQLite and PostgreSQL, and it must refuse what it cannot run exactly."""

from datetime import timedelta

import pytest
from sqlalchemy import DateTime, Integer, bindparam, column, create_engine, event, literal, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.common import clock
from app.common.precompiled import PrecompiledRead
from app.extensions import db
from app.members import counter_lookup, services
from app.members.models import Member, Vehicle
from app.stores.models import Staff


def _executed(statement, params):
    return [dict(row) for row in db.session.execute(statement, params).mappings()]


def test_the_plate_lookup_reads_the_rows_sqlalchemy_reads(app, runner):
    seeded = runner.invoke(args=["seed-bench", "--members", "60", "--stores", "2"])
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        lookup, _figures = counter_lookup._lookup_statement(services.summary_providers())
        statement = lookup.statement()
        plates = db.session.scalars(select(Vehicle.plate).order_by(Vehicle.id)).all()
        compared = kinds = 0
        for fragment in sorted({plate[-3:] for plate in plates[::2]}):
            for offset in (0, 2):
                params = {
                    **counter_lookup.lookup_parameters(fragment),
                    "now": clock.now(),
                    "limit": 3,
                    "offset": offset,
                }
                rows = lookup.mappings(params)
                assert rows == _executed(statement, params), fragment
                compared += len(rows)
                kinds |= any(row["last_paid_visit_at"] is not None for row in rows)
        assert compared > 30 and kinds  # rows with instants were among those compared


def test_instants_dates_constants_and_nulls_come_back_as_sqlalchemy_gives_them(app, runner):
    seeded = runner.invoke(args=["seed-bench", "--members", "20", "--stores", "1"])
    assert seeded.exit_code == 0, seeded.output
    since = bindparam("since", type_=DateTime(timezone=True))
    build = lambda: (  # noqa: E731
        select(
            Member.id,
            Member.created_at,
            Member.birthday,
            Member.nickname,
            Member.last_paid_visit_at,
            literal(7, Integer).label("seven"),
            (Member.id + bindparam("step", type_=Integer)).label("stepped"),
        )
        .where(Member.created_at >= since)
        .order_by(Member.id)
    )
    read = PrecompiledRead(build)
    with app.app_context():
        params = {"since": clock.now() - timedelta(days=3650), "step": 2}
        rows = read.mappings(params)
        assert rows == _executed(build(), params)
        assert rows and all(row["created_at"].utcoffset() == timedelta(0) for row in rows)
        assert any(row["birthday"] is not None for row in rows)  # dates were compared
        assert any(row["last_paid_visit_at"] is not None for row in rows)
        assert {row["seven"] for row in rows} == {7}
        assert [row["stepped"] for row in rows] == [row["id"] + 2 for row in rows]


def test_the_staff_check_reads_a_disabled_account_at_once(app, api, staff_tokens):
    from app.stores.services import load_staff_actor

    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.role == "cashier").order_by(Staff.id))
        assert load_staff_actor(staff.id, {}) is not None
        staff.is_active = False
        db.session.commit()
        assert load_staff_actor(staff.id, {}) is None


def test_a_list_parameter_is_refused(app):
    with app.app_context():
        expanding = PrecompiledRead(lambda: select(Member.id).where(Member.id.in_(bindparam("ids", expanding=True))))
        with pytest.raises(ValueError, match="expand"):
            expanding.mappings({"ids": [1]})


def _member_by_id():
    return PrecompiledRead(lambda: select(Member.id).where(Member.id == bindparam("id", type_=Integer)))


def test_a_driver_error_is_sqlalchemy_s_error(app):
    missing = PrecompiledRead(lambda: select(table("no_such_table", column("id"))))
    with app.app_context():
        with pytest.raises(DBAPIError) as raised:
            missing.mappings({})
        assert "no_such_table" in str(raised.value)
        assert not raised.value.connection_invalidated


def test_a_lost_connection_is_let_go_and_the_next_request_reads_on_a_new_one(app):
    read = _member_by_id()
    with app.app_context():
        connection = db.session.connection()
        driver_connection = connection.connection.dbapi_connection
        if connection.dialect.name == "postgresql":
            killer = create_engine(db.engine.url, poolclass=NullPool)
            with killer.connect() as other:
                pid = driver_connection.info.backend_pid
                assert other.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            killer.dispose()
        else:
            driver_connection.close()
        with pytest.raises(DBAPIError) as raised:
            read.mappings({"id": 1})
        assert raised.value.connection_invalidated
        db.session.rollback()
        assert read.mappings({"id": -1}) == []  # on a fresh connection from the pool


def test_statement_listeners_see_a_precompiled_read(app):
    read = _member_by_id()
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        read.mappings({"id": 1})  # compiled
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert read.mappings({"id": 1}) == []
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(seen) == 1 and "FROM members" in seen[0]
