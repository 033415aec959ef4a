"""Helpers of the stats tests (the fixtures are in this package's conftest)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.common import clock, deferred
from app.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


def local(text, tz=SHANGHAI):
    """'2026-03-10 23:30' in the merchant's zone, as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


@dataclass
class Shop:
    stores: list
    tiers: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)


def _at(text):
    instant = local(text)
    clock.set_now(instant)
    return instant


def _order(shop, store_index, plate, lines, tenders, settled, refunded=None):
    from app.workorders import refund, services, settle

    when = _at(settled)
    order = services.open_work_order(actor=None, store_id=shop.stores[store_index], plate=plate, lines=lines, now=when)
    settle.settle(
        actor=None, work_order_id=order.id, tenders=tenders(order) if callable(tenders) else tenders, now=when
    )
    db.session.commit()
    deferred.run_pending()  # what the settle deferred past its commit, as a request runs it after answering
    if refunded:
        refund.refund(actor=None, work_order_id=order.id, reason="customer complaint", now=_at(refunded))
        db.session.commit()
    return order.id


def build_shop(app, stores):
    """Members in several tiers and lifecycles, top-ups, orders paid with several tender types, a
    refund in the period and one of an order settled before it, package cards, coupons, a campaign,
    a referral and follow-up outcomes."""
    from app.cards import services as cards
    from app.cards import template_services as card_templates
    from app.catalog import services as catalog
    from app.coupons import issuing as coupons
    from app.coupons import template_services as coupon_templates
    from app.coupons.models import MemberCoupon
    from app.marketing import campaigns, followups, segments
    from app.marketing.models import FollowUp
    from app.members import services as members
    from app.members.tiers import services as tier_services
    from app.members.vehicle_services import claim_vehicle
    from app.wallet import plans, points
    from app.wallet import services as wallet
    from app.workorders import services as workorders

    shop = Shop(stores=stores)
    with app.app_context():
        _at("2025-01-05 10:00")

        def tier(name, rank, discount, spend):
            data = {"name": name, "rank": rank, "labor_discount_percent": discount, "min_spend_12m_fen": spend}
            return tier_services.create_tier(data=data).id

        # Thresholds no one here reaches: the tiers stay as staff set them.
        shop.tiers = {
            "gold": tier("金卡", 2, 10, 5_000_000),
            "silver": tier("银卡", 1, 5, 1_000_000),
            "diamond": tier("钻石卡", 3, 0, 10_000_000),
        }

        def item(name, category, price):
            return catalog.create_service_item(data={"name": name, "category": category, "price_fen": price}).id

        shop.items = {
            "wash": item("洗车", "wash", 5000),
            "oil": item("保养", "maintenance", 19999),
            "panel": item("钣金", "repair", 30000),
            "filter": catalog.create_part(data={"name": "机油滤芯", "sku": "F-1", "price_fen": 8000, "stock": 50}).id,
        }
        plan = plans.create_topup_plan(data={"name": "充1000送200", "pay_fen": 100000, "bonus_fen": 20000})
        _, alice, _ = members.login_with_wechat(code="alice")
        claim_vehicle(member=alice, plate="粤B10001")
        bob = members.register_at_counter(phone="13900000002", nickname="=SUM(A1)", plate="粤B10002")
        carol = members.register_at_counter(phone="13900000003", nickname="小红", plate="粤B10003")
        dave = members.register_at_counter(phone="13900000004", nickname="老王", plate="粤B10004")
        gina = members.register_at_counter(phone="13900000007", nickname="阿金", plate="粤B10007")
        members.update_member_by_staff(member_id=alice.id, changes={"tier_id": shop.tiers["gold"]})
        members.update_member_by_staff(member_id=bob.id, changes={"tier_id": shop.tiers["silver"]})
        members.update_member_by_staff(member_id=dave.id, changes={"tier_id": shop.tiers["silver"]})
        shop.members = {"alice": alice.id, "bob": bob.id, "carol": carol.id, "dave": dave.id, "gina": gina.id}
        db.session.commit()
        items = shop.items

        def wash(plate, store=0):
            return lambda tenders, settled, refunded=None: _order(
                shop, store, plate, [{"service_item_id": items["wash"], "quantity": 1}], tenders, settled, refunded
            )

        # Visits before the period: Carol long ago (churned), Gina eight months ago (at risk), Dave
        # twice last year, Bob once last May.
        shop.orders["carol_2025"] = wash("粤B10003")([{"type": "cash", "amount_fen": 5000}], "2025-01-10 10:00")
        shop.orders["gina_august"] = wash("粤B10007")([{"type": "cash", "amount_fen": 5000}], "2025-08-01 10:00")
        shop.orders["dave_june"] = wash("粤B10004")([{"type": "cash", "amount_fen": 4750}], "2025-06-01 10:00")
        shop.orders["dave_sept"] = wash("粤B10004")([{"type": "wechat", "amount_fen": 4750}], "2025-09-01 10:00")
        shop.orders["bob_may"] = wash("粤B10002")([{"type": "cash", "amount_fen": 4750}], "2025-05-20 10:00")
        # Settled before the period, refunded inside it.
        shop.orders["carol_feb_refunded"] = wash("粤B10003")(
            [{"type": "cash", "amount_fen": 5000}], "2026-02-20 10:00", refunded="2026-03-02 11:00"
        )
        # Period boundaries: 23:50 on 28 Feb is outside, 00:05 on 1 March inside (UTC: 28 Feb 16:05).
        shop.orders["walk_in_feb"] = wash("京A77777")([{"type": "cash", "amount_fen": 5000}], "2026-02-28 23:50")
        shop.orders["walk_in_march_1"] = wash("京A77777")([{"type": "card", "amount_fen": 5000}], "2026-03-01 00:05")

        _at("2026-03-01 09:00")
        points.adjust_points(member_id=alice.id, points=5000, reason="opening balance")
        staff_coupon = coupon_templates.create_template(
            data={"name": "满减券", "kind": "cash_off", "value_fen": 3000, "valid_days": 60, "claimable": False}
        )
        bob_coupon = coupons.issue(template_id=staff_coupon.id, member_id=bob.id, source="staff")
        _at("2026-03-02 10:00")
        wallet.top_up(member_id=alice.id, amount_fen=100000, plan_id=plan.id, paid_via="wechat")
        wallet.top_up(member_id=bob.id, amount_fen=30000, paid_via="cash")
        _at("2026-03-03 10:00")
        card_template = card_templates.create_package_template(
            data={
                "name": "洗车五次卡",
                "price_fen": 20000,
                "valid_days": 365,
                "items": [{"service_item_id": items["wash"], "count": 5}],
            }
        )
        alice_card = cards.sell_package_card(
            member_id=alice.id, template_id=card_template.id, paid_via="alipay", store_id=stores[0]
        )
        _at("2026-03-04 10:00")
        short_template = card_templates.create_package_template(
            data={
                "name": "短期卡",
                "price_fen": 9000,
                "valid_days": 10,
                "items": [{"service_item_id": items["wash"], "count": 3}],
            }
        )
        cards.sell_package_card(member_id=dave.id, template_id=short_template.id, paid_via="cash", store_id=stores[1])
        db.session.commit()

        # Bob: oil change and a filter, a cash-off coupon and WeChat Pay (silver: 5 % off labor).
        shop.orders["bob_oil"] = _order(
            shop,
            0,
            "粤B10002",
            [{"service_item_id": items["oil"], "quantity": 1}, {"part_id": items["filter"], "quantity": 1}],
            [{"type": "coupon", "member_coupon_id": bob_coupon.id}, {"type": "wechat", "amount_fen": 23999}],
            "2026-03-05 09:00",
        )
        # Campaign to everyone, with a coupon, launched on 8 March.
        _at("2026-03-06 10:00")
        campaign_coupon = coupon_templates.create_template(
            data={"name": "回店券", "kind": "cash_off", "value_fen": 1000, "valid_days": 30, "claimable": False}
        )
        segment = segments.create_segment(name="所有会员", rules={"all": []})
        campaign = campaigns.create_campaign(
            name="三月回店",
            segment_id=segment.id,
            coupon_template_id=campaign_coupon.id,
            message={"template_key": "campaign", "fields": {"thing1": "会员福利到账"}},
            send_at=local("2026-03-08 10:00"),
        )
        db.session.commit()
        campaigns.launch(campaign_id=campaign.id, now=_at("2026-03-08 10:00"))
        db.session.commit()
        shop.campaign = campaign.id
        # Alice at 23:30 local on 10 March (15:30 UTC): points, stored value and cash (gold: 10 % off labor).
        shop.orders["alice_late"] = _order(
            shop,
            0,
            "粤B10001",
            [{"service_item_id": items["wash"], "quantity": 1}, {"service_item_id": items["oil"], "quantity": 1}],
            [
                {"type": "points", "points": 2000},
                {"type": "stored_value", "amount_fen": 15000},
                {"type": "cash", "amount_fen": 5499},
            ],
            "2026-03-10 23:30",
        )
        # Bob: a wash paid by Alipay, refunded the next day.
        shop.orders["bob_refunded"] = wash("粤B10002")(
            [{"type": "alipay", "amount_fen": 4750}], "2026-03-12 10:00", refunded="2026-03-13 10:00"
        )
        # Erin joins through Alice's code (new member, never visits).
        _at("2026-03-15 09:00")
        _, erin, _ = members.login_with_wechat(code="erin", referral_code=alice.referral_code)
        shop.members["erin"] = erin.id
        db.session.commit()
        shop.orders["walk_in_wash"] = wash("京A88888")([{"type": "cash", "amount_fen": 5000}], "2026-03-15 12:00")
        # Alice: a wash on her package card, with the campaign coupon left unused.
        shop.orders["alice_card"] = wash("粤B10001")(
            [{"type": "package_card", "card_id": alice_card.id, "service_item_id": items["wash"]}], "2026-03-20 12:00"
        )
        # Dave at store 2: panel work with bank card, and his campaign coupon.
        dave_campaign_coupon = db.session.scalar(
            select(MemberCoupon.id).where(MemberCoupon.member_id == dave.id, MemberCoupon.ref_type == "campaign")
        )
        shop.orders["dave_panel"] = _order(
            shop,
            1,
            "粤B10004",
            [{"service_item_id": items["panel"], "quantity": 1}],
            [{"type": "coupon", "member_coupon_id": dave_campaign_coupon}, {"type": "card", "amount_fen": 27500}],
            "2026-03-31 23:30",
        )
        # After the period (1 April local, still 31 March in UTC).
        shop.orders["alice_april"] = wash("粤B10001")([{"type": "cash", "amount_fen": 4500}], "2026-04-01 00:10")
        # An order opened in the period and never settled.
        _at("2026-03-25 10:00")
        workorders.open_work_order(
            actor=None, store_id=stores[0], plate="粤B10002", lines=[{"service_item_id": items["wash"], "quantity": 1}]
        )
        # Follow-up outcomes: two in the period (one lost to price), one after it.
        entries = []
        for index, (member, store) in enumerate([("carol", 0), ("dave", 1), ("bob", 0)]):
            entry = FollowUp(
                member_id=shop.members[member],
                kind="win_back",
                reason="no_grant",
                dedupe_key=f"test:{index}",
                store_id=stores[store],
                due_date=local("2026-03-18 00:00").date(),
            )
            db.session.add(entry)
            entries.append(entry)
        db.session.flush()
        followups.record_outcome(
            follow_up_id=entries[0].id, result="lost", churn_reason="price", now=local("2026-03-20 15:00")
        )
        followups.record_outcome(
            follow_up_id=entries[1].id, result="reached", mileage_unknown=True, now=local("2026-03-21 15:00")
        )
        followups.record_outcome(
            follow_up_id=entries[2].id, result="booked", mileage_unknown=True, now=local("2026-04-01 09:00")
        )
        # Frank registers after the period.
        _at("2026-04-01 00:30")
        shop.members["frank"] = members.register_at_counter(phone="13900000006", nickname="弗兰克").id
        db.session.commit()
    clock.set_now(NOW)
    return shop


def rows(app, model):
    """Every row of a table as plain objects (read inside a context, detached)."""
    with app.app_context():
        result = db.session.scalars(select(model)).all()
        db.session.expunge_all()
        return result


def local_day(instant, tz=SHANGHAI):
    return instant.astimezone(tz).date()


def days_between(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
