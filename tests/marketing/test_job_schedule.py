"""The job list, and replaying a day from the command line as the scheduler would have run it."""

from datetime import date, datetime, time

import pytest

from app.common import jobs
from app.common.jobs import instant_for, jobs_in_day_order, registered_jobs
from app.marketing.sender import send_outbox
from tests.marketing.conftest import SHANGHAI, messages

D = date(2026, 3, 10)

# The names promised in API.md, and the jobs of the wallet, cards, payments, members and referrals.
EVERY_JOB = [
    "account_overdue_suspension",
    "birthday_greetings",
    "booking_reminders",
    "campaign_sends",
    "coupon_expiry_notices",
    "deferred_events",
    "first_maintenance_reminders",
    "holiday_greetings",
    "inspection_reminders",
    "insurance_renewal_reminders",
    "maintenance_reminders",
    "member_anniversaries",
    "member_metrics",
    "package_card_expiry",
    "payment_refunds",
    "payment_timeouts",
    "plate_trigram_counts",
    "points_expiry",
    "purchase_anniversaries",
    "referral_rewards",
    "send_outbox",
    "service_follow_ups",
    "sms_reports",
    "tier_review",
    "transfer_jobs",
    "win_back_offers",
]


def test_flask_jobs_list_prints_exactly_the_registered_jobs(app, runner):
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.split() == EVERY_JOB


def test_a_daily_job_stands_for_its_time_of_day_and_a_frequent_one_for_the_end_of_the_day(app):
    every = registered_jobs()
    assert instant_for(D, every["birthday_greetings"], "Asia/Shanghai") == datetime.combine(D, time(9), tzinfo=SHANGHAI)
    for name in ("send_outbox", "payment_refunds", "campaign_sends", "referral_rewards"):
        assert instant_for(D, every[name], "Asia/Shanghai") == datetime.combine(D, time(23, 59, 59), tzinfo=SHANGHAI)


def test_the_sender_run_for_a_day_sends_what_that_days_push_jobs_queued(app, runner, seed):
    member_id = seed.member("ann", birthday=date(1990, 3, 10), grants={"birthday_greeting": 1})
    queued = runner.invoke(args=["jobs", "run", "birthday_greetings", "--date", D.isoformat()])
    assert queued.exit_code == 0 and "'queued': 1" in queued.output, queued.output
    # What `--date` used to mean for every job: 03:00 of the day, before the 09:00 greetings, so
    # the replayed sender found nothing due.
    with app.app_context():
        assert send_outbox(now=datetime.combine(D, time(3), tzinfo=SHANGHAI)) == {}
    sent = runner.invoke(args=["jobs", "run", "send_outbox", "--date", D.isoformat()])
    assert sent.exit_code == 0, sent.output
    assert sent.output.strip() == "send_outbox: {'sent': 1}"
    assert [(m.member_id, m.status) for m in messages(app)] == [(member_id, "sent")]


def test_run_day_runs_the_daily_jobs_by_time_of_day_then_the_frequent_ones_senders_last(app, runner, seed):
    greeted = seed.member("ann", birthday=date(1990, 3, 10), tier=1, grants={"birthday_greeting": 1})
    ran = runner.invoke(args=["jobs", "run-day", D.isoformat()])
    assert ran.exit_code == 0, ran.output
    lines = ran.output.splitlines()
    assert [line.split()[1].rstrip(":") for line in lines] == [job.name for job in jobs_in_day_order()]
    assert [line.split()[0] for line in lines[:6]] == [
        "01:00:00",
        "01:15:00",
        "01:30:00",
        "02:00:00",
        "02:30:00",
        "03:30:00",
    ]
    assert lines[5] == "03:30:00 plate_trigram_counts: {'trigrams_folded': 0}"
    assert lines[6].startswith("09:00:00 birthday_greetings: {'queued': 1")
    # The care reminders follow the greetings and the maintenance pushes through the morning.
    daily = [line.split()[1].rstrip(":") for line in lines[6:]]
    assert daily[:4] == ["birthday_greetings", "member_anniversaries", "purchase_anniversaries", "holiday_greetings"]
    assert daily.index("insurance_renewal_reminders") + 1 == daily.index("inspection_reminders")
    assert daily.index("coupon_expiry_notices") < daily.index("insurance_renewal_reminders")
    assert "10:20:00 inspection_reminders: {'queued': 0}" in lines
    assert [line.split()[1] for line in lines[-8:]] == [
        "referral_rewards:",
        "campaign_sends:",
        "payment_timeouts:",
        "sms_reports:",
        "transfer_jobs:",
        "deferred_events:",
        "payment_refunds:",
        "send_outbox:",
    ]
    assert all(line.startswith("23:59:59") for line in lines[-8:])
    assert lines[-1] == "23:59:59 send_outbox: {'sent': 1}"
    assert [(m.member_id, m.status) for m in messages(app)] == [(greeted, "sent")]
    again = runner.invoke(args=["jobs", "run-day", D.isoformat()])  # a replay twice sends nothing twice
    assert again.exit_code == 0 and again.output.splitlines()[-1] == "23:59:59 send_outbox: {}"


def test_run_day_reports_a_failing_job_runs_the_others_and_exits_1(app, runner, seed, monkeypatch):
    seed.member("ann", tier=1)

    def broken(*, today, now):
        raise RuntimeError("the points ledger is unreachable")

    monkeypatch.setitem(jobs._jobs, "points_expiry", jobs.Job("points_expiry", broken, hour=1))
    ran = runner.invoke(args=["jobs", "run-day", D.isoformat()])
    assert ran.exit_code == 1
    assert "01:00:00 points_expiry: FAILED (RuntimeError: the points ledger is unreachable)" in ran.output
    assert "23:59:59 send_outbox:" in ran.output
    assert "failed: points_expiry" in ran.output


def test_a_job_name_cannot_be_taken_twice_and_a_job_is_daily_or_frequent(app):
    def other(*, today, now):
        return None

    with pytest.raises(ValueError, match="registered already"):
        jobs.register_job("send_outbox", other, every_minutes=1)
    with pytest.raises(ValueError, match="either a daily hour or every_minutes"):
        jobs.register_job("sometimes", other)
    assert "sometimes" not in registered_jobs()
