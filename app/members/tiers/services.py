"""Tiers (会员等级) and tags: the back office's definitions and their assignment to members."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record_change, snapshot
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.members.models import MemberTag, Tag
from app.members.services import get_member
from app.members.tiers.models import Tier
from app.merchant.services import get_settings


def _unique_flush(code, message):
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(code, message)


def list_tiers():
    return db.session.scalars(select(Tier).order_by(Tier.rank)).all()


def get_tier(tier_id) -> Tier:
    tier = db.session.get(Tier, tier_id)
    if tier is None:
        raise NotFound("tier_not_found", "No such tier.")
    return tier


TIER_FIELDS = (
    "name",
    "rank",
    "labor_discount_percent",
    "parts_discount_percent",
    "points_multiplier",
    "min_spend_12m_fen",
    "care_note",
    "counter_assignable",
)


def _check_discount_limits(labor, parts):
    """A tier's discounts stay within the owner's bounds in the merchant settings."""
    settings = get_settings()
    for field, value, limit_name in (
        ("labor_discount_percent", labor, "tier_labor_discount_max_percent"),
        ("parts_discount_percent", parts, "tier_parts_discount_max_percent"),
    ):
        limit = getattr(settings, limit_name)
        if value > limit:
            raise Unprocessable(
                "tier_discount_over_limit",
                f"{field} is at most {limit} ({limit_name} in the settings).",
                details={"field": field, "value": value, limit_name: limit},
            )


def create_tier(*, data, actor=None) -> Tier:
    """Create a tier; names and ranks are unique, discounts within the owner's limits (422
    ``tier_discount_over_limit``). Audited (kind "tier")."""
    _check_discount_limits(data.get("labor_discount_percent", 0), data.get("parts_discount_percent", 0))
    tier = Tier(**data)
    db.session.add(tier)
    _unique_flush("tier_exists", "A tier with this name or rank exists.")
    record_change(
        actor=actor, kind="tier", entity_type="tier", entity_id=tier.id, before=None, after=snapshot(tier, TIER_FIELDS)
    )
    return tier


def update_tier(*, tier_id, changes, actor=None) -> Tier:
    """Change a tier; a changed discount must be within the owner's limits (existing discounts
    above a later-lowered limit stay until changed). Audited (kind "tier")."""
    tier = get_tier(tier_id)
    if "labor_discount_percent" in changes or "parts_discount_percent" in changes:
        _check_discount_limits(changes.get("labor_discount_percent", 0), changes.get("parts_discount_percent", 0))
    before = snapshot(tier, changes)
    for name, value in changes.items():
        setattr(tier, name, value)
    _unique_flush("tier_exists", "A tier with this name or rank exists.")
    record_change(actor=actor, kind="tier", entity_type="tier", entity_id=tier.id, before=before, after=dict(changes))
    return tier


def list_tags():
    return db.session.scalars(select(Tag).order_by(Tag.name)).all()


def get_tag(tag_id) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound("tag_not_found", "No such tag.")
    return tag


def create_tag(*, name) -> Tag:
    tag = Tag(name=name.strip())
    db.session.add(tag)
    _unique_flush("tag_exists", "A tag with this name exists.")
    return tag


def update_tag(*, tag_id, changes) -> Tag:
    tag = get_tag(tag_id)
    if "name" in changes:
        tag.name = changes["name"].strip()
    _unique_flush("tag_exists", "A tag with this name exists.")
    return tag


def set_member_tags(*, member_id, tag_ids, replace=False):
    """Add tags to a member (or replace the set); unknown tag ids are refused, nothing written."""
    member = get_member(member_id)
    wanted = set(tag_ids)
    known = set(db.session.scalars(select(Tag.id).where(Tag.id.in_(wanted))).all()) if wanted else set()
    if known != wanted:
        raise Unprocessable("tag_not_found", "Unknown tag ids.", details={"tag_ids": sorted(wanted - known)})
    current = set(db.session.scalars(select(MemberTag.tag_id).where(MemberTag.member_id == member.id)).all())
    if replace:
        removed = current - wanted
        if removed:
            db.session.execute(delete(MemberTag).where(MemberTag.member_id == member.id, MemberTag.tag_id.in_(removed)))
    for tag_id in sorted(wanted - current):
        db.session.add(MemberTag(member_id=member.id, tag_id=tag_id))
    db.session.flush()
    db.session.expire(member, ["tags"])
    return member
