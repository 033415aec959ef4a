"""Stores and staff accounts: creation, login, scoping; a store's booking capacity and hours."""

import re
from datetime import date, time

from flask import current_app
from sqlalchemy import Integer, bindparam, exists, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record_change, snapshot
from app.common.auth import STAFF_ROLES, Actor, issue_token
from app.common.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.common.pagination import paginate
from app.common.precompiled import PrecompiledRead
from app.extensions import db
from app.stores.models import Staff, StaffStore, Store

# A fixed hash to compare against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _hashed(password):
    """The password's salted hash, by the configured method (werkzeug's scrypt unless the settings
    name another: the test settings use a fast one)."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def create_store(*, name, address=None, phone=None) -> Store:
    store = Store(name=name.strip(), address=address, phone=phone)
    db.session.add(store)
    db.session.flush()
    return store


def get_store(store_id) -> Store:
    store = db.session.get(Store, store_id)
    if store is None or not store.is_active:
        raise NotFound("store_not_found", "No such store.")
    return store


def list_stores():
    return db.session.scalars(select(Store).where(Store.is_active.is_(True)).order_by(Store.id)).all()


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Slot lengths that tile an hour or two evenly, so the booking grid stays readable.
SLOT_MINUTES_ALLOWED = (10, 15, 20, 30, 60, 120)
MAX_BAYS = 100
MAX_CANCEL_CUTOFF_MINUTES = 7 * 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _parse_hhmm(value) -> time:
    return time(int(value[:2]), int(value[3:]))


def _validated_opening_hours(hours) -> dict:
    """{"mon": ["09:00", "18:00"], ...}: known weekdays, HH:MM times, opening before closing.
    A weekday given as null or [] (or left out) is closed. Overnight hours are not supported."""
    cleaned = {}
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise Unprocessable(
                "invalid_weekday", f"{day!r} is not one of {', '.join(WEEKDAYS)}.", details={"weekday": day}
            )
        if span is None or span == []:
            continue
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(v, str) for v in span)):
            raise Unprocessable(
                "invalid_opening_hours", 'Give each weekday as ["HH:MM", "HH:MM"].', details={"weekday": day}
            )
        for value in span:
            if not _HHMM.match(value):
                raise Unprocessable(
                    "invalid_time",
                    f"{value!r} is not a time as HH:MM (00:00 to 23:59).",
                    details={"weekday": day, "time": value},
                )
        if _parse_hhmm(span[0]) >= _parse_hhmm(span[1]):
            raise Unprocessable(
                "opening_not_before_closing",
                f"On {day} the store must open before it closes.",
                details={"weekday": day, "hours": span},
            )
        cleaned[day] = list(span)
    return {day: cleaned[day] for day in WEEKDAYS if day in cleaned}


def _validated_store_fields(changes) -> dict:
    """A store's fields as given by the owner, checked and cleaned: at least one bay (at most
    MAX_BAYS), a slot length from SLOT_MINUTES_ALLOWED, valid weekday hours (merchant's timezone),
    a cancel cut-off up to a week, closed dates sorted and unique, the name trimmed."""
    if "bays" in changes and not 1 <= changes["bays"] <= MAX_BAYS:
        raise Unprocessable("invalid_bays", f"bays must be between 1 and {MAX_BAYS}.")
    if "slot_minutes" in changes and changes["slot_minutes"] not in SLOT_MINUTES_ALLOWED:
        raise Unprocessable(
            "invalid_slot_minutes",
            f"slot_minutes must be one of {', '.join(map(str, SLOT_MINUTES_ALLOWED))}.",
            details={"allowed": list(SLOT_MINUTES_ALLOWED)},
        )
    cutoff = changes.get("booking_cancel_cutoff_minutes")
    if cutoff is not None and not 0 <= cutoff <= MAX_CANCEL_CUTOFF_MINUTES:
        raise Unprocessable(
            "invalid_cancel_cutoff", f"booking_cancel_cutoff_minutes must be between 0 and {MAX_CANCEL_CUTOFF_MINUTES}."
        )
    changes = dict(changes)
    if "opening_hours" in changes:
        changes["opening_hours"] = _validated_opening_hours(changes["opening_hours"] or {})
    if "closed_dates" in changes:
        changes["closed_dates"] = sorted({day.isoformat() for day in changes["closed_dates"]})
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    return changes


STORE_CREATE_FIELDS = (
    "name",
    "address",
    "phone",
    "bays",
    "slot_minutes",
    "opening_hours",
    "closed_dates",
    "booking_cancel_cutoff_minutes",
    "allow_negative_stock",
    "labor_rate_fen",
)


def open_store(*, fields, actor=None) -> Store:
    """The owner opens a store: the name, and any of the fields ``update_store`` takes (the same
    rules); what is left out takes the defaults (one bay, 30-minute slots, no hours yet, so not
    bookable until they are set). Audited ("store": the new store's fields)."""
    cleaned = _validated_store_fields(fields)
    contact = {name: cleaned.pop(name, None) for name in ("address", "phone")}
    store = create_store(name=cleaned.pop("name"), **contact)
    for name, value in cleaned.items():
        setattr(store, name, value)
    db.session.flush()
    record_change(
        actor=actor,
        kind="store",
        entity_type="store",
        entity_id=store.id,
        before=None,
        after=snapshot(store, STORE_CREATE_FIELDS),
        store_id=store.id,
    )
    return store


def update_store(*, store_id, changes, actor=None) -> Store:
    """Owner changes to a store (the rules of ``_validated_store_fields``). Lowering bays or
    changing hours never touches existing bookings; they only bound new ones. Audited ("store")."""
    store = get_store(store_id)
    changes = _validated_store_fields(changes)
    before = snapshot(store, changes)
    for name, value in changes.items():
        setattr(store, name, value)
    db.session.flush()
    record_change(
        actor=actor,
        kind="store",
        entity_type="store",
        entity_id=store.id,
        before=before,
        after=changes,
        store_id=store.id,
    )
    return store


def allows_negative_stock(store_id) -> bool:
    """Whether settles at the store may take stock below zero (an order of a store closed since
    still settles under the store's rule)."""
    allowed = db.session.scalar(select(Store.allow_negative_stock).where(Store.id == store_id))
    if allowed is None:
        raise NotFound("store_not_found", "No such store.")
    return allowed


def lock_store(store_id) -> Store:
    """The active store, its row locked until the transaction ends (PostgreSQL; SQLite transactions
    are already serialised by BEGIN IMMEDIATE). Booking capacity is counted and taken under it."""
    store = db.session.scalar(
        select(Store).where(Store.id == store_id).with_for_update().execution_options(populate_existing=True)
    )
    if store is None or not store.is_active:
        raise NotFound("store_not_found", "No such store.")
    return store


def opening_hours_on(store, day: date):
    """(opens, closes) as local times on ``day``, or None when the store is closed that day
    (a closed date, or a weekday without hours)."""
    if day.isoformat() in (store.closed_dates or ()):
        return None
    span = (store.opening_hours or {}).get(WEEKDAYS[day.weekday()])
    if not span:
        return None
    return _parse_hhmm(span[0]), _parse_hhmm(span[1])


# Usernames are typed at the login screen, which trims what it is given: no spaces anywhere.
_USERNAME = re.compile(r"^\S{1,64}$")
MIN_PASSWORD_LENGTH = 8


def _check_password(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable("weak_password", "passwords have at least 8 characters")


def _check_role(role):
    if role not in STAFF_ROLES:
        raise Unprocessable("invalid_role", f"role must be one of {', '.join(STAFF_ROLES)}")


def _stores_by_ids(store_ids):
    return [get_store(store_id) for store_id in sorted(set(store_ids))]


def create_staff(*, username, password, role, store_ids=(), actor=None) -> Staff:
    """Create a staff account (the command line and the owner's API alike): a username of 1 to 64
    characters without spaces, a known role, a password of at least 8 characters (stored as a
    salted hash), stores that exist. Audited ("staff": username, role and stores; never the password)."""
    if not _USERNAME.match(username):
        raise Unprocessable("invalid_username", "usernames have 1 to 64 characters and no spaces")
    _check_role(role)
    _check_password(password)
    if db.session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise Conflict("username_taken", f"username {username!r} is taken")
    staff = Staff(username=username, password_hash=_hashed(password), role=role)
    staff.stores = _stores_by_ids(store_ids)
    db.session.add(staff)
    db.session.flush()
    record_change(
        actor=actor,
        kind="staff",
        entity_type="staff",
        entity_id=staff.id,
        before=None,
        after={"username": staff.username, "role": staff.role, "store_ids": staff.store_ids, "is_active": True},
    )
    return staff


def authenticate_staff(*, username, password):
    """Return ``(token, staff)``; a wrong username or password and a disabled account look alike."""
    staff = db.session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("invalid_credentials", "Wrong username or password.")
    if not check_password_hash(staff.password_hash, password) or not staff.is_active:
        raise Unauthorized("invalid_credentials", "Wrong username or password.")
    token = issue_token(kind="staff", subject_id=staff.id, role=staff.role, token_version=staff.token_version)
    return token, staff


def get_staff(staff_id) -> Staff:
    """A staff account, active or disabled."""
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("staff_not_found", "No such staff account.")
    return staff


def list_staff(*, role=None, store_id=None, active=None, page=1, per_page=20):
    """Staff accounts by id, filtered by role, a store they work at and whether they are active."""
    stmt = select(Staff).order_by(Staff.id)
    if role is not None:
        stmt = stmt.where(Staff.role == role)
    if store_id is not None:
        stmt = stmt.where(
            exists().where(StaffStore.staff_id == Staff.id, StaffStore.store_id == store_id).correlate(Staff)
        )
    if active is not None:
        stmt = stmt.where(Staff.is_active.is_(active))
    return paginate(stmt, page, per_page)


def _lock_staff(staff_id) -> Staff:
    staff = db.session.scalar(
        select(Staff).where(Staff.id == staff_id).with_for_update().execution_options(populate_existing=True)
    )
    if staff is None:
        raise NotFound("staff_not_found", "No such staff account.")
    return staff


def _lock_with_the_owners(staff_id):
    """(the account, the active owners' ids), every one of their rows locked: the owners first and
    in id order, so two changes that may take away an owner queue instead of deadlocking."""
    owner_ids = db.session.scalars(
        select(Staff.id).where(Staff.role == "owner", Staff.is_active.is_(True)).order_by(Staff.id).with_for_update()
    ).all()
    return _lock_staff(staff_id), owner_ids


def _keep_an_owner(staff, owner_ids, *, role_after, active_after):
    """Refuse (409 ``last_owner``) a change that would leave no active owner: someone must still be
    able to manage staff, stores and money-shaping settings."""
    if staff.role != "owner" or not staff.is_active or (role_after == "owner" and active_after):
        return
    if set(owner_ids) <= {staff.id}:
        raise Conflict(
            "last_owner",
            "This is the only active owner; make another owner first.",
            details={"staff_id": staff.id},
        )


def disable_staff(*, staff_id, actor=None) -> Staff:
    """Disable an account and revoke every token it holds: its next request is refused (401
    ``token_revoked``) and it cannot log in. Not the last active owner (409 ``last_owner``).
    Audited ("staff")."""
    staff, owner_ids = _lock_with_the_owners(staff_id)
    if not staff.is_active:
        return staff
    _keep_an_owner(staff, owner_ids, role_after=staff.role, active_after=False)
    record_change(
        actor=actor,
        kind="staff",
        entity_type="staff",
        entity_id=staff.id,
        before={"is_active": True},
        after={"is_active": False},
    )
    staff.is_active = False
    staff.token_version += 1
    db.session.flush()
    return staff


def enable_staff(*, staff_id, actor=None) -> Staff:
    """Let a disabled account log in again (the tokens it held before stay revoked). Audited ("staff")."""
    staff = _lock_staff(staff_id)
    if staff.is_active:
        return staff
    staff.is_active = True
    db.session.flush()
    record_change(
        actor=actor,
        kind="staff",
        entity_type="staff",
        entity_id=staff.id,
        before={"is_active": False},
        after={"is_active": True},
    )
    return staff


def reset_staff_password(*, staff_id, password, actor=None) -> Staff:
    """Give an account a new password (at least 8 characters) and revoke every token it holds, so
    whoever knew the old one is signed out everywhere. Audited ("staff"; never the password)."""
    _check_password(password)
    staff = _lock_staff(staff_id)
    staff.password_hash = _hashed(password)
    staff.token_version += 1
    db.session.flush()
    record_change(
        actor=actor,
        kind="staff",
        entity_type="staff",
        entity_id=staff.id,
        before={"password": "old"},
        after={"password": "new"},
        reason="password reset",
    )
    return staff


def log_out_staff(*, staff_id):
    """Revoke every token the staff account holds (each device logs in again)."""
    staff = get_staff(staff_id)
    staff.token_version += 1
    db.session.flush()


def update_staff(*, staff_id, role=None, store_ids=None, actor=None) -> Staff:
    """Change an account's role and/or stores (None: unchanged). A change revokes the account's
    tokens, so the new role and stores apply from its next login. The last active owner keeps the
    owner's role (409 ``last_owner``). Audited ("staff")."""
    if role is not None:
        _check_role(role)
    staff, owner_ids = _lock_with_the_owners(staff_id)
    if role is not None:
        _keep_an_owner(staff, owner_ids, role_after=role, active_after=staff.is_active)
    before = {"role": staff.role, "store_ids": staff.store_ids}
    if role is not None:
        staff.role = role
    if store_ids is not None:
        staff.stores = _stores_by_ids(store_ids)
    after = {"role": staff.role, "store_ids": staff.store_ids}
    if after != before:
        staff.token_version += 1
    db.session.flush()
    record_change(actor=actor, kind="staff", entity_type="staff", entity_id=staff.id, before=before, after=after)
    return staff


# Built and compiled once per process: every staff request runs it, and SQLAlchemy's per-execution
# work on a built statement costs about as much Python as the round trip (app/common/precompiled.py).
_STAFF_ACTOR = PrecompiledRead(
    lambda: (
        select(Staff.role, Staff.username, Staff.is_active, Staff.token_version, StaffStore.store_id)
        .outerjoin(StaffStore, StaffStore.staff_id == Staff.id)
        .where(Staff.id == bindparam("staff_id", type_=Integer))
        .order_by(StaffStore.store_id)
    )
)


def staff_token_current(staff_id, token_version):
    """SQL condition: a staff token of this id and version is still good (the account active and the
    version its current one; every change to its role or stores moves the version on)."""
    return exists().where(Staff.id == staff_id, Staff.token_version == token_version, Staff.is_active.is_(True))


def load_staff_actor(staff_id, claims):
    """The caller behind a staff token: role, stores and token version in one round trip (every staff
    request pays for it, so no ORM objects); a disabled account has no actor."""
    rows = _STAFF_ACTOR.mappings({"staff_id": staff_id})
    if not rows or not rows[0]["is_active"]:
        return None
    first = rows[0]
    return Actor(
        kind="staff",
        id=staff_id,
        role=first["role"],
        store_ids=tuple(row["store_id"] for row in rows if row["store_id"] is not None),
        token_version=first["token_version"],
        username=first["username"],
    )


def staff_names(staff_ids) -> dict:
    """{staff id: username} of the given accounts (disabled ones too: their past work still shows)."""
    ids = sorted({staff_id for staff_id in staff_ids if staff_id is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.username).where(Staff.id.in_(ids))).all())


def staff_by_ids(staff_ids) -> dict:
    """Staff accounts by id (with their stores), in one statement."""
    if not staff_ids:
        return {}
    return {staff.id: staff for staff in db.session.scalars(select(Staff).where(Staff.id.in_(list(staff_ids))))}


def staff_of_store(*, store_id, roles) -> list:
    """The active staff of a store with one of ``roles``, by username."""
    stmt = (
        select(Staff)
        .join(StaffStore, StaffStore.staff_id == Staff.id)
        .where(StaffStore.store_id == store_id, Staff.is_active.is_(True), Staff.role.in_(roles))
        .order_by(Staff.username)
    )
    return list(db.session.scalars(stmt))
