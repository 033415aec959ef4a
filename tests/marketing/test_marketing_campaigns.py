"""Campaigns end to end: schedule, launch on time (once), coupons issued, pushes sent or skipped,
and the results counting the coupons used and the revenue of the orders that used them."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.jobs import campaign_sends
from app.marketing.models import FollowUp
from app.marketing.sender import send_outbox
from app.wechat import fake as fake_wechat
from tests.helpers import ON_POSTGRES, error_code, run_together
from tests.marketing.helpers import local, messages

D = date(2026, 3, 10)
MESSAGE = {
    "template_key": "campaign",
    "fields": {"thing1": "{nickname}的爱车{plate}", "thing2": "您有一项车主权益待查看"},
    "page": "pages/member/benefits?from=campaign",
}


def _post(api, token, path, body, status=201):
    response = api.post(path, token, json=body)
    assert response.status_code == status, response.json
    return response.json


def _member(api, member_login, code, nickname, plate=None):
    token, member = member_login(code)
    assert api.patch("/me", token, json={"nickname": nickname}).status_code == 200
    if plate:
        _post(api, token, "/me/vehicles", {"plate": plate})
    return token, member["id"]


def _launch(app, at=None):
    """The scheduler's campaign_sends run at ``at`` (default 03:00 on D, an hour after the send time);
    ``flask jobs run campaign_sends --date D`` would stand for the end of D instead."""
    at = at or local(D, 3)
    with app.app_context():
        return campaign_sends(today=at.date(), now=at)


def _send(app, now):
    with app.app_context():
        result = send_outbox(now=now)
        db.session.commit()
        return result


def test_a_campaign_runs_once_on_time_and_reports_what_it_produced(app, api, member_login, staff_tokens, stores):
    clock.set_now(local(D - timedelta(days=1), 12))
    marketing, cashier = staff_tokens["marketing"], staff_tokens["cashier"]
    alice_token, alice = _member(api, member_login, "alice", "Alice", plate="粤B12345")
    _, bob = _member(api, member_login, "bob", "Bob")
    _member(api, member_login, "carol", "Carol")
    tag = _post(api, marketing, "/tags", {"name": "洗车常客"})["id"]
    for member_id in (alice, bob):
        assert api.post(f"/members/{member_id}/tags", marketing, json={"tag_ids": [tag]}).status_code == 200
    assert api.post("/me/subscriptions", alice_token, json={"template_keys": ["campaign"]}).status_code == 200
    segment = _post(
        api,
        marketing,
        "/segments",
        {"name": "常客", "rules": {"all": [{"field": "tags", "op": "has_any", "value": [tag]}]}},
    )
    template = _post(
        api,
        marketing,
        "/coupon-templates",
        {"name": "洗车立减10元", "kind": "cash_off", "value_fen": 1000, "valid_days": 30, "claimable": False},
    )
    campaign = _post(
        api,
        marketing,
        "/campaigns",
        {
            "name": "春季回馈",
            "segment_id": segment["id"],
            "coupon_template_id": template["id"],
            "message": MESSAGE,
            "send_at": local(D, 2).isoformat(),
        },
    )
    assert campaign["status"] == "scheduled" and campaign["results"]["audience"] == 0

    assert _launch(app, local(D - timedelta(days=1), 23, 59)) == {"launched": 0}  # the day before: not yet
    assert _launch(app) == {"launched": 1}
    assert _launch(app) == {"launched": 0}
    assert _send(app, local(D, 3, 1)) == {"sent": 1, "skipped_no_grant": 1}
    [pushed] = fake_wechat.SENT
    assert pushed["data"]["thing1"]["value"] == "Alice的爱车粤B12345"
    assert pushed["page"] == "pages/member/benefits?from=campaign"
    with app.app_context():  # a campaign's skipped members are in its results, not on the call list
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0

    # Alice spends the campaign coupon on a wash.
    clock.set_now(local(D, 12))
    coupons = api.get("/me/coupons?status=unused", alice_token).json["items"]
    [coupon] = [c for c in coupons if c["template"]["id"] == template["id"]]
    wash = _post(api, staff_tokens["owner"], "/service-items", {"name": "精洗", "category": "wash", "price_fen": 5000})
    order = _post(
        api,
        cashier,
        "/work-orders",
        {"store_id": stores[0], "plate": "粤B12345", "lines": [{"service_item_id": wash["id"], "quantity": 1}]},
    )
    settled = api.post(
        f"/work-orders/{order['id']}/settle",
        cashier,
        json={"tenders": [{"type": "coupon", "member_coupon_id": coupon["id"]}, {"type": "cash", "amount_fen": 4000}]},
    )
    assert settled.status_code == 200, settled.json

    result = api.get(f"/campaigns/{campaign['id']}", marketing).json
    assert result["status"] == "sent"
    assert result["results"] == {
        "audience": 2,
        "sent": 1,
        "skipped_no_grant": 1,
        "failed": 0,
        "queued": 0,
        "coupons_issued": 2,
        "coupons_used": 1,
        "revenue_fen": 5000,
        "sms_sent": 0,  # campaigns never fall back to SMS (docs/rules.md)
        "sms_cost_fen": 0,
    }
    assert sorted(m.member_id for m in messages(app, campaign_id=campaign["id"])) == sorted([alice, bob])


def test_campaign_messages_must_read_as_service_notices_and_fit_their_fields(api, staff_tokens):
    marketing = staff_tokens["marketing"]
    segment = _post(api, marketing, "/segments", {"name": "everyone", "rules": {"all": []}})

    def create(message, **extra):
        return api.post(
            "/campaigns",
            marketing,
            json={
                "name": "c",
                "segment_id": segment["id"],
                "message": message,
                "send_at": "2026-03-10T10:00:00+08:00",
                **extra,
            },
        )

    cases = [
        ({"fields": {"thing1": "限时特价，保养低至五折"}}, "marketing_wording"),
        ({"fields": {"thing1": "{name}您好"}}, "unknown_placeholder"),
        ({"template_key": "flash_sale", "fields": {"thing1": "您有一项权益待查看"}}, "unknown_template_key"),
        ({"fields": {"phrase1": "please come"}}, "template_field_invalid"),
        ({"fields": {"shout1": "hello"}}, "template_field_invalid"),
    ]
    for message, code in cases:
        response = create(message)
        assert response.status_code == 422 and error_code(response) == code, (message, response.json)
    naive = api.post(
        "/campaigns",
        marketing,
        json={
            "name": "c",
            "segment_id": segment["id"],
            "message": {"fields": {"thing1": "您好"}},
            "send_at": "2026-03-10T10:00:00",
        },
    )
    assert naive.status_code == 422
    assert error_code(create({"fields": {"thing1": "您好"}}, coupon_template_id=999)) == "coupon_template_not_found"
    missing = api.post(
        "/campaigns",
        marketing,
        json={"name": "c", "segment_id": 999, "message": MESSAGE, "send_at": "2026-03-10T10:00:00+08:00"},
    )
    assert error_code(missing) == "segment_not_found"
    assert api.post("/campaigns", staff_tokens["cashier"], json={}).status_code == 403


def test_a_cancelled_campaign_is_never_sent(app, api, staff_tokens, seed):
    seed.member("someone")
    marketing = staff_tokens["marketing"]
    segment = _post(api, marketing, "/segments", {"name": "everyone", "rules": {"all": []}})
    campaign = _post(
        api,
        marketing,
        "/campaigns",
        {"name": "c", "segment_id": segment["id"], "message": MESSAGE, "send_at": local(D, 2).isoformat()},
    )
    cancelled = api.post(f"/campaigns/{campaign['id']}/cancel", marketing)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert _launch(app) == {"launched": 0}
    assert messages(app) == []
    again = api.post(f"/campaigns/{campaign['id']}/cancel", marketing)
    assert again.status_code == 409 and error_code(again) == "campaign_not_scheduled"
    listed = api.get("/campaigns?status=cancelled", marketing).json
    assert listed["total"] == 1 and listed["items"][0]["results"]["audience"] == 0


def test_two_schedulers_launching_at_once_issue_each_coupon_once(app, api, staff_tokens, seed):

    from app.coupons.models import MemberCoupon
    from app.merchant.services import get_settings

    members = [seed.member(f"m{index}") for index in range(10)]
    marketing = staff_tokens["marketing"]
    segment = _post(api, marketing, "/segments", {"name": "everyone", "rules": {"all": []}})
    template = _post(
        api,
        marketing,
        "/coupon-templates",
        {"name": "权益券", "kind": "cash_off", "value_fen": 500, "valid_days": 30, "claimable": False},
    )
    campaign = _post(
        api,
        marketing,
        "/campaigns",
        {
            "name": "c",
            "segment_id": segment["id"],
            "message": MESSAGE,
            "coupon_template_id": template["id"],
            "send_at": local(D, 2).isoformat(),
        },
    )
    with app.app_context():
        get_settings()
        db.session.commit()

    def scheduler():
        with app.app_context():
            return run_job("campaign_sends", day=D)["launched"]

    assert sorted(run_together(scheduler, scheduler, timeout=60)) == [0, 1]
    with app.app_context():
        held = db.session.execute(
            select(MemberCoupon.member_id, func.count())
            .where(MemberCoupon.template_id == template["id"])
            .group_by(MemberCoupon.member_id)
        ).all()
    assert sorted(held) == sorted((member_id, 1) for member_id in members)
    assert api.get(f"/campaigns/{campaign['id']}", marketing).json["results"]["coupons_issued"] == 10


def test_a_launch_queues_each_member_of_the_segment_with_their_first_car_and_home_store(app, seed, stores):
    from datetime import UTC, datetime

    from app.marketing import campaigns, segments
    from app.marketing.models import Campaign, Message, Visit
    from app.marketing.outbox import home_store
    from app.members.models import Member

    first, second = stores
    visited = seed.member("visited", total_paid_fen=50000, store_id=first)
    seed.vehicle(visited, "粤B00001")
    seed.vehicle(visited, "粤B00002")
    stay_home = seed.member("stay home", total_paid_fen=50000, store_id=second)
    refunded = seed.member("refunded", total_paid_fen=50000, store_id=None)
    seed.vehicle(refunded, "粤B00003")
    seed.member("small spender", total_paid_fen=100, store_id=first)
    merged = seed.member("merged", total_paid_fen=50000, store_id=first)
    seed.vehicle(None, "粤B00004")

    def visit(order, member_id, store_id, day, refunded_at=None):
        at = datetime(2026, 3, day, 2, tzinfo=UTC)
        return Visit(
            work_order_id=order,
            member_id=member_id,
            store_id=store_id,
            paid_fen=100,
            settled_at=at,
            settled_on=at.date(),
            refunded_at=refunded_at,
        )

    with app.app_context():
        db.session.get(Member, merged).merged_into_id = visited
        db.session.add_all(
            [
                # The last visit not refunded decides the store, whatever the order of the rows.
                visit(1, visited, first, 1),
                visit(2, visited, second, 5),
                visit(3, visited, first, 3),
                visit(4, visited, first, 8, refunded_at=datetime(2026, 3, 9, tzinfo=UTC)),
                # Only a refunded visit: the store falls back to where they registered (none).
                visit(5, refunded, second, 4, refunded_at=datetime(2026, 3, 6, tzinfo=UTC)),
            ]
        )
        segment = segments.create_segment(
            name="big spenders", rules={"all": [{"field": "total_paid", "op": "gte", "value": 10000}]}
        )
        now = local(D)
        campaign = campaigns.create_campaign(name="spring", segment_id=segment.id, message=MESSAGE, send_at=now)
        db.session.commit()
        assert campaigns.launch(campaign_id=campaign.id, now=now)
        db.session.commit()
        queued = {
            message.member_id: (message.dedupe_key, message.plate, message.store_id, message.kind, message.status)
            for message in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id))
        }
        key = f"campaign:{campaign.id}:"
        assert queued == {
            visited: (f"{key}{visited}", "粤B00001", second, "campaign", "queued"),
            stay_home: (f"{key}{stay_home}", None, second, "campaign", "queued"),
            refunded: (f"{key}{refunded}", "粤B00003", None, "campaign", "queued"),
        }
        assert db.session.get(Campaign, campaign.id).audience == 3
        # The same plate and store as the look-ups per member the other jobs use.
        first_plate = campaigns._first_plate(Member.id)
        looked_up = db.session.execute(
            select(Member.id, first_plate, home_store(Member.id, Member.registered_store_id)).where(
                Member.id.in_(queued)
            )
        ).all()
        assert {member_id: (plate, store) for member_id, plate, store in looked_up} == {
            member_id: (plate, store) for member_id, (_key, plate, store, _kind, _status) in queued.items()
        }


@pytest.mark.skipif(not ON_POSTGRES, reason="the plan is PostgreSQL's")
def test_campaign_results_count_the_messages_from_the_index_alone(app):
    """A year of campaigns is hundreds of thousands of messages: their counts by status and channel
    and their SMS cost come from the campaign results index, never from the messages' rows."""
    from app.marketing.campaigns import message_counts

    with app.app_context():
        sql = str(message_counts([1, 2, 3]).compile(db.engine, compile_kwargs={"literal_binds": True}))
        # The test's table is nearly empty, where scanning beats any index: forbid the scans so the
        # plan shows what the index serves (a million members' plan is the same; bench/).
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        db.session.rollback()
    assert "Index Only Scan using ix_marketing_messages_campaign_results on marketing_messages" in plan, plan
