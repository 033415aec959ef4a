"""Member identity and profile: WeChat login, phone binding, counter registration, search."""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import wechat
from app.audit.services import record_change
from app.common import clock, events
from app.common.auth import Actor, decode_token, issue_token
from app.common.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.common.pagination import paginate
from app.common.plates import normalize_plate
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.tiers.models import Tier
from app.members.vehicle_services import claim_vehicle, plate_contains
from app.merchant.services import get_settings

# No 0/O/1/I: codes are read aloud and typed from screens. Also valid in a mini-program scene.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MEMBER_CARD_PURPOSE = "member_card"


def _new_referral_code():
    while True:
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))
        if db.session.scalar(select(Member.id).where(Member.referral_code == code)) is None:
            return code


def _resolve(member):
    # Follow a merge to the member that now holds the identity.
    while member is not None and member.merged_into_id is not None:
        member = db.session.get(Member, member.merged_into_id)
    return member


def load_member_actor(member_id, claims):
    """The caller behind a member token; a blocked member has none. The version is the member's own
    (a token for a merged-away member is judged by the member that now holds the identity)."""
    member = _resolve(db.session.get(Member, member_id))
    if member is None or member.blocked_at is not None:
        return None
    return Actor(kind="member", id=member.id, role="member", token_version=member.token_version)


def get_member(member_id) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.merged_into_id is not None:
        raise NotFound("member_not_found", "No such member.")
    return member


def login_with_wechat(*, code, referral_code=None):
    """Exchange a mini-program login code for a member and a token.

    The same WeChat user (appid, openid) always maps to the same member; the first login creates it.
    A presented referral code is handed to the referral rules, which decide whether it counts.
    """
    session = wechat.mini_program().code_to_session(code)
    appid = current_app.config["WECHAT_APPID"]
    member = db.session.scalar(select(Member).where(Member.appid == appid, Member.openid == session.openid))
    created = member is None
    if created:
        member = Member(appid=appid, openid=session.openid, referral_code=_new_referral_code(), source="wechat")
        db.session.add(member)
    member = _resolve(member)
    if member.blocked_at is not None:
        raise Forbidden("member_blocked", "This membership is blocked; please contact the shop.")
    member.unionid = session.unionid or member.unionid
    member.session_key = session.session_key
    db.session.flush()
    if referral_code:
        events.publish(
            events.REFERRAL_CODE_PRESENTED,
            member_id=member.id,
            referral_code=referral_code,
            created=created,
            now=clock.now(),
        )
    token = issue_token(kind="member", subject_id=member.id, role="member", token_version=member.token_version)
    return token, member, created


def bind_phone(*, member_id, code) -> Member:
    """Bind the phone WeChat vouches for. Each lookup is billed, so a bound phone is reused.

    If the counter registered that phone earlier (no WeChat identity yet), the WeChat identity
    moves onto that member, so the customer keeps what the counter recorded.
    """
    member = get_member(member_id)
    if member.phone:
        return member
    phone = wechat.mini_program().phone_number(code).phone
    holder = db.session.scalar(select(Member).where(Member.phone == phone))
    if holder is None:
        member.phone = phone
    elif holder.openid is None and _has_no_history(member):
        identity = (member.appid, member.openid, member.unionid, member.session_key)
        # Free the (appid, openid) pair before the holder takes it: it is unique.
        member.appid = member.openid = member.unionid = member.session_key = None
        member.merged_into_id = holder.id
        db.session.flush()
        holder.appid, holder.openid, holder.unionid, holder.session_key = identity
        member = holder
    else:
        raise Conflict("phone_taken", "This phone number belongs to another member.")
    db.session.flush()
    return member


def _has_no_history(member):
    return db.session.scalar(select(Vehicle.id).where(Vehicle.member_id == member.id).limit(1)) is None


def update_profile(*, member_id, changes) -> Member:
    """Members change their nickname, birthday and gender; nothing that carries value."""
    member = get_member(member_id)
    for name in ("nickname", "gender"):
        if name in changes:
            setattr(member, name, changes[name])
    if "birthday" in changes:
        set_birthday(member, changes["birthday"])
    db.session.flush()
    return member


def set_birthday(member, birthday):
    if birthday is not None and birthday > clock.local_today(get_settings().timezone):
        raise Unprocessable("invalid_birthday", "A birthday cannot be in the future.")
    member.birthday = birthday
    member.birthday_month = birthday.month if birthday else None
    member.birthday_day = birthday.day if birthday else None


