"""Period cards (月卡/年卡): templates, counter sale, use at settle, reversal, liability.
Everything flushes and never commits.

Rules kept here:
- A template names the service items it covers, a period (a calendar month, a calendar year, or
  N days) and a daily cap (uses per merchant-local day). Templates are money-shaping: owner only,
  and every creation and change is written to the audit log.
- A card copies its template's name, price, items and daily cap at sale. Its period starts at the
  start of the merchant-local day of sale and ends (exclusive) at the start of the same day one
  month / one year later, clamped to that month's last day (sold on 31 January, it ends when
  28 February begins), or after N merchant-local days including the day of sale.
- A per-vehicle template's card is bound to one of the member's cars, and covers only work orders
  of that car; otherwise it covers the member's orders for any car.
- A use takes one unit of a covered labor line. It is refused (and a quote refuses it the same
  way) unless the card is the order member's, active now, covers the item, is for the order's car,
  and today's uses stay within the daily cap. ``use`` holds the cap under concurrency: it first
  moves the card's ``uses`` with a conditional UPDATE (which locks the card row, so a card refund
  and uses are serialised), then the day's row with ``used = used + 1 WHERE used < cap``.
- A refund of the order gives the use back on the day it was taken (idempotent, once per use).
"""

from datetime import date

from sqlalchemy import and_, func, select, update

from app.audit.services import record_change
from app.cards.models import PAID_VIA
from app.cards.period_models import (
    PeriodCard,
    PeriodCardDay,
    PeriodCardItem,
    PeriodCardTemplate,
    PeriodCardTemplateItem,
    PeriodCardUse,
)
from app.catalog.services import service_items_by_id
from app.common import clock
from app.common.db import insert_for
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.members.models import Vehicle
from app.members.services import get_member
from app.merchant.services import merchant_timezone

AUDITED = ("name", "price_fen", "period_kind", "period_days", "daily_cap", "per_vehicle", "is_active")


# --- templates ---------------------------------------------------------------------------------


def _items(item_ids):
    if len(set(item_ids)) != len(item_ids):
        raise Unprocessable("duplicate_items", "Each service item appears once.")
    unknown = sorted(set(item_ids) - set(service_items_by_id(list(set(item_ids)))))
    if unknown:
        raise Unprocessable("service_item_not_found", "Unknown service items.", details={"service_item_ids": unknown})
    return [PeriodCardTemplateItem(service_item_id=item_id) for item_id in item_ids]


def _check_period(template):
    if (template.period_kind == "days") != (template.period_days is not None):
        raise Unprocessable(
            "invalid_card_period", "A period of N days gives period_days; a month or a year gives none.", details={}
        )


def _audit_snapshot(template):
    values = {name: getattr(template, name) for name in AUDITED}
    values["service_item_ids"] = list(template.service_item_ids)
    return values


def list_templates(*, active=None, page=1, per_page=20):
    stmt = select(PeriodCardTemplate).order_by(PeriodCardTemplate.id.desc())
    if active is not None:
        stmt = stmt.where(PeriodCardTemplate.is_active.is_(active))
    return paginate(stmt, page, per_page)


def get_template(template_id) -> PeriodCardTemplate:
    template = db.session.get(PeriodCardTemplate, template_id)
    if template is None:
        raise NotFound("period_card_template_not_found", "No such period-card template.")
    return template


def create_template(*, data, actor=None) -> PeriodCardTemplate:
    """A period-card template: price, period (month, year or N days), daily cap, whether a card is
    bound to a car, and the covered service items (each once). Audited."""
    values = dict(data)
    items = _items(values.pop("service_item_ids"))
    template = PeriodCardTemplate(**values, items=items)
    _check_period(template)
    db.session.add(template)
    db.session.flush()
    record_change(
        actor=actor,
        kind="catalog_price",
        entity_type="period_card_template",
        entity_id=template.id,
        before=None,
        after=_audit_snapshot(template),
    )
    return template


def update_template(*, template_id, changes, actor=None) -> PeriodCardTemplate:
    """Change a template; cards already sold keep what they were sold with. Audited."""
    template = get_template(template_id)
    before = _audit_snapshot(template)
    changes = dict(changes)
    if "service_item_ids" in changes:
        items = _items(changes.pop("service_item_ids"))
        template.items = []
        db.session.flush()
        template.items = items
    if changes.get("period_kind") not in (None, "days") and "period_days" not in changes:
        changes["period_days"] = None
    for name, value in changes.items():
        setattr(template, name, value)
    _check_period(template)
    db.session.flush()
    record_change(
        actor=actor,
        kind="catalog_price",
        entity_type="period_card_template",
        entity_id=template.id,
        before=before,
        after=_audit_snapshot(template),
    )
    return template


