"""Service items and parts: what the back office defines and the counter sells."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record_change, snapshot
from app.catalog import stock_services
from app.catalog.models import Part, ServiceItem
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.stores.services import get_store, list_stores


def list_service_items(*, category=None, page=1, per_page=20):
    stmt = select(ServiceItem).where(ServiceItem.is_active.is_(True)).order_by(ServiceItem.id)
    if category:
        stmt = stmt.where(ServiceItem.category == category)
    return paginate(stmt, page, per_page)


def get_service_item(item_id) -> ServiceItem:
    item = db.session.get(ServiceItem, item_id)
    if item is None:
        raise NotFound("service_item_not_found", "No such service item.")
    return item


def service_items_by_id(item_ids):
    """Many items in one query: {id: ServiceItem}."""
    if not item_ids:
        return {}
    return {item.id: item for item in db.session.scalars(select(ServiceItem).where(ServiceItem.id.in_(item_ids)))}


def _record_price(actor, entity, before):
    """A new item or part, or a change of its price, goes to the audit log ("catalog_price")."""
    after = snapshot(entity, ("name", "price_fen") if before is None else ("price_fen",))
    record_change(
        actor=actor,
        kind="catalog_price",
        entity_type=entity.__tablename__.removesuffix("s"),
        entity_id=entity.id,
        before=before,
        after=after,
    )


def create_service_item(*, data, actor=None) -> ServiceItem:
    item = ServiceItem(**data)
    db.session.add(item)
    db.session.flush()
    _record_price(actor, item, None)
    return item


def update_service_item(*, item_id, changes, actor=None) -> ServiceItem:
    """Change an item; a price change is audited."""
    item = get_service_item(item_id)
    before = snapshot(item, ("price_fen",))
    for name, value in changes.items():
        setattr(item, name, value)
    db.session.flush()
    _record_price(actor, item, before)
    return item


def list_parts(*, low_stock=False, page=1, per_page=20):
    """Active parts; ``stock`` is the chain's total and ``low_stock`` compares it with the threshold
    (a store's own shortfalls: GET /stores/{id}/stock?low_stock=true)."""
    stmt = select(Part).where(Part.is_active.is_(True)).order_by(Part.id)
    if low_stock:
        stmt = stmt.where(Part.stock <= Part.low_stock_threshold)
    return paginate(stmt, page, per_page)


def get_part(part_id) -> Part:
    part = db.session.get(Part, part_id)
    if part is None:
        raise NotFound("part_not_found", "No such part.")
    return part


def parts_by_id(part_ids):
    if not part_ids:
        return {}
    return {part.id: part for part in db.session.scalars(select(Part).where(Part.id.in_(part_ids)))}


def _flush_unique_sku():
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("sku_taken", "Another part has this SKU.")


def _opening_store_id(actor, store_id):
    """Where a new part's opening stock goes: the store named, or else the first store."""
    if store_id is None:
        stores = list_stores()
        if not stores:
            raise Unprocessable("no_store", "Create a store before stocking parts.")
        return stores[0].id
    get_store(store_id)
    if actor is not None and not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")
    return store_id


def create_part(*, data, actor=None) -> Part:
    """Create a part; its ``stock`` (if any) is the opening stock at ``store_id`` or the first store."""
    data = dict(data)
    opening, store_id = data.pop("stock", 0), data.pop("store_id", None)
    if opening:
        store_id = _opening_store_id(actor, store_id)
    part = Part(**data)
    db.session.add(part)
    _flush_unique_sku()
    if opening:
        stock_services.open_stock(store_id=store_id, part_id=part.id, quantity=opening)
    _record_price(actor, part, None)
    return part


def update_part(*, part_id, changes, actor=None) -> Part:
    """Change a part's definition (a price change is audited). Stock is not set here: it moves only
    through stock movements."""
    part = get_part(part_id)
    before = snapshot(part, ("price_fen",))
    for name, value in changes.items():
        setattr(part, name, value)
    _flush_unique_sku()
    _record_price(actor, part, before)
    return part
