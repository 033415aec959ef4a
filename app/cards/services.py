"""Package cards (套餐卡): sale, redemption, reversal, expiry; and the stamp-card functions other
domains call (re-exported from ``stamp_services``). Everything flushes and never commits.

Rules kept here:
- A card copies its template's name, price and items at sale; it is valid for the template's
  ``valid_days`` merchant-local days including the day of sale (``expires_at`` is exclusive).
- Each item's ``remaining`` equals the sum of its entries (sale +count, redeem -1, reversal +1,
  expiry -remaining) and never goes below zero: a redemption is a conditional UPDATE
  ``remaining = remaining - 1 WHERE remaining >= 1`` checked by its row count, so 20 concurrent
  redemptions of an item with 3 left give exactly 3 (SQLite serialises writers; PostgreSQL
  re-checks the condition after the row lock).
- A reversal returns exactly the units a reference redeemed, once each (UNIQUE reverses_entry_id).
  Units returned to a card the expiry job has already closed expire again at once.
- Expired cards cannot be redeemed (409 card_expired); ``expire_package_cards`` writes the
  expiry entries, once per card (a conditional UPDATE of ``expired_at``).
"""

from sqlalchemy import func, select, update

from app.cards import period_services, stamp_services
from app.cards.models import PAID_VIA, PackageCard, PackageCardEntry, PackageCardItem
from app.cards.period_models import PeriodCard
from app.cards.template_services import get_package_template
from app.catalog.services import service_items_by_id
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.members.services import get_member
from app.merchant.services import merchant_timezone

add_stamps = stamp_services.add_stamps
remove_stamps = stamp_services.remove_stamps
SALE_REF = "package_card_sale"


def sell_package_card(*, member_id, template_id, paid_via, actor_key=None, store_id=None, now=None) -> PackageCard:
    """Sell a card of an active template to a member, paid at the counter (cash, WeChat, Alipay or
    bank card). The route makes it idempotent (Idempotency-Key)."""
    now = now or clock.now()
    if paid_via not in PAID_VIA:
        raise Unprocessable("invalid_paid_via", f"paid_via is one of {', '.join(PAID_VIA)}.")
    get_member(member_id)
    template = get_package_template(template_id)
    if not template.is_active:
        raise Conflict("package_card_template_inactive", "This package card is no longer sold.")
    card = PackageCard(
        member_id=member_id,
        template_id=template.id,
        name=template.name,
        price_fen=template.price_fen,
        paid_via=paid_via,
        store_id=store_id,
        sold_by=actor_key,
        created_at=now,
        expires_at=clock.validity_end(template.valid_days, merchant_timezone(), now),
        items=[
            PackageCardItem(service_item_id=item.service_item_id, initial_count=item.count, remaining=item.count)
            for item in template.items
        ],
    )
    db.session.add(card)
    db.session.flush()
    for item in card.items:
        db.session.add(
            PackageCardEntry(
                card_id=card.id,
                card_item_id=item.id,
                kind="sale",
                delta=item.initial_count,
                ref_type=SALE_REF,
                ref_id=card.id,
                created_at=now,
            )
        )
    db.session.flush()
    return card


def get_card(*, card_id, member_id=None) -> PackageCard:
    """A package card; 404 card_not_found when it is another member's."""
    card = db.session.get(PackageCard, card_id)
    if card is None or (member_id is not None and card.member_id != member_id):
        raise NotFound("card_not_found", "No such package card.")
    return card


def _usable_card(card_id, member_id, now):
    card = get_card(card_id=card_id, member_id=member_id)
    if card.expires_at <= now:
        raise Conflict(
            "card_expired", "This package card has expired.", details={"expires_at": card.expires_at.isoformat()}
        )
    return card


def _card_item(card, service_item_id):
    item = db.session.execute(
        select(PackageCardItem.id, PackageCardItem.remaining).where(
            PackageCardItem.card_id == card.id, PackageCardItem.service_item_id == service_item_id
        )
    ).first()
    if item is None:
        raise Unprocessable(
            "card_item_not_on_card",
            "This card does not cover that service item.",
            details={"service_item_id": service_item_id},
        )
    return item


def _empty(service_item_id):
    return Conflict(
        "card_item_empty",
        "No units of this service item are left on the card.",
        details={"service_item_id": service_item_id},
    )


def check_redeemable(*, card_id, member_id, service_item_id, units=1, now=None) -> None:
    """Whether ``units`` of a service item could be taken off the member's card now, refused with
    the errors ``redeem_item`` gives (so a quote never values what settling then refuses)."""
    card = _usable_card(card_id, member_id, now or clock.now())
    if _card_item(card, service_item_id).remaining < units:
        raise _empty(service_item_id)


