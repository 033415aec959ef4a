"""Every call that reaches the member records the car's mileage (seed 003), and the reading moves
the car's maintenance forecast."""

from datetime import UTC, date, datetime, timedelta

from app.common import clock
from app.extensions import db
from app.marketing.models import FollowUp
from app.members.maintenance import record_maintenance
from app.members.models import Vehicle
from app.members.vehicle_services import record_mileage
from tests.helpers import error_code
from tests.marketing.helpers import Seeder

DAY0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _car_with_maintenance(app):
    """A car read at 10,000 km and maintained on day 0 (every 6 months or 5,000 km), with a call due."""
    seed = Seeder(app)
    member_id = seed.member("里程车主")
    car_id = seed.vehicle(member_id, "粤B10001")
    with app.app_context():
        clock.set_now(DAY0)
        record_mileage(db.session.get(Vehicle, car_id), 10000)
        record_maintenance(vehicle_id=car_id, intervals=[(6, 5000)], on_date=date(2026, 1, 5), mileage_km=10000)
        entries = []
        for index in range(3):
            entry = FollowUp(
                member_id=member_id,
                kind="maintenance_due",
                reason="no_grant",
                dedupe_key=f"mileage-{index}",
                due_date=date(2026, 3, 6),
                ref_type="vehicle",
                ref_id=car_id,
                status="open",
            )
            db.session.add(entry)
            entries.append(entry)
        db.session.commit()
        return car_id, [entry.id for entry in entries]


def test_a_reached_call_asks_for_the_mileage_and_moves_the_forecast(app, api, staff_tokens):
    car_id, (first, second, third) = _car_with_maintenance(app)
    with app.app_context():
        car = db.session.get(Vehicle, car_id)
        # No pace yet: the calendar rule alone, six months on.
        assert (car.next_maintenance_due_date, car.next_maintenance_due_km) == (date(2026, 7, 5), 15000)

    token = staff_tokens["marketing"]
    clock.set_now(DAY0 + timedelta(days=60))  # March 6
    missing = api.post(f"/follow-ups/{first}/outcome", token, json={"result": "reached"})
    assert (missing.status_code, error_code(missing)) == (422, "mileage_required")
    assert missing.json["error"]["details"] == {"vehicle_id": car_id}
    # Unanswered calls need no reading.
    assert api.post(f"/follow-ups/{second}/outcome", token, json={"result": "no_answer"}).status_code == 200

    # 4,000 km in 60 days: 66.7 km a day, so the last 1,000 km take 15 days (rounded down: 14).
    done = api.post(f"/follow-ups/{first}/outcome", token, json={"result": "reached", "mileage_km": 14000})
    assert done.status_code == 200, done.json
    assert done.json["vehicle"]["mileage_km"] == 14000
    assert done.json["vehicle"]["next_maintenance"] == {"due_date": "2026-03-20", "due_mileage_km": 15000}

    # A slower month moves it later again, but never past the calendar rule.
    clock.set_now(DAY0 + timedelta(days=170))
    later = api.post(f"/follow-ups/{third}/outcome", token, json={"result": "booked", "mileage_km": 14100})
    assert later.status_code == 200, later.json
    # 4,100 km in 170 days: 24.1 km a day; 900 km left → 37 days after June 24 = July 31, capped at July 5.
    assert later.json["vehicle"]["next_maintenance"]["due_date"] == "2026-07-05"
    clock.set_now(None)


def test_the_member_who_could_not_tell_is_recorded_without_a_reading(app, api, staff_tokens):
    car_id, (first, _, _) = _car_with_maintenance(app)
    clock.set_now(DAY0 + timedelta(days=30))
    answer = api.post(
        f"/follow-ups/{first}/outcome", staff_tokens["marketing"], json={"result": "reached", "mileage_unknown": True}
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["vehicle"]["mileage_km"] == 10000
    clock.set_now(None)
