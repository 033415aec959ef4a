"""The care reminders: insurance renewal, annual inspection, membership and car-purchase
anniversaries. Each fires on exactly the right days over a year of injected dates, once (a rerun
queues nothing), and goes through the outbox: without a grant the member is skipped and put on
the call list."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.marketing.models import FollowUp
from app.marketing.sender import send_outbox
from app.marketing.settings_services import update_marketing_settings
from app.members.models import Member
from tests.marketing.helpers import SHANGHAI, messages

DAY = timedelta(days=1)
START, END = date(2026, 1, 1), date(2027, 1, 10)  # 375 days


def _days_fired(run, job):
    """Run ``job`` for every day of the year (and again: a rerun queues nothing); the days it queued."""
    fired = []
    day = START
    while day < END:
        if run(job, day)["queued"]:
            fired.append(day)
            assert run(job, day)["queued"] == 0, day
        day += DAY
    return fired


def _keys(app, kind):
    return sorted((m.member_id, m.ref_id, m.occasion_date, m.detail) for m in messages(app, kind=kind))


def _follow_ups(app, kind):
    with app.app_context():
        return [
            (f.member_id, f.reason, f.ref_id)
            for f in db.session.scalars(select(FollowUp).where(FollowUp.kind == kind).order_by(FollowUp.id))
        ]


def test_insurance_renewal_goes_out_30_and_7_days_before_the_expiry_once_each(app, seed, run):
    ann = seed.member("ann")
    car = seed.vehicle(ann, "粤B10001", insurance_expires_on=date(2026, 6, 30))
    leap = seed.vehicle(ann, "粤B10002", insurance_expires_on=date(2026, 3, 1))
    seed.vehicle(ann, "粤B10003")  # no insurance date: never
    assert _days_fired(run, "insurance_renewal_reminders") == [
        date(2026, 1, 30),  # 30 days before 1 March
        date(2026, 2, 22),  # 7 days before
        date(2026, 5, 31),
        date(2026, 6, 23),
    ]
    assert _keys(app, "insurance_renewal") == sorted(
        [
            (ann, leap, date(2026, 3, 1), None),
            (ann, leap, date(2026, 3, 1), None),
            (ann, car, date(2026, 6, 30), None),
            (ann, car, date(2026, 6, 30), None),
        ]
    )


def test_insurance_renewal_days_are_a_setting(app, seed, run):
    ann = seed.member("ann")
    seed.vehicle(ann, "粤B10001", insurance_expires_on=date(2026, 6, 30))
    with app.app_context():
        update_marketing_settings(changes={"insurance_reminder_days": [15]})
        db.session.commit()
    assert run("insurance_renewal_reminders", date(2026, 5, 31))["queued"] == 0  # 30 days: no longer a lead
    assert run("insurance_renewal_reminders", date(2026, 6, 14))["queued"] == 0
    assert run("insurance_renewal_reminders", date(2026, 6, 15))["queued"] == 1
    assert run("insurance_renewal_reminders", date(2026, 6, 16))["queued"] == 0


def test_a_missed_insurance_day_is_caught_up_the_day_after_and_no_later(app, seed, run):
    ann = seed.member("ann")
    seed.vehicle(ann, "粤B10001", insurance_expires_on=date(2026, 6, 30))
    assert run("insurance_renewal_reminders", date(2026, 6, 2))["queued"] == 0  # 28 days: too late
    assert run("insurance_renewal_reminders", date(2026, 6, 1))["queued"] == 1  # 29 days before
    assert run("insurance_renewal_reminders", date(2026, 6, 2))["queued"] == 0
    assert run("insurance_renewal_reminders", date(2026, 6, 24))["queued"] == 1  # 6 days before
    assert run("insurance_renewal_reminders", date(2026, 6, 25))["queued"] == 0


def test_a_renewed_policy_is_reminded_again_for_its_new_expiry(app, seed, run):
    ann = seed.member("ann")
    car = seed.vehicle(ann, "粤B10001", insurance_expires_on=date(2026, 6, 30))
    assert run("insurance_renewal_reminders", date(2026, 5, 31))["queued"] == 1
    with app.app_context():
        from app.members.models import Vehicle

        db.session.get(Vehicle, car).insurance_expires_on = date(2027, 6, 30)
        db.session.commit()
    assert run("insurance_renewal_reminders", date(2027, 5, 31))["queued"] == 1


def test_inspection_reminders_follow_the_rule_30_days_ahead_and_leave_vans_out(app, seed, run):
    ann = seed.member("ann")
    sixth = seed.vehicle(ann, "粤B20001", registration_date=date(2020, 5, 15))  # station, 2026-05-15
    old = seed.vehicle(ann, "粤B20002", registration_date=date(2011, 2, 28))  # 15th year, then every 6 months
    leap = seed.vehicle(ann, "粤B20003", registration_date=date(2016, 2, 29))  # 10th year: 2026-02-28
    sticker = seed.vehicle(ann, "粤B20004", registration_date=date(2022, 9, 30), inspection_class="small_passenger")
    seed.vehicle(ann, "粤B20005", registration_date=date(2020, 5, 15), inspection_class="van")
    seed.vehicle(ann, "粤B20006", registration_date=date(2020, 5, 15), inspection_class="commercial")
    assert _days_fired(run, "inspection_reminders") == [
        date(2026, 1, 29),  # 2011-02-28 + 15 years and 2016-02-29 + 10 years, both 2026-02-28
        date(2026, 4, 15),  # 2020-05-15 + 6 years
        date(2026, 7, 29),  # 2011-02-28 + 15½ years = 2026-08-28
        date(2026, 8, 31),  # 2022-09-30 + 4 years (sticker)
    ]
    assert _keys(app, "annual_inspection") == sorted(
        [
            (ann, old, date(2026, 2, 28), "上线检验"),
            (ann, leap, date(2026, 2, 28), "上线检验"),
            (ann, sixth, date(2026, 5, 15), "上线检验"),
            (ann, old, date(2026, 8, 28), "上线检验"),
            (ann, sticker, date(2026, 9, 30), "申领检验标志"),
        ]
    )


def test_the_inspection_lead_is_a_setting(app, seed, run):
    ann = seed.member("ann")
    seed.vehicle(ann, "粤B20001", registration_date=date(2020, 5, 15))
    with app.app_context():
        update_marketing_settings(changes={"inspection_reminder_days": 10})
        db.session.commit()
    assert run("inspection_reminders", date(2026, 4, 15))["queued"] == 0
    assert run("inspection_reminders", date(2026, 5, 5))["queued"] == 1


def _joined(app, member_id, instant):
    with app.app_context():
        db.session.get(Member, member_id).created_at = instant
        db.session.commit()


def test_membership_anniversaries_fall_on_the_local_join_day_every_year(app, seed, run):
    ann = seed.member("ann")
    late = seed.member("late")
    leapling = seed.member("leapling")
    blocked = seed.member("blocked")
    _joined(app, ann, datetime(2024, 3, 10, 10, tzinfo=SHANGHAI))
    # 23:30 in Shanghai on 28 February is still the 28th there (15:30 UTC).
    _joined(app, late, datetime(2025, 2, 28, 23, 30, tzinfo=SHANGHAI))
    _joined(app, leapling, datetime(2024, 2, 29, 12, tzinfo=SHANGHAI))
    _joined(app, blocked, datetime(2024, 3, 10, 10, tzinfo=SHANGHAI))
    with app.app_context():
        db.session.get(Member, blocked).blocked_at = datetime(2025, 1, 1, tzinfo=SHANGHAI)
        db.session.commit()
    assert _days_fired(run, "member_anniversaries") == [date(2026, 2, 28), date(2026, 3, 10)]
    assert _keys(app, "member_anniversary") == sorted(
        [
            (late, None, date(2026, 2, 28), "入会1周年"),
            (leapling, None, date(2026, 2, 28), "入会2周年"),
            (ann, None, date(2026, 3, 10), "入会2周年"),
        ]
    )


def test_car_purchase_anniversaries_every_year_on_the_day(app, seed, run):
    ann = seed.member("ann")
    car = seed.vehicle(ann, "粤B30001", purchase_date=date(2020, 7, 1))
    leap = seed.vehicle(ann, "粤B30002", purchase_date=date(2024, 2, 29))
    seed.vehicle(ann, "粤B30003", purchase_date=date(2026, 5, 1))  # bought this year: first one in 2027
    assert _days_fired(run, "purchase_anniversaries") == [date(2026, 2, 28), date(2026, 7, 1)]
    assert _keys(app, "purchase_anniversary") == sorted(
        [(ann, leap, date(2026, 2, 28), "爱车2周年"), (ann, car, date(2026, 7, 1), "爱车6周年")]
    )


def test_without_a_grant_a_reminder_is_skipped_and_put_on_the_call_list(app, seed, run):
    granted = seed.member("granted", grants={"insurance_renewal": 1, "annual_inspection": 1, "anniversary": 1})
    plain = seed.member("plain")
    with app.app_context():  # no phone either: SMS cannot take it (tests/marketing/test_sms_fallback.py)
        db.session.get(Member, plain).phone = None
        db.session.commit()
    for member, prefix in ((granted, "粤B4"), (plain, "粤B5")):
        seed.vehicle(
            member,
            f"{prefix}0001",
            insurance_expires_on=date(2026, 6, 30),
            registration_date=date(2020, 6, 30),
            purchase_date=date(2020, 5, 31),
        )
    day = date(2026, 5, 31)
    assert run("insurance_renewal_reminders", day)["queued"] == 2
    assert run("inspection_reminders", day)["queued"] == 2
    assert run("purchase_anniversaries", day)["queued"] == 2
    assert run("send_outbox", day) == {"sent": 3, "skipped_no_grant": 3}
    assert run("send_outbox", day) == {}
    for kind in ("insurance_renewal", "annual_inspection", "purchase_anniversary"):
        assert sorted((m.member_id, m.status) for m in messages(app, kind=kind)) == sorted(
            [(granted, "sent"), (plain, "skipped_no_grant")]
        )
        assert [(member, reason) for member, reason, _ in _follow_ups(app, kind)] == [(plain, "no_grant")]
    assert run("insurance_renewal_reminders", day)["queued"] == 0  # replaying the day sends nothing twice


def test_the_new_kinds_templates_fit_wechat_fields_without_truncating_their_fixed_texts(app):
    from app.marketing.message_templates import DEFAULT_MESSAGES, render_fields
    from app.wechat.templates import validate_and_truncate

    context = {
        "plate": "粤B12345D",
        "date": "2026-09-25",
        "detail": "申领检验标志",
        "ref_id": "7",
        "nickname": "车主",
        "tier": "会员",
        "store": "门店",
    }
    for kind in ("insurance_renewal", "annual_inspection", "member_anniversary", "purchase_anniversary", "holiday"):
        rendered = render_fields(DEFAULT_MESSAGES[kind]["fields"], context)
        fitted = validate_and_truncate(rendered)
        assert {key: value["value"] for key, value in fitted.items()} == rendered, kind


def test_without_a_grant_insurance_and_inspection_reminders_go_by_sms_and_greetings_do_not(app, seed, run):
    texted = seed.member("texted")  # a phone, no grant, not opted out
    car = seed.vehicle(
        texted,
        "粤B60001",
        insurance_expires_on=date(2026, 6, 30),
        registration_date=date(2020, 6, 30),
        purchase_date=date(2020, 5, 31),
    )
    day = date(2026, 5, 31)
    for job in ("insurance_renewal_reminders", "inspection_reminders", "purchase_anniversaries"):
        assert run(job, day)["queued"] == 1
    with app.app_context():  # at 11:00, after the jobs (10:15, 10:20) and outside the quiet hours
        update_marketing_settings(changes={"sms_daily_cap": 2})  # two reminders the same day (cap: 1)
        send_outbox(now=datetime(2026, 5, 31, 11, tzinfo=SHANGHAI))
    by_kind = {
        kind: [(m.status, m.channel) for m in messages(app, kind=kind)]
        for kind in ("insurance_renewal", "annual_inspection", "purchase_anniversary")
    }
    assert by_kind == {
        "insurance_renewal": [("sent", "sms")],
        "annual_inspection": [("sent", "sms")],
        "purchase_anniversary": [("skipped_no_grant", None)],
    }
    assert [(member, reason) for member, reason, _ in _follow_ups(app, "purchase_anniversary")] == [
        (texted, "no_grant")
    ]
    assert {m.ref_id for m in messages(app, kind="insurance_renewal")} == {car}
