"""The holiday calendar: kept by marketing and the owner (audited), greeting every reachable member
on the holiday's greeting day, once per member and holiday, with the holiday's coupon."""

from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.marketing.models import FollowUp
from app.members.models import Member
from tests.helpers import error_code
from tests.marketing.helpers import member_ids, messages

DAY = timedelta(days=1)


def _audit(app, kind):
    with app.app_context():
        return [
            (entry.entity_id, entry.before, entry.after)
            for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id))
        ]


def test_marketing_keeps_the_calendar_and_every_change_is_audited(app, api, staff_tokens):
    marketing, cashier = staff_tokens["marketing"], staff_tokens["cashier"]
    created = api.post("/marketing/holidays", marketing, json={"name": "中秋节", "day": "2026-09-25"})
    assert created.status_code == 201, created.json
    holiday = created.json
    assert holiday["days_before"] == 0 and holiday["active"] is True and holiday["coupon_template_id"] is None
    assert api.post("/marketing/holidays", cashier, json={"name": "春节", "day": "2027-02-06"}).status_code == 403
    again = api.post("/marketing/holidays", marketing, json={"name": "中秋节", "day": "2026-09-25"})
    assert again.status_code == 409 and error_code(again) == "holiday_taken"
    missing = api.post(
        "/marketing/holidays", marketing, json={"name": "国庆节", "day": "2026-10-01", "coupon_template_id": 999}
    )
    assert error_code(missing) == "coupon_template_not_found"
    too_early = api.post(
        "/marketing/holidays", marketing, json={"name": "国庆节", "day": "2026-10-01", "days_before": 31}
    )
    assert too_early.status_code == 422
    assert api.post("/marketing/holidays", marketing, json={"name": "国庆节", "day": "2026-10-01"}).status_code == 201
    assert api.post("/marketing/holidays", marketing, json={"name": "元旦", "day": "2027-01-01"}).status_code == 201

    changed = api.patch(f"/marketing/holidays/{holiday['id']}", marketing, json={"days_before": 2})
    assert changed.status_code == 200 and changed.json["days_before"] == 2
    listed = api.get("/marketing/holidays", marketing, query_string={"year": 2026}).json
    assert [(h["name"], h["day"]) for h in listed["items"]] == [("中秋节", "2026-09-25"), ("国庆节", "2026-10-01")]
    assert api.call("DELETE", f"/marketing/holidays/{holiday['id']}", marketing).status_code == 204
    assert error_code(api.call("DELETE", f"/marketing/holidays/{holiday['id']}", marketing)) == "holiday_not_found"

    trail = _audit(app, "holiday")
    assert [(entity, before, after) for entity, before, after in trail if entity == holiday["id"]] == [
        (
            holiday["id"],
            None,
            {"name": "中秋节", "day": "2026-09-25", "days_before": 0, "coupon_template_id": None, "active": True},
        ),
        (holiday["id"], {"days_before": 0}, {"days_before": 2}),
        (
            holiday["id"],
            {"name": "中秋节", "day": "2026-09-25", "days_before": 2, "coupon_template_id": None, "active": True},
            None,
        ),
    ]


def test_the_marketing_settings_changes_are_audited(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    changed = api.patch(
        "/marketing/settings", owner, json={"insurance_reminder_days": [7, 30, 7], "inspection_reminder_days": 20}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["insurance_reminder_days"] == [30, 7] and changed.json["inspection_reminder_days"] == 20
    assert api.patch("/marketing/settings", owner, json={"insurance_reminder_days": []}).status_code == 422
    assert api.patch("/marketing/settings", owner, json={"inspection_reminder_days": 0}).status_code == 422
    # The repeated 7 is dropped and the days kept latest first: unchanged, so not in the entry.
    assert _audit(app, "marketing_settings") == [
        (1, {"inspection_reminder_days": 30}, {"inspection_reminder_days": 20})
    ]


def test_the_greeting_goes_out_days_before_the_holiday_to_every_reachable_member_once(
    app, api, staff_tokens, seed, run
):
    owner = staff_tokens["owner"]
    template = api.post(
        "/coupon-templates",
        owner,
        json={"name": "节日券", "kind": "cash_off", "value_fen": 1000, "valid_days": 15, "claimable": False},
    ).json["id"]
    spring = api.post(
        "/marketing/holidays",
        owner,
        json={"name": "春节", "day": "2026-02-17", "days_before": 1, "coupon_template_id": template},
    ).json["id"]
    autumn = api.post("/marketing/holidays", owner, json={"name": "中秋节", "day": "2026-09-25"}).json["id"]
    # Same day as the autumn festival, without a coupon: the two greetings do not share coupons.
    api.post("/marketing/holidays", owner, json={"name": "教师节", "day": "2026-09-25", "active": False})
    ann = seed.member("ann", grants={"holiday_greeting": 1})
    bob = seed.member("bob")
    merged = seed.member("merged")
    with app.app_context():
        db.session.get(Member, merged).merged_into_id = ann
        db.session.commit()

    fired, day = [], date(2026, 1, 1)
    while day < date(2027, 1, 5):
        if run("holiday_greetings", day)["queued"]:
            fired.append(day)
            assert run("holiday_greetings", day)["queued"] == 0
        day += DAY
    assert fired == [date(2026, 2, 16), date(2026, 9, 25)]
    assert member_ids(app, kind="holiday", ref_id=spring) == sorted([ann, bob])
    assert member_ids(app, kind="holiday", ref_id=autumn) == sorted([ann, bob])
    spring_messages = messages(app, kind="holiday", ref_id=spring)
    assert all(
        m.coupon_id is not None and m.detail == "春节" and m.occasion_date == date(2026, 2, 17) for m in spring_messages
    )
    assert all(m.coupon_id is None for m in messages(app, kind="holiday", ref_id=autumn))

    # Moving the holiday after its greeting went out greets nobody twice.
    api.patch(f"/marketing/holidays/{spring}", owner, json={"day": "2026-02-18"})
    assert run("holiday_greetings", date(2026, 2, 17))["queued"] == 0

    # Ann's one grant takes the spring greeting (queued first); the rest are skipped and, a greeting
    # to every member like a campaign, put nobody on the call list (nor go by SMS: greetings are
    # marketing).
    assert run("send_outbox", date(2026, 9, 25)) == {"sent": 1, "skipped_no_grant": 3}
    with app.app_context():
        calls = db.session.scalars(select(FollowUp).where(FollowUp.kind == "holiday")).all()
        assert calls == []
    assert all(m.channel != "sms" for m in messages(app, kind="holiday"))
