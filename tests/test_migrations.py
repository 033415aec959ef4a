"""The schema comes only from the migrations, and the models never drift from them."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.helpers import ON_POSTGRES


def test_migrations_build_exactly_the_models(database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"


def test_migrations_downgrade_to_empty_and_back(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'roundtrip.db'}"})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no autovacuum and no table storage options")
def test_members_are_vacuumed_after_a_fiftieth_of_them_change(database_url):
    """Covering indexes on members serve the overview and segments; they need a fresh visibility map."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        with db.engine.connect() as connection:
            options = connection.exec_driver_sql("SELECT reloptions FROM pg_class WHERE relname = 'members'").scalar()
        db.engine.dispose()
    assert sorted(options) == ["autovacuum_analyze_scale_factor=0.02", "autovacuum_vacuum_scale_factor=0.02"]


def test_stock_moves_to_the_first_store_as_an_opening_and_keeps_its_movements(tmp_path):
    """Migration 0022 on a shop with stock: each part's stock is now at the first store, the movements
    already made keep their figures, and on hand equals the movements' sum."""
    from sqlalchemy import text

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'stock.db'}"})
    with app.app_context():
        upgrade(revision="0019")
        with db.engine.begin() as connection:
            run = connection.exec_driver_sql
            run("INSERT INTO stores (id, name, is_active, created_at) VALUES (1, '南山店', 1, '2026-01-01 00:00:00')")
            run("INSERT INTO stores (id, name, is_active, created_at) VALUES (2, '福田店', 1, '2026-01-01 00:00:00')")
            for part_id, stock in ((1, 7), (2, 0), (3, 4)):
                run(
                    "INSERT INTO parts (id, name, sku, price_fen, stock, low_stock_threshold, is_active, created_at) "
                    f"VALUES ({part_id}, 'p{part_id}', 'S{part_id}', 100, {stock}, 1, 1, '2026-01-02 00:00:00')"
                )
            # Part 1 started with 10: 5 sold, 2 returned. Part 3 started with none and was delivered 4.
            for kind, part_id, delta, after in (("out", 1, -5, 5), ("return", 1, 2, 7), ("receive", 3, 4, 4)):
                run(
                    "INSERT INTO part_stock_movements (part_id, kind, delta, stock_after, created_at) "
                    f"VALUES ({part_id}, '{kind}', {delta}, {after}, '2026-02-01 00:00:00')"
                )
        upgrade()
        with db.engine.connect() as connection:
            on_hand = connection.execute(text("SELECT store_id, part_id, on_hand FROM store_part_stocks")).all()
            movements = connection.execute(
                text("SELECT store_id, part_id, kind, delta, stock_after FROM part_stock_movements ORDER BY id")
            ).all()
        db.engine.dispose()
    assert sorted(on_hand) == [(1, 1, 7), (1, 3, 4)]
    assert movements == [
        (1, 1, "settle", -5, 5),
        (1, 1, "refund", 2, 7),
        (1, 3, "receive", 4, 4),
        (1, 1, "opening", 10, 10),
    ]
