"""Coupon templates: what marketing defines, with the cross-field rules of each kind."""

from sqlalchemy import and_, or_, select

from app.audit.services import record_change, snapshot
from app.catalog.models import SERVICE_CATEGORIES
from app.catalog.services import service_items_by_id
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.coupons.models import CouponTemplate, MemberCoupon
from app.extensions import db
from app.merchant.services import merchant_timezone

# The fields that decide what an issued coupon is worth; frozen once a coupon has been issued.
VALUE_FIELDS = (
    "kind",
    "value_fen",
    "percent_off",
    "max_off_fen",
    "threshold_fen",
    "service_item_id",
    "applicable_categories",
    "applicable_item_ids",
)
# Which optional value fields each kind takes (the rest must be absent).
KIND_FIELDS = {
    "cash_off": {"value_fen", "threshold_fen", "applicable_categories", "applicable_item_ids"},
    "percent_off": {"percent_off", "max_off_fen", "threshold_fen", "applicable_categories", "applicable_item_ids"},
    "item_voucher": {"service_item_id"},
}
VALIDITY_FIELDS = ("valid_days", "valid_from", "valid_until")
KIND_REQUIRED = {"cash_off": ("value_fen",), "percent_off": ("percent_off",), "item_voucher": ("service_item_id",)}
_EMPTY = (None, 0, [])


def _validate(values):
    """Cross-field rules of a template; raises 422 with a specific code, changes nothing."""
    kind = values["kind"]
    missing = [name for name in KIND_REQUIRED[kind] if values.get(name) is None]
    if missing:
        raise Unprocessable(
            "coupon_value_required", f"A {kind} coupon needs {', '.join(missing)}.", details={"fields": missing}
        )
    stray = sorted(name for name in set(VALUE_FIELDS) - KIND_FIELDS[kind] - {"kind"} if values.get(name) not in _EMPTY)
    if stray:
        raise Unprocessable(
            "coupon_field_not_allowed", f"A {kind} coupon does not take {', '.join(stray)}.", details={"fields": stray}
        )
    has_days = values.get("valid_days") is not None
    has_window = values.get("valid_from") is not None or values.get("valid_until") is not None
    if has_days and has_window:
        raise Unprocessable("validity_conflict", "Give valid_days or a valid_from/valid_until window, not both.")
    if not has_days and not has_window:
        raise Unprocessable("validity_required", "Give valid_days or a valid_from/valid_until window.")
    if has_window:
        if values.get("valid_from") is None or values.get("valid_until") is None:
            raise Unprocessable("validity_window_invalid", "A fixed window needs both valid_from and valid_until.")
        if values["valid_from"] > values["valid_until"]:
            raise Unprocessable("validity_window_invalid", "valid_from is after valid_until.")
    unknown_categories = sorted(set(values.get("applicable_categories") or ()) - set(SERVICE_CATEGORIES))
    if unknown_categories:
        raise Unprocessable(
            "unknown_category", "Unknown service categories.", details={"categories": unknown_categories}
        )
    item_ids = set(values.get("applicable_item_ids") or ())
    if values.get("service_item_id") is not None:
        item_ids.add(values["service_item_id"])
    unknown_items = sorted(item_ids - set(service_items_by_id(list(item_ids))))
    if unknown_items:
        raise Unprocessable(
            "service_item_not_found", "Unknown service items.", details={"service_item_ids": unknown_items}
        )


def _normalized(values):
    # An empty restriction list means "no restriction", stored as NULL.
    for name in ("applicable_categories", "applicable_item_ids"):
        if name in values:
            values[name] = sorted(set(values[name] or ())) or None
    return values


def create_template(*, data, actor=None) -> CouponTemplate:
    """Create a coupon template. Absent per_member_limit means 1 for claimable templates (one
    coupon per member) and unlimited for issue-only ones."""
    values = _normalized(dict(data))
    values.setdefault("threshold_fen", 0)
    if "per_member_limit" not in values:
        values["per_member_limit"] = 1 if values.get("claimable") else None
    _validate(values)
    template = CouponTemplate(**values)
    db.session.add(template)
    db.session.flush()
    _record_value(actor, template, None)
    return template


