"""The receipt (小票): what the counter prints and the member sees, and its fixed-width text."""

import base64
import itertools
import re
from datetime import timedelta

import pytest

from app.common import clock
from app.workorders.receipt_text import COLUMNS, text_width, wrap, yuan
from tests.conftest import error_code
from tests.workorders.conftest import START, give_points, open_order, sell_card, settle, top_up

LONG_LABOR = "发动机舱深度清洁养护及全车内饰高温蒸汽消毒服务（含空调管路）"
LONG_PART = "原厂全合成机油滤清器总成（适用于1.5T涡轮增压发动机）"
AMOUNT_AT_END = re.compile(r"-?\d+\.\d{2}$")


@pytest.fixture
def receipt_order(app, api, staff_tokens, stores, catalog, member, gold):
    """A gold member's settled order at store 1: a long-named labor line ×2, a long-named part, and a
    wash paid by package card; the rest by points, stored value and cash."""
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    assert api.patch(f"/members/{member['id']}", owner, json={"tier_id": gold["id"]}).status_code == 200
    patched = api.patch(
        f"/stores/{stores[0]}", owner, json={"address": "深圳市南山区科技园南路88号", "phone": "0755-12345678"}
    )
    assert patched.status_code == 200, patched.json
    labor = api.post("/service-items", owner, json={"name": LONG_LABOR, "category": "beauty", "price_fen": 12800})
    part = api.post("/parts", owner, json={"name": LONG_PART, "sku": "P-9", "price_fen": 8000, "stock": 5})
    assert labor.status_code == 201 and part.status_code == 201
    top_up(app, member["id"], 50000)
    give_points(app, member["id"], 2000)
    card_id = sell_card(app, member["id"], {catalog["wash"]: 5})
    order = open_order(
        api,
        cashier,
        stores[0],
        [
            {"service_item_id": labor.json["id"], "quantity": 2},
            {"part_id": part.json["id"], "quantity": 1},
            {"service_item_id": catalog["wash"], "quantity": 1},
        ],
    )
    # Gold: labor 10 % off, parts 5 %: 2 × 11520 + 7600 + 4500 = 35140.
    tenders = [
        {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},
        {"type": "points", "points": 1000},
        {"type": "stored_value", "amount_fen": 20000},
        {"type": "cash", "amount_fen": 35140 - 4500 - 1000 - 20000},
    ]
    settled = settle(api, cashier, order["id"], tenders)
    assert settled.status_code == 200, settled.json
    return {**settled.json, "card_id": card_id}


def _receipt(api, token, order_id, **query):
    return api.get(f"/work-orders/{order_id}/receipt", token, query_string=query)


