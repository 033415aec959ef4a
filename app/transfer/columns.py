"""The columns of each import kind: the Chinese header, the English key, how a cell is read, and the
note the template shows for it.

``members`` brings members with their cars, tags, tier, opening balances and visit history in one
sheet. ``stored_value``, ``points`` and ``visits`` add to members already here (found by phone or
plate), for old systems that export those apart.
"""

from dataclasses import dataclass

from app.transfer import cells


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    read: object  # a function of the raw cell, raising cells.CellError
    note: str
    example: str = ""


def _name(value):
    result = cells.text(value)
    if len(result) > 50:
        raise cells.CellError("too_long", "姓名最多 50 个字")
    return result


def _model(value):
    result = cells.text(value)
    if len(result) > 100:
        raise cells.CellError("too_long", "车型最多 100 个字")
    return result


_GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male", "f": "female"}


def _gender(value):
    raw = cells.text(value)
    gender = _GENDERS.get(raw.lower())
    if gender is None:
        raise cells.CellError("invalid_gender", f"性别“{raw}”应为 男 或 女")
    return gender


def _tags(value):
    parts = [
        part.strip() for part in cells.text(value).replace("，", ",").replace("、", ",").replace(";", ",").split(",")
    ]
    tags = sorted({part for part in parts if part})
    if any(len(tag) > 50 for tag in tags):
        raise cells.CellError("too_long", "标签最多 50 个字")
    return tags


PHONE = Column(
    "phone", "手机号", cells.phone, "11 位手机号；与车牌号至少填一个。与已有会员相同的手机号合并到该会员", "13800138000"
)
PLATE = Column("plate", "车牌号", cells.plate, "如 粤B·12345；全角、小写、空格和“·”都可以，导入时统一", "粤B·12345")
PRINCIPAL = Column("principal", "储值本金(元)", cells.fen, "客户实付充进来的余额，元，最多两位小数", "500.00")
BONUS = Column("bonus", "赠送余额(元)", cells.fen, "充值赠送的余额，元，最多两位小数", "50")
POINTS = Column("points", "积分", cells.count, "剩余积分，整数；按积分有效期从导入日起计", "1200")
FIRST_VISIT = Column(
    "first_visit", "首次到店", cells.day, "日期：2024-03-01、2024/3/1、2024年3月1日 均可", "2021-05-10"
)
LAST_VISIT = Column(
    "last_visit", "最近到店", cells.day, "最近一次消费的日期；决定生命周期（活跃/沉睡/流失）", "2024/3/1"
)
VISIT_COUNT = Column("visit_count", "到店次数", cells.count, "累计消费次数，整数", "12")
TOTAL_SPEND = Column(
    "total_spend", "累计消费(元)", cells.fen, "累计实付金额，元；与到店次数一起决定价值分层", "6800.50"
)

KINDS = {
    "members": (
        PHONE,
        Column("name", "姓名", _name, "会员姓名或称呼，最多 50 字", "张三"),
        Column("gender", "性别", _gender, "男 或 女，可空", "男"),
        Column("birthday", "生日", cells.day, "日期，可空；用于生日关怀", "1990年6月1日"),
        Column("tier", "会员等级", cells.text, "须是系统里已有的会员等级名称，可空", ""),
        Column("tags", "标签", _tags, "多个标签用逗号或顿号分隔；没有的标签会新建", "老客户、洗车"),
        PLATE,
        Column("car_model", "车型", _model, "品牌车型，可空", "丰田 卡罗拉"),
        Column("mileage_km", "里程(公里)", cells.count, "当前里程，整数，可空", "56000"),
        PRINCIPAL,
        BONUS,
        POINTS,
        FIRST_VISIT,
        LAST_VISIT,
        VISIT_COUNT,
        TOTAL_SPEND,
    ),
    "stored_value": (PHONE, PLATE, PRINCIPAL, BONUS),
    "points": (PHONE, PLATE, POINTS),
    "visits": (PHONE, PLATE, FIRST_VISIT, LAST_VISIT, VISIT_COUNT, TOTAL_SPEND),
}

KIND_LABELS = {"members": "会员与车辆", "stored_value": "储值余额", "points": "积分", "visits": "消费记录"}
