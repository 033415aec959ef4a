"""Import files as an old system would export them: XLSX made by openpyxl, CSV in UTF-8 or GBK."""

import csv
import io

from app.transfer.columns import KINDS


def csv_bytes(kind, rows, encoding="utf-8-sig", header="label"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = KINDS[kind]
    writer.writerow([getattr(column, header) for column in columns])
    for row in rows:
        writer.writerow([row.get(column.key, "") for column in columns])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(kind, rows, key_row=True):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    columns = KINDS[kind]
    sheet.append([column.label for column in columns])
    if key_row:
        sheet.append([column.key for column in columns])
    for row in rows:
        sheet.append([row.get(column.key) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(api, token, kind, content, filename):
    return api.client.post(
        f"/api/v1/imports?kind={kind}",
        data={"file": (io.BytesIO(content), filename)},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
