"""Refunds reverse every ledger a settlement touched."""

from datetime import datetime, timedelta

import pytest

from app.common import events
from tests.factories import give_coupon, give_points, open_order, sell_card, stamp_card_for, top_up
from tests.helpers import error_code, settle, travel
from tests.ledgers import ledgers, scalar, table_rows


@pytest.fixture
def loaded_member(app, member, catalog):
    """A member holding every instrument, with a stamp card for washes."""
    top_up(app, member["id"], 30000)
    give_points(app, member["id"], 5000)
    stamp_card_for(app, catalog["wash"])
    member["card_id"] = sell_card(app, member["id"], {catalog["oil_change"]: 2})
    member["voucher"] = give_coupon(app, member["id"], kind="item_voucher", service_item_id=catalog["wash"])
    member["cash_off"] = give_coupon(app, member["id"], kind="cash_off", value_fen=1500, threshold_fen=5000)
    return member


def _settle_everything(api, staff_tokens, stores, catalog, member):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [
            {"service_item_id": catalog["wash"], "quantity": 2},  # 10000: a voucher covers one
            {"service_item_id": catalog["oil_change"], "quantity": 1},  # 19999: the package card covers it
            {"part_id": catalog["filter"], "quantity": 2},
        ],
    )  # 16000
    tenders = [
        {"type": "package_card", "card_id": member["card_id"], "service_item_id": catalog["oil_change"]},
        {"type": "coupon", "member_coupon_id": member["voucher"]},
        {"type": "coupon", "member_coupon_id": member["cash_off"]},
        {"type": "points", "points": 2500},
        {"type": "stored_value", "amount_fen": 12000},
        {"type": "cash", "amount_fen": 45999 - 19999 - 5000 - 1500 - 2500 - 12000},
    ]
    response = settle(api, staff_tokens["cashier"], order["id"], tenders)
    assert response.status_code == 200, response.json
    return response.json


def _refund(api, staff_tokens, work_order_id, reason="customer unhappy", key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(
        f"/work-orders/{work_order_id}/refund", staff_tokens["owner"], json={"reason": reason}, headers=headers
    )


def test_refund_restores_every_balance_count_and_stock(app, api, staff_tokens, stores, catalog, loaded_member):
    member = loaded_member
    before = ledgers(app, member["id"])
    seen = []
    handler = lambda **payload: seen.append(payload)  # noqa: E731
    events.subscribe(events.WORK_ORDER_REFUNDED, handler)
    try:
        order = _settle_everything(api, staff_tokens, stores, catalog, member)
        settled = ledgers(app, member["id"])
        assert settled["stamps"] == [(1,)]  # a stamp for the wash paid in money (the voucher's unit earns none)
        assert settled != before
        response = _refund(api, staff_tokens, order["id"])
    finally:
        events._handlers[events.WORK_ORDER_REFUNDED].remove(handler)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "refunded" and body["refund_reason"] == "customer unhappy"
    assert ledgers(app, member["id"]) == before
    assert seen == [
        {
            "work_order_id": order["id"],
            "member_id": member["id"],
            "vehicle_id": order["vehicle_id"],
            "store_id": order["store_id"],
            "settled_at": datetime.fromisoformat(body["settled_at"]),
            "refunded_at": datetime.fromisoformat(body["refunded_at"]),
            "now": datetime.fromisoformat(body["refunded_at"]),
        }
    ]
    # The ledgers were reversed by appending entries, never by editing or deleting them.
    assert (
        scalar(app, "SELECT COUNT(*) FROM wallet_entries WHERE kind = 'reversal' AND ref_id = :o", o=order["id"]) == 1
    )
    assert (
        scalar(app, "SELECT COUNT(*) FROM part_stock_movements WHERE kind = 'refund' AND ref_id = :o", o=order["id"])
        == 1
    )


def test_refund_is_idempotent_and_owner_only(app, api, staff_tokens, stores, catalog, loaded_member):
    order = _settle_everything(api, staff_tokens, stores, catalog, loaded_member)
    cashier = api.post(f"/work-orders/{order['id']}/refund", staff_tokens["cashier"], json={"reason": "x"})
    assert cashier.status_code == 403
    assert _refund(api, staff_tokens, order["id"], key="r1").status_code == 200
    after_first = table_rows(app)
    replay = _refund(api, staff_tokens, order["id"], key="r1")
    again = _refund(api, staff_tokens, order["id"], key="r2")
    assert replay.status_code == again.status_code == 200 and again.json["status"] == "refunded"
    assert table_rows(app, exclude=("idempotency_records",)) == after_first


def test_only_settled_orders_refund(api, staff_tokens, stores, catalog, member):
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    response = _refund(api, staff_tokens, order["id"])
    assert response.status_code == 409 and error_code(response) == "work_order_not_settled"


def test_refund_reverts_visit_statistics_to_the_remaining_visits(app, api, staff_tokens, stores, catalog, member):
    first = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    settle(api, staff_tokens["cashier"], first["id"], [{"type": "cash", "amount_fen": 5000}])
    after_first = ledgers(app, member["id"])["member"]
    travel(api, staff_tokens, timedelta(days=20))
    second = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 2}])
    settle(api, staff_tokens["cashier"], second["id"], [{"type": "cash", "amount_fen": 10000}])
    assert ledgers(app, member["id"])["member"][0][:2] == (2, 15000)
    _refund(api, staff_tokens, second["id"])
    assert ledgers(app, member["id"])["member"] == after_first
    _refund(api, staff_tokens, first["id"])
    assert ledgers(app, member["id"])["member"][0][:4] == (0, 0, None, None)


