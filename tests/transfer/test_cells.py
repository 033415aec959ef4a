"""Cells as Chinese shop spreadsheets write them: amounts to fen exactly, dates, plates, phones."""

from datetime import date, datetime

import pytest

from app.transfer import cells


@pytest.mark.parametrize(
    ("raw", "fen"),
    [
        ("500", 50000),
        ("500.1", 50010),
        ("0.29", 29),
        ("1,234.56", 123456),
        ("￥88.80", 8880),
        (0.29, 29),
        (19.99, 1999),
        (1234.56, 123456),
        (500, 50000),
        (500.0, 50000),
        ("１２.５", 1250),
        ("0", 0),
    ],
)
def test_amounts_in_yuan_become_fen_exactly(raw, fen):
    assert cells.fen(raw) == fen


@pytest.mark.parametrize("raw", ["12.345", "-5", "abc", "1e3", "", 0.125, "2000000"])
def test_amounts_with_more_than_two_decimals_or_not_numbers_are_refused(raw):
    with pytest.raises(cells.CellError) as error:
        cells.fen(raw)
    assert error.value.code == "invalid_amount"


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-01",
        "2024/3/1",
        "2024.3.1",
        "2024年3月1日",
        "20240301",
        "2024-03-01 10:30",
        45352,
        "45352",
        datetime(2024, 3, 1, 0, 0),
        date(2024, 3, 1),
    ],
)
def test_dates_in_the_usual_forms(raw):
    assert cells.day(raw) == date(2024, 3, 1)


@pytest.mark.parametrize("raw", ["2024-02-30", "3/1/2024", "昨天", "1800-01-01"])
def test_unreadable_dates_are_refused(raw):
    with pytest.raises(cells.CellError) as error:
        cells.day(raw)
    assert error.value.code == "invalid_date"


def test_plates_are_normalised_from_full_width_lower_case_and_dots():
    assert cells.plate("粤ｂ·１２３４５") == "粤B12345"
    assert cells.plate(" 粤b 12345 ") == "粤B12345"
    assert cells.plate("粤B·D12345") == "粤BD12345"
    with pytest.raises(cells.CellError):
        cells.plate("B12345")


def test_phones():
    assert cells.phone("138 0013 8000") == "13800138000"
    assert cells.phone("+8613800138000") == "13800138000"
    assert cells.phone(13800138000) == "13800138000"
    for raw in ("1380013800", "23800138000", "电话"):
        with pytest.raises(cells.CellError):
            cells.phone(raw)


def test_csv_in_gbk_and_utf8_with_or_without_bom_reads_alike():
    text = "手机号,姓名\r\n13800138000,张三\r\n"
    for content in (text.encode("gbk"), text.encode("utf-8"), text.encode("utf-8-sig")):
        assert list(cells.read_rows(content, "a.csv")) == [["手机号", "姓名"], ["13800138000", "张三"]]
