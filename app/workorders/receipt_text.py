"""The receipt as a thermal printer prints it: fixed-width lines of the ESC/POS font A.

58 mm paper holds 32 columns, 80 mm paper 48. A Chinese character takes two columns: characters
East Asian Width calls wide (W) or fullwidth (F) count two, and so do the ambiguous ones (A, such
as the plate's "·" or "×"), which a printer in GB18030 mode prints from its Chinese font, full
width. Long names wrap onto further lines, never splitting a wide character at the edge. Every
amount is right-aligned to the last column, in yuan with two decimals made from integer fen.
"""

import unicodedata

COLUMNS = {58: 32, 80: 48}
WIDE = ("W", "F", "A")


def char_width(char):
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in WIDE else 1


def text_width(text):
    return sum(char_width(char) for char in text)


def _printable(text):
    """Control characters (a name with a newline or a tab) would break the layout: spaces instead."""
    return "".join(" " if unicodedata.category(char).startswith("C") else char for char in str(text or ""))


def wrap(text, columns):
    """``text`` in lines of at most ``columns`` display columns (at least one line)."""
    lines, current, used = [], "", 0
    for char in _printable(text):
        width = char_width(char)
        if used + width > columns:
            lines.append(current)
            current, used = "", 0
        current, used = current + char, used + width
    lines.append(current)
    return lines


def clip(text, columns):
    return wrap(text, columns)[0]


def yuan(fen):
    """Integer fen as yuan with two decimals: 12345 → "123.45", -5 → "-0.05"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def row(left, right, columns):
    """``left`` then ``right`` against the right edge (``left`` clipped to leave one space)."""
    right = _printable(right)
    left = clip(left, max(columns - text_width(right) - 1, 0))
    return left + " " * (columns - text_width(left) - text_width(right)) + right


def center(text, columns):
    text = clip(text, columns)
    return " " * ((columns - text_width(text)) // 2) + text


def _local(instant, tz):
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if instant else ""


def render(receipt, paper_mm=58):
    """The receipt dict (app/workorders/receipt.py) as printer text for 58 or 80 mm paper."""
    columns = COLUMNS[paper_mm]
    rule = "-" * columns
    tz = receipt["timezone"]
    store = receipt["store"]
    lines = [center(store["name"], columns)]
    for label, value in (("地址: ", store["address"]), ("电话: ", store["phone"])):
        if value:
            lines += wrap(label + value, columns)
    lines.append(rule)
    member = receipt["member"]
    for label, value in (
        ("单号: ", receipt["number"]),
        ("车牌: ", receipt["plate"]),
        ("里程: ", f"{receipt['mileage_km']} km" if receipt["mileage_km"] is not None else None),
        ("会员: ", " ".join(filter(None, (member["nickname"], member["phone"]))) if member else None),
        ("收银: ", receipt["cashier"]),
        ("时间: ", _local(receipt["settled_at"], tz)),
    ):
        if value:
            lines += wrap(label + value, columns)
    lines.append(rule)
    for line in receipt["lines"]:
        lines += wrap(line["name"], columns)
        lines.append(row(f"  {line['quantity']} x {yuan(line['unit_price_fen'])}", yuan(line["gross_fen"]), columns))
        for discount in line["discounts"]:
            lines.append(row(f"  {_discount_label(discount)}", yuan(-discount["amount_fen"]), columns))
        if line["technicians"]:
            lines += wrap("  技师: " + "、".join(line["technicians"]), columns)
    lines.append(rule)
    lines.append(row("合计", yuan(receipt["subtotal_fen"]), columns))
    if receipt["order_discount"]:
        lines.append(
            row(_discount_label(receipt["order_discount"]), yuan(-receipt["order_discount"]["amount_fen"]), columns)
        )
    if receipt["discount_fen"]:
        lines.append(row("优惠合计", yuan(-receipt["discount_fen"]), columns))
    lines.append(row("应收", yuan(receipt["total_fen"]), columns))
    lines.append(rule)
    for tender in receipt["tenders"]:
        label = tender["label"] + (f"({tender['points']}分)" if tender["points"] else "")
        lines.append(row(label, yuan(tender["amount_fen"]), columns))
    if receipt["status"] == "refunded":
        lines.append(center("** 已退款 **", columns))
        lines.append(row("退款时间", _local(receipt["refunded_at"], tz), columns))
    balances = receipt["balances"]
    if balances is not None:
        lines.append(rule)
        lines.append(row("储值余额", yuan(balances["stored_value_fen"]), columns))
        lines.append(row("积分余额", str(balances["points"]), columns))
        if receipt["points_earned"]:
            lines.append(row("本单积分", f"+{receipt['points_earned']}", columns))
        for card in balances["cards"]:
            lines += wrap(card["name"], columns)
            for item in card["items"]:
                lines.append(row(f"  {item['name'] or ''}", f"剩{item['remaining']}次", columns))
    lines.append(rule)
    lines.append(center("微信扫码查看工单" if member else "微信扫码加入会员", columns))
    lines.append(center("谢谢惠顾 欢迎再来", columns))
    return "\n".join(lines) + "\n"


def _discount_label(discount):
    """E.g. "会员折扣 10%", "改价(店长)": the percent when there is one, who gave a hand-made one."""
    label = discount["label"] + (f" {discount['percent']}%" if discount["percent"] is not None else "")
    return label + (f"({discount['by']})" if discount["by"] else "")
