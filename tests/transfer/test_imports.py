"""Importing members with cars, balances and history: the dry run reports every error by row; a clean
file commits; the same file again changes nothing; balances equal the file and sit in the ledgers
as opening entries of the batch; undo restores the state, and is refused once something was used."""

from datetime import date

from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.members.models import Member, MemberTag, Vehicle
from app.members.tiers.models import Tier
from app.stats.services import liability_figures
from app.wallet import services as wallet
from app.wallet.models import PointsAccount, PointsEntry, Wallet, WalletEntry
from tests.factories import new_member
from tests.helpers import error_code
from tests.transfer.files import csv_bytes, upload, xlsx_bytes

GOOD = [
    {
        "phone": "13800000001",
        "name": "张三",
        "gender": "男",
        "birthday": "1990年6月1日",
        "tier": "金卡",
        "tags": "老客户、洗车",
        "plate": "粤ｂ·１２３４５",
        "car_model": "丰田 卡罗拉",
        "mileage_km": "56000",
        "principal": "500.10",
        "bonus": "50",
        "points": "1200",
        "first_visit": "2021/5/10",
        "last_visit": "2024-03-01",
        "visit_count": "12",
        "total_spend": "6800.50",
    },
    {"phone": "13800000002", "name": "李四", "plate": "粤B67890", "principal": "0.29", "bonus": "0"},
    {"phone": "13800000003", "name": "王五"},
]


def _state(app):
    with app.app_context():
        return {
            "members": db.session.scalar(select(func.count()).select_from(Member)),
            "vehicles": db.session.scalar(select(func.count()).select_from(Vehicle)),
            "wallet_entries": db.session.scalar(select(func.count()).select_from(WalletEntry)),
            "points_entries": db.session.scalar(select(func.count()).select_from(PointsEntry)),
            "tags": db.session.scalar(select(func.count()).select_from(MemberTag)),
            "liabilities": liability_figures(clock.now()),
        }


def _tier(app, name="金卡"):
    with app.app_context():
        db.session.add(Tier(name=name, rank=3, min_spend_12m_fen=0))
        db.session.commit()


def _commit(api, token, batch_id):
    response = api.post(f"/imports/{batch_id}/commit", token)
    assert response.status_code == 202, response.json
    return api.get(f"/imports/{batch_id}", token).json


def test_templates_have_chinese_headers_the_key_row_and_notes(api, staff_tokens):
    import io

    from openpyxl import load_workbook

    owner = staff_tokens["owner"]
    response = api.get("/imports/templates/members.xlsx", owner)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["手机号", "姓名"]
    assert [c.value for c in sheet[2]][:2] == ["phone", "name"]
    assert sheet["A1"].comment is not None and "说明" in book.sheetnames
    text = api.get("/imports/templates/stored_value.csv", owner).data.decode("utf-8")
    assert text.startswith("\ufeff手机号,车牌号,储值本金(元),赠送余额(元)\r\nphone,plate,principal,bonus\r\n# ")
    assert api.get("/imports/templates/nothing.csv", owner).status_code == 404
    assert api.get("/imports/templates/members.xlsx", staff_tokens["cashier"]).status_code == 403


