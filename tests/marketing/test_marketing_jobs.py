"""Each daily job selects exactly the right members on the right day (injected dates), and a rerun
for the same day queues nothing more."""

from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.marketing.models import FollowUp, Message, Visit
from app.marketing.occasions import purchase_dates_due_on
from app.marketing.settings_services import update_marketing_settings
from app.members.models import Member
from tests.marketing.helpers import local, member_ids, messages

D = date(2026, 3, 10)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _follow_ups(app, **filters):
    with app.app_context():
        stmt = select(FollowUp).order_by(FollowUp.id)
        for name, value in filters.items():
            stmt = stmt.where(getattr(FollowUp, name) == value)
        return db.session.scalars(stmt).all()


def test_birthday_greetings_pick_todays_birthdays_and_feb_29_on_feb_28_of_non_leap_years(app, seed, run):
    ann = seed.member("ann", birthday=date(1990, 3, 10))
    seed.member("bob", birthday=date(1985, 3, 11))
    seed.member("nobody")
    leapling = seed.member("cat", birthday=date(1992, 2, 29))
    feb28 = seed.member("dan", birthday=date(1980, 2, 28))
    merged = seed.member("old-ann", birthday=date(1990, 3, 10))
    with app.app_context():
        db.session.get(Member, merged).merged_into_id = ann
        db.session.commit()

    assert run("birthday_greetings", D)["queued"] == 1
    assert member_ids(app, kind="birthday") == [ann]
    assert run("birthday_greetings", D)["queued"] == 0  # a rerun queues nothing

    run("birthday_greetings", date(2027, 2, 28))  # not a leap year: Feb 29 births greeted today
    assert member_ids(app, kind="birthday", occasion_date=date(2027, 2, 28)) == sorted([leapling, feb28])
    run("birthday_greetings", date(2028, 2, 28))  # leap year: only Feb 28 births
    assert member_ids(app, kind="birthday", occasion_date=date(2028, 2, 28)) == [feb28]
    run("birthday_greetings", date(2028, 2, 29))
    assert member_ids(app, kind="birthday", occasion_date=date(2028, 2, 29)) == [leapling]


def test_birthday_calls_go_to_top_tiers_only(app, seed, run):
    gold = seed.member("gold", birthday=date(1990, 3, 10), tier=2)
    seed.member("base", birthday=date(1991, 3, 10), tier=0)
    with app.app_context():
        update_marketing_settings(changes={"birthday_call_min_tier_rank": 2})
        db.session.commit()
    result = run("birthday_greetings", D)
    assert result == {"queued": 2, "coupons": 0, "calls": 1}
    assert [(f.member_id, f.reason, f.due_date) for f in _follow_ups(app)] == [(gold, "tier_care", D)]


def test_maintenance_reminders_push_13_days_before_and_call_11_days_before(app, seed, run):
    due13 = seed.member("due13")
    due14 = seed.member("due14")
    due12 = seed.member("due12")
    due11 = seed.member("due11")
    v13 = seed.vehicle(due13, "粤B00013", next_maintenance_due_date=D + timedelta(days=13))
    seed.vehicle(due14, "粤B00014", next_maintenance_due_date=D + timedelta(days=14))
    seed.vehicle(due12, "粤B00012", next_maintenance_due_date=D + timedelta(days=12))
    seed.vehicle(due11, "粤B00011", next_maintenance_due_date=D + timedelta(days=11))
    seed.vehicle(None, "粤B09999", next_maintenance_due_date=D + timedelta(days=13))  # a walk-in car

    assert run("maintenance_reminders", D) == {"queued": 2, "calls": 1}
    pushed = messages(app, kind="maintenance_due")
    assert sorted(m.member_id for m in pushed) == sorted([due13, due12])  # 12: a day late, still reminded
    first = next(m for m in pushed if m.member_id == due13)
    assert (first.ref_type, first.ref_id, first.plate, first.occasion_date) == (
        "vehicle",
        v13,
        "粤B00013",
        D + timedelta(days=13),
    )
    assert [(f.member_id, f.reason) for f in _follow_ups(app)] == [(due11, "not_delivered")]
    assert run("maintenance_reminders", D) == {"queued": 0, "calls": 0}

    # Next day: due14 is 13 days out; the others were reminded already.
    assert run("maintenance_reminders", D + timedelta(days=1))["queued"] == 1
    assert member_ids(app, kind="maintenance_due") == sorted([due13, due14, due12])


