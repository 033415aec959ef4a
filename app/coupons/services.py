"""Member coupons once issued (issuing.py issues them): value, use, restore, void, list. What the
work-order checkout calls.

Rules kept here:
- Status: stored ``unused``/``used``/``void``; an unused coupon past ``valid_until`` reads as
  ``expired`` (derived from the clock, no job needed).
- A coupon is used at most once: a conditional UPDATE from ``unused`` (also under 20 concurrent
  uses exactly one row count is 1). Refunding the reference gives it back only while it is
  still valid; an expired coupon stays used.
- Not applicable to an order (threshold not reached, no matching line) is 422; used, expired,
  void or not yet started is 409; another member's coupon is 404.
"""

from sqlalchemy import func, select, update

from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.extensions import db

# Kinds of which an order takes at most one (item vouchers stack, one line unit each).
ORDER_DISCOUNT_KINDS = ("cash_off", "percent_off")


def _load(member_coupon_id, member_id=None, *, fresh=False) -> MemberCoupon:
    stmt = select(MemberCoupon).where(MemberCoupon.id == member_coupon_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    coupon = db.session.scalar(stmt)
    if coupon is None or (member_id is not None and coupon.member_id != member_id):
        raise NotFound("coupon_not_found", "No such coupon.")
    return coupon


def _check_usable(coupon, now):
    if coupon.status == "used":
        raise Conflict("coupon_used", "This coupon has already been used.")
    if coupon.status == "void":
        raise Conflict("coupon_void", "This coupon was withdrawn.")
    if coupon.valid_until <= now:
        raise Conflict("coupon_expired", "This coupon has expired.")
    if coupon.valid_from > now:
        raise Conflict(
            "coupon_not_started", "This coupon is not valid yet.", details={"valid_from": coupon.valid_from.isoformat()}
        )


def _uncovered_quantities(lines, covered_units):
    """Per line, the units not already paid by other item tenders (package cards, vouchers)."""
    left = dict(covered_units or {})
    result = []
    for line in lines:
        item_id = line.get("service_item_id") if line.get("kind") == "labor" else None
        taken = min(line["quantity"], left.get(item_id, 0)) if item_id is not None else 0
        if taken:
            left[item_id] -= taken
        result.append(line["quantity"] - taken)
    return result


def _applies(template, line):
    if not (template.applicable_categories or template.applicable_item_ids):
        return True
    if line.get("kind") != "labor":
        return False
    return line.get("category") in (template.applicable_categories or ()) or line.get("service_item_id") in (
        template.applicable_item_ids or ()
    )


def _not_applicable(message, **details):
    return Unprocessable("coupon_not_applicable", message, details=details)


def value_for_order(*, member_coupon_id, member_id, lines, total_fen, now=None, already_covered_units=None) -> int:
    """What the coupon is worth for this order, in fen (never more than ``total_fen``).

    ``lines``: the order's lines after tier discount ({"kind", "service_item_id", "part_id",
    "category", "unit_price_fen", "quantity", "line_total_fen"}). ``already_covered_units``:
    {service_item_id: units} already paid by other item tenders (package-card units, earlier item
    vouchers); those units count neither for a voucher nor in the applicable total.
    - cash_off: value_fen once the applicable total reaches threshold_fen, capped at that total;
    - percent_off: percent_off % of the applicable total (rounded down), capped at max_off_fen;
    - item_voucher: the unit price of one uncovered line unit of its service item (the dearest).
    The applicable total is the uncovered amount of the lines the template applies to (all lines
    without a restriction), capped at ``total_fen``."""
    now = now or clock.now()
    coupon = _load(member_coupon_id, member_id)
    _check_usable(coupon, now)
    template = coupon.template
    uncovered = _uncovered_quantities(lines, already_covered_units)
    if template.kind == "item_voucher":
        prices = [
            line["unit_price_fen"]
            for line, units in zip(lines, uncovered, strict=False)
            if units >= 1 and line.get("kind") == "labor" and line.get("service_item_id") == template.service_item_id
        ]
        if not prices:
            raise _not_applicable(
                "The order has no uncovered line this voucher pays for.", service_item_id=template.service_item_id
            )
        return min(max(prices), total_fen)
    applicable = min(
        total_fen,
        sum(
            max(0, line["line_total_fen"] - (line["quantity"] - units) * line["unit_price_fen"])
            for line, units in zip(lines, uncovered, strict=False)
            if _applies(template, line)
        ),
    )
    if applicable <= 0 or applicable < template.threshold_fen:
        raise _not_applicable(
            "The order does not reach this coupon's threshold.",
            threshold_fen=template.threshold_fen,
            applicable_fen=applicable,
        )
    if template.kind == "cash_off":
        value = min(template.value_fen, applicable)
    else:
        value = applicable * template.percent_off // 100
        if template.max_off_fen is not None:
            value = min(value, template.max_off_fen)
    if value <= 0:
        raise _not_applicable("The coupon is worth nothing on this order.")
    return value


def coupon_kind(member_coupon_id) -> str:
    """The template kind of a member coupon: cash_off, percent_off or item_voucher."""
    return _load(member_coupon_id).template.kind


def coupon_infos(*, member_coupon_ids, member_id, now=None) -> dict:
    """{member_coupon_id: {"kind", "template_id", "service_item_id", "status", "valid_until"}} for
    the member's coupons, in one query; 404 coupon_not_found if any is unknown or another
    member's. Statuses are reported, not enforced (``value_for_order`` and ``use`` enforce them)."""
    now = now or clock.now()
    wanted = set(member_coupon_ids)
    coupons = (
        db.session.scalars(
            select(MemberCoupon).where(MemberCoupon.id.in_(wanted), MemberCoupon.member_id == member_id)
        ).all()
        if wanted
        else []
    )
    missing = wanted - {coupon.id for coupon in coupons}
    if missing:
        raise NotFound("coupon_not_found", "No such coupon.", details={"member_coupon_ids": sorted(missing)})
    return {
        coupon.id: {
            "kind": coupon.template.kind,
            "template_id": coupon.template_id,
            "service_item_id": coupon.template.service_item_id,
            "status": coupon.status_at(now),
            "valid_until": coupon.valid_until,
        }
        for coupon in coupons
    }


def check_stacking(member_coupon_ids):
    """An order takes at most one cash_off or percent_off coupon (any number of item vouchers,
    each paying one line unit) and each coupon once: 422 coupons_do_not_stack otherwise."""
    if len(set(member_coupon_ids)) != len(member_coupon_ids):
        raise Unprocessable("coupons_do_not_stack", "A coupon can be given only once per order.")
    kinds = [coupon_kind(coupon_id) for coupon_id in member_coupon_ids]
    if sum(kind in ORDER_DISCOUNT_KINDS for kind in kinds) > 1:
        raise Unprocessable("coupons_do_not_stack", "An order takes at most one cash-off or percent-off coupon.")


def use(*, member_coupon_id, member_id, ref_type, ref_id, now=None) -> MemberCoupon:
    """Spend the coupon on a reference, at most once: a conditional UPDATE from unused within its
    validity. Conflict coupon_used (or coupon_expired, coupon_void, coupon_not_started)."""
    now = now or clock.now()
    changed = db.session.execute(
        update(MemberCoupon)
        .where(
            MemberCoupon.id == member_coupon_id,
            MemberCoupon.member_id == member_id,
            MemberCoupon.status == "unused",
            MemberCoupon.valid_from <= now,
            MemberCoupon.valid_until > now,
        )
        .values(status="used", used_at=now, used_ref_type=ref_type, used_ref_id=ref_id)
        .execution_options(synchronize_session=False)
    )
    coupon = _load(member_coupon_id, member_id, fresh=True)
    if changed.rowcount != 1:
        _check_usable(coupon, now)
        raise Conflict("coupon_used", "This coupon has already been used.")
    db.session.add(
        CouponEvent(member_coupon_id=coupon.id, kind="use", ref_type=ref_type, ref_id=ref_id, created_at=now)
    )
    db.session.flush()
    return coupon


def restore_reference(*, ref_type, ref_id, now=None) -> list[MemberCoupon]:
    """Give back the coupons a refunded reference used, if they are still within their validity;
    an expired coupon stays used (its value lapsed with the time). Idempotent."""
    now = now or clock.now()
    coupons = db.session.scalars(
        select(MemberCoupon)
        .where(
            MemberCoupon.used_ref_type == ref_type, MemberCoupon.used_ref_id == ref_id, MemberCoupon.status == "used"
        )
        .order_by(MemberCoupon.id)
    ).all()
    restored = []
    for coupon in coupons:
        if coupon.valid_until <= now:
            continue
        changed = db.session.execute(
            update(MemberCoupon)
            .where(
                MemberCoupon.id == coupon.id,
                MemberCoupon.status == "used",
                MemberCoupon.used_ref_type == ref_type,
                MemberCoupon.used_ref_id == ref_id,
            )
            .values(status="unused", used_at=None, used_ref_type=None, used_ref_id=None)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:
            db.session.add(
                CouponEvent(
                    member_coupon_id=coupon.id, kind="restore", ref_type=ref_type, ref_id=ref_id, created_at=now
                )
            )
            restored.append(coupon)
    db.session.flush()
    for coupon in restored:
        db.session.refresh(coupon)
    return restored


def void(*, member_coupon_id, ref_type, ref_id, now=None) -> bool:
    """Withdraw a coupon that has not been used (e.g. a stamp reward whose stamps were taken
    back). Returns False, changing nothing, when it was already used or withdrawn."""
    now = now or clock.now()
    changed = db.session.execute(
        update(MemberCoupon)
        .where(MemberCoupon.id == member_coupon_id, MemberCoupon.status == "unused")
        .values(status="void")
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    db.session.add(
        CouponEvent(member_coupon_id=member_coupon_id, kind="void", ref_type=ref_type, ref_id=ref_id, created_at=now)
    )
    db.session.flush()
    _load(member_coupon_id, fresh=True)
    return True


def summary_columns(member_id, now):
    """The counter summary's unused-coupon count, as an expression per member."""
    return {
        "unused_coupon_count": select(func.count())
        .where(
            MemberCoupon.member_id == member_id,
            MemberCoupon.status == "unused",
            MemberCoupon.valid_until > now,
        )
        .scalar_subquery()
    }


def _status_filter(stmt, status, now):
    if status == "unused":
        return stmt.where(MemberCoupon.status == "unused", MemberCoupon.valid_until > now)
    if status == "expired":
        return stmt.where(MemberCoupon.status == "unused", MemberCoupon.valid_until <= now)
    if status == "used":
        return stmt.where(MemberCoupon.status == "used")
    return stmt.where(MemberCoupon.status != "void")


def list_member_coupons(*, member_id, status=None, page=1, per_page=20, now=None):
    """A member's coupons, newest first; withdrawn (void) coupons are not listed."""
    stmt = select(MemberCoupon).where(MemberCoupon.member_id == member_id).order_by(MemberCoupon.id.desc())
    return paginate(_status_filter(stmt, status, now or clock.now()), page, per_page)


def get_member_coupon(*, member_id, member_coupon_id) -> MemberCoupon:
    coupon = _load(member_coupon_id, member_id)
    if coupon.status == "void":
        raise NotFound("coupon_not_found", "No such coupon.")
    return coupon


def find_by_code(code) -> MemberCoupon:
    """The counter scans a coupon's QR: the code names the coupon."""
    coupon = db.session.scalar(select(MemberCoupon).where(MemberCoupon.code == code.strip().upper()))
    if coupon is None:
        raise NotFound("coupon_not_found", "No coupon has this code.")
    return coupon


def coupons_expiring(*, start, end):
    """The unused coupons whose validity ends in [start, end), as a SELECT of (member_id,
    member_coupon_id, template_name) for an expiry-notice job to insert its messages from."""
    return (
        select(
            MemberCoupon.member_id.label("member_id"),
            MemberCoupon.id.label("member_coupon_id"),
            CouponTemplate.name.label("template_name"),
        )
        .join(CouponTemplate, CouponTemplate.id == MemberCoupon.template_id)
        .where(MemberCoupon.status == "unused", MemberCoupon.valid_until >= start, MemberCoupon.valid_until < end)
    )