AUDITED_VALUE_FIELDS = ("value_fen", "percent_off", "max_off_fen", "threshold_fen")


def _record_value(actor, template, before):
    """A new coupon template, or a change of what its coupons are worth, goes to the audit log."""
    names = AUDITED_VALUE_FIELDS if before is not None else ("name", "kind", *AUDITED_VALUE_FIELDS)
    record_change(
        actor=actor,
        kind="catalog_price",
        entity_type="coupon_template",
        entity_id=template.id,
        before=before,
        after=snapshot(template, names),
    )


def get_template(template_id, *, lock=False) -> CouponTemplate:
    stmt = select(CouponTemplate).where(CouponTemplate.id == template_id)
    if lock:
        # Re-read under a row lock: the stock and the per-member count are decided under it.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    template = db.session.scalar(stmt)
    if template is None:
        raise NotFound("coupon_template_not_found", "No such coupon template.")
    return template


def _claimable_now(today):
    return and_(
        CouponTemplate.is_active.is_(True),
        CouponTemplate.claimable.is_(True),
        or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until >= today),
    )


def get_template_for_member(template_id) -> CouponTemplate:
    """Members see a template only while it is active, claimable and its window has not ended."""
    today = clock.local_today(merchant_timezone())
    template = db.session.scalar(select(CouponTemplate).where(CouponTemplate.id == template_id, _claimable_now(today)))
    if template is None:
        raise NotFound("coupon_template_not_found", "No such coupon template.")
    return template


def list_templates(*, members_view=False, kind=None, claimable=None, active=None, page=1, per_page=20):
    stmt = select(CouponTemplate).order_by(CouponTemplate.id.desc())
    if members_view:
        stmt = stmt.where(_claimable_now(clock.local_today(merchant_timezone())))
    if kind:
        stmt = stmt.where(CouponTemplate.kind == kind)
    if claimable is not None:
        stmt = stmt.where(CouponTemplate.claimable.is_(claimable))
    if active is not None:
        stmt = stmt.where(CouponTemplate.is_active.is_(active))
    return paginate(stmt, page, per_page)


def update_template(*, template_id, changes, actor=None) -> CouponTemplate:
    """Change a template. Its value fields are frozen once a coupon has been issued from it (the
    issued coupons are worth what they said); stock cannot drop below what was issued; validity
    changes apply to coupons issued afterwards."""
    template = get_template(template_id, lock=True)
    before = snapshot(template, AUDITED_VALUE_FIELDS)
    changes = _normalized(dict(changes))
    values = {name: getattr(template, name) for name in VALUE_FIELDS + VALIDITY_FIELDS}
    # Switching between "days from issue" and a fixed window replaces the other way.
    if changes.get("valid_days") is not None:
        values.update(valid_from=None, valid_until=None)
    if any(changes.get(name) is not None for name in ("valid_from", "valid_until")):
        values["valid_days"] = None
    values.update({name: value for name, value in changes.items() if name in values})
    _validate(values)
    value_changes = [name for name in VALUE_FIELDS if name in changes and changes[name] != getattr(template, name)]
    if (
        value_changes
        and db.session.scalar(select(MemberCoupon.id).where(MemberCoupon.template_id == template.id).limit(1))
        is not None
    ):
        raise Conflict(
            "coupon_template_in_use",
            "Coupons were issued from this template; its value cannot change.",
            details={"fields": value_changes},
        )
    if changes.get("total_stock") is not None and changes["total_stock"] < template.issued_count:
        raise Unprocessable(
            "stock_below_issued",
            "total_stock cannot be below the coupons already issued.",
            details={"issued_count": template.issued_count},
        )
    for name, value in values.items():
        setattr(template, name, value)
    for name, value in changes.items():
        if name not in values:
            setattr(template, name, value)
    db.session.flush()
    _record_value(actor, template, before)
    return template


def templates_by_id(template_ids):
    """Many templates in one query: {id: CouponTemplate}."""
    if not template_ids:
        return {}
    rows = db.session.scalars(select(CouponTemplate).where(CouponTemplate.id.in_(set(template_ids))))
    return {template.id: template for template in rows}
