"""Overview figures that are read another way than they are defined (from balances, per group of
members, from the campaigns' used coupons, ranking referrers before naming them) against their
definitions over the raw rows, including the cases the other way could miss."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from app.common import clock
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.marketing.models import Campaign
from app.members.models import Member
from app.wallet.models import PointsLot
from app.workorders.models import WorkOrder, WorkOrderPayment
from tests.stats.helpers import NOW, _order, local, rows

MARCH = {"first_day": date(2026, 3, 1), "last_day": date(2026, 3, 31)}
# Two years after the shop's first visits: lots earned in 2025 have reached their day (points are
# valid 24 months by default), the March 2026 ones have not.
LATER = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)


def live_points(app, now):
    return sum(
        lot.remaining
        for lot in rows(app, PointsLot)
        if lot.remaining > 0 and lot.expired_at is None and lot.expires_at > now
    )


def overview_at(app, now, **period):
    from app.stats.services import overview

    with app.app_context():
        clock.set_now(now)
        try:
            return overview(now=now, **(period or MARCH))
        finally:
            db.session.rollback()
            clock.set_now(NOW)


def test_points_outstanding_leave_out_lots_whose_day_came_before_any_expiry_ran(app, shop):
    due = [
        lot for lot in rows(app, PointsLot) if lot.expired_at is None and lot.remaining > 0 and lot.expires_at <= LATER
    ]
    assert due, "the shop has lots that reach their day before LATER"
    assert overview_at(app, NOW)["liabilities"]["points_outstanding"] == live_points(app, NOW)
    before_expiry = overview_at(app, LATER)["liabilities"]["points_outstanding"]
    assert before_expiry == live_points(app, LATER) < live_points(app, NOW)

    from app.wallet.points import expire_points

    with app.app_context():
        assert expire_points(now=LATER) == sum(lot.remaining for lot in due)
        db.session.commit()
    assert overview_at(app, LATER)["liabilities"]["points_outstanding"] == before_expiry == live_points(app, LATER)


def test_members_merged_into_another_are_counted_nowhere(app, shop):
    before = overview_at(app, NOW)["members"]
    with app.app_context():
        # Bob's counter account turned out to be Alice's (a silver member who visited last May and in March).
        db.session.execute(
            update(Member).where(Member.id == shop.members["bob"]).values(merged_into_id=shop.members["alice"])
        )
        db.session.commit()
    after = overview_at(app, NOW)["members"]
    assert after["total"] == before["total"] - 1
    assert after["by_lifecycle"]["active"] == before["by_lifecycle"]["active"] - 1
    assert sum(after["by_lifecycle"].values()) == sum(after["by_value_class"].values()) == after["total"]
    silver = lambda figures: next(t["members"] for t in figures["by_tier"] if t["name"] == "银卡")  # noqa: E731
    assert silver(after) == silver(before) - 1


def test_lifecycle_thresholds_come_from_the_settings(app, shop):
    from app.merchant.models import MerchantSettings

    with app.app_context():
        # Shorter thresholds than the defaults: Bob (5 March) turns at risk, Gina (August) churned.
        db.session.execute(update(MerchantSettings).values(at_risk_after_days=20, churned_after_days=200))
        db.session.commit()
    last_visit = {}
    for order in rows(app, WorkOrder):
        if order.status == "settled" and order.member_id is not None:
            last_visit[order.member_id] = max(last_visit.get(order.member_id, order.settled_at), order.settled_at)
    expected = dict.fromkeys(("new", "active", "at_risk", "churned"), 0)
    for member in rows(app, Member):
        last = last_visit.get(member.id)
        expected[
            "new"
            if last is None
            else "churned"
            if NOW - last > timedelta(days=200)
            else "at_risk"
            if NOW - last > timedelta(days=20)
            else "active"
        ] += 1
    lifecycles = overview_at(app, NOW)["members"]["by_lifecycle"]
    assert lifecycles == expected
    assert min(lifecycles.values()) > 0


def _campaign_truth(app, campaign_id):
    """A campaign's used coupons and the revenue of the settled orders they paid, by definition:
    posted coupon tenders of a used campaign coupon, each order once."""
    used = {
        c.id
        for c in rows(app, MemberCoupon)
        if c.ref_type == "campaign" and c.ref_id == campaign_id and c.status == "used"
    }
    paying = {
        p.work_order_id
        for p in rows(app, WorkOrderPayment)
        if p.type == "coupon" and p.status == "posted" and p.member_coupon_id in used
    }
    return len(used), sum(o.total_fen for o in rows(app, WorkOrder) if o.id in paying and o.status == "settled")


def _paid_in_the_mini_program(shop, name, plate, lines, coupon_id, when):
    from app.payments.models import PaymentOrder
    from app.workorders import member_pay, services

    clock.set_now(local(when))
    order = services.open_work_order(actor=None, store_id=shop.stores[0], plate=plate, lines=lines)
    services.change_status(actor=None, work_order_id=order.id, status="completed")
    _, payment, _ = member_pay.pay(
        member_id=shop.members[name],
        work_order_id=order.id,
        tenders=[{"type": "coupon", "member_coupon_id": coupon_id}],
    )
    db.session.commit()
    member_pay.on_paid(db.session.get(PaymentOrder, payment.id))
    db.session.commit()
    return order.id


def test_campaign_results_of_several_campaigns_match_each_campaign_and_leave_refunded_orders_out(app, shop):
    from app.coupons import template_services as coupon_templates
    from app.marketing import campaigns, segments
    from app.workorders import refund

    with app.app_context():
        clock.set_now(local("2026-03-21 09:00"))
        coupon = coupon_templates.create_template(
            data={"name": "春季券", "kind": "cash_off", "value_fen": 2000, "valid_days": 30, "claimable": False}
        )
        segment = segments.create_segment(name="春季", rules={"all": []})
        second = campaigns.create_campaign(
            name="春季回店",
            segment_id=segment.id,
            coupon_template_id=coupon.id,
            message={"template_key": "campaign", "fields": {"thing1": "春季福利"}},
            send_at=local("2026-03-21 10:00"),
        )
        without_coupon = campaigns.create_campaign(
            name="只发消息",
            segment_id=segment.id,
            message={"template_key": "campaign", "fields": {"thing1": "门店通知"}},
            send_at=local("2026-03-21 10:00"),
        )
        db.session.commit()
        campaigns.launch(campaign_id=second.id, now=local("2026-03-21 10:00"))
        campaigns.launch(campaign_id=without_coupon.id, now=local("2026-03-21 10:00"))
        db.session.commit()
        coupon_of = dict(
            db.session.execute(
                select(MemberCoupon.member_id, MemberCoupon.id).where(
                    MemberCoupon.ref_type == "campaign", MemberCoupon.ref_id == second.id
                )
            ).all()
        )
        second_id, without_coupon_id = second.id, without_coupon.id
    wash = [{"service_item_id": shop.items["wash"], "quantity": 1}]

    # Carol pays a wash with the spring coupon; Gina does too, and the wash is refunded (her coupon
    # comes back unused); Bob pays his wash with it in April (after the period: still counted, the
    # results are the campaign's, whenever its coupons are used).
    def with_coupon(name, cash_fen):
        return [
            {"type": "coupon", "member_coupon_id": coupon_of[shop.members[name]]},
            {"type": "cash", "amount_fen": cash_fen},
        ]

    with app.app_context():
        carol = _order(shop, 0, "粤B10003", wash, with_coupon("carol", 3000), "2026-03-22 10:00")
        gina = _order(shop, 1, "粤B10007", wash, with_coupon("gina", 3000), "2026-03-23 10:00")
        refund.refund(actor=None, work_order_id=gina, reason="customer complaint", now=local("2026-03-24 10:00"))
        db.session.commit()
        bob = _order(shop, 0, "粤B10002", wash, with_coupon("bob", 2750), "2026-04-01 11:00")
        # Alice pays in the mini-program: the coupon is held under the payment attempt, and posted
        # when WeChat confirms the rest.
        alice = _paid_in_the_mini_program(
            shop, "alice", "粤B10001", wash, coupon_of[shop.members["alice"]], "2026-03-26 10:00"
        )
        clock.set_now(NOW)

    body = overview_at(app, NOW)["campaigns"]
    by_id = {item["id"]: item for item in body["items"]}
    assert list(by_id) == [shop.campaign, second_id, without_coupon_id]
    orders = {o.id: o for o in rows(app, WorkOrder)}
    assert orders[alice].status == "settled"
    assert _campaign_truth(app, second_id) == (
        3,
        orders[carol].total_fen + orders[bob].total_fen + orders[alice].total_fen,
    )
    for campaign_id in (shop.campaign, second_id):
        item = by_id[campaign_id]
        assert (item["coupons_used"], item["revenue_fen"]) == _campaign_truth(app, campaign_id)
    assert (by_id[without_coupon_id]["coupons_used"], by_id[without_coupon_id]["revenue_fen"]) == (0, 0)
    assert body["revenue_fen"] == sum(item["revenue_fen"] for item in body["items"])
    assert body["coupons_used"] == sum(item["coupons_used"] for item in body["items"])

    from app.marketing.campaigns import campaign_results, results_of

    with app.app_context():
        launched = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
        together = results_of(launched)
        assert together == {campaign.id: campaign_results(campaign) for campaign in launched}
        assert {
            campaign_id: {k: v for k, v in item.items() if k in together[campaign_id]}
            for campaign_id, item in by_id.items()
        } == together
