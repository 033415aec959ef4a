"""The SMS endpoints: opt-out by the member and by staff (audited, honoured), the SMS rules in the
marketing settings (owner, audited, ranges), SMS figures in the outbox, the usage report and the
campaign results."""

import dataclasses
from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.marketing.jobs import pull_sms_reports
from app.marketing.outbox import enqueue_rows, message_row
from app.marketing.sender import send_outbox
from app.marketing.sms_opt_outs import sms_usage
from app.sms import fake as fake_sms
from tests.helpers import error_code
from tests.marketing.helpers import local

D = date(2026, 3, 10)
NOW = local(D, 10, 0)


def _audit(app, kind):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id)).all()


def test_a_member_opts_out_and_back_in_from_the_mini_program(app, api, member_login, staff_tokens):
    token, member = member_login("alice")
    assert api.get("/me/sms-opt-out", token).json == {"sms_opted_out": False, "opted_out_at": None, "source": None}
    out = api.call("PUT", "/me/sms-opt-out", token, json={"opted_out": True})
    assert out.status_code == 200 and out.json["sms_opted_out"] is True and out.json["source"] == "member"
    again = api.call("PUT", "/me/sms-opt-out", token, json={"opted_out": True})
    assert again.json["opted_out_at"] == out.json["opted_out_at"]  # a repeat changes nothing
    seen = api.get(f"/members/{member['id']}/sms-opt-out", staff_tokens["cashier"]).json
    assert (seen["sms_opted_out"], seen["source"]) == (True, "member")
    assert api.call("PUT", "/me/sms-opt-out", token, json={"opted_out": False}).json["sms_opted_out"] is False
    entries = _audit(app, "sms_opt_out")
    assert [(e.actor_kind, e.after["sms_opted_out"]) for e in entries] == [("member", True), ("member", False)]
    assert api.call("PUT", "/me/sms-opt-out", token, json={"opted_out": "yes please"}).status_code == 422


def test_staff_record_an_opt_out_on_request_and_the_sender_honours_it(app, api, member_login, staff_tokens, seed):
    member = seed.member("asked")
    cashier = staff_tokens["cashier"]
    changed = api.call("PUT", f"/members/{member}/sms-opt-out", cashier, json={"opted_out": True})
    assert changed.status_code == 200 and changed.json["source"] == "staff"
    [entry] = _audit(app, "sms_opt_out")
    assert (entry.actor_kind, entry.actor_role, entry.entity_id) == ("staff", "cashier", member)
    assert api.call("PUT", "/members/999999/sms-opt-out", cashier, json={"opted_out": True}).status_code == 404
    with app.app_context():
        enqueue_rows(
            [message_row("car_ready", member, "1", NOW, plate="粤B12345", detail="2026-03-10 10:00", store_id=None)]
        )
        assert send_outbox(now=NOW) == {"skipped_no_grant": 1}
        db.session.commit()
    [message] = api.get("/messages", staff_tokens["owner"], query_string={"member_id": member}).json["items"]
    assert (message["status"], message["channel"], message["sms_outcome"], message["cost_fen"]) == (
        "skipped_no_grant",
        None,
        "opted_out",
        0,
    )


def test_the_owner_sets_the_sms_rules_audited_within_their_ranges(app, api, staff_tokens):
    owner, marketing = staff_tokens["owner"], staff_tokens["marketing"]
    rules = api.get("/marketing/settings", marketing).json
    assert {k: rules[k] for k in rules if k.startswith("sms_")} == {
        "sms_quiet_start_minute": 1260,
        "sms_quiet_end_minute": 480,
        "sms_daily_cap": 1,
        "sms_weekly_cap": 3,
        "sms_cost_fen": 5,
    }
    assert api.patch("/marketing/settings", marketing, json={"sms_cost_fen": 4}).status_code == 403
    for bad in ({"sms_quiet_start_minute": 1440}, {"sms_daily_cap": -1}, {"sms_cost_fen": "5"}):
        assert api.patch("/marketing/settings", owner, json=bad).status_code == 422
    changed = api.patch("/marketing/settings", owner, json={"sms_cost_fen": 4, "sms_quiet_end_minute": 540})
    assert changed.status_code == 200 and changed.json["sms_cost_fen"] == 4
    [entry] = _audit(app, "sms_settings")
    assert (entry.actor_role, entry.before, entry.after) == (
        "owner",
        {"sms_cost_fen": 5, "sms_quiet_end_minute": 480},
        {"sms_cost_fen": 4, "sms_quiet_end_minute": 540},
    )
    api.patch("/marketing/settings", owner, json={"win_back_interval_days": 30})
    assert len(_audit(app, "sms_settings")) == 1  # other rules are not SMS rules


