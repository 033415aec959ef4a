"""Grants, the outbox sender and its outcomes, and "nothing is sent twice" under reruns and
concurrent senders (real threads; on PostgreSQL when TEST_DATABASE_URL is set)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.common.jobs import run_job
from app.extensions import db
from app.marketing.models import FollowUp, Message, SubscriptionGrant
from app.marketing.sender import MAX_ATTEMPTS, send_outbox
from app.merchant.services import get_settings
from app.wechat import SubscribeRefused, WeChatRateLimited, WeChatUnavailable
from app.wechat import fake as fake_wechat
from tests.helpers import error_code, run_together
from tests.marketing.helpers import local, messages, sent_openids

D = date(2026, 3, 10)
NOW = local(D, 9, 1)


def _remaining(app, member_id, template_key):
    with app.app_context():
        grant = db.session.get(SubscriptionGrant, (member_id, template_key))
        return None if grant is None else grant.remaining


def _send(app, now=NOW):
    with app.app_context():
        result = send_outbox(now=now)
        db.session.commit()
        return result


def _birthdays(app, seed, count, grants=1):
    ids = [
        seed.member(f"b{index}", birthday=date(1990, 3, 10), grants={"birthday_greeting": grants})
        for index in range(count)
    ]
    with app.app_context():
        run_job("birthday_greetings", day=D)
    return ids


def test_subscriptions_record_one_grant_per_accepted_key_and_refuse_unknown_keys(api, member_login):
    token, member = member_login("alice")
    response = api.post("/me/subscriptions", token, json={"template_keys": ["maintenance_due", "booking_reminder"]})
    assert response.status_code == 200, response.json
    again = api.post("/me/subscriptions", token, json={"template_keys": ["maintenance_due"]})
    assert {g["template_key"]: g["remaining"] for g in again.json["grants"]} == {
        "booking_reminder": 1,
        "maintenance_due": 2,
    }

    unknown = api.post("/me/subscriptions", token, json={"template_keys": ["maintenance_due", "promo"]})
    assert unknown.status_code == 422 and error_code(unknown) == "unknown_template_key"
    listed = api.get("/me/subscriptions", token)
    assert {g["template_key"]: g["remaining"] for g in listed.json["grants"]} == {
        "booking_reminder": 1,
        "maintenance_due": 2,
    }  # the refused request changed nothing


def test_each_send_uses_one_grant_and_no_grant_means_skipped_and_a_call(app, seed):
    granted = seed.member("granted", birthday=date(1990, 3, 10), grants={"birthday_greeting": 1})
    without = seed.member("without", birthday=date(1991, 3, 10))
    with app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(app) == {"sent": 1, "skipped_no_grant": 1}

    statuses = {m.member_id: m.status for m in messages(app)}
    assert statuses == {granted: "sent", without: "skipped_no_grant"}
    assert _remaining(app, granted, "birthday_greeting") == 0
    [entry] = messages_follow_ups(app)
    assert (entry.member_id, entry.kind, entry.reason, entry.due_date) == (without, "birthday", "no_grant", D)
    [pushed] = fake_wechat.SENT
    assert pushed["template_key"] == "birthday_greeting" and pushed["page"] == "pages/member/benefits?from=birthday"
    assert pushed["data"]["thing2"]["value"] == "您有一份生日权益待查看"


def messages_follow_ups(app):
    with app.app_context():
        return db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()


def test_rerunning_jobs_and_the_sender_sends_nothing_twice(app, seed):
    _birthdays(app, seed, 3)
    with app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(app) == {"sent": 3}
    assert _send(app) == {}
    with app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(app, NOW + timedelta(hours=1)) == {}
    assert len(fake_wechat.SENT) == 3 and len(set(sent_openids())) == 3


def test_template_fields_are_checked_before_sending(app, seed):
    app.config["MARKETING_MESSAGES"] = {"birthday": {"fields": {"phrase1": "{nickname}"}, "page": None}}
    member_id = seed.member("not-a-phrase", birthday=date(1990, 3, 10), grants={"birthday_greeting": 1})
    with app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(app) == {"failed": 1}
    [message] = messages(app)
    assert (message.status, message.failure_reason) == ("failed", "template_invalid")
    assert _remaining(app, member_id, "birthday_greeting") == 1  # nothing was sent, the grant is kept
    assert fake_wechat.SENT == []


def test_long_free_text_is_truncated_to_the_field_limit(app, seed):
    seed.member("一个名字非常非常长的车主朋友们大家好", birthday=date(1990, 3, 10), grants={"birthday_greeting": 1})
    app.config["MARKETING_MESSAGES"] = {
        "birthday": {"fields": {"thing1": "{nickname}，祝您生日快乐，爱车出行平安顺利"}}
    }
    with app.app_context():
        run_job("birthday_greetings", day=D)
    assert _send(app) == {"sent": 1}
    value = fake_wechat.SENT[0]["data"]["thing1"]["value"]
    assert len(value) == 20 and value.endswith("…")


def test_a_rate_limit_is_retried_later_with_the_grant_given_back(app, seed, monkeypatch):
    ids = _birthdays(app, seed, 2)
    calls = []
    original = fake_wechat.FakeMiniProgram.send_subscribe_message

    def limited_once(self, **kwargs):
        calls.append(kwargs["openid"])
        if len(calls) == 1:
            raise WeChatRateLimited(45011, "api minute-quota reach limit")
        return original(self, **kwargs)

    monkeypatch.setattr(fake_wechat.FakeMiniProgram, "send_subscribe_message", limited_once)
    assert _send(app) == {"rate_limited": 1}
    rows = messages(app)
    assert all(m.status == "queued" and m.next_attempt_at > NOW for m in rows)
    assert [_remaining(app, member_id, "birthday_greeting") for member_id in ids] == [1, 1]
    assert _send(app, NOW + timedelta(seconds=30)) == {}  # not due yet
    assert _send(app, NOW + timedelta(minutes=2)) == {"sent": 2}
    assert [m.status for m in messages(app)] == ["sent", "sent"]


def test_an_outage_backs_off_and_fails_after_the_last_attempt(app, seed, monkeypatch):
    [member_id] = _birthdays(app, seed, 1)

    def down(self, **kwargs):
        raise WeChatUnavailable(-1, "system busy")

    monkeypatch.setattr(fake_wechat.FakeMiniProgram, "send_subscribe_message", down)
    now, delays = NOW, []
    for _ in range(MAX_ATTEMPTS):
        _send(app, now)
        [message] = messages(app)
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    [message] = messages(app)
    assert (message.status, message.failure_reason, message.attempts) == ("failed", "retries_exhausted", MAX_ATTEMPTS)
    assert delays[:4] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert _remaining(app, member_id, "birthday_greeting") == 1
    assert [(f.member_id, f.reason) for f in messages_follow_ups(app)] == [(member_id, "not_delivered")]


def test_43101_zeroes_the_grant_and_records_the_refusal(app, seed, monkeypatch):
    [member_id] = _birthdays(app, seed, 1, grants=3)

    def refused(self, **kwargs):
        raise SubscribeRefused(43101, "user refuse to accept the msg")

    monkeypatch.setattr(fake_wechat.FakeMiniProgram, "send_subscribe_message", refused)
    assert _send(app) == {"failed": 1}
    [message] = messages(app)
    assert (message.status, message.failure_reason) == ("failed", "refused")
    assert _remaining(app, member_id, "birthday_greeting") == 0
    assert [f.reason for f in messages_follow_ups(app)] == ["not_delivered"]


def test_messages_endpoint_filters_the_outbox_for_back_office_only(app, api, seed, staff_tokens):
    ids = _birthdays(app, seed, 2)
    _send(app)
    response = api.get(f"/messages?member_id={ids[0]}&kind=birthday&status=sent", staff_tokens["marketing"])
    assert response.status_code == 200, response.json
    [item] = response.json["items"]
    assert item["member_id"] == ids[0] and item["dedupe_key"] == f"birthday:{ids[0]}:2026"
    assert set(item) >= {"id", "member_id", "kind", "template_key", "dedupe_key", "status", "created_at", "sent_at"}
    assert api.get("/messages?status=queued", staff_tokens["owner"]).json["total"] == 0
    assert api.get("/messages", staff_tokens["cashier"]).status_code == 403


def _in_threads(app, target, count=2):
    """Run ``target`` in ``count`` threads at once, each in its own app context; any error fails the test."""

    def work():
        with app.app_context():
            target()

    with app.app_context():  # the merchant's settings row exists before the schedulers start
        get_settings()
        db.session.commit()
    run_together(*[work] * count, timeout=60)


def test_two_senders_at_once_send_each_message_once(app, seed):
    _birthdays(app, seed, 40)

    def sender():
        send_outbox(now=NOW)
        db.session.commit()

    _in_threads(app, sender, count=3)
    assert len(fake_wechat.SENT) == 40
    assert len(set(sent_openids())) == 40
    assert {m.status for m in messages(app)} == {"sent"}


@pytest.mark.parametrize("job", ["birthday_greetings", "win_back_offers"])
def test_two_schedulers_running_a_job_at_once_queue_each_push_once(app, seed, job):
    for index in range(20):
        seed.member(
            f"c{index}",
            birthday=date(1990, 3, 10),
            last_visit=NOW - timedelta(days=300),
            grants={"birthday_greeting": 1, "win_back_offer": 1},
        )
    _in_threads(app, lambda: run_job(job, day=D), count=2)
    rows = messages(app)
    assert len(rows) == 20 and len({m.member_id for m in rows}) == 20
    _in_threads(app, lambda: (send_outbox(now=NOW + timedelta(hours=3)), db.session.commit()), count=2)
    assert len(fake_wechat.SENT) == 20


def test_a_claimed_message_is_left_alone_until_its_lease_ends(app, seed):
    from app.marketing.sender import LEASE, claim_batch

    _birthdays(app, seed, 1)
    with app.app_context():
        token, ids = claim_batch(now=NOW)
        db.session.commit()
        assert len(ids) == 1 and token
        assert claim_batch(now=NOW + timedelta(minutes=1))[1] == []
        db.session.rollback()
        assert claim_batch(now=NOW + LEASE + timedelta(seconds=1))[1] == ids
        db.session.rollback()
        assert db.session.scalar(select(Message.status)) == "queued"
