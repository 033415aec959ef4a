"""The SMS fallback of the outbox sender: only without a grant and without an opt-out, never for
marketing kinds, quiet hours and the per-member cap at their boundaries, the provider's answers,
and concurrent senders holding the cap (real threads; on PostgreSQL when TEST_DATABASE_URL is set)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import sms
from app.audit.models import AuditEntry
from app.extensions import db
from app.marketing.models import FollowUp, Message, SmsOptOut
from app.marketing.outbox import enqueue_rows, message_row
from app.marketing.sender import send_outbox
from app.marketing.settings_services import marketing_settings
from app.marketing.sms_opt_outs import set_sms_opt_out
from app.members.models import Member
from app.merchant.services import get_settings
from app.sms import fake as fake_sms
from app.wechat import fake as fake_wechat
from tests.helpers import run_together
from tests.marketing.helpers import local

D = date(2026, 3, 10)
NOW = local(D, 10, 0)


def _queue(app, member_id, occasion="1", kind="booking_reminder", now=NOW, **values):
    defaults = {"plate": "粤B12345", "detail": "2026-03-11 15:00", "occasion_date": D}
    with app.app_context():
        enqueue_rows([message_row(kind, member_id, occasion, now, **{**defaults, **values})])
        db.session.commit()


def _send(app, now=NOW, **kwargs):
    with app.app_context():
        result = send_outbox(now=now, **kwargs)
        db.session.commit()
        return result


def _messages(app):
    with app.app_context():
        return db.session.scalars(select(Message).order_by(Message.id)).all()


def _follow_ups(app):
    with app.app_context():
        return db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()


def _rules(app, **values):
    with app.app_context():
        settings = marketing_settings()
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.commit()


def test_a_reminder_without_a_grant_goes_by_sms_and_one_with_a_grant_by_wechat(app, seed):
    granted = seed.member("granted", grants={"booking_reminder": 1})
    without = seed.member("without")
    no_openid = seed.member("no-openid", openid=False)
    for member in (granted, without, no_openid):
        _queue(app, member)
    assert _send(app) == {"sent": 1, "sent_sms": 2}

    by_member = {m.member_id: m for m in _messages(app)}
    assert (by_member[granted].status, by_member[granted].channel, by_member[granted].cost_fen) == ("sent", "wechat", 0)
    for member in (without, no_openid):
        message = by_member[member]
        assert (message.status, message.channel, message.sms_outcome) == ("sent", "sms", "sent")
        assert message.cost_fen == 5 and message.sms_serial.startswith("fake-") and message.sent_at == NOW
    assert len(fake_wechat.SENT) == 1
    assert [entry["kind"] for entry in fake_sms.SENT] == ["booking_reminder", "booking_reminder"]
    assert fake_sms.SENT[0]["params"] == ["Pitstop", "2026-03-11 15:00", "粤B12345"]
    assert fake_sms.SENT[0]["text"] == "您在Pitstop预约的服务时间为2026-03-11 15:00，车辆粤B12345，请按时到店。"
    assert _follow_ups(app) == []  # reached by SMS: nobody needs to call


def test_the_cost_is_the_setting_times_the_billed_parts(app, seed, monkeypatch):
    member = seed.member("long")
    _rules(app, sms_cost_fen=4)
    monkeypatch.setattr(fake_sms.FakeSms, "send", lambda self, **kw: sms.SmsReceipt(serial_no="s-1", parts=2))
    _queue(app, member)
    _send(app)
    [message] = _messages(app)
    assert (message.cost_fen, message.sms_serial) == (8, "s-1")


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [("opted_out", "opted_out"), ("no_phone", "no_phone"), ("marketing", "not_by_sms")],
)
def test_no_sms_when_opted_out_without_phone_or_for_a_marketing_kind(app, seed, setup, outcome):
    member = seed.member("m")
    kind, values = "booking_reminder", {}
    with app.app_context():
        if setup == "opted_out":
            set_sms_opt_out(member_id=member, opted_out=True, source="staff")
        elif setup == "no_phone":
            db.session.get(Member, member).phone = None
        db.session.commit()
    if setup == "marketing":
        kind, values = "coupon_expiring", {"detail": "洗车券"}
    _queue(app, member, kind=kind, **values)
    assert _send(app) == {"skipped_no_grant": 1}
    [message] = _messages(app)
    assert (message.status, message.channel, message.sms_outcome, message.cost_fen) == (
        "skipped_no_grant",
        None,
        outcome,
        0,
    )
    assert fake_sms.SENT == []
    [entry] = _follow_ups(app)  # the call list, as without the SMS channel
    assert (entry.member_id, entry.reason) == (member, "no_grant")


def test_a_parameter_that_does_not_fit_skips_the_sms_and_calls(app, seed):
    member = seed.member("bad-plate")
    _queue(app, member, plate="AB12345")
    assert _send(app) == {"skipped_no_grant": 1}
    [message] = _messages(app)
    assert (message.sms_outcome, message.channel) == ("failed", None) and "car_number" in message.last_error
    assert [f.reason for f in _follow_ups(app)] == ["no_grant"]


@pytest.mark.parametrize(
    ("hour", "minute", "waits_until"),
    [
        (20, 59, None),
        (21, 0, local(D + timedelta(days=1), 8, 0)),
        (23, 59, local(D + timedelta(days=1), 8, 0)),
        (0, 0, local(D, 8, 0)),
        (7, 59, local(D, 8, 0)),
        (8, 0, None),
    ],
)
def test_quiet_hours_hold_an_sms_until_they_end(app, seed, hour, minute, waits_until):
    member = seed.member("night")
    now = local(D, hour, minute)
    _queue(app, member, now=now)
    result = _send(app, now=now)
    [message] = _messages(app)
    if waits_until is None:
        assert result == {"sent_sms": 1} and message.channel == "sms"
        return
    assert result == {"quiet_hours": 1}
    assert (message.status, message.attempts, message.claim_token, message.channel) == ("queued", 0, None, None)
    assert message.next_attempt_at == waits_until
    assert _send(app, now=waits_until - timedelta(minutes=1)) == {}
    assert _send(app, now=waits_until) == {"sent_sms": 1}
    assert len(fake_sms.SENT) == 1


def test_quiet_hours_within_a_day_and_none(app, seed):
    member = seed.member("day")
    _rules(app, sms_quiet_start_minute=12 * 60, sms_quiet_end_minute=14 * 60)
    _queue(app, member, now=local(D, 12, 0))
    assert _send(app, now=local(D, 12, 0)) == {"quiet_hours": 1}
    assert _messages(app)[0].next_attempt_at == local(D, 14, 0)
    _rules(app, sms_quiet_start_minute=0, sms_quiet_end_minute=0)  # start == end: no quiet hours
    assert _send(app, now=local(D, 14, 0) - timedelta(hours=1, minutes=59)) == {}  # still waiting for its time
    assert _send(app, now=local(D, 14, 0)) == {"sent_sms": 1}


def test_a_wechat_reminder_is_not_held_by_quiet_hours(app, seed):
    member = seed.member("wechat", grants={"booking_reminder": 1})
    _queue(app, member, now=local(D, 22, 0))
    assert _send(app, now=local(D, 22, 0)) == {"sent": 1}


def test_the_daily_cap_holds_over_a_rolling_24_hours(app, seed):
    member = seed.member("capped")  # defaults: 1 a day, 3 in 7 days
    _queue(app, member, "1")
    assert _send(app) == {"sent_sms": 1}
    later = NOW + timedelta(hours=23, minutes=59)
    _queue(app, member, "2", now=later)
    assert _send(app, now=later) == {"skipped_no_grant": 1}
    second = _messages(app)[1]
    assert (second.sms_outcome, second.status) == ("over_cap", "skipped_no_grant")
    assert [f.reason for f in _follow_ups(app)] == ["no_grant"]
    _queue(app, member, "3", now=NOW + timedelta(days=1))
    assert _send(app, now=NOW + timedelta(days=1)) == {"sent_sms": 1}


def test_the_weekly_cap_holds_over_a_rolling_7_days(app, seed):
    member = seed.member("weekly")
    for day in range(3):
        at = NOW + timedelta(days=day)
        _queue(app, member, f"d{day}", now=at)
        assert _send(app, now=at) == {"sent_sms": 1}
    almost = NOW + timedelta(days=7) - timedelta(minutes=1)
    _queue(app, member, "late", now=almost)
    assert _send(app, now=almost) == {"skipped_no_grant": 1}
    _queue(app, member, "week", now=NOW + timedelta(days=7))
    assert _send(app, now=NOW + timedelta(days=7)) == {"sent_sms": 1}
    assert [m.sms_outcome for m in _messages(app)] == ["sent", "sent", "sent", "over_cap", "sent"]


def test_a_cap_of_zero_sends_no_sms(app, seed):
    member = seed.member("zero")
    _rules(app, sms_daily_cap=0)
    _queue(app, member)
    assert _send(app) == {"skipped_no_grant": 1}
    assert _messages(app)[0].sms_outcome == "over_cap"


def test_a_blacklisted_number_records_an_opt_out_and_fails(app, seed):
    member = seed.member("blacklisted")
    with app.app_context():
        db.session.get(Member, member).phone = "13800000000"  # the fake's blacklisted numbers end in 0000
        db.session.commit()
    _queue(app, member)
    assert _send(app) == {"failed": 1}
    [message] = _messages(app)
    assert (message.status, message.failure_reason, message.sms_outcome) == ("failed", "sms_opted_out", "opted_out")
    assert [f.reason for f in _follow_ups(app)] == ["not_delivered"]
    with app.app_context():
        opt_out = db.session.get(SmsOptOut, member)
        assert (opt_out.source, opt_out.opted_out_at) == ("provider", NOW)
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "sms_opt_out")).all()
        assert (entry.actor_kind, entry.entity_id, entry.after) == (
            "system",
            member,
            {"sms_opted_out": True, "source": "provider"},
        )
    _queue(app, member, "2", now=NOW + timedelta(days=2))
    assert _send(app, now=NOW + timedelta(days=2)) == {"skipped_no_grant": 1}  # honoured from now on


def test_a_rejection_fails_for_good_and_a_rate_limit_is_retried_with_its_cap_place_given_back(app, seed, monkeypatch):
    rejected, limited = seed.member("rejected"), seed.member("limited")
    answers = {
        rejected: sms.SmsRejected("InvalidParameterValue.TemplateParameterFormatError", "bad"),
        limited: sms.SmsRateLimited("LimitExceeded.PhoneNumberDailyLimit", "limit"),
    }
    phones = {}
    with app.app_context():
        phones = {db.session.get(Member, m).phone: m for m in answers}

    def refuse(self, *, phone, **kwargs):
        raise answers[phones[phone]]

    monkeypatch.setattr(fake_sms.FakeSms, "send", refuse)
    _queue(app, rejected)
    _queue(app, limited)
    assert _send(app) == {"failed": 1, "retry": 1}
    by_member = {m.member_id: m for m in _messages(app)}
    failed = by_member[rejected]
    assert (failed.status, failed.failure_reason, failed.last_error) == (
        "failed",
        "sms_rejected",
        "InvalidParameterValue.TemplateParameterFormatError",
    )
    retry = by_member[limited]
    assert (retry.status, retry.channel, retry.sms_at, retry.attempts) == ("queued", None, None, 1)
    assert retry.next_attempt_at == NOW + timedelta(minutes=1)
    monkeypatch.undo()
    assert _send(app, now=NOW + timedelta(minutes=1)) == {"sent_sms": 1}  # the cap place was given back


def test_two_senders_at_once_keep_the_cap(app, seed):
    members = [seed.member(f"c{index}") for index in range(4)]
    for member in members:
        for occasion in ("a", "b", "c"):
            _queue(app, member, occasion)
    with app.app_context():
        get_settings()
        marketing_settings()
        db.session.commit()

    def sender():
        with app.app_context():
            for _ in range(6):
                send_outbox(now=NOW, max_messages=1)
                db.session.commit()

    run_together(sender, sender, timeout=60)
    sent = [m for m in _messages(app) if m.channel == "sms"]
    assert sorted(m.member_id for m in sent) == sorted(members)  # one a day each
    assert len(fake_sms.SENT) == 4
    assert {m.status for m in _messages(app)} == {"sent", "skipped_no_grant"}


def test_the_sender_commits_before_calling_the_provider(app, seed, monkeypatch):
    member = seed.member("unlocked")
    _queue(app, member)
    seen = {}

    def send(self, **kwargs):
        seen["in_transaction"] = db.session().in_transaction()
        with db.engine.connect() as other:  # the reservation is visible to everyone already
            seen["reserved"] = other.execute(select(Message.channel, Message.sms_at)).one()
        return sms.SmsReceipt(serial_no="s", parts=1)

    monkeypatch.setattr(fake_sms.FakeSms, "send", send)
    _send(app)
    assert seen["in_transaction"] is False
    assert seen["reserved"][0] == "sms" and seen["reserved"][1] is not None


def test_every_kind_with_a_wechat_template_has_an_sms_template_or_a_decision():
    from app.marketing.models import KIND_TEMPLATES
    from app.sms.templates import NOT_BY_SMS, SMS_TEMPLATES

    undecided = sorted(set(KIND_TEMPLATES) - set(SMS_TEMPLATES) - NOT_BY_SMS)
    assert undecided == [], f"add an SMS template (app/sms/templates.py) or list the kind in NOT_BY_SMS: {undecided}"
    assert not (set(SMS_TEMPLATES) & NOT_BY_SMS)
    assert set(SMS_TEMPLATES) | NOT_BY_SMS <= set(KIND_TEMPLATES)