# --- the period --------------------------------------------------------------------------------


def period_bounds(*, period_kind, period_days, now, tz_name):
    """[start, end) in UTC of a card sold at ``now``: from the start of the merchant-local day of
    sale to the start of the same day a month / a year later (clamped to that month's last day:
    sold on 31 January, it ends when 28 (29) February begins), or N local days including the day
    of sale."""
    today = clock.local_today(tz_name, now)
    start = clock.local_day_bounds(today, tz_name)[0]
    if period_kind == "days":
        return start, clock.validity_end(period_days, tz_name, now)
    end_day = clock.add_months(today, 1 if period_kind == "month" else 12)
    return start, clock.local_day_bounds(end_day, tz_name)[0]


# --- sale --------------------------------------------------------------------------------------


def _member_vehicle(member_id, vehicle_id):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.member_id != member_id:
        raise NotFound("vehicle_not_found", "No such vehicle of this member.")
    return vehicle


def check_sellable(*, member_id, template_id, vehicle_id=None) -> PeriodCardTemplate:
    """The template is sold (active), and a per-vehicle template names one of the member's cars
    (422 vehicle_required); a template for any car takes no car."""
    get_member(member_id)
    template = get_template(template_id)
    if not template.is_active:
        raise Conflict("period_card_template_inactive", "This period card is no longer sold.")
    if template.per_vehicle:
        if vehicle_id is None:
            raise Unprocessable("vehicle_required", "This card is bound to a car: give vehicle_id.")
        _member_vehicle(member_id, vehicle_id)
    elif vehicle_id is not None:
        raise Unprocessable("vehicle_not_applicable", "This card covers any of the member's cars.")
    return template


def issue_card(*, member_id, template_id, paid_via, vehicle_id=None, actor_key=None, store_id=None, now=None):
    """Issue a card of an active template to a member (and a car), paid ``paid_via``."""
    now = now or clock.now()
    if paid_via not in PAID_VIA:
        raise Unprocessable("invalid_paid_via", f"paid_via is one of {', '.join(PAID_VIA)}.")
    template = check_sellable(member_id=member_id, template_id=template_id, vehicle_id=vehicle_id)
    starts_at, expires_at = period_bounds(
        period_kind=template.period_kind, period_days=template.period_days, now=now, tz_name=merchant_timezone()
    )
    card = PeriodCard(
        member_id=member_id,
        vehicle_id=vehicle_id,
        template_id=template.id,
        name=template.name,
        price_fen=template.price_fen,
        paid_via=paid_via,
        store_id=store_id,
        sold_by=actor_key,
        daily_cap=template.daily_cap,
        uses=0,
        status="active",
        starts_at=starts_at,
        expires_at=expires_at,
        created_at=now,
        items=[PeriodCardItem(service_item_id=item_id) for item_id in template.service_item_ids],
    )
    db.session.add(card)
    db.session.flush()
    return card


def sell_card(*, member_id, template_id, paid_via, vehicle_id=None, actor_key=None, store_id=None, now=None):
    """Sell a period card at the counter (cash, WeChat, Alipay or bank card). The route makes it
    idempotent (Idempotency-Key)."""
    return issue_card(
        member_id=member_id,
        template_id=template_id,
        paid_via=paid_via,
        vehicle_id=vehicle_id,
        actor_key=actor_key,
        store_id=store_id,
        now=now,
    )


def get_card(*, card_id, member_id=None) -> PeriodCard:
    """A period card; 404 period_card_not_found when it is another member's."""
    card = db.session.get(PeriodCard, card_id)
    if card is None or (member_id is not None and card.member_id != member_id):
        raise NotFound("period_card_not_found", "No such period card.")
    return card


# --- use at settle -----------------------------------------------------------------------------


def _today(now):
    return clock.local_today(merchant_timezone(), now)


def _used_on(card_id, day):
    return (
        db.session.scalar(select(PeriodCardDay.used).where(PeriodCardDay.card_id == card_id, PeriodCardDay.day == day))
        or 0
    )


def _cap_reached(card, day, used):
    return Conflict(
        "period_card_daily_cap_reached",
        f"This card may be used {card.daily_cap} times a day.",
        details={"card_id": card.id, "daily_cap": card.daily_cap, "used_today": used, "day": day.isoformat()},
    )


def _usable(card_id, member_id, vehicle_id, service_item_id, now):
    card = get_card(card_id=card_id, member_id=member_id)
    status = card.status_at(now)
    if status != "active":
        raise Conflict(
            "period_card_not_active",
            "This period card cannot be used now.",
            details={"card_id": card.id, "status": status, "expires_at": card.expires_at.isoformat()},
        )
    if card.vehicle_id is not None and card.vehicle_id != vehicle_id:
        raise Unprocessable("period_card_other_vehicle", "This card is for another car.", details={"card_id": card.id})
    if service_item_id not in card.service_item_ids:
        raise Unprocessable(
            "period_card_item_not_covered",
            "This card does not cover that service item.",
            details={"card_id": card.id, "service_item_id": service_item_id},
        )
    return card


