"""Stamp cards (集章卡): progress per member and template; the last stamp issues the reward.

Rules kept here:
- ``add_stamps`` gives one stamp per element of ``service_item_ids`` that an active template
  lists (the caller passes an item once per line it wants stamped); every such template counts.
- A member has at most one open card per template (UNIQUE member, template, is_open), locked
  while stamps move. Its validity (template ``valid_days``, merchant-local days including the
  day) starts with its first stamp; an expired open card's stamps lapse when it is next touched.
- The stamp that fills a card completes it: exactly one reward coupon is issued (coupon_issuing.issue,
  source ``stamp_reward``, ref ("stamp_card", card id); UNIQUE reward_coupon_id) and a new card
  opens at once. Stamps beyond the required number roll over to the new card (and may fill it).
- A reference stamps a template once: a replay of the same (member, template, reference) adds
  nothing, and a reference is taken back once.
- ``remove_stamps`` takes a reference's stamps back from the member's progress on the template:
  first from the open card; if that holds too few, the newest completed card whose reward
  coupon is still unused is revoked (the coupon is voided, its stamps return to the open card)
  and the rest is taken from there. A reward already used stays with the member, and the stamps
  that cannot be taken back are forgiven. Stamps that lapsed with an expired card are not taken.
"""

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.cards.models import StampCard, StampCardTemplate, StampCardTemplateItem, StampEntry
from app.common import clock
from app.common.errors import Conflict
from app.coupons import issuing as coupon_issuing
from app.coupons import services as coupons
from app.coupons.template_services import templates_by_id
from app.extensions import db
from app.merchant.services import merchant_timezone

REWARD_SOURCE = "stamp_reward"
OPEN_CARD_ATTEMPTS = 5


def _locked_open_card(member_id, template_id):
    return db.session.scalar(
        select(StampCard)
        .where(StampCard.member_id == member_id, StampCard.template_id == template_id, StampCard.is_open.is_(True))
        # Only the card: its template comes joined in and is only read. Locking the shared template
        # row too made concurrent stamps of one member queue on it in differing orders (deadlocks).
        .with_for_update(of=StampCard)
        .execution_options(populate_existing=True)
    )


def _entry(card, kind, delta, ref_type, ref_id, now):
    db.session.add(
        StampEntry(
            card_id=card.id,
            member_id=card.member_id,
            template_id=card.template_id,
            kind=kind,
            delta=delta,
            ref_type=ref_type,
            ref_id=ref_id,
            created_at=now,
        )
    )


def _close(card, status, now):
    card.status = status
    card.is_open = None
    if status == "completed":
        card.completed_at = now
    # Free the (member, template, open) slot before a new card takes it.
    db.session.flush()


