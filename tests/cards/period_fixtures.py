"""Period-card (月卡/年卡) helpers shared by the period-card tests: a template made by the owner,
a card sold at the counter, an order of the member's car, and the card's ledgers read back."""

from sqlalchemy import func, select

from app.cards.period_models import PeriodCard, PeriodCardDay, PeriodCardUse
from app.extensions import db
from tests.factories import open_order


def make_period_template(api, owner, item_ids, **fields):
    """A monthly wash card by default: 300 yuan, one use a day, bound to a car."""
    body = {
        "name": "洗车月卡",
        "price_fen": 30000,
        "period_kind": "month",
        "daily_cap": 1,
        "service_item_ids": item_ids,
        **fields,
    }
    response = api.post("/period-card-templates", owner, json=body)
    assert response.status_code == 201, response.json
    return response.json


def sell_period_card(api, token, member, template_id, store_id, key="sale-1", **fields):
    body = {"template_id": template_id, "paid_via": "cash", "vehicle_id": member["vehicle_id"], "store_id": store_id}
    body.update(fields)
    response = api.post(f"/members/{member['id']}/period-cards", token, json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.json
    return response.json


def wash_order(api, token, store_id, wash_id, quantity=1):
    return open_order(api, token, store_id, [{"service_item_id": wash_id, "quantity": quantity}])


def period_tender(card_id, item_id):
    return {"type": "period_card", "card_id": card_id, "service_item_id": item_id}


def period_ledger_holds(app, card_id):
    """Assert the card's counters equal the sums of its use ledger; return (net uses, {day: used})."""
    with app.app_context():
        card = db.session.get(PeriodCard, card_id)
        total = db.session.scalar(
            select(func.coalesce(func.sum(PeriodCardUse.delta), 0)).where(PeriodCardUse.card_id == card_id)
        )
        assert card.uses == total
        by_day = dict(
            db.session.execute(
                select(PeriodCardUse.day, func.sum(PeriodCardUse.delta))
                .where(PeriodCardUse.card_id == card_id)
                .group_by(PeriodCardUse.day)
            ).all()
        )
        days = dict(
            db.session.execute(
                select(PeriodCardDay.day, PeriodCardDay.used).where(PeriodCardDay.card_id == card_id)
            ).all()
        )
        assert {day: used for day, used in days.items() if used} == {d: int(n) for d, n in by_day.items() if n}
        for day, used in days.items():
            assert 0 <= used <= card.daily_cap, (day, used)
        return card.uses, days