def register_at_counter(*, phone, nickname=None, plate=None, store_id=None) -> Member:
    """Register a customer at the counter by phone, optionally with their car."""
    if db.session.scalar(select(Member.id).where(Member.phone == phone)) is not None:
        raise Conflict("phone_taken", "This phone number belongs to another member.")
    member = Member(
        phone=phone,
        nickname=nickname,
        referral_code=_new_referral_code(),
        source="counter",
        registered_store_id=store_id,
    )
    db.session.add(member)
    db.session.flush()
    if plate:
        claim_vehicle(member=member, plate=plate)
    return member


def _check_tier_assignable(actor, current_tier, new_tier):
    """The owner assigns any tier; other staff only move a member between tiers the owner marked
    ``counter_assignable`` (or no tier), so a counter cannot hand out, or take away, a tier the
    owner keeps for themselves."""
    if actor is None or actor.is_owner:
        return
    for tier in (current_tier, new_tier):
        if tier is not None and not tier.counter_assignable:
            raise Forbidden(
                "tier_not_assignable",
                f"Only the owner assigns or removes the tier {tier.name!r}.",
                details={"tier_id": tier.id},
            )


def update_member_by_staff(*, member_id, changes, actor=None) -> Member:
    """Staff set tier, nickname, birthday and the profile facts (app/members/profile.py: a birth
    year in the future → 422 ``invalid_birth_year``; a blank region clears it). A tier change by
    staff other than the owner is limited to counter-assignable tiers (403 ``tier_not_assignable``)
    and is audited ("member_tier"); ``actor`` None is the service itself (a top-up plan granting its tier)."""
    member = get_member(member_id)
    if "tier_id" in changes and changes["tier_id"] != member.tier_id:
        tier_id = changes["tier_id"]
        new_tier = db.session.get(Tier, tier_id) if tier_id is not None else None
        if tier_id is not None and new_tier is None:
            raise Unprocessable("tier_not_found", "No such tier.")
        _check_tier_assignable(actor, member.tier, new_tier)
        if actor is not None:
            record_change(
                actor=actor,
                kind="member_tier",
                entity_type="member",
                entity_id=member.id,
                before={"tier_id": member.tier_id},
                after={"tier_id": tier_id},
                store_id=actor.store_ids[0] if len(actor.store_ids) == 1 else None,
            )
        member.tier_id = tier_id
    if "nickname" in changes:
        member.nickname = changes["nickname"]
    if "birthday" in changes:
        set_birthday(member, changes["birthday"])
    _set_profile_facts(member, changes)
    db.session.flush()
    db.session.refresh(member)
    return member


def _set_profile_facts(member, changes):
    year = changes.get("birth_year")
    if year is not None and year > clock.local_today(get_settings().timezone).year:
        raise Unprocessable("invalid_birth_year", "A birth year cannot be in the future.")
    if "region" in changes:
        changes = {**changes, "region": (changes["region"] or "").strip() or None}
    for name in ("gender", "birth_year", "region", "occupation", "car_use", "acquisition_channel"):
        if name in changes:
            setattr(member, name, changes[name])


def log_out_member(*, member_id):
    """Revoke every token the member holds (each device logs in again)."""
    member = get_member(member_id)
    member.token_version += 1
    db.session.flush()


def block_member(*, member_id, reason) -> Member:
    """The owner blocks a member: no login, and every token they hold stops working at once."""
    member = get_member(member_id)
    if member.blocked_at is None:
        member.blocked_at = clock.now()
        member.token_version += 1
    member.blocked_reason = reason
    db.session.flush()
    return member


def unblock_member(*, member_id) -> Member:
    """Lift a block; the member logs in again (tokens from before the block stay revoked)."""
    member = get_member(member_id)
    member.blocked_at = None
    member.blocked_reason = None
    db.session.flush()
    return member


def issue_member_card_token(*, member_id):
    """A short-lived signed token for the member-card QR; it never carries the raw id in clear."""
    member = get_member(member_id)
    ttl = current_app.config["MEMBER_CARD_TOKEN_TTL_SECONDS"]
    return issue_token(kind="member", subject_id=member.id, role="member", purpose=MEMBER_CARD_PURPOSE, ttl_seconds=ttl)