def test_maintenance_call_list_skips_cars_whose_reminder_was_delivered_and_acted_on(app, seed, run, stores):
    from app.bookings.models import Booking
    from app.catalog.models import ServiceItem
    from app.marketing.sender import send_outbox

    visited = seed.member("visited", grants={"maintenance_due": 1})
    booked = seed.member("booked", grants={"maintenance_due": 1})
    ignored = seed.member("ignored", grants={"maintenance_due": 1})
    no_grant = seed.member("no-grant")
    with app.app_context():  # no phone either, so the reminder cannot go by SMS
        db.session.get(Member, no_grant).phone = None
        db.session.commit()
    due = D + timedelta(days=13)
    cars = {
        member_id: seed.vehicle(member_id, plate, next_maintenance_due_date=due)
        for member_id, plate in (
            (visited, "粤B10001"),
            (booked, "粤B10004"),
            (ignored, "粤B10002"),
            (no_grant, "粤B10003"),
        )
    }
    run("maintenance_reminders", D)
    with app.app_context():
        assert send_outbox(now=local(D, 10, 1)) == {"sent": 3, "skipped_no_grant": 1}
        db.session.commit()
    # The skipped push does not put a maintenance call on the list before the 11-day mark.
    assert _follow_ups(app) == []
    with app.app_context():  # "visited" came in after the push, "booked" booked a slot
        db.session.get(Member, visited).last_paid_visit_at = local(D + timedelta(days=1))
        item = ServiceItem(name="保养", category="maintenance", price_fen=30000)
        db.session.add(item)
        db.session.flush()
        slot = local(D + timedelta(days=5), 9)
        db.session.add(
            Booking(
                store_id=stores[0],
                member_id=booked,
                vehicle_id=cars[booked],
                service_item_id=item.id,
                plate="粤B10004",
                start_at=slot,
                end_at=slot + timedelta(minutes=30),
                created_at=local(D + timedelta(days=1)),
            )
        )
        db.session.commit()

    assert run("maintenance_reminders", D + timedelta(days=2))["calls"] == 2
    assert sorted((f.member_id, f.reason) for f in _follow_ups(app)) == sorted(
        [(ignored, "no_response"), (no_grant, "not_delivered")]
    )


def test_first_maintenance_reminders_for_new_cars_from_the_purchase_date(app, seed, run):
    fresh = seed.member("fresh")
    later = seed.member("later")
    serviced = seed.member("serviced")
    # six months (the default) after purchase; D + 13 = 2026-03-23
    v = seed.vehicle(fresh, "粤B20001", purchase_date=date(2025, 9, 23))
    seed.vehicle(later, "粤B20002", purchase_date=date(2025, 9, 24))
    seed.vehicle(
        serviced,
        "粤B20003",
        purchase_date=date(2025, 9, 23),
        last_maintenance_date=date(2026, 1, 5),
        next_maintenance_due_date=date(2026, 7, 5),
    )

    assert run("first_maintenance_reminders", D)["queued"] == 1
    [message] = messages(app, kind="first_maintenance")
    assert (message.member_id, message.ref_id, message.occasion_date, message.template_key) == (
        fresh,
        v,
        date(2026, 3, 23),
        "maintenance_due",
    )
    assert run("first_maintenance_reminders", D)["queued"] == 0


def test_first_maintenance_due_dates_clamp_to_month_end():
    assert purchase_dates_due_on(date(2026, 2, 28), 6) == [
        date(2025, 8, 28),
        date(2025, 8, 29),
        date(2025, 8, 30),
        date(2025, 8, 31),
    ]
    assert purchase_dates_due_on(date(2026, 8, 30), 6) == []  # Feb has no 30th
    assert purchase_dates_due_on(date(2026, 3, 23), 6) == [date(2025, 9, 23)]


def test_win_back_offers_go_to_at_risk_and_churned_members_at_most_once_per_interval(app, seed, run):
    now = local(D, 11)
    at_risk = seed.member("at-risk", last_visit=now - timedelta(days=200))
    churned = seed.member("churned", last_visit=now - timedelta(days=400))
    seed.member("active", last_visit=now - timedelta(days=10))
    seed.member("new")

    assert run("win_back_offers", D)["queued"] == 2
    assert member_ids(app, kind="win_back") == sorted([at_risk, churned])
    assert run("win_back_offers", D)["queued"] == 0
    assert run("win_back_offers", D + timedelta(days=30))["queued"] == 0  # within 90 days of the last offer
    assert run("win_back_offers", D + timedelta(days=91))["queued"] == 2


def test_service_follow_ups_three_to_seven_days_after_a_settle(app, seed, run, stores):
    members = {name: seed.member(name) for name in ("d2", "d3", "d7", "d8", "refunded")}
    with app.app_context():
        for number, (name, days_ago) in enumerate((("d2", 2), ("d3", 3), ("d7", 7), ("d8", 8), ("refunded", 4))):
            day = D - timedelta(days=days_ago)
            db.session.add(
                Visit(
                    work_order_id=100 + number,
                    member_id=members[name],
                    store_id=stores[0],
                    plate="粤B30001",
                    paid_fen=1000,
                    settled_at=local(day, 23, 30),
                    settled_on=day,
                    refunded_at=local(D) if name == "refunded" else None,
                )
            )
        db.session.commit()
    assert run("service_follow_ups", D)["queued"] == 2
    assert member_ids(app, kind="follow_up") == sorted([members["d3"], members["d7"]])
    assert run("service_follow_ups", D + timedelta(days=1))["queued"] == 1  # d2 is now 3 days ago
    assert run("service_follow_ups", D + timedelta(days=1))["queued"] == 0


