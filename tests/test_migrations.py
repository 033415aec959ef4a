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