def test_the_dry_run_reports_every_error_by_row_and_column_and_writes_nothing(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    _tier(app)
    new_member(app, phone="13900000009")
    with app.app_context():
        db.session.add(Vehicle(plate="粤A99999", member_id=None))
        other = new_member(app, phone="13900000008")
        db.session.add(Vehicle(plate="粤A88888", member_id=other))
        db.session.commit()
    rows = [
        {"phone": "13800000001", "plate": "粤B12345", "principal": "100"},  # row 2: fine
        {"phone": "13800000005", "tier": "铂金卡"},  # row 3: only the tier is unknown
        {"phone": "1380000", "plate": "B123"},  # row 4: phone and plate
        {"phone": "13800000003", "birthday": "2024-02-30", "principal": "12.345", "tier": "钻石卡"},  # row 5
        {"phone": "13800000001", "plate": "粤b·12345"},  # row 6: both duplicate row 2
        {"phone": "13800000006", "plate": "粤A88888"},  # row 7: the plate is another member's
        {"name": "无名"},  # row 8: neither phone nor plate
        {"phone": "13800000007", "gender": "未知", "points": "1.5", "visit_count": "0", "total_spend": "10"},  # row 9
        {"phone": "13900000009", "plate": "粤A99999", "principal": "20"},  # row 10: merges, claims the walk-in car
    ]
    before = _state(app)
    response = upload(api, owner, "members", csv_bytes("members", rows, encoding="gbk"), "old.csv")
    assert response.status_code == 201, response.json
    batch = response.json
    found = {(e["row"], e["column"], e["code"]) for e in batch["report"]["errors"]}
    assert found == {
        (3, "会员等级", "unknown_tier"),
        (4, "手机号", "invalid_phone"),
        (4, "车牌号", "invalid_plate"),
        (5, "生日", "invalid_date"),
        (5, "储值本金(元)", "invalid_amount"),
        (5, "会员等级", "unknown_tier"),
        (6, "手机号", "duplicate_in_file"),
        (6, "车牌号", "duplicate_in_file"),
        (7, "车牌号", "plate_taken"),
        (8, "手机号", "required"),
        (9, "性别", "invalid_gender"),
        (9, "积分", "invalid_number"),
        (9, "到店次数", "visits_inconsistent"),
    }
    assert all(e["message"] and not e["message"].isascii() for e in batch["report"]["errors"])
    assert batch["report"]["counts"] == {"create": 1, "merge": 1, "skip": 0, "error": 7}
    assert batch["status"] == "validated" and batch["error_count"] == 13
    assert _state(app) == before
    assert error_code(api.post(f"/imports/{batch['id']}/commit", owner)) == "import_has_errors"
    assert _state(app) == before


def test_a_clean_xlsx_commits_and_the_same_file_again_changes_nothing(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    _tier(app)
    empty = _state(app)
    rows = [dict(GOOD[0], birthday=date(1990, 6, 1), principal=500.1, bonus=50, last_visit=45352), GOOD[1], GOOD[2]]
    content = xlsx_bytes("members", rows)
    batch = upload(api, owner, "members", content, "old.xlsx").json
    assert batch["error_count"] == 0, batch["report"]["errors"]
    assert batch["report"]["counts"] == {"create": 3, "merge": 0, "skip": 0, "error": 0}
    done = _commit(api, owner, batch["id"])
    assert done["status"] == "committed"
    assert done["result"] == {
        "cards": 0,
        "card_items": 0,
        "coupons": 0,
        "members_created": 3,
        "members_merged": 0,
        "vehicles": 2,
        "principal_fen": 50039,
        "bonus_fen": 5000,
        "points": 1200,
        "skipped": 0,
    }
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.phone == "13800000001"))
        assert (member.nickname, member.gender, member.birthday, member.tier.name) == (
            "张三",
            "male",
            date(1990, 6, 1),
            "金卡",
        )
        assert sorted(tag.name for tag in member.tags) == ["洗车", "老客户"]
        assert (member.paid_visit_count, member.total_paid_fen, member.average_ticket_fen) == (12, 680050, 56670)
        assert member.last_paid_visit_at.date() == date(2024, 3, 1) and member.lifecycle in (
            "active",
            "at_risk",
            "churned",
        )
        assert member.value_class != "none"
        car = db.session.scalar(select(Vehicle).where(Vehicle.member_id == member.id))
        assert (car.plate, car.model, car.mileage_km) == ("粤B12345", "丰田 卡罗拉", 56000)
        purse = db.session.get(Wallet, member.id)
        assert (purse.principal_fen, purse.bonus_fen, purse.balance_fen) == (50010, 5000, 55010)
        entries = db.session.scalars(select(WalletEntry).where(WalletEntry.member_id == member.id)).all()
        assert [(e.kind, e.ref_type, e.ref_id, e.amount_fen) for e in entries] == [
            ("opening", "import_batch", batch["id"], 55010)
        ]
        assert db.session.get(PointsAccount, member.id).balance == 1200
        # Every wallet equals the sum of its entries.
        sums = dict(
            db.session.execute(
                select(WalletEntry.member_id, func.sum(WalletEntry.amount_fen)).group_by(WalletEntry.member_id)
            ).all()
        )
        assert sums == {w.member_id: w.balance_fen for w in db.session.scalars(select(Wallet))}
    after = _state(app)
    assert (
        after["liabilities"]["stored_value_principal_fen"] == empty["liabilities"]["stored_value_principal_fen"] + 50039
    )
    assert after["liabilities"]["stored_value_bonus_fen"] == 5000 and after["liabilities"]["points_outstanding"] == 1200
    # The wallet API shows where the balance came from.
    again = upload(api, owner, "members", content, "old-again.xlsx").json
    assert again["report"]["counts"] == {"create": 0, "merge": 0, "skip": 3, "error": 0}
    assert again["report"]["same_file_committed_in"] == batch["id"]
    assert _commit(api, owner, again["id"])["result"]["skipped"] == 3
    assert _state(app) == after
    # Committing the first batch again changes nothing either.
    assert api.post(f"/imports/{batch['id']}/commit", owner).json["status"] == "committed"
    assert _state(app) == after


