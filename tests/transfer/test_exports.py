"""Exports as CSV (UTF-8 with BOM) or XLSX, run as a job and downloaded when ready; an export of the
members imports into an empty database with the same balances."""

import io

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.wallet.models import PointsAccount, Wallet
from tests.helpers import error_code
from tests.transfer.files import csv_bytes, upload
from tests.transfer.test_imports import GOOD, _commit

ROWS = [dict(GOOD[0], tier=""), GOOD[1], GOOD[2]]


def _export(api, token, kind, file_format):
    started = api.post("/exports", token, json={"kind": kind, "format": file_format})
    assert started.status_code == 202, started.json
    job = api.get(f"/exports/{started.json['id']}", token).json
    assert job["status"] == "ready", job
    response = api.get(f"/exports/{job['id']}/file", token)
    assert response.status_code == 200
    content = response.get_data()
    response.close()
    return job, content


def _balances(app):
    with app.app_context():
        rows = db.session.execute(
            select(Member.phone, Wallet.principal_fen, Wallet.bonus_fen, PointsAccount.balance)
            .outerjoin(Wallet, Wallet.member_id == Member.id)
            .outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
            .order_by(Member.phone)
        ).all()
        return [tuple(row) for row in rows]


def test_members_export_reimports_into_an_empty_database_with_the_same_balances(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    batch = upload(api, owner, "members", csv_bytes("members", ROWS), "old.csv").json
    _commit(api, owner, batch["id"])
    balances = _balances(app)
    job, content = _export(api, owner, "members", "csv")
    assert content.startswith("\ufeff手机号,姓名".encode()) and job["row_count"] == 3
    assert "500.10" in content.decode("utf-8-sig")
    assert api.post(f"/imports/{batch['id']}/undo", owner).status_code == 200
    assert _balances(app) == []
    again = upload(api, owner, "members", content, "export.csv").json
    assert again["error_count"] == 0, again["report"]["errors"]
    _commit(api, owner, again["id"])
    assert _balances(app) == balances


def test_every_kind_exports_as_xlsx_and_csv(app, api, staff_tokens):
    from openpyxl import load_workbook

    owner = staff_tokens["owner"]
    _commit(api, owner, upload(api, owner, "members", csv_bytes("members", ROWS), "old.csv").json["id"])
    for kind in ("members", "vehicles", "balances", "cards", "coupons", "points", "work_orders"):
        _, content = _export(api, owner, kind, "xlsx")
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        assert next(sheet.iter_rows(values_only=True))[0]
        _, content = _export(api, owner, kind, "csv")
        assert content.startswith(b"\xef\xbb\xbf")
    _, content = _export(api, owner, "balances", "csv")
    assert "13800000001,张三,500.10,50.00,550.10" in content.decode("utf-8-sig")


def test_exports_are_the_owners_and_an_unknown_export_is_404(api, staff_tokens):
    assert api.post("/exports", staff_tokens["marketing"], json={"kind": "members"}).status_code == 403
    assert error_code(api.get("/exports/999/file", staff_tokens["owner"])) == "export_not_found"
