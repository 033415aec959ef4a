"""Exporting what the shop owns: members (in the import template's columns, so an export imports
again), cars, balances, package cards, coupons, points and work orders, as CSV (UTF-8 with a BOM)
or XLSX.

Rows are streamed from the database (``yield_per``) into the file, never held together: a CSV is
written line by line, an XLSX through openpyxl's write-only workbook. The file goes to the export
directory (``EXPORT_DIR``, default ``<instance>/exports``) and is downloaded from there.
"""

import csv
import io
import os
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.cards.models import PackageCard, PackageCardItem
from app.common import clock
from app.common.csv_export import _cell
from app.common.db import is_sqlite, set_local
from app.coupons.models import CouponTemplate, MemberCoupon
from app.extensions import db
from app.members.models import Member, MemberTag, Tag, Vehicle
from app.members.tiers.models import Tier
from app.merchant.services import merchant_timezone
from app.transfer.columns import KINDS
from app.transfer.models import ExportJob
from app.wallet.models import PointsAccount, Wallet
from app.workorders.models import WorkOrder

YIELD_PER = 2000


def _yuan(fen):
    if fen is None:
        return ""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _day(value, tz_name=None):
    """A date cell: a date as it is, an instant as the merchant's local date (``tz_name``), the day
    the shop saw it happen (a coupon valid until local midnight ends that day, not the day before)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return clock.local_today(tz_name, value).isoformat()
    return value.isoformat()


def _stream(statement):
    return db.session.execute(statement.execution_options(yield_per=YIELD_PER))


# Memory for the export's hash joins and sort on PostgreSQL (the default 4 MB spills a million
# members to disk); SET LOCAL ends with the export's transaction.
EXPORT_WORK_MEM = "64MB"


def _room_for_sorting():
    set_local(db.session, work_mem=EXPORT_WORK_MEM)


def members_statement():
    """Every member still in use (merged-away ones are not), with their tier, tags, first car,
    balances and visit history as plain columns, ``id`` last; ordered by member."""
    # Each member's tags and first car come from one grouped pass over their tables, joined by
    # member: as subqueries per member they were looked up once (the car twice) for every row.
    if is_sqlite(db.session):
        tag_names = func.group_concat(Tag.name, "、")
    else:
        # In name order, so the same tags always read the same.
        tag_names = func.string_agg(Tag.name, aggregate_order_by(literal("、"), Tag.name))
    tagged = (
        select(MemberTag.member_id, tag_names.label("names"))
        .join(Tag, Tag.id == MemberTag.tag_id)
        .group_by(MemberTag.member_id)
        .subquery()
    )
    first_cars = (
        select(Vehicle.member_id, func.min(Vehicle.id).label("id"))
        .where(Vehicle.member_id.is_not(None))
        .group_by(Vehicle.member_id)
        .subquery()
    )
    # Plain columns, not Member and Vehicle objects: building two ORM objects per row cost more
    # than the query and the file together (a million members: most of the export's time).
    return (
        select(
            Member.phone,
            Member.nickname,
            Member.gender,
            Member.birthday,
            Tier.name.label("tier"),
            tagged.c.names.label("tags"),
            Vehicle.plate,
            Vehicle.model,
            Vehicle.mileage_km,
            Wallet.principal_fen,
            Wallet.bonus_fen,
            PointsAccount.balance.label("points"),
            Member.first_paid_visit_at,
            Member.last_paid_visit_at,
            Member.paid_visit_count,
            Member.total_paid_fen,
            Member.id,
        )
        .outerjoin(Tier, Tier.id == Member.tier_id)
        .outerjoin(tagged, tagged.c.member_id == Member.id)
        .outerjoin(first_cars, first_cars.c.member_id == Member.id)
        .outerjoin(Vehicle, Vehicle.id == first_cars.c.id)
        .outerjoin(Wallet, Wallet.member_id == Member.id)
        .outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
        .where(Member.merged_into_id.is_(None))
        .order_by(Member.id)
    )


def _members():
    statement = members_statement()
    _room_for_sorting()
    yield [column.label for column in KINDS["members"]]
    yield [column.key for column in KINDS["members"]]
    genders = {"male": "男", "female": "女"}
    tz_name = merchant_timezone()
    for (
        phone,
        nickname,
        gender,
        birthday,
        tier,
        tag_names,
        plate,
        model,
        mileage_km,
        principal,
        bonus,
        points,
        first_visit,
        last_visit,
        visits,
        total_paid,
        _member_id,
    ) in _stream(statement):
        yield [
            phone,
            nickname,
            genders.get(gender),
            _day(birthday),
            tier,
            tag_names,
            plate,
            model,
            mileage_km,
            _yuan(principal or 0),
            _yuan(bonus or 0),
            points or 0,
            _day(first_visit, tz_name),
            _day(last_visit, tz_name),
            visits,
            _yuan(total_paid),
        ]


def _vehicles():
    yield ["车牌号", "会员手机号", "车型", "里程(公里)", "VIN", "上次保养日期", "下次保养日期"]
    statement = select(Vehicle, Member.phone).outerjoin(Member, Member.id == Vehicle.member_id).order_by(Vehicle.id)
    for car, phone in _stream(statement):
        yield [
            car.plate,
            phone,
            car.model,
            car.mileage_km,
            car.vin,
            _day(car.last_maintenance_date),
            _day(car.next_maintenance_due_date),
        ]


def _balances():
    yield ["手机号", "姓名", "储值本金(元)", "赠送余额(元)", "余额(元)"]
    statement = (
        select(Member.phone, Member.nickname, Wallet).join(Wallet, Wallet.member_id == Member.id).order_by(Member.id)
    )
    for phone, name, wallet in _stream(statement):
        yield [phone, name, _yuan(wallet.principal_fen), _yuan(wallet.bonus_fen), _yuan(wallet.balance_fen)]


def _points():
    yield ["手机号", "姓名", "积分"]
    statement = (
        select(Member.phone, Member.nickname, PointsAccount.balance)
        .join(PointsAccount, PointsAccount.member_id == Member.id)
        .order_by(Member.id)
    )
    for phone, name, balance in _stream(statement):
        yield [phone, name, balance]


def _cards():
    yield ["卡号", "手机号", "卡名", "售价(元)", "到期", "项目", "初始次数", "剩余次数"]
    statement = (
        select(
            PackageCard.id,
            Member.phone,
            PackageCard.name,
            PackageCard.price_fen,
            PackageCard.expires_at,
            PackageCardItem,
        )
        .join(Member, Member.id == PackageCard.member_id)
        .join(PackageCardItem, PackageCardItem.card_id == PackageCard.id)
        .order_by(PackageCard.id, PackageCardItem.id)
    )
    tz_name = merchant_timezone()
    for card_id, phone, name, price, expires_at, item in _stream(statement):
        yield [
            card_id,
            phone,
            name,
            _yuan(price),
            _day(expires_at, tz_name),
            item.service_item_id,
            item.initial_count,
            item.remaining,
        ]


def _coupons():
    yield ["券码", "手机号", "券名", "状态", "生效", "到期(不含)"]
    statement = (
        select(
            MemberCoupon.code,
            Member.phone,
            CouponTemplate.name,
            MemberCoupon.status,
            MemberCoupon.valid_from,
            MemberCoupon.valid_until,
        )
        .join(Member, Member.id == MemberCoupon.member_id)
        .join(CouponTemplate, CouponTemplate.id == MemberCoupon.template_id)
        .order_by(MemberCoupon.id)
    )
    statuses = {"unused": "未使用", "used": "已使用", "void": "已作废"}
    tz_name = merchant_timezone()
    for code, phone, name, status, valid_from, valid_until in _stream(statement):
        yield [
            code,
            phone,
            name,
            statuses.get(status, status),
            _day(valid_from, tz_name),
            _day(valid_until, tz_name),
        ]


def _work_orders():
    yield ["工单号", "门店", "车牌号", "会员手机号", "状态", "金额(元)", "实付(元)", "开单时间", "结算时间"]
    statement = (
        select(WorkOrder, Member.phone).outerjoin(Member, Member.id == WorkOrder.member_id).order_by(WorkOrder.id)
    )
    for order, phone in _stream(statement):
        yield [
            order.number,
            order.store_id,
            order.plate,
            phone,
            order.status,
            _yuan(order.total_fen),
            _yuan(order.paid_fen),
            order.created_at.isoformat() if order.created_at else "",
            order.settled_at.isoformat() if order.settled_at else "",
        ]


ROWS = {
    "members": _members,
    "vehicles": _vehicles,
    "balances": _balances,
    "points": _points,
    "cards": _cards,
    "coupons": _coupons,
    "work_orders": _work_orders,
}
FILE_NAMES = {
    "members": "会员",
    "vehicles": "车辆",
    "balances": "储值余额",
    "points": "积分",
    "cards": "套餐卡",
    "coupons": "优惠券",
    "work_orders": "工单",
}


def export_dir():
    path = current_app.config.get("EXPORT_DIR") or os.path.join(current_app.instance_path, "exports")
    os.makedirs(path, exist_ok=True)
    return path


def _members_csv_by_copy(path):
    """The members CSV on PostgreSQL: the two header rows as the Python path writes them, then the
    rows straight from COPY (app/transfer/export_copy.py), the same bytes in a fraction of the time."""
    from app.transfer.export_copy import write_members_csv

    header = io.StringIO()
    writer = csv.writer(header, lineterminator="\r\n")
    writer.writerow([_cell(column.label) for column in KINDS["members"]])
    writer.writerow([_cell(column.key) for column in KINDS["members"]])
    statement = members_statement()
    _room_for_sorting()
    with open(path, "wb") as handle:
        handle.write(header.getvalue().encode("utf-8-sig"))
        return write_members_csv(statement, handle, tz_name=merchant_timezone())


def write_file(kind, file_format, path, *, by_copy=None):
    """Write the export to ``path``; answers the number of data rows (headers not counted).

    The members CSV is written by the database on PostgreSQL (``by_copy`` left None), the same
    bytes as the Python path (``by_copy=False``), which SQLite and every other export take."""
    if by_copy is None:
        by_copy = kind == "members" and file_format == "csv" and not is_sqlite(db.session)
    if by_copy:
        return _members_csv_by_copy(path)
    rows = ROWS[kind]()
    count = -1
    if file_format == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            for row in rows:
                writer.writerow([_cell(value) for value in row])
                count += 1
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(FILE_NAMES[kind])
        for row in rows:
            sheet.append([_cell(value) for value in row])
            count += 1
        workbook.save(path)
    header_rows = 2 if kind == "members" else 1
    return max(count + 1 - header_rows, 0)


def expire_old_exports(now):
    """Remove the files of exports finished more than ``EXPORT_RETENTION_DAYS`` ago (default 7) from
    the export folder: a ready export becomes ``expired`` (its download answers 409
    ``export_expired``; export again), a failed one's partial file goes too. Exports hold every
    member's phone and balance, so they do not stay on a shared folder for good. Idempotent."""
    cutoff = now - timedelta(days=current_app.config.get("EXPORT_RETENTION_DAYS") or 7)
    jobs = db.session.scalars(
        select(ExportJob).where(
            ExportJob.status.in_(("ready", "failed")),
            ExportJob.file_path.is_not(None),
            func.coalesce(ExportJob.finished_at, ExportJob.created_at) < cutoff,
        )
    ).all()
    for job in jobs:
        try:
            os.remove(job.file_path)
        except FileNotFoundError:
            pass  # removed by hand already: the row still says so
        job.file_path = None
        if job.status == "ready":
            job.status = "expired"
    db.session.flush()
    return len(jobs)