def test_booking_reminders_the_day_before(app, seed, run, stores):
    from app.bookings.models import Booking
    from app.catalog.models import ServiceItem

    tomorrow, later = seed.member("tomorrow"), seed.member("later")
    cancelled = seed.member("cancelled")
    with app.app_context():
        item = ServiceItem(name="洗车", category="wash", price_fen=3000)
        db.session.add(item)
        db.session.flush()
        for member_id, plate, day, status in (
            (tomorrow, "粤B40001", D + timedelta(days=1), "booked"),
            (later, "粤B40002", D + timedelta(days=2), "booked"),
            (cancelled, "粤B40003", D + timedelta(days=1), "cancelled"),
        ):
            from app.members.models import Vehicle

            vehicle = Vehicle(member_id=member_id, plate=plate)
            db.session.add(vehicle)
            db.session.flush()
            db.session.add(
                Booking(
                    store_id=stores[0],
                    member_id=member_id,
                    vehicle_id=vehicle.id,
                    service_item_id=item.id,
                    plate=plate,
                    start_at=local(day, 9, 30),
                    end_at=local(day, 10),
                    status=status,
                )
            )
        db.session.commit()
    assert run("booking_reminders", D)["queued"] == 1
    [message] = messages(app, kind="booking_reminder")
    assert (message.member_id, message.detail, message.store_id) == (tomorrow, "2026-03-11 09:30", stores[0])
    assert run("booking_reminders", D)["queued"] == 0


def test_coupon_expiry_notices_three_days_before_the_last_valid_day(app, seed, run):
    from app.coupons import issuing
    from app.coupons import services as coupons
    from app.coupons.template_services import create_template

    soon, later, used = seed.member("soon"), seed.member("later"), seed.member("used")
    with app.app_context():

        def template(last_day):
            return create_template(
                data={
                    "name": f"洗车券{last_day}",
                    "kind": "cash_off",
                    "value_fen": 1000,
                    "valid_from": D - timedelta(days=10),
                    "valid_until": last_day,
                }
            ).id

        ends_in_3, ends_in_4 = template(D + timedelta(days=3)), template(D + timedelta(days=4))
        issued_at = local(D - timedelta(days=1))
        expiring_id = issuing.issue(template_id=ends_in_3, member_id=soon, source="grant", now=issued_at).id
        issuing.issue(template_id=ends_in_4, member_id=later, source="grant", now=issued_at)
        spent = issuing.issue(template_id=ends_in_3, member_id=used, source="grant", now=issued_at)
        coupons.use(member_coupon_id=spent.id, member_id=used, ref_type="work_order", ref_id=1, now=issued_at)
        db.session.commit()
    assert run("coupon_expiry_notices", D)["queued"] == 1
    [message] = messages(app, kind="coupon_expiring")
    assert (message.member_id, message.occasion_date) == (soon, D + timedelta(days=3))
    assert (message.ref_type, message.ref_id) == ("member_coupon", expiring_id)
    assert message.dedupe_key == f"coupon_expiring:{soon}:{expiring_id}"
    assert message.detail.startswith("洗车券")
    assert run("coupon_expiry_notices", D)["queued"] == 0
    assert member_ids(app, kind="coupon_expiring") == [soon]


def test_every_daily_job_run_twice_for_a_day_queues_nothing_more(app, seed, run):
    now = local(D, 11)
    for index in range(3):
        member_id = seed.member(f"m{index}", birthday=date(1990, 3, 10), last_visit=now - timedelta(days=300))
        seed.vehicle(
            member_id,
            f"粤B5000{index}",
            next_maintenance_due_date=D + timedelta(days=13),
            purchase_date=date(2025, 9, 23),
        )
    daily = [
        "birthday_greetings",
        "maintenance_reminders",
        "first_maintenance_reminders",
        "win_back_offers",
        "service_follow_ups",
        "booking_reminders",
        "coupon_expiry_notices",
    ]
    for name in daily:
        run(name, D)
    counts = (_count(app, Message), _count(app, FollowUp))
    assert counts[0] == 9
    for name in daily:
        run(name, D)
    assert (_count(app, Message), _count(app, FollowUp)) == counts


def test_flask_jobs_lists_every_job_and_runs_one_for_a_date(app, runner, seed):
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    names = listed.output.split()
    assert set(names) >= {
        "birthday_greetings",
        "maintenance_reminders",
        "first_maintenance_reminders",
        "win_back_offers",
        "service_follow_ups",
        "booking_reminders",
        "coupon_expiry_notices",
        "points_expiry",
        "tier_review",
        "campaign_sends",
        "send_outbox",
    }
    member_id = seed.member("ann", birthday=date(1990, 3, 10))
    ran = runner.invoke(args=["jobs", "run", "birthday_greetings", "--date", "2026-03-10"])
    assert ran.exit_code == 0, ran.output
    assert "'queued': 1" in ran.output
    assert member_ids(app, kind="birthday") == [member_id]
    assert runner.invoke(args=["jobs", "run", "no_such_job"]).exit_code != 0
