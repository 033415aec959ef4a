"""Reading an uploaded sheet and turning its cells into values, the way Chinese shop exports write them.

Amounts are yuan with at most two decimals, parsed from their text (Decimal, never float) into fen;
a number cell openpyxl read as a float is turned back into its shortest text first, which is what
the spreadsheet showed. Dates: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301, an Excel
date cell, or an Excel serial number. CSV files are UTF-8 (with or without a byte-order mark) or GBK.
"""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from app.common.plates import _PLATE, normalize_plate
from app.common.schemas import FEN_MAX


class CellError(ValueError):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20


def text(value):
    """A cell as stripped text with full-width letters, digits and signs made ASCII; '' for empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(_FULL_WIDTH).strip()


def plate(value):
    raw = text(value)
    result = normalize_plate(raw)
    if not _PLATE.match(result):
        raise CellError("invalid_plate", f"车牌号“{raw}”格式不对")
    return result


_PHONE = re.compile(r"^1[3-9]\d{9}$")


def phone(value):
    raw = text(value)
    digits = re.sub(r"[\s\-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _PHONE.match(digits):
        raise CellError("invalid_phone", f"手机号“{raw}”不是 11 位手机号")
    return digits


_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


def fen(value):
    """Yuan (at most two decimals) → fen, exactly."""
    if isinstance(value, float):
        raw = repr(value)  # the shortest text that reads back as the same float: what the sheet showed
        if "e" in raw:
            raw = format(Decimal(raw), "f")
        if raw.endswith(".0"):
            raw = raw[:-2]
    else:
        raw = text(value)
    cleaned = raw.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    if not _AMOUNT.match(cleaned):
        raise CellError("invalid_amount", f"金额“{raw}”不对：应为不小于 0 的元数，最多两位小数")
    try:
        result = int(Decimal(cleaned) * 100)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
        raise CellError("invalid_amount", f"金额“{raw}”不对") from error
    if result > FEN_MAX:
        raise CellError("invalid_amount", f"金额“{raw}”过大")
    return result


def count(value):
    raw = text(value)
    if not re.match(r"^\d{1,9}$", raw):
        raise CellError("invalid_number", f"“{raw}”应为不小于 0 的整数")
    return int(raw)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if re.match(r"^\d{5}(\.\d+)?$", raw):  # an Excel serial day number
        serial = int(Decimal(raw))
        if 1 <= serial <= 80000:
            return _EXCEL_EPOCH + timedelta(days=serial)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                result = date(*(int(part) for part in match.groups()))
            except ValueError:
                break
            if 1900 <= result.year <= 2100:
                return result
    raise CellError("invalid_date", f"日期“{raw}”无法识别（可写 2024-03-01、2024/3/1 或 2024年3月1日）")


def decode_csv(content: bytes) -> str:
    """UTF-8 (a BOM or not), else GBK (GB18030, its superset); refused if neither reads."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as error:
        raise CellError("import_file_unreadable", "文件编码无法识别：请存为 UTF-8 或 GBK 的 CSV") from error


def read_rows(content: bytes, filename: str):
    """Every row of the file's first sheet as a list of raw cell values (the first row included)."""
    if content[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:
            raise CellError("import_file_unreadable", "无法读取这个 Excel 文件（需 .xlsx）") from error
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
        return
    yield from csv.reader(io.StringIO(decode_csv(content)))