def test_an_import_merges_into_the_member_with_the_same_phone(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    member_id = new_member(app, phone="13800000002", nickname=None)
    from tests.factories import top_up

    top_up(app, member_id, 10000)
    batch = upload(api, owner, "members", csv_bytes("members", [GOOD[1]], encoding="utf-8"), "m.csv").json
    assert batch["report"]["counts"]["merge"] == 1 and batch["report"]["preview"][0]["member_id"] == member_id
    assert _commit(api, owner, batch["id"])["status"] == "committed"
    with app.app_context():
        assert db.session.get(Wallet, member_id).balance_fen == 10029
        assert db.session.get(Member, member_id).nickname == "李四"
    undone = api.post(f"/imports/{batch['id']}/undo", owner)
    assert undone.status_code == 200, undone.json
    with app.app_context():
        assert db.session.get(Wallet, member_id).balance_fen == 10000
        assert db.session.get(Member, member_id).nickname is None
        assert db.session.scalar(select(func.count()).select_from(Vehicle).where(Vehicle.member_id == member_id)) == 0


def test_undo_restores_the_state_while_nothing_was_used_and_is_refused_after(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    _tier(app)
    empty = _state(app)
    content = csv_bytes("members", GOOD, encoding="gbk")
    batch = upload(api, owner, "members", content, "old.csv").json
    _commit(api, owner, batch["id"])
    undone = api.post(f"/imports/{batch['id']}/undo", owner)
    assert undone.status_code == 200 and undone.json["status"] == "undone"
    assert _state(app) == empty
    assert error_code(api.post(f"/imports/{batch['id']}/undo", owner)) == "import_not_committed"
    # Imported again (its row keys were released by the undo), then used: undo is refused with the reason.
    second = upload(api, owner, "members", content, "old.csv").json
    assert second["report"]["counts"]["create"] == 3
    _commit(api, owner, second["id"])
    with app.app_context():
        member_id = db.session.scalar(select(Member.id).where(Member.phone == "13800000002"))
        wallet.spend(member_id=member_id, amount_fen=29, ref_type="work_order", ref_id=424242)
        db.session.commit()
    refused = api.post(f"/imports/{second['id']}/undo", owner)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "import_undo_refused"
    assert refused.json["error"]["details"]["reason"] == "balance_used"
    assert api.get(f"/imports/{second['id']}", owner).json["status"] == "committed"


def test_add_on_kinds_find_members_by_phone_or_plate(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    batch = upload(api, owner, "members", csv_bytes("members", [GOOD[1]]), "m.csv").json
    _commit(api, owner, batch["id"])
    rows = [{"plate": "粤B·67890", "points": "300"}, {"phone": "13811112222", "points": "5"}]
    points = upload(api, owner, "points", xlsx_bytes("points", rows, key_row=False), "p.xlsx").json
    assert [(e["row"], e["code"]) for e in points["report"]["errors"]] == [(3, "member_not_found")]
    points = upload(api, owner, "points", xlsx_bytes("points", rows[:1]), "p.xlsx").json
    assert _commit(api, owner, points["id"])["result"]["points"] == 300
    with app.app_context():
        member_id = db.session.scalar(select(Member.id).where(Member.phone == "13800000002"))
        assert db.session.get(PointsAccount, member_id).balance == 300


def test_only_the_owner_imports_and_a_file_that_is_no_template_is_refused(api, staff_tokens):
    response = upload(api, staff_tokens["cashier"], "members", csv_bytes("members", GOOD), "a.csv")
    assert response.status_code == 403
    response = upload(api, staff_tokens["owner"], "members", b"a,b\r\n1,2\r\n", "a.csv")
    assert response.json["report"]["errors"][0]["code"] == "import_header_unknown"
    assert (
        error_code(upload(api, staff_tokens["owner"], "members", b"\x81\xff\xfe\x00garbage", "a.csv"))
        == "import_file_unreadable"
    )
