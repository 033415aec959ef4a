"""Reading an import file into rows: the sheet's header mapped to the kind's columns and every
row's cells checked on their own (no database). A row's key is a hash of the kind and its values,
so the same row imported twice is recognised. Errors are per (row, column) with a Chinese message."""

import hashlib
import json
from dataclasses import dataclass, field

from app.transfer import cells
from app.transfer.columns import KINDS, MEMBER_ROW_KINDS, REQUIRED

MAX_REPORTED_ERRORS = 1000
MESSAGES = {
    "required": "手机号和车牌号至少填一个",
    "duplicate_in_file": "与第 {row} 行的{what}重复",
    "plate_taken": "车牌号已属于另一位会员（手机号不同）",
    "unknown_tier": "没有名为“{tier}”的会员等级",
    "member_not_found": "找不到这个手机号或车牌号的会员：请先导入会员",
    "visits_inconsistent": "到店次数为 0 时不能有最近到店日期和累计消费",
    "missing_value": "这一列必须填写",
    "unknown_card": "没有名为“{name}”的套餐卡",
    "unknown_card_item": "套餐卡“{card}”不含服务项目“{item}”",
    "unknown_coupon": "没有名为“{name}”的优惠券",
    "already_expired": "到期日期已过",
}


@dataclass
class Row:
    number: int  # the sheet's own row number (1 is the header)
    values: dict
    key: str
    action: str = ""  # create, merge or skip
    member_id: int | None = None
    errors: list = field(default_factory=list)


@dataclass
class Check:
    kind: str
    rows: list
    errors: list
    header_error: dict | None = None

    @property
    def counts(self):
        result = {"create": 0, "merge": 0, "skip": 0, "error": 0}
        for row in self.rows:
            result["error" if row.errors else row.action] += 1
        return result

    def report(self):
        return {
            "counts": self.counts,
            "errors": self.errors[:MAX_REPORTED_ERRORS],
            "errors_truncated": len(self.errors) > MAX_REPORTED_ERRORS,
            "preview": [
                {"row": row.number, "action": row.action, "member_id": row.member_id, **_preview(row.values)}
                for row in self.rows[:50]
                if not row.errors
            ],
        }


def _preview(values):
    return {
        "phone": values.get("phone"),
        "plate": values.get("plate"),
        "name": values.get("name"),
        "principal_fen": values.get("principal"),
        "bonus_fen": values.get("bonus"),
        "points": values.get("points"),
    }


def row_error(row, column, code, message):
    entry = {"row": row, "column": column, "code": code, "message": message}
    return entry


def _header_map(kind, header_rows):
    """Which sheet column holds which key: the first row's Chinese labels (or English keys)."""
    columns = KINDS[kind]
    by_label = {column.label: column.key for column in columns} | {column.key: column.key for column in columns}
    first = [cells.text(value) for value in header_rows]
    positions = {}
    for index, label in enumerate(first):
        key = by_label.get(label) or by_label.get(label.replace("（", "(").replace("）", ")"))
        if key and key not in positions:
            positions[key] = index
    return positions


def _is_key_row(kind, values):
    keys = {column.key for column in KINDS[kind]}
    texts = [cells.text(value) for value in values if cells.text(value)]
    return bool(texts) and all(text in keys for text in texts)


def parse(kind, content, filename, progress=None):
    """Read and check every row's cells (no database). Errors are per (row, column)."""
    columns = {column.key: column for column in KINDS[kind]}
    rows, errors = [], []
    iterator = iter(cells.read_rows(content, filename))
    header = next(iterator, None)
    positions = _header_map(kind, header or [])
    if not ({"phone", "plate"} & set(positions)):
        return Check(
            kind,
            [],
            [],
            header_error=row_error(1, None, "import_header_unknown", "第 1 行不是模板的表头：请用下载的模板"),
        )
    seen = {"phone": {}, "plate": {}, "card_item": {}}
    for number, raw in enumerate(iterator, start=2):
        if progress:
            progress(number)
        if not any(cells.text(value) for value in raw):
            continue
        if cells.text(raw[0] if raw else "").startswith("#") or (number == 2 and _is_key_row(kind, raw)):
            continue
        values, row_errors = {}, []
        for key, index in positions.items():
            value = raw[index] if index < len(raw) else None
            if cells.text(value) == "":
                continue
            try:
                values[key] = columns[key].read(value)
            except cells.CellError as error:
                row_errors.append(row_error(number, columns[key].label, error.code, error.message))
        if (
            not values.get("phone")
            and not values.get("plate")
            and not any(e["column"] in ("手机号", "车牌号") for e in row_errors)
        ):
            row_errors.append(row_error(number, "手机号", "required", MESSAGES["required"]))
        if (
            not values.get("visit_count")
            and (values.get("total_spend") or values.get("last_visit"))
            and "visit_count" in values
        ):
            row_errors.append(row_error(number, "到店次数", "visits_inconsistent", MESSAGES["visits_inconsistent"]))
        for key in REQUIRED.get(kind, ()):
            if key not in values and not any(e["column"] == columns[key].label for e in row_errors):
                row_errors.append(row_error(number, columns[key].label, "missing_value", MESSAGES["missing_value"]))
        if kind == "package_cards" and values.get("card_no"):
            owner = values.get("phone") or values.get("plate")
            item = (owner, values["card_no"], values.get("item_name"))
            if item in seen["card_item"]:
                row_errors.append(
                    row_error(
                        number,
                        "服务项目",
                        "duplicate_in_file",
                        MESSAGES["duplicate_in_file"].format(row=seen["card_item"][item], what="卡号和服务项目"),
                    )
                )
            else:
                seen["card_item"][item] = number
        for what, label in (("phone", "手机号"), ("plate", "车牌号")):
            if kind not in MEMBER_ROW_KINDS:
                break
            value = values.get(what)
            if value is None:
                continue
            if value in seen[what]:
                row_errors.append(
                    row_error(
                        number,
                        label,
                        "duplicate_in_file",
                        MESSAGES["duplicate_in_file"].format(row=seen[what][value], what=label),
                    )
                )
            else:
                seen[what][value] = number
        digest = hashlib.sha256(json.dumps([kind, sorted(values.items())], default=str, ensure_ascii=False).encode())
        rows.append(Row(number, values, digest.hexdigest(), errors=row_errors))
        errors.extend(row_errors)
    return Check(kind, rows, errors)
