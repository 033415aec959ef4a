"""Card fixtures: the coupon fixtures (catalog, members, clock), package-card and stamp-card
templates, and readers of the card ledgers."""

import pytest
from sqlalchemy import func, select

from app.cards import template_services
from app.cards.models import PackageCardEntry, PackageCardItem, StampCard, StampEntry
from app.extensions import db
from tests.coupons.conftest import catalog, fixed_clock, make_template, member_id  # noqa: F401 (fixtures)


@pytest.fixture
def package_template(app, catalog):
    """A card of 3 washes and 1 oil service, valid 30 days, 150 yuan."""
    with app.app_context():
        template_id = template_services.create_package_template(
            data={
                "name": "洗车保养套餐",
                "price_fen": 15000,
                "valid_days": 30,
                "items": [
                    {"service_item_id": catalog["wash"], "count": 3},
                    {"service_item_id": catalog["oil"], "count": 1},
                ],
            }
        ).id
        db.session.commit()
    return template_id


@pytest.fixture
def reward_template(app, catalog):
    return make_template(
        app,
        name="免费洗车",
        kind="item_voucher",
        value_fen=None,
        threshold_fen=None,
        service_item_id=catalog["wash"],
        claimable=False,
        per_member_limit=None,
        valid_days=90,
    )


def make_stamp_template(app, item_ids, reward_template_id, stamps_required=5, valid_days=None):
    with app.app_context():
        template_id = template_services.create_stamp_template(
            data={
                "name": "洗车集章",
                "service_item_ids": item_ids,
                "stamps_required": stamps_required,
                "reward_coupon_template_id": reward_template_id,
                "valid_days": valid_days,
            }
        ).id
        db.session.commit()
    return template_id


def package_ledger_holds(card_id):
    """Every item's remaining equals the sum of its entries and is never negative (in a context)."""
    items = db.session.scalars(
        select(PackageCardItem).where(PackageCardItem.card_id == card_id).execution_options(populate_existing=True)
    ).all()
    for item in items:
        total = db.session.scalar(
            select(func.coalesce(func.sum(PackageCardEntry.delta), 0)).where(PackageCardEntry.card_item_id == item.id)
        )
        assert item.remaining == total >= 0, (item.id, item.remaining, total)
    return {item.service_item_id: item.remaining for item in items}


def stamp_ledger_holds(member_id):
    """Every stamp card's stamps equal the sum of its entries (in a context); returns the cards."""
    cards = db.session.scalars(
        select(StampCard)
        .where(StampCard.member_id == member_id)
        .order_by(StampCard.id)
        .execution_options(populate_existing=True)
    ).all()
    for card in cards:
        total = db.session.scalar(
            select(func.coalesce(func.sum(StampEntry.delta), 0)).where(StampEntry.card_id == card.id)
        )
        assert card.stamps == total, (card.id, card.stamps, total)
    return cards