def test_refund_after_the_earned_points_were_spent(app, api, staff_tokens, stores, catalog, member):
    """The points still there are taken back; the spent rest is recorded as a shortfall; the balance
    never goes below zero and the refund goes through."""
    first = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["oil_change"], "quantity": 1}]
    )
    settle(api, staff_tokens["cashier"], first["id"], [{"type": "cash", "amount_fen": 19999}])
    assert ledgers(app, member["id"])["points"] == [(199,)]
    second = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    settle(
        api,
        staff_tokens["cashier"],
        second["id"],
        [{"type": "points", "points": 150}, {"type": "cash", "amount_fen": 4850}],
    )
    assert ledgers(app, member["id"])["points"] == [(49 + 48,)]  # 199 - 150 + 48 earned on 48.50 yuan
    response = _refund(api, staff_tokens, first["id"])
    assert response.status_code == 200
    points = ledgers(app, member["id"])
    assert points["points"] == [(0,)] and points["points_entries"] == [(0,)]
    assert (
        scalar(
            app,
            "SELECT shortfall FROM points_entries WHERE kind = 'reversal' AND ref_id = :o AND ref_type = 'work_order'",
            o=first["id"],
        )
        == 199 - 97
    )


def test_an_expired_coupon_stays_used_after_a_refund(app, api, staff_tokens, stores, catalog, member):
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=1000, valid_days=3)
    order = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    settle(
        api,
        staff_tokens["cashier"],
        order["id"],
        [{"type": "coupon", "member_coupon_id": coupon_id}, {"type": "cash", "amount_fen": 4000}],
    )
    travel(api, staff_tokens, timedelta(days=10))
    assert _refund(api, staff_tokens, order["id"]).status_code == 200
    assert ledgers(app, member["id"])["coupons"] == [(coupon_id, "used")]


def test_walk_in_refund_returns_stock(app, api, staff_tokens, stores, catalog):
    order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"part_id": catalog["oil"], "quantity": 2}], plate="京A99999"
    )
    settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 60000}])
    assert api.get(f"/parts/{catalog['oil']}", staff_tokens["owner"]).json["stock"] == 3
    assert _refund(api, staff_tokens, order["id"]).status_code == 200
    assert api.get(f"/parts/{catalog['oil']}", staff_tokens["owner"]).json["stock"] == 5
