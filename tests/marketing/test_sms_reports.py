"""What the provider tells us after an SMS, pulled by the ``sms_reports`` job (fake mode here; the
live calls and their error codes are in tests/sms/test_sms_live.py): a reply asking to stop records
an opt-out (provider, audited) that the sender then honours, other replies change nothing, delivery
reports land on their messages, and pulling again or the same reply twice changes nothing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.marketing.jobs import pull_sms_reports
from app.marketing.models import Message, SmsOptOut
from app.marketing.outbox import enqueue_rows, message_row
from app.marketing.sender import send_outbox
from app.marketing.sms_reports import asks_to_stop
from app.members.models import Member
from app.sms import SmsReply
from app.sms import fake as fake_sms
from tests.marketing.helpers import local

D = date(2026, 3, 10)
NOW = local(D, 10, 0)
LATER = NOW + timedelta(minutes=5)


def _remind(app, member_id, occasion):
    with app.app_context():
        enqueue_rows([message_row("car_ready", member_id, occasion, NOW, plate="粤B12345", detail="2026-03-10 10:00")])
        db.session.commit()


def _phone(app, member_id):
    with app.app_context():
        return db.session.get(Member, member_id).phone


def _pull(app, now=LATER):
    with app.app_context():
        return pull_sms_reports(today=D, now=now)


@pytest.mark.parametrize("text", ["TD", "td", "T", "退订", " 退订。", "R", "拒收", "Stop"])
def test_replies_that_ask_to_stop(text):
    assert asks_to_stop(text)


@pytest.mark.parametrize("text", ["好的", "谢谢", "TD一下明天到", "", "1", "退订吗？", "取消", "N"])
def test_replies_that_do_not(text):
    assert not asks_to_stop(text)


def test_a_reply_asking_to_stop_records_an_opt_out_that_the_sender_honours(app, seed):
    stopping, chatting = seed.member("stopping"), seed.member("chatting")
    for member in (stopping, chatting):
        _remind(app, member, "1")
    with app.app_context():
        assert send_outbox(now=NOW) == {"sent_sms": 2}
        db.session.commit()
    fake_sms.REPLIES.extend(
        [
            SmsReply(phone=_phone(app, stopping), text="退订", replied_at=NOW),
            SmsReply(phone=_phone(app, chatting), text="好的，谢谢", replied_at=NOW),
            SmsReply(phone="13700000000", text="TD", replied_at=NOW),  # a number no member has
        ]
    )
    assert _pull(app) == {"replies": 3, "opted_out": 1, "delivered": 2, "undelivered": 0}

    with app.app_context():
        row = db.session.get(SmsOptOut, stopping)
        assert (row.source, row.opted_out_at) == ("provider", LATER)
        assert db.session.get(SmsOptOut, chatting) is None
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "sms_opt_out")).all()
        assert (entry.actor_kind, entry.entity_id, entry.after) == (
            "system",
            stopping,
            {"sms_opted_out": True, "source": "provider"},
        )
        delivered = db.session.execute(select(Message.member_id, Message.sms_delivery, Message.sms_delivered_at)).all()
        assert sorted(delivered) == [(stopping, "delivered", LATER), (chatting, "delivered", LATER)]

    # Pulled once: the next run finds nothing; the same reply again changes nothing.
    assert _pull(app) == {"replies": 0, "opted_out": 0, "delivered": 0, "undelivered": 0}
    fake_sms.REPLIES.append(SmsReply(phone=_phone(app, stopping), text="TD", replied_at=NOW))
    assert _pull(app)["opted_out"] == 0
    with app.app_context():
        assert db.session.scalar(select(SmsOptOut.opted_out_at).where(SmsOptOut.member_id == stopping)) == LATER

    # The next reminder goes to the member who chatted by SMS, not to the one who asked to stop.
    for member in (stopping, chatting):
        _remind(app, member, "2")
    with app.app_context():
        assert send_outbox(now=NOW + timedelta(days=1)) == {"sent_sms": 1, "skipped_no_grant": 1}
        db.session.commit()
        outcomes = db.session.execute(
            select(Message.member_id, Message.sms_outcome).where(Message.dedupe_key.like("%:2%"))
        ).all()
    assert dict(outcomes) == {stopping: "opted_out", chatting: "sent"}


def test_more_than_a_pull_of_reports_is_pulled_in_one_run(app, seed):
    from app.sms import SmsDeliveryReport

    fake_sms.REPORTS.extend(
        SmsDeliveryReport(serial_no=f"none-{n}", delivered=n % 2 == 0, description=None, received_at=None)
        for n in range(250)
    )
    assert _pull(app) == {"replies": 0, "opted_out": 0, "delivered": 125, "undelivered": 125}
    assert fake_sms.REPORTS == []
