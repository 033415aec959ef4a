"""Member coupons: issue, claim, value, use, restore. What the work-order checkout calls.

Rules kept here:
- Codes are 10 characters of an alphabet without 0/O/1/I, valid in a mini-program ``scene``.
- Stock: ``coupon_templates.issued_count`` moves by a conditional UPDATE (``issued_count <
  total_stock``), checked by row count. The template row is locked first, so the per-member
  count is read and the member's next ``seq`` inserted under it; UNIQUE (template, member, seq)
  backs the per-member limit where no lock is taken (SQLite serialises writers instead).
- Earned rewards (``stamp_reward``, ``referral_reward``) are always issued: they bypass the
  template's active flag, stock and per-member limit, and do not count against the stock
  (``issued_count``).
- Status: stored ``unused``/``used``/``void``; an unused coupon past ``valid_until`` reads as
  ``expired`` (derived from the clock, no job needed).
- Issuing to many members at once (``issue_to_many``: campaigns, birthday and win-back offers)
  applies the same rules set-based under the same template lock: members over their limit are
  skipped, the stock is given in the callers' order until it runs out, each coupon gets its
  ``issue`` event.
- A coupon is used at most once: a conditional UPDATE from ``unused`` (also under 20 concurrent
  uses exactly one row count is 1). Refunding the reference gives it back only while it is
  still valid; an expired coupon stays used.
- Not applicable to an order (threshold not reached, no matching line) is 422; used, expired,
  void or not yet started is 409; another member's coupon is 404.
"""

import logging
import secrets

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.coupons.template_services import get_template
from app.extensions import db
from app.members.models import Member
from app.members.services import get_member
from app.merchant.services import merchant_timezone

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
EARNED_SOURCES = ("stamp_reward", "referral_reward")
# Kinds of which an order takes at most one (item vouchers stack, one line unit each).
ORDER_DISCOUNT_KINDS = ("cash_off", "percent_off")


def _new_code():
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(MemberCoupon.id).where(MemberCoupon.code == code)) is None:
            return code


def validity_for(template, now):
    """(valid_from, valid_until) of a coupon issued ``now``: N merchant-local days including
    today, or the template's fixed window from the start of its first day to the end of its last."""
    tz_name = merchant_timezone()
    if template.valid_days is not None:
        return now, clock.validity_end(template.valid_days, tz_name, now)
    return clock.local_day_bounds(template.valid_from, tz_name)[0], clock.local_day_bounds(
        template.valid_until, tz_name
    )[1]