def test_the_receipt_shows_the_store_car_lines_tenders_and_balances_after(api, staff_tokens, member, receipt_order):
    response = _receipt(api, staff_tokens["cashier"], receipt_order["id"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["store"] == {"name": "南山店", "address": "深圳市南山区科技园南路88号", "phone": "0755-12345678"}
    assert body["plate"] == "粤B·12345" and body["cashier"] == "cashier" and body["number"] == receipt_order["number"]
    labor, part, wash = body["lines"]
    assert (labor["name"], labor["quantity"], labor["gross_fen"], labor["line_total_fen"]) == (
        LONG_LABOR,
        2,
        25600,
        23040,
    )
    assert labor["discounts"] == [{"kind": "tier", "label": "会员折扣", "percent": 10, "amount_fen": 2560, "by": None}]
    assert part["discounts"][0]["amount_fen"] == 400 and labor["technicians"] == []
    assert (body["subtotal_fen"], body["discount_fen"], body["total_fen"]) == (25600 + 8000 + 5000, 3460, 35140)
    assert [(t["type"], t["amount_fen"], t["points"]) for t in body["tenders"]] == [
        ("package_card", 4500, None),
        ("points", 1000, 1000),
        ("stored_value", 20000, None),
        ("cash", 9640, None),
    ]
    earned = receipt_order["points_earned"]
    assert earned == body["points_earned"] > 0
    assert body["balances"]["stored_value_fen"] == 30000 and body["balances"]["points"] == 2000 - 1000 + earned
    [card] = body["balances"]["cards"]
    assert card["card_id"] == receipt_order["card_id"] and card["items"][0]["remaining"] == 4
    assert body["qr"]["text"] == f"pages/work-orders/detail?id={receipt_order['id']}"
    png = base64.b64decode(body["qr"]["png_data_url"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG")
    assert body["member"]["phone"] is None or "****" in body["member"]["phone"]


def test_a_reprint_shows_the_balances_of_the_settlement(app, api, staff_tokens, member, receipt_order):
    first = _receipt(api, staff_tokens["cashier"], receipt_order["id"]).json
    clock.set_now(START + timedelta(hours=2))
    top_up(app, member["id"], 10000)
    give_points(app, member["id"], 500)
    again = _receipt(api, staff_tokens["cashier"], receipt_order["id"]).json
    assert again["balances"] == first["balances"]


def test_the_balances_include_the_settlements_own_entries_written_a_moment_after_it(
    app, api, staff_tokens, stores, catalog, member, monkeypatch
):
    """On a running clock the ledger entries of a settlement are written a moment after its time:
    the receipt shows the balances after them, and still those after a refund."""
    cashier = staff_tokens["cashier"]
    top_up(app, member["id"], 50000)
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    ticks = itertools.count()
    started = clock.now()
    monkeypatch.setattr(clock, "now", lambda: started + timedelta(milliseconds=next(ticks)))
    settled = settle(api, cashier, order["id"], [{"type": "stored_value", "amount_fen": 5000}])
    assert settled.status_code == 200, settled.json
    wallet = api.get(f"/members/{member['id']}/wallet", cashier).json
    first = _receipt(api, cashier, order["id"]).json
    assert first["balances"]["stored_value_fen"] == wallet["balance_fen"] == 45000
    assert first["balances"]["points"] == wallet["points"] == settled.json["points_earned"] > 0
    refunded = api.post(f"/work-orders/{order['id']}/refund", staff_tokens["owner"], json={"reason": "返工"})
    assert refunded.status_code == 200
    assert _receipt(api, cashier, order["id"]).json["balances"] == first["balances"]


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_printed_receipt_fits_the_paper_and_lines_up_its_amounts(api, staff_tokens, receipt_order, paper_mm):
    response = _receipt(api, staff_tokens["cashier"], receipt_order["id"], format="text", width=paper_mm)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    lines = text.rstrip("\n").split("\n")
    columns = COLUMNS[paper_mm]
    assert columns == {58: 32, 80: 48}[paper_mm]
    assert all(text_width(line) <= columns for line in lines), [line for line in lines if text_width(line) > columns]
    amount_lines = [line for line in lines if AMOUNT_AT_END.search(line)]
    # Every amount ends at the last column, so the decimal points stand in one column.
    assert len(amount_lines) >= 10
    assert {text_width(line) for line in amount_lines} == {columns}
    assert {text_width(line) - text_width(line[line.rindex(".") :]) for line in amount_lines} == {columns - 3}
    for expected in ("256.00", "-25.60", "351.40", "96.40", "300.00"):
        assert any(line.endswith(" " + expected) for line in amount_lines), expected
    # The long names are wrapped, whole: no character lost or split at the edge.
    for name in (LONG_LABOR, LONG_PART):
        assert text_width(name) > columns or paper_mm == 80
        start = next(i for i, line in enumerate(lines) if name.startswith(line) and line)
        joined = ""
        for line in lines[start:]:
            joined += line
            if len(joined) >= len(name):
                break
        assert joined == name
    assert "粤B·12345" in text and "南山店" in lines[0]


def test_wrapping_never_splits_a_wide_character_and_yuan_come_from_fen():
    assert wrap("ab中文", 3) == ["ab", "中", "文"]
    assert wrap("机油\n滤芯", 10) == ["机油 滤芯"]
    assert [yuan(fen) for fen in (0, 5, 100, 12345, -5, -12345)] == [
        "0.00",
        "0.05",
        "1.00",
        "123.45",
        "-0.05",
        "-123.45",
    ]


def test_the_member_reads_their_own_receipt_only(api, member, member_login, receipt_order):
    own = api.get(f"/me/work-orders/{receipt_order['id']}/receipt", member["token"])
    assert own.status_code == 200 and own.json["work_order_id"] == receipt_order["id"]
    bob_token, _ = member_login("bob")
    other = api.get(f"/me/work-orders/{receipt_order['id']}/receipt", bob_token)
    assert other.status_code == 404 and error_code(other) == "work_order_not_found"


def test_only_a_paid_order_has_a_receipt_and_the_width_is_58_or_80(api, staff_tokens, stores, catalog, receipt_order):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="粤B99999")
    response = _receipt(api, cashier, order["id"])
    assert response.status_code == 409 and error_code(response) == "work_order_not_settled"
    assert _receipt(api, cashier, receipt_order["id"], format="text", width=70).status_code == 422
    assert _receipt(api, staff_tokens["cashier2"], receipt_order["id"]).status_code == 403


def test_a_walk_in_receipt_invites_to_join_and_a_refunded_one_says_so(api, staff_tokens, stores, catalog):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}], plate="粤B99999")
    assert settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}]).status_code == 200
    refunded = api.post(f"/work-orders/{order['id']}/refund", staff_tokens["owner"], json={"reason": "返工"})
    assert refunded.status_code == 200
    body = _receipt(api, cashier, order["id"]).json
    assert body["member"] is None and body["balances"] is None and body["qr"]["text"] == "pages/index/index"
    text = _receipt(api, cashier, order["id"], format="text", width=58).get_data(as_text=True)
    assert "已退款" in text and "扫码加入会员" in text