def _new_card(member_id, template, now):
    card = StampCard(
        member_id=member_id,
        template_id=template.id,
        stamps=0,
        stamps_required=template.stamps_required,
        status="active",
        is_open=True,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(card)
            db.session.flush()
    except IntegrityError:
        return None  # a concurrent transaction opened one first
    return card


def _open_card(member_id, template, now):
    """The member's open card of the template, locked; an expired one lapses and a new one opens.
    Under concurrency the open card may change hands (filled and replaced by another
    transaction) between looking and locking, so this looks again a few times."""
    for _ in range(OPEN_CARD_ATTEMPTS):
        card = _locked_open_card(member_id, template.id)
        if card is not None and card.expires_at is not None and card.expires_at <= now:
            if card.stamps:
                _entry(card, "expiry", -card.stamps, None, None, now)
                card.stamps = 0
            _close(card, "expired", now)
            card = None
        card = card or _new_card(member_id, template, now)
        if card is not None:
            return card
    raise Conflict("stamp_card_busy", "The stamp card is changing; try again.")


def _done(member_id, template_id, kind, ref_type, ref_id):
    return (
        db.session.scalar(
            select(StampEntry.id)
            .where(
                StampEntry.member_id == member_id,
                StampEntry.template_id == template_id,
                StampEntry.kind == kind,
                StampEntry.ref_type == ref_type,
                StampEntry.ref_id == ref_id,
            )
            .limit(1)
        )
        is not None
    )


def _complete(card, template, now):
    _close(card, "completed", now)
    coupon = coupon_issuing.issue(
        template_id=template.reward_coupon_template_id,
        member_id=card.member_id,
        source=REWARD_SOURCE,
        ref_type="stamp_card",
        ref_id=card.id,
        now=now,
    )
    card.reward_coupon_id = coupon.id
    db.session.flush()
    return coupon


def add_stamps(*, member_id, service_item_ids, ref_type, ref_id, now=None) -> list:
    """Stamp the member's cards for the qualifying service items of a reference; returns the
    reward coupons issued (one per card filled). A replayed reference adds nothing."""
    now = now or clock.now()
    wanted = list(service_item_ids)
    if not wanted:
        return []
    listing = select(StampCardTemplateItem.template_id).where(StampCardTemplateItem.service_item_id.in_(set(wanted)))
    templates = db.session.scalars(
        select(StampCardTemplate)
        .where(StampCardTemplate.is_active.is_(True), StampCardTemplate.id.in_(listing))
        .order_by(StampCardTemplate.id)
    ).all()
    rewards = []
    for template in templates:
        listed = set(template.service_item_ids)
        count = sum(1 for item_id in wanted if item_id in listed)
        if _done(member_id, template.id, "stamp", ref_type, ref_id):
            continue
        card = _open_card(member_id, template, now)
        while count > 0:
            if card.expires_at is None and template.valid_days is not None:
                card.expires_at = clock.validity_end(template.valid_days, merchant_timezone(), now)
            taken = min(count, card.stamps_required - card.stamps)
            card.stamps += taken
            count -= taken
            _entry(card, "stamp", taken, ref_type, ref_id, now)
            if card.stamps == card.stamps_required:
                rewards.append(_complete(card, template, now))
                card = _open_card(member_id, template, now)
    db.session.flush()
    return rewards


def _revocable_cards(member_id, template_id, stamps_required):
    # Newest first; a card that needed more stamps than the open one cannot fold back into it.
    return db.session.scalars(
        select(StampCard)
        .where(
            StampCard.member_id == member_id,
            StampCard.template_id == template_id,
            StampCard.status == "completed",
            StampCard.stamps_required <= stamps_required,
        )
        .order_by(StampCard.id.desc())
        .with_for_update(of=StampCard)
    ).all()


def _take_back(member_id, template, stamps, ref_type, ref_id, now):
    """Take ``stamps`` off the member's progress (see the module docstring); lock order: the open
    card first (every writer takes it first), then completed cards newest first."""
    card = _open_card(member_id, template, now)
    stamps -= db.session.scalar(  # stamps that lapsed with an expired card are not taken back
        select(func.coalesce(func.sum(StampEntry.delta), 0))
        .join(StampCard, StampCard.id == StampEntry.card_id)
        .where(
            StampEntry.member_id == member_id,
            StampEntry.template_id == template.id,
            StampEntry.kind == "stamp",
            StampEntry.ref_type == ref_type,
            StampEntry.ref_id == ref_id,
            StampCard.status == "expired",
        )
    )
    available, voided = card.stamps, []
    if available < stamps:
        for previous in _revocable_cards(member_id, template.id, card.stamps_required):
            if available >= stamps:
                break
            if not coupons.void(member_coupon_id=previous.reward_coupon_id, ref_type=ref_type, ref_id=ref_id, now=now):
                continue  # the reward was used: it stays, and so do its stamps
            _entry(previous, "revoke", -previous.stamps, ref_type, ref_id, now)
            _entry(card, "carry", previous.stamps, "stamp_card", previous.id, now)
            available += previous.stamps
            previous.stamps = 0
            previous.status = "revoked"
            voided.append(previous.reward_coupon_id)
    removed = min(stamps, available)
    card.stamps = available - removed
    _entry(card, "removal", -removed, ref_type, ref_id, now)
    db.session.flush()
    return {"template_id": template.id, "removed": removed, "forgiven": stamps - removed, "voided_coupon_ids": voided}


def remove_stamps(*, ref_type, ref_id, now=None) -> list[dict]:
    """Take back the stamps a reference gave (idempotent). Returns, per template touched,
    {"template_id", "removed", "forgiven", "voided_coupon_ids"}."""
    now = now or clock.now()
    given = defaultdict(int)
    for entry in db.session.scalars(
        select(StampEntry).where(
            StampEntry.kind == "stamp", StampEntry.ref_type == ref_type, StampEntry.ref_id == ref_id
        )
    ):
        given[(entry.member_id, entry.template_id)] += entry.delta
    results = []
    for (member_id, template_id), stamps in sorted(given.items()):
        if _done(member_id, template_id, "removal", ref_type, ref_id):
            continue
        template = db.session.get(StampCardTemplate, template_id)
        results.append(_take_back(member_id, template, stamps, ref_type, ref_id, now))
    return results


def list_open_cards(*, member_id, now=None) -> list[dict]:
    """The member's open stamp cards with their template and reward (a fixed number of queries)."""
    now = now or clock.now()
    cards = db.session.scalars(
        select(StampCard)
        .where(StampCard.member_id == member_id, StampCard.is_open.is_(True))
        .order_by(StampCard.template_id)
    ).all()
    rewards = templates_by_id([card.template.reward_coupon_template_id for card in cards])
    return [
        {
            "id": card.id,
            "template_id": card.template_id,
            "name": card.template.name,
            "description": card.template.description,
            "stamps": card.stamps,
            "stamps_required": card.stamps_required,
            "service_item_ids": card.template.service_item_ids,
            "status": "expired" if card.expires_at is not None and card.expires_at <= now else "active",
            "expires_at": card.expires_at,
            "reward": {
                "coupon_template_id": card.template.reward_coupon_template_id,
                "name": rewards[card.template.reward_coupon_template_id].name,
            },
        }
        for card in cards
    ]
