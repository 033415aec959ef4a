"""Issuing to many members at once keeps the rules of a single issue: limits, stock, events."""

from sqlalchemy import literal, select, union_all, update

from app.coupons import issuing as coupons
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.extensions import db
from app.members.models import Member
from tests.factories import NOON_ISH, make_template, new_member


def _recipients(member_ids, ref_id=7):
    return union_all(
        *[
            select(
                literal(member_id).label("member_id"),
                literal(ref_id).label("ref_id"),
                literal(position).label("position"),
            )
            for position, member_id in enumerate(member_ids)
        ]
    )


def test_bulk_issue_respects_limit_stock_order_and_writes_events(app):
    template_id = make_template(app, per_member_limit=1, total_stock=3, claimable=False)
    ids = [new_member(app, phone=f"1390000010{n}") for n in range(6)]
    with app.app_context():
        coupons.issue(template_id=template_id, member_id=ids[0], source="grant", now=NOON_ISH)  # at the limit
        db.session.execute(update(Member).where(Member.id == ids[2]).values(merged_into_id=ids[3]))
        # ids[1] twice: the limit of one lets only the first row through.
        issued = len(
            coupons.issue_to_many(
                template_id=template_id,
                recipients=_recipients([ids[0], ids[1], ids[1], ids[2], ids[4], ids[5], ids[3]]),
                source="campaign",
                ref_type="campaign",
                now=NOON_ISH,
            )
        )
        assert issued == 2  # stock 3, one taken by the grant: ids[1] and ids[4], in the callers' order
        new = db.session.scalars(
            select(MemberCoupon).where(MemberCoupon.source == "campaign").order_by(MemberCoupon.id)
        ).all()
        assert [(c.member_id, c.seq, c.ref_id, c.status) for c in new] == [
            (ids[1], 1, 7, "unused"),
            (ids[4], 1, 7, "unused"),
        ]
        assert len({c.code for c in new}) == 2 and all(len(c.code) == coupons.CODE_LENGTH for c in new)
        assert db.session.get(CouponTemplate, template_id).issued_count == 3
        events = db.session.scalars(
            select(CouponEvent).where(CouponEvent.member_coupon_id.in_([c.id for c in new]))
        ).all()
        assert sorted((e.kind, e.ref_type, e.ref_id) for e in events) == [("issue", "campaign", 7)] * 2
        # Out of stock now: nobody more gets one.
        assert (
            coupons.issue_to_many(
                template_id=template_id,
                recipients=_recipients([ids[5]]),
                source="campaign",
                ref_type="campaign",
                now=NOON_ISH,
            )
            == []
        )
        db.session.rollback()


def test_bulk_issue_numbers_each_members_coupons_and_refuses_an_inactive_template(app):
    template_id = make_template(app, claimable=False)
    first, second = new_member(app, phone="13900000201"), new_member(app, phone="13900000202")
    with app.app_context():
        coupons.issue(template_id=template_id, member_id=first, source="grant", now=NOON_ISH)
        issued = coupons.issue_to_many(
            template_id=template_id,
            recipients=_recipients([first, first, second]),
            source="win_back",
            ref_type="marketing_message",
            now=NOON_ISH,
        )
        assert [(member, ref) for _coupon, member, ref in issued] == [(first, 7), (first, 7), (second, 7)]
        seqs = db.session.execute(select(MemberCoupon.member_id, MemberCoupon.seq).order_by(MemberCoupon.id)).all()
        assert [tuple(row) for row in seqs] == [(first, 1), (first, 2), (first, 3), (second, 1)]
        db.session.get(CouponTemplate, template_id).is_active = False
        assert (
            coupons.issue_to_many(
                template_id=template_id,
                recipients=_recipients([second]),
                source="win_back",
                ref_type="marketing_message",
                now=NOON_ISH,
            )
            == []
        )
        db.session.rollback()
