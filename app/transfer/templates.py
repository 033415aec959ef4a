"""Blank import templates: the Chinese headers, the English key row under them, and what each
column means (a 说明 sheet in XLSX; comment rows starting with # in CSV, which the import skips)."""

import csv
import io

from app.transfer.columns import KIND_LABELS, KINDS

BOM = "\ufeff"


def template_csv(kind) -> bytes:
    columns = KINDS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.label for column in columns])
    writer.writerow([column.key for column in columns])
    writer.writerow([f"# {KIND_LABELS[kind]}导入模板：第 1 行中文表头，第 2 行英文列名，以 # 开头的行不导入"])
    for column in columns:
        writer.writerow([f"# {column.label}（{column.key}）：{column.note}。例：{column.example}"])
    return (BOM + buffer.getvalue()).encode("utf-8")


def template_xlsx(kind) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    columns = KINDS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KIND_LABELS[kind]
    sheet.append([column.label for column in columns])
    sheet.append([column.key for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.comment = Comment(column.note, "Pitstop")
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.label) * 2 + 4)
    notes = workbook.create_sheet("说明")
    notes.append(["列", "英文列名", "说明", "例"])
    for column in columns:
        notes.append([column.label, column.key, column.note, column.example])
    notes.append([])
    notes.append(["第 1 行是中文表头，第 2 行是英文列名，请从第 3 行起填写；只读第一个工作表。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