def test_the_receipt_shows_hand_made_discounts_with_who_gave_them_and_the_technicians(
    app, api, staff_tokens, stores, catalog
):
    from app.extensions import db
    from app.stores.services import create_staff

    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    with app.app_context():
        create_staff(username="老李", password="password-123", role="technician", store_ids=[stores[0]])
        db.session.commit()
        technician_id = db.session.scalar(db.text("SELECT id FROM staff WHERE username = '老李'"))
    order = open_order(
        api, cashier, stores[0], [{"service_item_id": catalog["oil_change"], "quantity": 1}], plate="粤B66666"
    )
    line_id = order["lines"][0]["id"]
    assigned = api.call(
        "PUT",
        f"/work-orders/{order['id']}/lines/{line_id}/technicians",
        cashier,
        json={"technicians": [{"staff_id": technician_id}]},
    )
    assert assigned.status_code == 200, assigned.json
    line_cut = {"kind": "percent", "value": 5, "reason": "老客户"}
    assert (
        api.call("PUT", f"/work-orders/{order['id']}/lines/{line_id}/discount", cashier, json=line_cut).status_code
        == 200
    )
    order_cut = {"kind": "amount", "value": 2999, "reason": "抹零"}
    discounted = api.call("PUT", f"/work-orders/{order['id']}/discount", owner, json=order_cut)
    assert discounted.status_code == 200, discounted.json
    # 199.99 less 5 % (189.99) less 29.99 off the order: 160.00.
    assert discounted.json["total_fen"] == 16000
    assert settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 16000}]).status_code == 200
    receipt = _receipt(api, cashier, order["id"]).json
    [line] = receipt["lines"]
    assert line["technicians"] == ["老李"]
    assert [(d["kind"], d["percent"], d["amount_fen"], d["by"]) for d in line["discounts"]] == [
        ("manual", 5, 1000, "cashier")
    ]
    assert (receipt["order_discount"]["amount_fen"], receipt["order_discount"]["by"]) == (2999, "owner")
    text = _receipt(api, cashier, order["id"], format="text", width=58).get_data(as_text=True)
    assert "手工折扣 5%(cashier)" in text and "整单折扣(owner)" in text and "技师: 老李" in text
    assert all(text_width(row) <= COLUMNS[58] for row in text.splitlines())
