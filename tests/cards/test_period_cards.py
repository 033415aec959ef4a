"""Period cards (月卡/年卡): templates (owner, audited), counter sale, the period in merchant time,
use at settle within the daily cap, the order refund giving the use back, the liability."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.cards import period_services
from app.common import clock
from app.extensions import db
from tests.cards.period_fixtures import (
    make_period_template,
    period_ledger_holds,
    period_tender,
    sell_period_card,
    wash_order,
)
from tests.counter_fixtures import START, catalog, fixed_clock, member  # noqa: F401  (fixtures)
from tests.helpers import error_code, login_staff, settle

TZ = "Asia/Shanghai"


@pytest.fixture
def card(api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    return sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])


def test_only_the_owner_shapes_templates_and_every_change_is_audited(app, api, staff_tokens, catalog):  # noqa: F811
    body = {
        "name": "月卡",
        "price_fen": 1,
        "period_kind": "month",
        "daily_cap": 1,
        "service_item_ids": [catalog["wash"]],
    }
    assert api.post("/period-card-templates", staff_tokens["marketing"], json=body).status_code == 403
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    assert (template["period_kind"], template["period_days"], template["per_vehicle"]) == ("month", None, True)
    changed = api.patch(
        f"/period-card-templates/{template['id']}",
        staff_tokens["owner"],
        json={"price_fen": 36000, "period_kind": "days", "period_days": 90, "daily_cap": 2},
    )
    assert changed.status_code == 200, changed.json
    assert (
        api.patch(
            f"/period-card-templates/{template['id']}", staff_tokens["marketing"], json={"price_fen": 1}
        ).status_code
        == 403
    )
    bad = api.patch(f"/period-card-templates/{template['id']}", staff_tokens["owner"], json={"period_days": None})
    assert (bad.status_code, error_code(bad)) == (422, "invalid_card_period")
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "period_card_template").order_by(AuditEntry.id)
        ).all()
        assert [e.kind for e in entries] == ["catalog_price", "catalog_price"]
        assert entries[1].before == {"price_fen": 30000, "period_kind": "month", "period_days": None, "daily_cap": 1}
        assert entries[1].after == {"price_fen": 36000, "period_kind": "days", "period_days": 90, "daily_cap": 2}


def test_a_per_car_card_needs_one_of_the_members_cars(api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    path = f"/members/{member['id']}/period-cards"
    body = {"template_id": template["id"], "paid_via": "cash", "store_id": stores[0]}
    missing = api.post(path, staff_tokens["cashier"], json=body, headers={"Idempotency-Key": "a"})
    assert (missing.status_code, error_code(missing)) == (422, "vehicle_required")
    other = api.post(path, staff_tokens["cashier"], json={**body, "vehicle_id": 999}, headers={"Idempotency-Key": "b"})
    assert (other.status_code, error_code(other)) == (404, "vehicle_not_found")


def test_the_counter_sells_a_month_in_merchant_days(api, staff_tokens, card, member):  # noqa: F811
    # Sold 2026-03-02 10:00 in Shanghai: from that day's start to the start of 2 April.
    assert card["starts_at"] == "2026-03-01T16:00:00+00:00"
    assert card["expires_at"] == "2026-04-01T16:00:00+00:00"
    assert (card["status"], card["daily_cap"], card["used_today"], card["left_today"]) == ("active", 1, 0, 1)
    assert card["plate"] == member["plate"]
    listed = api.get(f"/members/{member['id']}/period-cards", staff_tokens["cashier"]).json["items"]
    assert [c["id"] for c in listed] == [card["id"]]
    assert [c["id"] for c in api.get("/me/cards", member["token"]).json["period_cards"]] == [card["id"]]
    for_car = api.get(
        f"/members/{member['id']}/period-cards?vehicle_id={member['vehicle_id']}", staff_tokens["cashier"]
    )
    assert [c["id"] for c in for_car.json["items"]] == [card["id"]], for_car.json
    other = api.get(
        f"/members/{member['id']}/period-cards?vehicle_id={member['vehicle_id'] + 100}", staff_tokens["cashier"]
    )
    assert other.json["items"] == []


@pytest.mark.parametrize(
    ("sold_local", "kind", "days", "start_day", "end_day"),
    [
        (datetime(2026, 1, 31, 9), "month", None, date(2026, 1, 31), date(2026, 2, 28)),
        (datetime(2028, 1, 31, 9), "month", None, date(2028, 1, 31), date(2028, 2, 29)),
        (datetime(2026, 12, 15, 23, 59), "month", None, date(2026, 12, 15), date(2027, 1, 15)),
        (datetime(2028, 2, 29, 0, 0), "year", None, date(2028, 2, 29), date(2029, 2, 28)),
        (datetime(2026, 3, 10, 0, 30), "days", 30, date(2026, 3, 10), date(2026, 4, 9)),
        (datetime(2026, 3, 10, 23, 30), "days", 1, date(2026, 3, 10), date(2026, 3, 11)),
    ],
)
def test_period_bounds_are_merchant_days(sold_local, kind, days, start_day, end_day):
    now = sold_local.replace(tzinfo=clock.zone(TZ)).astimezone(UTC)
    start, end = period_services.period_bounds(period_kind=kind, period_days=days, now=now, tz_name=TZ)
    assert start == clock.local_day_bounds(start_day, TZ)[0]
    assert end == clock.local_day_bounds(end_day, TZ)[0]  # exclusive: the card ends as end_day begins


def test_the_quote_values_the_unit_and_settle_takes_a_use_within_the_daily_cap(
    app,
    api,
    staff_tokens,
    stores,
    catalog,
    card,
    member,  # noqa: F811
):
    cashier = staff_tokens["cashier"]
    first = wash_order(api, cashier, stores[0], catalog["wash"])
    tenders = [period_tender(card["id"], catalog["wash"])]
    quote = api.post(f"/work-orders/{first['id']}/quote", cashier, json={"tenders": tenders})
    assert quote.status_code == 200, quote.json
    [value] = quote.json["tenders"]
    assert (value["type"], value["amount_fen"], value["card_id"], value["service_item_id"]) == (
        "period_card",
        5000,
        card["id"],
        catalog["wash"],
    )
    assert value["line_id"] == first["lines"][0]["id"] and quote.json["remaining_fen"] == 0
    settled = settle(api, cashier, first["id"], tenders)
    assert settled.status_code == 200, settled.json
    assert settled.json["paid_fen"] == 0 and settled.json["points_earned"] == 0
    after = api.get(f"/members/{member['id']}/period-cards", cashier).json["items"][0]
    assert (after["used_today"], after["left_today"], after["uses"]) == (1, 0, 1)

    second = wash_order(api, cashier, stores[0], catalog["wash"])
    refused = api.post(f"/work-orders/{second['id']}/quote", cashier, json={"tenders": tenders})
    assert (refused.status_code, error_code(refused)) == (409, "period_card_daily_cap_reached")
    refused = settle(api, cashier, second["id"], tenders)
    assert (refused.status_code, error_code(refused)) == (409, "period_card_daily_cap_reached")
    # The merchant's next day starts at 16:00 UTC.
    clock.set_now(datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))
    assert error_code(settle(api, cashier, second["id"], tenders)) == "period_card_daily_cap_reached"
    clock.set_now(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    assert settle(api, cashier, second["id"], tenders).status_code == 200
    uses, days = period_ledger_holds(app, card["id"])
    assert uses == 2 and days == {date(2026, 3, 2): 1, date(2026, 3, 3): 1}


def test_two_units_need_two_uses_of_the_cap(api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]], daily_cap=2)
    card = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])
    order = wash_order(api, staff_tokens["cashier"], stores[0], catalog["wash"], quantity=3)
    tenders = [period_tender(card["id"], catalog["wash"])] * 3
    refused = api.post(f"/work-orders/{order['id']}/quote", staff_tokens["cashier"], json={"tenders": tenders})
    assert (refused.status_code, error_code(refused)) == (409, "period_card_daily_cap_reached")
    tenders = tenders[:2] + [{"type": "cash", "amount_fen": 5000}]
    assert settle(api, staff_tokens["cashier"], order["id"], tenders).status_code == 200


def test_a_card_covers_its_items_its_car_and_its_period_only(
    api,
    staff_tokens,
    stores,
    catalog,
    card,
    member,  # noqa: F811
):
    cashier = staff_tokens["cashier"]
    oil = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": member["plate"], "lines": [{"service_item_id": catalog["oil_change"]}]},
    ).json
    refused = api.post(
        f"/work-orders/{oil['id']}/quote", cashier, json={"tenders": [period_tender(card["id"], catalog["oil_change"])]}
    )
    assert (refused.status_code, error_code(refused)) == (422, "period_card_item_not_covered")
    other_car = api.post("/me/vehicles", member["token"], json={"plate": "粤B99999"}).json
    order = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": other_car["plate"], "lines": [{"service_item_id": catalog["wash"]}]},
    ).json
    refused = api.post(
        f"/work-orders/{order['id']}/quote", cashier, json={"tenders": [period_tender(card["id"], catalog["wash"])]}
    )
    assert (refused.status_code, error_code(refused)) == (422, "period_card_other_vehicle")
    order = wash_order(api, cashier, stores[0], catalog["wash"])
    clock.set_now(datetime(2026, 4, 1, 16, 0, tzinfo=UTC))  # 2 April begins in Shanghai
    cashier = login_staff(api, "cashier")  # a token lives a week
    refused = settle(api, cashier, order["id"], [period_tender(card["id"], catalog["wash"])])
    assert (refused.status_code, error_code(refused)) == (409, "period_card_not_active")


def test_refunding_the_order_gives_the_use_back_on_its_day(app, api, staff_tokens, stores, catalog, card):  # noqa: F811
    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    tenders = [period_tender(card["id"], catalog["wash"])]
    order = wash_order(api, cashier, stores[0], catalog["wash"])
    assert settle(api, cashier, order["id"], tenders).status_code == 200
    refund = api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "客户取消"})
    assert refund.status_code == 200, refund.json
    assert api.post(f"/work-orders/{order['id']}/refund", owner, json={"reason": "again"}).status_code == 200
    assert period_ledger_holds(app, card["id"]) == (0, {date(2026, 3, 2): 0})
    uses = api.get(f"/period-cards/{card['id']}/uses", cashier).json["items"]
    assert [(u["kind"], u["delta"], u["day"]) for u in uses] == [
        ("reversal", -1, "2026-03-02"),
        ("use", 1, "2026-03-02"),
    ]
    again = wash_order(api, cashier, stores[0], catalog["wash"])
    assert settle(api, cashier, again["id"], tenders).status_code == 200
    assert period_ledger_holds(app, card["id"]) == (1, {date(2026, 3, 2): 1})


def test_unearned_revenue_is_straight_line_over_the_merchants_days(app, api, staff_tokens, card):
    def unearned():
        overview = api.get("/stats/overview", staff_tokens["owner"])
        assert overview.status_code == 200, overview.json
        return overview.json["liabilities"]["period_cards_unearned_fen"]

    # 31 days (2 March to 1 April); on the day of sale that day's share is earned.
    assert unearned() == 30000 * 30 // 31
    with app.app_context():
        last_minute_of_16_march = datetime(2026, 3, 16, 15, 59, tzinfo=UTC)
        assert period_services.unearned_fen(now=last_minute_of_16_march) == 30000 * 16 // 31
        assert period_services.unearned_fen(now=datetime(2026, 4, 1, 15, 59, tzinfo=UTC)) == 0  # the last day
        assert period_services.unearned_fen(now=datetime(2026, 4, 1, 16, 0, tzinfo=UTC)) == 0  # expired
        before = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # the evening before the period starts
        assert period_services.unearned_fen(now=before) == 30000


def test_the_till_counts_period_cards_sold_at_the_counter(api, staff_tokens, stores, card):
    till = api.get(f"/stores/{stores[0]}/till", staff_tokens["owner"])
    assert till.status_code == 200, till.json
    sales = till.json["store"]["card_sales"]
    assert (sales["count"], sales["by_paid_via_fen"]["cash"]) == (1, 30000)
    assert till.json["store"]["cash_expected_fen"] == 30000


def test_a_sale_replayed_with_its_key_sells_one_card(api, staff_tokens, stores, catalog, member):  # noqa: F811
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]])
    first = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0], key="k")
    again = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0], key="k")
    assert first["id"] == again["id"]
    assert len(api.get(f"/members/{member['id']}/period-cards", staff_tokens["cashier"]).json["items"]) == 1


def test_sold_before_midnight_counts_that_merchant_day(api, staff_tokens, stores, catalog, member):  # noqa: F811
    clock.set_now(START.replace(hour=15, minute=59))  # 23:59 on 2 March in Shanghai
    template = make_period_template(api, staff_tokens["owner"], [catalog["wash"]], period_kind="days", period_days=1)
    card = sell_period_card(api, staff_tokens["cashier"], member, template["id"], stores[0])
    assert card["expires_at"] == "2026-03-02T16:00:00+00:00"
    clock.set_now(START.replace(hour=16) + timedelta(seconds=0))
    assert api.get(f"/members/{member['id']}/period-cards", staff_tokens["cashier"]).json["items"] == []
