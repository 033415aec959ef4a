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


def test_dates_of_instants_are_the_shop_s_local_dates(app, api, staff_tokens):
    from datetime import UTC, datetime

    from app.coupons.models import MemberCoupon
    from tests.factories import give_coupon, new_member

    member_id = new_member(app, phone="13900000077")
    coupon_id = give_coupon(app, member_id, kind="cash_off", value_fen=1000)
    with app.app_context():
        coupon = db.session.get(MemberCoupon, coupon_id)
        # Valid from local midnight of 1 March through 5 March (ends at local midnight of 6 March):
        # in UTC both instants fall on the day before.
        coupon.valid_from = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
        coupon.valid_until = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
        code = coupon.code
        db.session.commit()
    _, content = _export(api, staff_tokens["owner"], "coupons", "csv")
    line = next(line for line in content.decode("utf-8-sig").splitlines() if line.startswith(f"{code},"))
    assert line.endswith(",2026-03-01,2026-03-06"), line
