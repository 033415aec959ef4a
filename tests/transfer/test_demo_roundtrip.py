"""The issue's round trip: the demo shop's members exported, the database emptied, the export
imported into it, and every member's balances (principal, bonus, points) are what they were."""

import shutil

from sqlalchemy import select

from app import create_app
from app.demo import seed_demo
from app.extensions import db
from app.members.models import Member
from app.wallet.models import PointsAccount, Wallet
from tests.factories import make_staff, make_stores
from tests.helpers import ON_POSTGRES, Api, empty_tables, login_staff
from tests.transfer.files import upload
from tests.transfer.test_exports import _export
from tests.transfer.test_imports import _commit


def _balances():
    rows = db.session.execute(
        select(Member.phone, Wallet.principal_fen, Wallet.bonus_fen, PointsAccount.balance)
        .outerjoin(Wallet, Wallet.member_id == Member.id)
        .outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
        .order_by(Member.phone)
    ).all()
    return [(phone, principal or 0, bonus or 0, points or 0) for phone, principal, bonus, points in rows]


def _empty_database(app, database_url, database_template, tmp_path):
    """An application on an empty, migrated database (the ledgers are append-only: no row is deleted)."""
    if ON_POSTGRES:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        empty_tables(database_url)
        return app
    path = tmp_path / "empty.db"
    shutil.copyfile(database_template, path)
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def test_the_demo_shops_export_imports_into_an_empty_database_with_the_same_balances(
    app, api, database_url, database_template, tmp_path
):
    with app.app_context():
        seed_demo()
        db.session.commit()
        before = _balances()
    assert any(principal and bonus for _, principal, bonus, _ in before), "the demo has a member with a balance"
    owner = login_staff(api, "owner", password="pitstop-demo")
    _, content = _export(api, owner, "members", "csv")

    empty = _empty_database(app, database_url, database_template, tmp_path)
    with empty.app_context():
        assert _balances() == []
    stores = make_stores(empty)
    make_staff(empty, {"owner": ("owner", stores)})
    api = Api(empty.test_client())
    owner = login_staff(api, "owner")
    batch = upload(api, owner, "members", content, "demo-members.csv").json
    assert batch["error_count"] == 0, batch["report"]["errors"]
    assert _commit(api, owner, batch["id"])["status"] == "committed"
    with empty.app_context():
        assert _balances() == before
    if empty is not app:
        with empty.app_context():
            db.session.remove()
            db.engine.dispose()
