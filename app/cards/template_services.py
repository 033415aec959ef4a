"""Package-card and stamp-card templates: what the back office defines."""

from sqlalchemy import select

from app.audit.services import record_change, snapshot
from app.cards.models import PackageCardTemplate, PackageCardTemplateItem, StampCardTemplate, StampCardTemplateItem
from app.catalog.services import service_items_by_id
from app.common.errors import NotFound, Unprocessable
from app.common.pagination import paginate
from app.coupons.template_services import templates_by_id
from app.extensions import db


def _require_service_items(item_ids):
    unknown = sorted(set(item_ids) - set(service_items_by_id(list(set(item_ids)))))
    if unknown:
        raise Unprocessable("service_item_not_found", "Unknown service items.", details={"service_item_ids": unknown})


def _package_items(items):
    item_ids = [item["service_item_id"] for item in items]
    if len(set(item_ids)) != len(item_ids):
        raise Unprocessable("duplicate_items", "Each service item appears once; give it a count instead.")
    _require_service_items(item_ids)
    return [PackageCardTemplateItem(service_item_id=item["service_item_id"], count=item["count"]) for item in items]


def _replace_items(template, items):
    # The old rows are deleted before the new ones are inserted (UNIQUE template, item).
    template.items = []
    db.session.flush()
    template.items = items


def _list(model, *, active=None, page=1, per_page=20):
    stmt = select(model).order_by(model.id.desc())
    if active is not None:
        stmt = stmt.where(model.is_active.is_(active))
    return paginate(stmt, page, per_page)


def list_package_templates(**query):
    return _list(PackageCardTemplate, **query)


def get_package_template(template_id) -> PackageCardTemplate:
    template = db.session.get(PackageCardTemplate, template_id)
    if template is None:
        raise NotFound("package_card_template_not_found", "No such package-card template.")
    return template


def create_package_template(*, data, actor=None) -> PackageCardTemplate:
    """A package-card template: price, validity in days from the sale, and known service items
    each with a positive count (each item once)."""
    values = dict(data)
    items = _package_items(values.pop("items"))
    template = PackageCardTemplate(**values, items=items)
    db.session.add(template)
    db.session.flush()
    _record_price(actor, template, None)
    return template


def _record_price(actor, template, before):
    """A new package-card template, or a change of its price, goes to the audit log."""
    record_change(
        actor=actor,
        kind="catalog_price",
        entity_type="package_card_template",
        entity_id=template.id,
        before=before,
        after=snapshot(template, ("name", "price_fen") if before is None else ("price_fen",)),
    )


def update_package_template(*, template_id, changes, actor=None) -> PackageCardTemplate:
    """Change a template; cards already sold keep what they were sold with. A price change is audited."""
    template = get_package_template(template_id)
    before = snapshot(template, ("price_fen",))
    changes = dict(changes)
    if "items" in changes:
        items = _package_items(changes.pop("items"))
        _replace_items(template, items)
    for name, value in changes.items():
        setattr(template, name, value)
    db.session.flush()
    _record_price(actor, template, before)
    return template


def _reward_template(template_id):
    """A stamp card's reward must be a coupon template with validity in days from issue (a fixed
    window could end before the reward is earned)."""
    reward = templates_by_id([template_id]).get(template_id)
    if reward is None:
        raise Unprocessable(
            "coupon_template_not_found", "No such coupon template.", details={"reward_coupon_template_id": template_id}
        )
    if reward.valid_days is None:
        raise Unprocessable("reward_needs_valid_days", "A reward coupon template must be valid for N days from issue.")
    return reward


def _stamp_items(item_ids):
    if len(set(item_ids)) != len(item_ids):
        raise Unprocessable("duplicate_items", "Each service item appears once.")
    _require_service_items(item_ids)
    return [StampCardTemplateItem(service_item_id=item_id) for item_id in item_ids]


def list_stamp_templates(**query):
    return _list(StampCardTemplate, **query)


def get_stamp_template(template_id) -> StampCardTemplate:
    template = db.session.get(StampCardTemplate, template_id)
    if template is None:
        raise NotFound("stamp_card_template_not_found", "No such stamp-card template.")
    return template


def create_stamp_template(*, data) -> StampCardTemplate:
    """A stamp-card template: the service items that earn a stamp, stamps required, the reward
    coupon template (valid N days from issue) and an optional validity from the first stamp."""
    values = dict(data)
    items = _stamp_items(values.pop("service_item_ids"))
    _reward_template(values["reward_coupon_template_id"])
    template = StampCardTemplate(**values, items=items)
    db.session.add(template)
    db.session.flush()
    return template


def update_stamp_template(*, template_id, changes) -> StampCardTemplate:
    """Change a template. Open cards keep the stamps_required they started with."""
    template = get_stamp_template(template_id)
    changes = dict(changes)
    if "service_item_ids" in changes:
        _replace_items(template, _stamp_items(changes.pop("service_item_ids")))
    if "reward_coupon_template_id" in changes:
        _reward_template(changes["reward_coupon_template_id"])
    for name, value in changes.items():
        setattr(template, name, value)
    db.session.flush()
    return template
