"""Stores and staff accounts: creation, login, scoping."""
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.common.auth import STAFF_ROLES, Actor, issue_token
from app.common.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.extensions import db
from app.stores.models import Staff, Store

# A fixed hash to compare against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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


def create_staff(*, username, password, role, store_ids=()) -> Staff:
    """Create a staff account; passwords are stored as salted hashes, at least 8 characters."""
    if role not in STAFF_ROLES:
        raise Unprocessable("invalid_role", f"role must be one of {', '.join(STAFF_ROLES)}")
    if len(password) < 8:
        raise Unprocessable("weak_password", "passwords have at least 8 characters")
    if db.session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise Conflict("username_taken", f"username {username!r} is taken")
    staff = Staff(username=username, password_hash=generate_password_hash(password), role=role)
    staff.stores = [get_store(store_id) for store_id in store_ids]
    db.session.add(staff)
    db.session.flush()
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


def disable_staff(*, staff_id) -> Staff:
    """Disable an account and revoke every token it holds."""
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("staff_not_found", "No such staff account.")
    staff.is_active = False
    staff.token_version += 1
    db.session.flush()
    return staff


def load_staff_actor(staff_id, claims):
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.is_active:
        return None
    return Actor(kind="staff", id=staff.id, role=staff.role, store_ids=tuple(staff.store_ids),
                 token_version=staff.token_version)
