"""Tiers (会员等级) and tags: the back office's definitions and their assignment to members."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.members.models import MemberTag, Tag
from app.members.services import get_member
from app.members.tiers.models import Tier


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


def create_tier(*, data) -> Tier:
    """Create a tier; names and ranks are unique."""
    tier = Tier(**data)
    db.session.add(tier)
    _unique_flush("tier_exists", "A tier with this name or rank exists.")
    return tier


def update_tier(*, tier_id, changes) -> Tier:
    tier = get_tier(tier_id)
    for name, value in changes.items():
        setattr(tier, name, value)
    _unique_flush("tier_exists", "A tier with this name or rank exists.")
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