def redeem_item(*, card_id, member_id, service_item_id, ref_type, ref_id, now=None) -> PackageCardEntry:
    """Take one unit of a service item off the member's card for a reference. 404 card_not_found
    (unknown or another member's), 409 card_expired, 422 card_item_not_on_card, 409 card_item_empty."""
    now = now or clock.now()
    card = _usable_card(card_id, member_id, now)
    item_id = _card_item(card, service_item_id).id
    taken = db.session.execute(
        update(PackageCardItem)
        .where(PackageCardItem.id == item_id, PackageCardItem.remaining >= 1)
        .values(remaining=PackageCardItem.remaining - 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise _empty(service_item_id)
    entry = PackageCardEntry(
        card_id=card.id, card_item_id=item_id, kind="redeem", delta=-1, ref_type=ref_type, ref_id=ref_id, created_at=now
    )
    db.session.add(entry)
    db.session.flush()
    _refresh_items(card)
    return entry


def _refresh_items(card):
    # The counts moved by UPDATE statements: reload them on next access.
    for item in card.items:
        db.session.expire(item, ["remaining"])


def _add_units(item_id, units):
    db.session.execute(
        update(PackageCardItem)
        .where(PackageCardItem.id == item_id)
        .values(remaining=PackageCardItem.remaining + units)
        .execution_options(synchronize_session=False)
    )


def reverse_reference(*, ref_type, ref_id, now=None) -> list[PackageCardEntry]:
    """Return every unit a reference redeemed that has not been returned yet (idempotent: a second
    call finds nothing to return). A unit returned to a card already closed by the expiry job
    expires again at once, so expired cards keep zero units."""
    now = now or clock.now()
    reversed_ids = select(PackageCardEntry.reverses_entry_id).where(PackageCardEntry.reverses_entry_id.is_not(None))
    redemptions = db.session.scalars(
        select(PackageCardEntry)
        .where(
            PackageCardEntry.kind == "redeem",
            PackageCardEntry.ref_type == ref_type,
            PackageCardEntry.ref_id == ref_id,
            PackageCardEntry.id.not_in(reversed_ids),
        )
        .order_by(PackageCardEntry.card_item_id, PackageCardEntry.id)  # row locks in primary-key order
    ).all()
    reversals = []
    for redemption in redemptions:
        _add_units(redemption.card_item_id, 1)
        reversal = PackageCardEntry(
            card_id=redemption.card_id,
            card_item_id=redemption.card_item_id,
            kind="reversal",
            delta=1,
            ref_type=ref_type,
            ref_id=ref_id,
            reverses_entry_id=redemption.id,
            created_at=now,
        )
        db.session.add(reversal)
        reversals.append(reversal)
        card = db.session.get(PackageCard, redemption.card_id)
        if card.expired_at is not None:
            _add_units(redemption.card_item_id, -1)
            db.session.add(
                PackageCardEntry(
                    card_id=card.id,
                    card_item_id=redemption.card_item_id,
                    kind="expiry",
                    delta=-1,
                    ref_type=ref_type,
                    ref_id=ref_id,
                    created_at=now,
                )
            )
    db.session.flush()
    for card_id in {entry.card_id for entry in reversals}:
        _refresh_items(db.session.get(PackageCard, card_id))
    return reversals


def expire_package_cards(*, now=None) -> int:
    """For the scheduler: close every card past its ``expires_at`` — its remaining units are
    written off with expiry entries. Each card is closed once (safe to rerun). Returns how many."""
    now = now or clock.now()
    due = db.session.scalars(
        select(PackageCard.id)
        .where(PackageCard.expires_at <= now, PackageCard.expired_at.is_(None))
        .order_by(PackageCard.id)
    ).all()
    closed = 0
    for card_id in due:
        claimed = db.session.execute(
            update(PackageCard)
            .where(PackageCard.id == card_id, PackageCard.expired_at.is_(None))
            .values(expired_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        items = db.session.scalars(
            select(PackageCardItem)
            .where(PackageCardItem.card_id == card_id)
            .order_by(PackageCardItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        for item in items:
            if item.remaining > 0:
                db.session.add(
                    PackageCardEntry(
                        card_id=card_id,
                        card_item_id=item.id,
                        kind="expiry",
                        delta=-item.remaining,
                        ref_type="package_card_expiry",
                        ref_id=card_id,
                        created_at=now,
                    )
                )
                item.remaining = 0
        closed += 1
    db.session.flush()
    return closed


def list_member_cards(*, member_id, include_expired=False, now=None) -> list[PackageCard]:
    """A member's package cards, newest first (items loaded with them, no query per card)."""
    now = now or clock.now()
    stmt = select(PackageCard).where(PackageCard.member_id == member_id).order_by(PackageCard.id.desc())
    if not include_expired:
        stmt = stmt.where(PackageCard.expires_at > now)
    return db.session.scalars(stmt).all()


def describe(cards, now=None) -> list[dict]:
    """Cards as the API shows them, items named (one query for all the cards' service items)."""
    now = now or clock.now()
    names = {
        item.id: item.name
        for item in service_items_by_id(list({item.service_item_id for card in cards for item in card.items})).values()
    }
    return [
        {
            "id": card.id,
            "member_id": card.member_id,
            "template_id": card.template_id,
            "name": card.name,
            "price_fen": card.price_fen,
            "paid_via": card.paid_via,
            "store_id": card.store_id,
            "status": card.status_at(now),
            "expires_at": card.expires_at,
            "created_at": card.created_at,
            "items": [
                {
                    "service_item_id": item.service_item_id,
                    "name": names.get(item.service_item_id),
                    "initial_count": item.initial_count,
                    "remaining": item.remaining,
                }
                for item in card.items
            ],
        }
        for card in cards
    ]


def member_cards(*, member_id, include_expired=False, now=None) -> dict:
    """What GET /me/cards shows: package cards with remaining counts, period cards with today's
    uses, open stamp cards."""
    now = now or clock.now()
    get_member(member_id)
    return {
        "package_cards": describe(
            list_member_cards(member_id=member_id, include_expired=include_expired, now=now), now
        ),
        "period_cards": period_services.describe(
            period_services.list_member_cards(member_id=member_id, include_expired=include_expired, now=now), now
        ),
        "stamp_cards": stamp_services.list_open_cards(member_id=member_id, now=now),
    }


def list_entries(*, card_id, member_id=None) -> list[PackageCardEntry]:
    get_card(card_id=card_id, member_id=member_id)
    return db.session.scalars(
        select(PackageCardEntry).where(PackageCardEntry.card_id == card_id).order_by(PackageCardEntry.id.desc())
    ).all()


def outstanding_items(*, now=None, store_id=None) -> int:
    """Package-card units still owed to members: remaining counts on unexpired cards (optionally
    of cards sold at one store). A liability for the owner's stats."""
    now = now or clock.now()
    stmt = (
        select(func.coalesce(func.sum(PackageCardItem.remaining), 0))
        .join(PackageCard, PackageCard.id == PackageCardItem.card_id)
        .where(PackageCard.expires_at > now)
    )
    if store_id is not None:
        stmt = stmt.where(PackageCard.store_id == store_id)
    return db.session.scalar(stmt)


def sales_summary(*, start, end, store_id=None) -> dict:
    """Package-card sales in [start, end): {paid_via: fen} (revenue for the owner's stats), refunded
    cards left out, as period cards' (a card refunded in the mini-program was never a sale)."""
    stmt = (
        select(PackageCard.paid_via, func.sum(PackageCard.price_fen))
        .where(PackageCard.created_at >= start, PackageCard.created_at < end, PackageCard.refunded_at.is_(None))
        .group_by(PackageCard.paid_via)
    )
    if store_id is not None:
        stmt = stmt.where(PackageCard.store_id == store_id)
    return dict(db.session.execute(stmt).all())


def till_sales(*, store_id, start, end) -> list[tuple]:
    """Package cards and period cards (月卡/年卡) sold at ``store_id`` in [start, end), for the till:
    rows of (sold_by actor key, paid_via, count, price fen summed)."""
    rows = []
    for model in (PackageCard, PeriodCard):
        rows += db.session.execute(
            select(model.sold_by, model.paid_via, func.count(), func.sum(model.price_fen))
            .where(model.store_id == store_id, model.created_at >= start, model.created_at < end)
            .group_by(model.sold_by, model.paid_via)
        ).all()
    return rows


def remaining_after(*, card_ids, at) -> list[dict]:
    """What was left on each card right after ``at`` (the sum of its entries up to then):
    [{"card_id", "name", "items": [{"service_item_id", "name", "remaining"}]}] in card-id order."""
    if not card_ids:
        return []
    cards = db.session.scalars(select(PackageCard).where(PackageCard.id.in_(card_ids)).order_by(PackageCard.id)).all()
    sums = dict(
        db.session.execute(
            select(PackageCardEntry.card_item_id, func.sum(PackageCardEntry.delta))
            .where(PackageCardEntry.card_id.in_(card_ids), PackageCardEntry.created_at <= at)
            .group_by(PackageCardEntry.card_item_id)
        ).all()
    )
    names = service_items_by_id({item.service_item_id for card in cards for item in card.items})
    return [
        {
            "card_id": card.id,
            "name": card.name,
            "items": [
                {
                    "service_item_id": item.service_item_id,
                    "name": names[item.service_item_id].name if item.service_item_id in names else None,
                    "remaining": int(sums.get(item.id, 0)),
                }
                for item in card.items
            ],
        }
        for card in cards
    ]