def member_from_card_token(token) -> Member:
    """The member a scanned card names. A card that cannot be used is 422, never 401: the cashier
    presents it, and a 401 would read as the cashier's own session ending."""
    try:
        claims = decode_token(token, purpose=MEMBER_CARD_PURPOSE)
    except Unauthorized as error:
        if error.code == "token_expired":
            raise Unprocessable("member_card_expired", "The member card has expired; ask for a fresh QR.") from None
        raise Unprocessable("invalid_member_card", "This is not a member card of this shop.") from None
    return get_member(int(claims["sub"]))


def looks_like_card_token(text):
    return text.count(".") == 2 and len(text) > 60


def search_members(*, q, page, per_page):
    """Find members by phone (full or last digits), nickname, plate, or a scanned member card."""
    q = (q or "").strip()
    stmt = (
        select(Member)
        .where(Member.merged_into_id.is_(None))
        .order_by(Member.id.desc())
        .options(selectinload(Member.tags), selectinload(Member.vehicles))
    )
    if q and looks_like_card_token(q):
        member = member_from_card_token(q)
        stmt = stmt.where(Member.id == member.id)
    elif q:
        plate = normalize_plate(q)
        plate_match = select(Vehicle.member_id).where(plate_contains(plate))
        conditions = [Member.nickname.contains(q, autoescape=True), Member.id.in_(plate_match)]
        if q.isdigit():
            conditions.append(Member.phone == q if len(q) == 11 else Member.phone.endswith(q, autoescape=True))
        stmt = stmt.where(or_(*conditions))
    return paginate(stmt, page, per_page)


def lifecycle_of(member, *, now=None, settings=None):
    """new (never visited), active, at_risk or churned by days since the last paid visit."""
    if member.last_paid_visit_at is None:
        return "new"
    settings = settings or get_settings()
    return lifecycle_for(
        member.last_paid_visit_at,
        now=now or clock.now(),
        at_risk_after_days=settings.at_risk_after_days,
        churned_after_days=settings.churned_after_days,
    )


def lifecycle_for(last_paid_visit_at, *, now, at_risk_after_days, churned_after_days):
    """The lifecycle rule of ``lifecycle_of`` on plain values (for rows read without ORM objects)."""
    if last_paid_visit_at is None:
        return "new"
    idle = now - last_paid_visit_at
    if idle > timedelta(days=churned_after_days):
        return "churned"
    if idle > timedelta(days=at_risk_after_days):
        return "at_risk"
    return "active"


def mask_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else phone


# Other domains add figures to the counter's member summary without members reading their tables:
# each gives SQL expressions per member (correlated to the member id column), and one query
# evaluates every domain's figures for all the members of a page.
_summary_columns = []


def register_summary_columns(columns_for):
    """``columns_for(member_id_column, now) -> {field: scalar SQL expression}``."""
    if columns_for not in _summary_columns:
        _summary_columns.append(columns_for)


def summary_providers():
    """The registered figure providers (a cache key for statements built from them)."""
    return tuple(_summary_columns)


def summary_figure_columns(member_id, now):
    """Every domain's summary figures as SQL expressions correlated to ``member_id``."""
    columns = {}
    for columns_for in _summary_columns:
        columns.update(columns_for(member_id, now))
    return columns


def counter_summary(*, member_id, nickname, phone, tier, last_paid_visit_at, lifecycle, figures=None):
    """One member's counter summary (MemberSummary); ``figures`` are the other domains' (see
    ``summary_figure_columns``), added here when read with the member."""
    return {
        "id": member_id,
        "nickname": nickname,
        "phone": phone,
        "tier": tier,
        "lifecycle": lifecycle,
        "last_visit_at": last_paid_visit_at,
        **(figures or {}),
    }


def member_summaries(members):
    """Counter summaries for many members at once: one query for every domain's figures."""
    ids = [member.id for member in members]
    settings = get_settings()
    now = clock.now()
    summaries = {
        member.id: counter_summary(
            member_id=member.id,
            nickname=member.nickname,
            phone=member.phone,
            tier=member.tier,
            last_paid_visit_at=member.last_paid_visit_at,
            lifecycle=lifecycle_of(member, now=now, settings=settings),
        )
        for member in members
    }
    columns = summary_figure_columns(Member.id, now)
    if ids and columns:
        rows = db.session.execute(
            select(Member.id, *(expression.label(name) for name, expression in columns.items())).where(
                Member.id.in_(ids)
            )
        ).mappings()
        for row in rows:
            summaries[row["id"]].update({name: row[name] for name in columns})
    return summaries
