"""`flask import KIND FILE --dry-run` checks and writes nothing; without it the file is imported with a
progress bar; `flask export` writes the file."""

from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member
from app.wallet.models import Wallet
from tests.transfer.files import csv_bytes
from tests.transfer.test_imports import GOOD


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_dry_run_then_import_then_export(app, runner, tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(csv_bytes("members", [dict(GOOD[0], tier=""), GOOD[1]], encoding="gbk"))
    result = runner.invoke(args=["import", "members", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "create 2, merge 0, skip 0, errors 0" in result.output
    assert _count(app, Member) == 0
    result = runner.invoke(args=["import", "members", str(path)])
    assert result.exit_code == 0, result.output
    assert "committed" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Wallet.balance_fen))) == [29, 55010]
    again = runner.invoke(args=["import", "members", str(path)])
    assert "create 0, merge 0, skip 2" in again.output
    out = tmp_path / "members.xlsx"
    result = runner.invoke(args=["export", "members", str(out)])
    assert result.exit_code == 0 and "2 rows" in result.output and out.read_bytes()[:2] == b"PK"


def test_a_file_with_errors_lists_them_and_fails(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("members", [{"phone": "12345", "principal": "1.234"}]))
    result = runner.invoke(args=["import", "members", str(path)])
    assert result.exit_code == 1
    assert "row 2 手机号: invalid_phone" in result.output and "invalid_amount" in result.output