def issue(*, template_id, member_id, source, ref_type=None, ref_id=None, now=None) -> MemberCoupon:
    """Give a member a coupon of the template, respecting its stock and per-member limit (except
    for earned rewards, see the module docstring). All or nothing: a refusal leaves no trace in
    the caller's transaction. Conflicts: coupon_template_inactive, coupon_template_expired,
    coupon_limit_reached, coupon_out_of_stock."""
    now = now or clock.now()
    get_member(member_id)
    earned = source in EARNED_SOURCES
    with db.session.begin_nested():
        template = get_template(template_id, lock=True)
        if not earned and not template.is_active:
            raise Conflict("coupon_template_inactive", "This coupon is no longer offered.")
        valid_from, valid_until = validity_for(template, now)
        if valid_until <= now:
            raise Conflict("coupon_template_expired", "This coupon's validity window has ended.")
        held = db.session.scalar(
            select(func.count()).where(MemberCoupon.template_id == template.id, MemberCoupon.member_id == member_id)
        )
        if not earned:
            if template.per_member_limit is not None and held >= template.per_member_limit:
                raise Conflict(
                    "coupon_limit_reached",
                    "The member already holds as many of these as allowed.",
                    details={"per_member_limit": template.per_member_limit},
                )
            taken = db.session.execute(
                update(CouponTemplate)
                .where(
                    CouponTemplate.id == template.id,
                    or_(CouponTemplate.total_stock.is_(None), CouponTemplate.issued_count < CouponTemplate.total_stock),
                )
                .values(issued_count=CouponTemplate.issued_count + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise Conflict("coupon_out_of_stock", "This coupon has run out.")
            db.session.expire(template, ["issued_count"])
        coupon = MemberCoupon(
            code=_new_code(),
            template_id=template.id,
            member_id=member_id,
            seq=held + 1,
            status="unused",
            source=source,
            ref_type=ref_type,
            ref_id=ref_id,
            valid_from=valid_from,
            valid_until=valid_until,
            created_at=now,
        )
        db.session.add(coupon)
        db.session.flush()
        db.session.add(
            CouponEvent(member_coupon_id=coupon.id, kind="issue", ref_type=ref_type, ref_id=ref_id, created_at=now)
        )
        db.session.flush()
    return coupon


BULK_CHUNK = 5_000


def _random_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_to_many(*, template_id, recipients, source, ref_type, now=None) -> list:
    """Issue one coupon of the template per row of ``recipients``, a SELECT labelled ``member_id``,
    ``ref_id`` and ``position`` (the order in which a limited stock is handed out). The rules of
    ``issue``, set-based: a template that is inactive or whose window has ended gives nobody a
    coupon; a member at the per-member limit (or a merged member) is skipped; the stock goes to
    the first rows until it runs out. Each coupon gets its ``issue`` event. Returns the coupons
    issued as (coupon_id, member_id, ref_id) rows."""
    now = now or clock.now()
    earned = source in EARNED_SOURCES
    template = get_template(template_id, lock=True)
    if not earned and not template.is_active:
        log.info("coupon template %s is inactive: no %s coupons issued", template.id, source)
        return []
    valid_from, valid_until = validity_for(template, now)
    if valid_until <= now:
        log.info("coupon template %s has expired: no %s coupons issued", template.id, source)
        return []
    wanted = recipients.subquery()
    # Counted per recipient on the (template, member, seq) index: the recipients were usually just
    # queued, so the planner knows nothing of their number and a join could go badly wrong.
    held = (
        select(func.count())
        .where(MemberCoupon.template_id == template.id, MemberCoupon.member_id == wanted.c.member_id)
        .scalar_subquery()
    )
    # The member's n-th coupon of the template, counting those held and the earlier rows here.
    numbered = (
        select(
            wanted.c.member_id,
            wanted.c.ref_id,
            wanted.c.position,
            (held + func.row_number().over(partition_by=wanted.c.member_id, order_by=wanted.c.position)).label("seq"),
        )
        .join(Member, Member.id == wanted.c.member_id)  # merged members get nothing (as get_member)
        .where(Member.merged_into_id.is_(None))
        .subquery()
    )
    stmt = select(numbered.c.member_id, numbered.c.ref_id, numbered.c.seq).order_by(numbered.c.position)
    if not earned:
        if template.per_member_limit is not None:
            stmt = stmt.where(numbered.c.seq <= template.per_member_limit)
        if template.total_stock is not None:
            stmt = stmt.limit(max(0, template.total_stock - template.issued_count))
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    if not earned:
        taken = db.session.execute(
            update(CouponTemplate)
            .where(
                CouponTemplate.id == template.id,
                or_(
                    CouponTemplate.total_stock.is_(None),
                    CouponTemplate.issued_count + len(rows) <= CouponTemplate.total_stock,
                ),
            )
            .values(issued_count=CouponTemplate.issued_count + len(rows))
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # cannot happen under the lock; refuse rather than overissue
            raise Conflict("coupon_out_of_stock", "This coupon has run out.")
        db.session.expire(template, ["issued_count"])
    common = {
        "template_id": template.id,
        "source": source,
        "ref_type": ref_type,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "now": now,
    }
    issued = []
    for start in range(0, len(rows), BULK_CHUNK):
        issued += _insert_chunk(rows[start : start + BULK_CHUNK], common)
    return issued


def _insert_chunk(rows, common):
    """Insert one chunk of coupons and their issue events; a code that happens to exist already
    (a one in 10^9 chance per chunk) is drawn again by retrying the chunk."""
    for _attempt in range(5):
        codes = [_random_code() for _ in rows]
        if len(set(codes)) != len(codes):
            continue
        try:
            with db.session.begin_nested():
                if db.session.get_bind().dialect.name == "postgresql":
                    return _insert_chunk_postgresql(rows, codes, common)
                return _insert_chunk_rows(rows, codes, common)
        except IntegrityError as error:
            if "code" not in str(error.orig):
                raise
    raise RuntimeError("could not draw unique coupon codes")


def _insert_chunk_postgresql(rows, codes, common):
    # One statement per chunk: the coupons from arrays, their events from the RETURNING rows.
    return [
        tuple(row)
        for row in db.session.execute(
            text(
                "WITH new AS ("
                " INSERT INTO member_coupons (code, template_id, member_id, seq, status, source, ref_type, ref_id,"
                "  valid_from, valid_until, created_at)"
                " SELECT c.code, :template_id, c.member_id, c.seq, 'unused', :source, :ref_type, c.ref_id,"
                "  :valid_from, :valid_until, :now"
                " FROM unnest(CAST(:codes AS text[]), CAST(:member_ids AS bigint[]), CAST(:seqs AS int[]),"
                "  CAST(:ref_ids AS bigint[])) AS c(code, member_id, seq, ref_id)"
                " RETURNING id, member_id, ref_type, ref_id),"
                " events AS (INSERT INTO coupon_events (member_coupon_id, kind, ref_type, ref_id, created_at)"
                "  SELECT id, 'issue', ref_type, ref_id, :now FROM new)"
                " SELECT id, member_id, ref_id FROM new ORDER BY id"
            ),
            {
                "codes": codes,
                "member_ids": [row.member_id for row in rows],
                "seqs": [row.seq for row in rows],
                "ref_ids": [row.ref_id for row in rows],
                **common,
            },
        )
    ]


def _insert_chunk_rows(rows, codes, common):
    coupons = (
        db.session.execute(
            insert(MemberCoupon.__table__).returning(MemberCoupon.id, sort_by_parameter_order=True),
            [
                {
                    "code": code,
                    "template_id": common["template_id"],
                    "member_id": row.member_id,
                    "seq": row.seq,
                    "status": "unused",
                    "source": common["source"],
                    "ref_type": common["ref_type"],
                    "ref_id": row.ref_id,
                    "valid_from": common["valid_from"],
                    "valid_until": common["valid_until"],
                    "created_at": common["now"],
                }
                for code, row in zip(codes, rows, strict=False)
            ],
        )
        .scalars()
        .all()
    )
    db.session.execute(
        insert(CouponEvent.__table__),
        [
            {
                "member_coupon_id": coupon_id,
                "kind": "issue",
                "ref_type": common["ref_type"],
                "ref_id": row.ref_id,
                "created_at": common["now"],
            }
            for coupon_id, row in zip(coupons, rows, strict=False)
        ],
    )
    return [(coupon_id, row.member_id, row.ref_id) for coupon_id, row in zip(coupons, rows, strict=False)]


def claim(*, template_id, member_id, now=None) -> MemberCoupon:
    """A member takes a coupon of a claimable template: 404 for an inactive or unknown template,
    403 coupon_not_claimable for issue-only ones, then the limits of ``issue``."""
    template = get_template(template_id)
    if not template.is_active:
        raise NotFound("coupon_template_not_found", "No such coupon template.")
    if not template.claimable:
        raise Forbidden("coupon_not_claimable", "This coupon is given by the shop, not claimed.")
    return issue(template_id=template_id, member_id=member_id, source="claim", now=now)


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
