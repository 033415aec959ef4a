"""The plate lookup's answer is written out by hand (app/members/schemas.py ``dump_plate_lookup``)
for speed; it must be exactly what its documented schema, VehicleLookupPage, dumps: for members with
and without a tier, walk-in cars, cars with and without a next maintenance, dates and instants."""

from sqlalchemy import select

from app.extensions import db
from app.members import counter_lookup
from app.members.models import Vehicle
from app.members.schemas import VehicleLookupPage, dump_plate_lookup
from tests.helpers import login_staff


def _fragments():
    plates = db.session.scalars(select(Vehicle.plate).order_by(Vehicle.id)).all()
    return sorted({plate[-3:] for plate in plates} | {plate[-5:] for plate in plates[::7]} | set(plates[::11]))


def test_the_hand_written_lookup_equals_the_schemas_dump(app, runner, api):
    seeded = runner.invoke(args=["seed-bench", "--members", "120", "--stores", "2"])
    assert seeded.exit_code == 0, seeded.output
    schema = VehicleLookupPage()
    seen = {"walk_in": 0, "tier": 0, "no_tier": 0, "maintenance": 0, "no_maintenance": 0, "last_visit": 0}
    with app.app_context():
        fragments = _fragments()
        for fragment in fragments:
            for page in (1, 2):
                result = counter_lookup.search_by_plate(plate_fragment=fragment, page=page, per_page=3)
                assert dump_plate_lookup(result) == schema.dump(result), fragment
                for item in schema.dump(result)["items"]:
                    member = item["member"]
                    seen["walk_in"] += member is None
                    seen["tier"] += member is not None and member["tier"] is not None
                    seen["no_tier"] += member is not None and member["tier"] is None
                    seen["last_visit"] += member is not None and member["last_visit_at"] is not None
                    seen["maintenance"] += item["vehicle"]["next_maintenance"] is not None
                    seen["no_maintenance"] += item["vehicle"]["next_maintenance"] is None
    assert all(seen.values()), seen  # every kind of row was compared
    # Over HTTP the same document comes back.
    token = login_staff(api, "bench-cashier1", password="bench-password")
    fragment = fragments[0]
    response = api.get(f"/vehicles?plate={fragment}", token)
    assert response.status_code == 200
    with app.app_context():
        expected = schema.dump(counter_lookup.search_by_plate(plate_fragment=fragment, page=1, per_page=20))
    assert response.get_json() == expected