def test_usage_counts_sms_and_their_cost_by_kind_and_why_others_did_not_go(app, api, staff_tokens, seed):
    members = [seed.member(f"u{i}") for i in range(3)]
    with app.app_context():
        rows = [message_row("car_ready", m, "1", NOW, plate="粤B12345", detail="2026-03-10 10:00") for m in members]
        enqueue_rows(rows)
        enqueue_rows([message_row("car_ready", members[0], "2", NOW, plate="粤B12345", detail="2026-03-10 11:00")])
        db.session.commit()
        assert send_outbox(now=NOW) == {"sent_sms": 3, "skipped_no_grant": 1}
        db.session.commit()
    report = api.get(
        "/marketing/sms-usage", staff_tokens["marketing"], query_string={"from": "2026-03-10", "to": "2026-03-10"}
    )
    assert report.status_code == 200
    assert report.json == {
        "sent": 3,
        "cost_fen": 15,
        "delivered": 0,
        "undelivered": 0,
        "by_kind": {
            "car_ready": {"sent": 3, "cost_fen": 15, "delivered": 0, "undelivered": 0, "not_sent": {"over_cap": 1}}
        },
    }
    # The carriers report two delivered and one not (the phone was off for days).
    fake_sms.REPORTS[2] = dataclasses.replace(fake_sms.REPORTS[2], delivered=False, description="MN:0001")
    with app.app_context():
        assert pull_sms_reports(today=D, now=NOW + timedelta(minutes=5)) == {
            "replies": 0,
            "opted_out": 0,
            "delivered": 2,
            "undelivered": 1,
        }
    report = api.get(
        "/marketing/sms-usage", staff_tokens["owner"], query_string={"from": "2026-03-10", "to": "2026-03-10"}
    ).json
    assert (report["sent"], report["delivered"], report["undelivered"]) == (3, 2, 1)
    assert (report["by_kind"]["car_ready"]["delivered"], report["by_kind"]["car_ready"]["undelivered"]) == (2, 1)
    with app.app_context():
        after = sms_usage(start=NOW + timedelta(days=1), end=NOW + timedelta(days=2))
    assert after == {"sent": 0, "cost_fen": 0, "delivered": 0, "undelivered": 0, "by_kind": {}}
    bad = api.get(
        "/marketing/sms-usage", staff_tokens["owner"], query_string={"from": "2026-03-11", "to": "2026-03-10"}
    )
    assert bad.status_code == 422 and error_code(bad) == "validation_error"


def test_campaign_results_carry_sms_figures(app, api, staff_tokens, seed):
    from app.marketing.campaigns import results_of
    from app.marketing.models import Campaign, Message, Segment

    member = seed.member("c")
    with app.app_context():
        segment = Segment(name="all", rules={"all": []})
        db.session.add(segment)
        db.session.flush()
        campaign = Campaign(
            name="春季", segment_id=segment.id, template_key="campaign", fields={}, send_at=NOW, status="sent"
        )
        db.session.add(campaign)
        db.session.flush()
        db.session.add_all(
            [
                Message(
                    member_id=member,
                    kind="campaign",
                    template_key="campaign",
                    dedupe_key=f"campaign:{campaign.id}:{n}",
                    status=status,
                    channel=channel,
                    cost_fen=cost,
                    campaign_id=campaign.id,
                )
                for n, (status, channel, cost) in enumerate(
                    [("sent", "wechat", 0), ("sent", "sms", 5), ("sent", "sms", 10), ("skipped_no_grant", None, 0)]
                )
            ]
        )
        db.session.commit()
        results = results_of([campaign])[campaign.id]
        campaign_id = campaign.id
    assert (results["sent"], results["skipped_no_grant"], results["sms_sent"], results["sms_cost_fen"]) == (3, 1, 2, 15)
    read = api.get(f"/campaigns/{campaign_id}", staff_tokens["marketing"]).json["results"]
    assert (read["sms_sent"], read["sms_cost_fen"]) == (2, 15)
