"""The members CSV written by PostgreSQL's COPY is the file the Python path writes, byte for byte:
cells that need quoting (commas, quotes, line breaks), formula starts, empty and missing values,
yuan, instants as the shop's local dates (23:30 UTC is the next morning in Shanghai), tags, first
cars and merged-away members."""

from datetime import UTC, date, datetime

from app.extensions import db
from app.members.models import Member, MemberTag, Tag, Vehicle
from app.members.tiers.models import Tier
from app.transfer import exports
from app.wallet.models import PointsAccount, Wallet

HEADER = (
    "\ufeff手机号,姓名,性别,生日,会员等级,标签,车牌号,车型,里程(公里),储值本金(元),赠送余额(元),积分,首次到店,最近到店,到店次数,累计消费(元)\r\n"
    "phone,name,gender,birthday,tier,tags,plate,car_model,mileage_km,principal,bonus,points,first_visit,last_visit,visit_count,total_spend\r\n"
)
EXPECTED = HEADER + (
    '13800000001,"张,三",男,1990-02-03,金卡%,\'=SUM(1),粤B12345,"宝马 ""X5""",12000,'
    "500.10,50.00,1200,2024-03-02,2024-12-31,7,12345.67\r\n"
    '13800000002,"第一行\r\n第二行\n第三行",女,,,,,,,0.00,0.00,0,,,0,0.00\r\n'
    "'+8613800000003,'-李四,,,,'@家人,粤B00001,,0,0.05,0.00,0,,,0,0.01\r\n"
    '13800000004,"\'=""引号""",,,,,粤B00002,"甲\r乙",,0.00,0.00,0,,,0,0.00\r\n'
    ",'\t制表,,,,,,,,0.00,0.00,5,,,0,0.00\r\n"
)


def _seed(app):
    with app.app_context():
        gold = Tier(name="金卡%", rank=90)
        db.session.add(gold)
        db.session.flush()
        rows = [
            Member(
                phone="13800000001",
                nickname="张,三",
                gender="male",
                birthday=date(1990, 2, 3),
                tier_id=gold.id,
                first_paid_visit_at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
                last_paid_visit_at=datetime(2024, 12, 31, 15, 59, tzinfo=UTC),
                paid_visit_count=7,
                total_paid_fen=1234567,
            ),
            Member(phone="13800000002", nickname="第一行\r\n第二行\n第三行", gender="female"),
            Member(phone="+8613800000003", nickname="-李四", gender="unknown", total_paid_fen=1),
            Member(phone="13800000004", nickname='="引号"'),
            Member(phone=None, nickname="\t制表"),
            Member(phone="13800000006", nickname="已合并"),
        ]
        for number, member in enumerate(rows, 1):
            member.referral_code = f"EXP{number:04d}"
            db.session.add(member)
        db.session.flush()
        first, second, third, fourth, fifth, merged = rows
        merged.merged_into_id = first.id
        tags = [Tag(name="=SUM(1)"), Tag(name="@家人")]
        db.session.add_all(tags)
        db.session.flush()
        db.session.add_all(
            [
                MemberTag(member_id=first.id, tag_id=tags[0].id),
                MemberTag(member_id=third.id, tag_id=tags[1].id),
                MemberTag(member_id=merged.id, tag_id=tags[1].id),
            ]
        )
        db.session.add_all(
            [
                Vehicle(member_id=first.id, plate="粤B12345", model='宝马 "X5"', mileage_km=12000),
                Vehicle(member_id=first.id, plate="粤B99999", model="第二辆"),
                Vehicle(member_id=third.id, plate="粤B00001", mileage_km=0),
                Vehicle(member_id=fourth.id, plate="粤B00002", model="甲\r乙"),
                Vehicle(member_id=None, plate="粤B00003"),
            ]
        )
        db.session.add_all(
            [
                Wallet(member_id=first.id, principal_fen=50010, bonus_fen=5000, balance_fen=55010),
                Wallet(member_id=third.id, principal_fen=5, bonus_fen=0, balance_fen=5),
                PointsAccount(member_id=first.id, balance=1200),
                PointsAccount(member_id=fifth.id, balance=5),
            ]
        )
        db.session.commit()


def _write(app, path, **options):
    with app.app_context():
        count = exports.write_file("members", "csv", str(path), **options)
        db.session.rollback()
    return count, path.read_bytes()


def test_the_members_csv_reads_the_same_whichever_way_it_is_written(app, tmp_path):
    _seed(app)
    # The way this database writes it (COPY on PostgreSQL, Python on SQLite) ...
    count, written = _write(app, tmp_path / "members.csv")
    assert count == 5
    assert written == EXPECTED.encode("utf-8")
    # ... is the Python path's file byte for byte.
    python_count, by_python = _write(app, tmp_path / "python.csv", by_copy=False)
    assert (python_count, by_python) == (count, written)


def test_a_member_with_two_tags_and_an_empty_database_read_the_same_both_ways(app, tmp_path):
    count, written = _write(app, tmp_path / "empty.csv")
    assert (count, written) == (0, HEADER.encode("utf-8"))
    _seed(app)
    with app.app_context():
        member = db.session.query(Member).filter_by(phone="13800000004").one()
        for name in ("甲", "乙"):
            tag = Tag(name=name)
            db.session.add(tag)
            db.session.flush()
            db.session.add(MemberTag(member_id=member.id, tag_id=tag.id))
        db.session.commit()
    _count, written = _write(app, tmp_path / "tags.csv")
    _count, by_python = _write(app, tmp_path / "python.csv", by_copy=False)
    assert written == by_python
    line = next(line for line in written.decode("utf-8-sig").split("\r\n") if line.startswith("13800000004,"))
    assert sorted(line.split(",")[5].split("、")) == ["乙", "甲"]


def test_line_ends_become_crlf_outside_quotes_wherever_the_chunks_break():
    from app.transfer.export_copy import _CrLf

    copied = b'1,"a\nb ""c""\n",x\n2,,"\n"\n3,"",y\n'
    wanted = b'1,"a\nb ""c""\n",x\r\n2,,"\n"\r\n3,"",y\r\n'
    for first in range(len(copied) + 1):
        for second in range(first, len(copied) + 1):
            to_crlf = _CrLf()
            pieces = (copied[:first], copied[first:second], copied[second:])
            assert b"".join(to_crlf(piece) for piece in pieces) == wanted
