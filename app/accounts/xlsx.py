"""The statement (对账单) as a spreadsheet: one sheet, amounts in yuan with two decimals.

Text a spreadsheet would run as a formula (a name starting with ``=``, ``+``, ``-`` or ``@``) is
prefixed with an apostrophe, as the CSV exports do."""

import io

from flask import Response
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = {"company": "企业", "fleet": "车队", "insurer": "保险公司"}
YUAN = "0.00"


def _text(value):
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _yuan(fen):
    return fen / 100


def _local(instant, tz):
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant else ""


def statement_xlsx(statement):
    from app.common import clock

    tz = clock.zone(statement["timezone"])
    account = statement["account"]
    book = Workbook()
    sheet = book.active
    sheet.title = "对账单"
    money_cells = []

    def row(*values, money=()):
        sheet.append(list(values))
        for column in money:
            money_cells.append(sheet.cell(row=sheet.max_row, column=column))

    row("对账单", _text(account["name"]))
    row("类型", KINDS.get(account["kind"], account["kind"]), "税号", _text(account["tax_number"]))
    row("联系人", _text(account["contact_name"]), "电话", _text(account["contact_phone"]))
    row("期间", statement["from"].isoformat(), "至", statement["to"].isoformat())
    row("期初余额（元）", _yuan(statement["opening_balance_fen"]), money=(2,))
    row()
    row(
        "工单号",
        "结算时间",
        "车牌",
        "车型",
        "项目",
        "数量",
        "单价（元）",
        "金额（元）",
        "工单合计（元）",
        "挂账（元）",
        "到期日",
        "退款",
    )
    for charge in statement["charges"]:
        refunded = "已退款" if charge["refunded_at"] else ""
        row(
            charge["work_order_number"],
            _local(charge["settled_at"], tz),
            _text(charge["plate"]),
            _text(charge["vehicle_model"]),
            "",
            "",
            "",
            "",
            _yuan(charge["order_total_fen"]),
            _yuan(charge["charged_fen"]),
            charge["due_on"].isoformat(),
            refunded,
            money=(9, 10),
        )
        for line in charge["lines"]:
            row(
                "",
                "",
                "",
                "",
                _text(line["name"]),
                line["quantity"],
                _yuan(line["unit_net_fen"]),
                _yuan(line["line_total_fen"]),
                money=(7, 8),
            )
    row()
    row("退款", "工单号", "车牌", "金额（元）", "时间")
    for refund in statement["refunds"]:
        row(
            "",
            refund["work_order_number"],
            _text(refund["plate"]),
            _yuan(refund["amount_fen"]),
            _local(refund["refunded_at"], tz),
            money=(4,),
        )
    row()
    row("回款", "方式", "凭证号", "金额（元）", "时间")
    for repayment in statement["repayments"]:
        row(
            "",
            repayment["paid_via"],
            _text(repayment["reference"]),
            _yuan(repayment["amount_fen"]),
            _local(repayment["received_at"], tz),
            money=(4,),
        )
    row()
    row("本期挂账（元）", _yuan(statement["charged_fen"]), money=(2,))
    row("本期退款（元）", _yuan(statement["refunded_fen"]), money=(2,))
    row("本期回款（元）", _yuan(statement["repaid_fen"]), money=(2,))
    row("期末余额（元）", _yuan(statement["closing_balance_fen"]), money=(2,))
    for cell in money_cells:
        cell.number_format = YUAN
    buffer = io.BytesIO()
    book.save(buffer)
    response = Response(buffer.getvalue(), status=200, content_type=XLSX_TYPE)
    filename = f"statement-{account['id']}-{statement['from'].isoformat()}-{statement['to'].isoformat()}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