def check_usable(*, card_id, member_id, vehicle_id, service_item_ids, now=None) -> None:
    """Whether the card could pay one unit of each of ``service_item_ids`` (a list: an item twice
    is two uses) for an order of ``vehicle_id`` now, refused with the errors ``use`` gives (so a
    quote never values what settling then refuses)."""
    now = now or clock.now()
    card = None
    for service_item_id in service_item_ids:
        card = _usable(card_id, member_id, vehicle_id, service_item_id, now)
    if card is None:
        return
    day = _today(now)
    used = _used_on(card.id, day)
    if used + len(service_item_ids) > card.daily_cap:
        raise _cap_reached(card, day, used)


def use(*, card_id, member_id, vehicle_id, service_item_id, ref_type, ref_id, now=None) -> PeriodCardUse:
    """Take one use of the card for a reference, within today's cap. 404 period_card_not_found,
    409 period_card_not_active, 422 period_card_other_vehicle / period_card_item_not_covered,
    409 period_card_daily_cap_reached (also when a concurrent settle took the last use)."""
    now = now or clock.now()
    card = _usable(card_id, member_id, vehicle_id, service_item_id, now)
    # The card row first (locked until the transaction ends: a refund of the card waits), then the day's.
    taken = db.session.execute(
        update(PeriodCard)
        .where(PeriodCard.id == card.id, PeriodCard.status == "active", PeriodCard.expires_at > now)
        .values(uses=PeriodCard.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise Conflict("period_card_not_active", "This period card cannot be used now.", details={"card_id": card.id})
    day = _today(now)
    db.session.execute(
        insert_for(db.session, PeriodCardDay)
        .values(card_id=card.id, day=day, cap=card.daily_cap, used=0)
        .on_conflict_do_nothing(index_elements=["card_id", "day"])
    )
    counted = db.session.execute(
        update(PeriodCardDay)
        .where(PeriodCardDay.card_id == card.id, PeriodCardDay.day == day, PeriodCardDay.used < PeriodCardDay.cap)
        .values(used=PeriodCardDay.used + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise _cap_reached(card, day, _used_on(card.id, day))
    entry = PeriodCardUse(
        card_id=card.id,
        kind="use",
        delta=1,
        day=day,
        service_item_id=service_item_id,
        ref_type=ref_type,
        ref_id=ref_id,
        created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.expire(card, ["uses"])
    return entry


def reverse_reference(*, ref_type, ref_id, now=None) -> list[PeriodCardUse]:
    """Give back every use a reference took that has not been given back yet, on the day it was
    taken (idempotent: a second call finds nothing). The card's net uses drop by one each."""
    now = now or clock.now()
    reversed_ids = select(PeriodCardUse.reverses_use_id).where(PeriodCardUse.reverses_use_id.is_not(None))
    uses = db.session.scalars(
        select(PeriodCardUse)
        .where(
            PeriodCardUse.kind == "use",
            PeriodCardUse.ref_type == ref_type,
            PeriodCardUse.ref_id == ref_id,
            PeriodCardUse.id.not_in(reversed_ids),
        )
        .order_by(PeriodCardUse.card_id, PeriodCardUse.id)  # row locks in card order, as uses take them
    ).all()
    reversals = []
    for entry in uses:
        db.session.execute(
            update(PeriodCard)
            .where(PeriodCard.id == entry.card_id)
            .values(uses=PeriodCard.uses - 1)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(PeriodCardDay)
            .where(PeriodCardDay.card_id == entry.card_id, PeriodCardDay.day == entry.day)
            .values(used=PeriodCardDay.used - 1)
            .execution_options(synchronize_session=False)
        )
        reversal = PeriodCardUse(
            card_id=entry.card_id,
            kind="reversal",
            delta=-1,
            day=entry.day,
            service_item_id=entry.service_item_id,
            ref_type=ref_type,
            ref_id=ref_id,
            reverses_use_id=entry.id,
            created_at=now,
        )
        db.session.add(reversal)
        reversals.append(reversal)
    db.session.flush()
    for card_id in {entry.card_id for entry in reversals}:
        card = db.session.get(PeriodCard, card_id)
        db.session.expire(card, ["uses"])
    return reversals


# --- reading -----------------------------------------------------------------------------------


def list_member_cards(*, member_id, vehicle_id=None, include_expired=False, now=None) -> list[PeriodCard]:
    """A member's period cards, newest first (optionally those usable for one car: bound to it or
    to no car). Items come with them, no query per card."""
    now = now or clock.now()
    get_member(member_id)
    stmt = select(PeriodCard).where(PeriodCard.member_id == member_id).order_by(PeriodCard.id.desc())
    if not include_expired:
        stmt = stmt.where(PeriodCard.expires_at > now, PeriodCard.status == "active")
    if vehicle_id is not None:
        stmt = stmt.where((PeriodCard.vehicle_id == vehicle_id) | PeriodCard.vehicle_id.is_(None))
    return db.session.scalars(stmt).all()


def describe(cards, now=None) -> list[dict]:
    """Cards as the API shows them: covered items named, today's uses and what is left today
    (one query for the items' names, one for today's counts, one for the plates)."""
    now = now or clock.now()
    if not cards:
        return []
    day = _today(now)
    ids = [card.id for card in cards]
    used = dict(
        db.session.execute(
            select(PeriodCardDay.card_id, PeriodCardDay.used).where(
                PeriodCardDay.card_id.in_(ids), PeriodCardDay.day == day
            )
        ).all()
    )
    names = {
        item.id: item.name
        for item in service_items_by_id(list({i for card in cards for i in card.service_item_ids})).values()
    }
    vehicle_ids = {card.vehicle_id for card in cards if card.vehicle_id is not None}
    plates = (
        dict(db.session.execute(select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(vehicle_ids))).all())
        if vehicle_ids
        else {}
    )
    result = []
    for card in cards:
        used_today = used.get(card.id, 0)
        result.append(
            {
                "id": card.id,
                "member_id": card.member_id,
                "vehicle_id": card.vehicle_id,
                "plate": plates.get(card.vehicle_id),
                "template_id": card.template_id,
                "name": card.name,
                "price_fen": card.price_fen,
                "paid_via": card.paid_via,
                "store_id": card.store_id,
                "status": card.status_at(now),
                "daily_cap": card.daily_cap,
                "used_today": used_today,
                "left_today": max(card.daily_cap - used_today, 0),
                "uses": card.uses,
                "starts_at": card.starts_at,
                "expires_at": card.expires_at,
                "created_at": card.created_at,
                "items": [
                    {"service_item_id": item_id, "name": names.get(item_id)} for item_id in card.service_item_ids
                ],
            }
        )
    return result


def list_uses(*, card_id, member_id=None) -> list[PeriodCardUse]:
    """A card's use ledger, newest first."""
    get_card(card_id=card_id, member_id=member_id)
    return db.session.scalars(
        select(PeriodCardUse).where(PeriodCardUse.card_id == card_id).order_by(PeriodCardUse.id.desc())
    ).all()


# --- liability ---------------------------------------------------------------------------------


def _days(start, end, tz_name):
    return (clock.local_today(tz_name, end) - clock.local_today(tz_name, start)).days


def unearned_fen(*, now=None, store_id=None) -> int:
    """Unearned revenue of period cards (a liability): each active, unrefunded card's price is
    earned straight-line over its merchant-local days, a day's share on that day; what is left is
    price × days after today ÷ days of the period, rounded down to the fen. A card not yet started
    owes its whole price; an expired or refunded one owes nothing."""
    now = now or clock.now()
    tz_name = merchant_timezone()
    today = clock.local_today(tz_name, now)
    stmt = select(PeriodCard.price_fen, PeriodCard.starts_at, PeriodCard.expires_at).where(
        PeriodCard.status == "active", PeriodCard.expires_at > now, PeriodCard.price_fen > 0
    )
    if store_id is not None:
        stmt = stmt.where(PeriodCard.store_id == store_id)
    total = 0
    for price_fen, starts_at, expires_at in db.session.execute(stmt):
        days = _days(starts_at, expires_at, tz_name)
        first_day = clock.local_today(tz_name, starts_at)
        last_day = date.fromordinal(first_day.toordinal() + days - 1)
        left = days if today < first_day else (last_day - today).days
        total += price_fen * max(left, 0) // days
    return total


def sales_summary(*, start, end, store_id=None) -> dict:
    """Period-card sales in [start, end): {paid_via: fen}, refunded cards left out."""
    stmt = (
        select(PeriodCard.paid_via, func.sum(PeriodCard.price_fen))
        .where(and_(PeriodCard.created_at >= start, PeriodCard.created_at < end, PeriodCard.status == "active"))
        .group_by(PeriodCard.paid_via)
    )
    if store_id is not None:
        stmt = stmt.where(PeriodCard.store_id == store_id)
    return {paid_via: int(fen) for paid_via, fen in db.session.execute(stmt).all()}
