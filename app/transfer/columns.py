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


def _label(limit):
    def read(value):
        result = cells.text(value)
        if len(result) > limit:
            raise cells.CellError("too_long", f"最多 {limit} 个字")
        return result

    return read


def _positive(value):
    result = cells.count(value)
    if result <= 0:
        raise cells.CellError("invalid_number", "应为大于 0 的整数")
    return result


CARD_COLUMNS = (
    PHONE,
    PLATE,
    Column(
        "card_no", "卡号", _label(40), "原系统的卡号；同一卡号的几行是同一张卡的几个项目，可空（每行一张卡）", "K0001"
    ),
    Column("card_name", "套餐卡名称", _label(100), "须是系统里已有的套餐卡名称", "洗车 10 次卡"),
    Column("item_name", "服务项目", _label(100), "须是这种套餐卡包含的服务项目", "精洗"),
    Column("remaining", "剩余次数", _positive, "还剩几次，大于 0 的整数", "6"),
    Column("expires_on", "到期日期", cells.day, "最后一天可用的日期", "2025-12-31"),
)
COUPON_COLUMNS = (
    PHONE,
    PLATE,
    Column("coupon_name", "优惠券名称", _label(100), "须是系统里已有的优惠券名称", "50 元保养券"),
    Column("quantity", "张数", _positive, "这位会员持有几张，可空（1 张）", "1"),
    Column("expires_on", "到期日期", cells.day, "最后一天可用的日期", "2025-06-30"),
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
    "package_cards": CARD_COLUMNS,
    "coupons": COUPON_COLUMNS,
}
# Kinds whose rows are one member each (a phone or plate twice in a file is an error); a member may
# hold several cards and coupons, so those files repeat phones.
MEMBER_ROW_KINDS = ("members", "stored_value", "points", "visits")
REQUIRED = {
    "package_cards": ("card_name", "item_name", "remaining", "expires_on"),
    "coupons": ("coupon_name", "expires_on"),
}

KIND_LABELS = {
    "members": "会员与车辆",
    "stored_value": "储值余额",
    "points": "积分",
    "visits": "消费记录",
    "package_cards": "套餐卡",
    "coupons": "优惠券",
}
