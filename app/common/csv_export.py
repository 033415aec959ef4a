"""CSV answers (``?format=csv``) shared by the owner's exports.

UTF-8 with a byte-order mark, because spreadsheet programs (Excel in particular) read a CSV without
one in the system's legacy code page and garble Chinese names. Text that a spreadsheet would run as
a formula (a nickname starting with ``=``, ``+``, ``-`` or ``@``) is prefixed with an apostrophe.
"""

import csv
import io

from flask import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(header, rows, filename):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    response = Response((BOM + buffer.getvalue()).encode("utf-8"), status=200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
