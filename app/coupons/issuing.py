"""Issuing member coupons: one at a time (``issue``, a member's ``claim``) or to many members at once
(``issue_to_many``: campaigns, birthday and win-back offers).

Rules kept here:
- Codes are 10 characters of an alphabet without 0/O/1/I, valid in a mini-program ``scene``.
- Stock: ``coupon_templates.issued_count`` moves by a conditional UPDATE (``issued_count <
  total_stock``), checked by row count. The template row is locked first, so the per-member
  count is read and the member's next ``seq`` inserted under it; UNIQUE (template, member, seq)
  backs the per-member limit where no lock is taken (SQLite serialises writers instead).
- Earned rewards (``stamp_reward``, ``referral_reward``) are always issued: they bypass the
  template's active flag, stock and per-member limit, and do not count against the stock
  (``issued_count``).
- Issuing to many applies the same rules set-based under the same template lock: members over
  their limit are skipped, the stock is given in the callers' order until it runs out, each coupon
  gets its ``issue`` event.
"""

import logging
import secrets

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.common.errors import Conflict, Forbidden, NotFound
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


def new_code():
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
            code=new_code(),
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
