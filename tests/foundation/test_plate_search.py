"""The counter's search by part of a plate: fragment length, escaping, and the trigram index."""

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.members.models import Vehicle
from app.members.vehicle_services import _like_pattern, plate_contains
from tests.helpers import ON_POSTGRES, error_code


def test_a_fragment_needs_three_characters_after_normalising(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    for fragment in ("45", "粤b", "b·1", " 4 5 "):
        response = api.get("/vehicles", cashier, query_string={"plate": fragment})
        assert response.status_code == 422, fragment
        assert error_code(response) == "plate_fragment_too_short"
        assert response.json["error"]["details"]["min_length"] == 3
    for fragment in ("345", "b·123", "粤B12345"):
        items = api.get("/vehicles", cashier, query_string={"plate": fragment}).json["items"]
        assert [item["vehicle"]["plate"] for item in items] == ["粤B12345"], fragment


def test_like_wildcards_in_a_fragment_match_only_themselves(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "plate": "粤B12345"})
    assert api.get("/vehicles", cashier, query_string={"plate": "1%5"}).json["items"] == []
    assert api.get("/vehicles", cashier, query_string={"plate": "B_2"}).json["items"] == []
    assert _like_pattern("A%_\\") == "%A\\%\\_\\\\%"


@pytest.mark.skipif(not ON_POSTGRES, reason="the trigram index exists on PostgreSQL only")
def test_the_plate_search_can_use_the_trigram_index(app):
    with app.app_context():
        stmt = select(Vehicle.id).where(plate_contains("123"))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        # An empty table is cheapest to scan; forbid that so the plan shows whether the index applies.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        db.session.rollback()
    assert "ix_vehicles_plate_trgm" in plan, plan


def test_the_lookup_shows_the_same_member_summary_as_the_member_search(app, api, staff_tokens):
    """The plate lookup reads rows in one statement; its summaries must equal member_summaries'."""
    from datetime import timedelta

    from app.common import clock
    from app.members.models import Member
    from app.members.schemas import MemberSummary
    from app.members.services import member_summaries
    from app.members.vehicle_services import find_or_create_by_plate
    from app.wallet.services import top_up

    cashier, owner = staff_tokens["cashier"], staff_tokens["owner"]
    ids = [
        api.post("/members", cashier, json={"phone": f"1381234567{n}", "nickname": f"车主{n}", "plate": plate}).json[
            "id"
        ]
        for n, plate in enumerate(["粤B12345", "粤B22345", "粤C32345"])
    ]
    with app.app_context():
        top_up(member_id=ids[0], amount_fen=50_000, paid_via="cash")
        now = clock.now()
        for member_id, idle_days in zip(ids, (10, 200, 400), strict=False):
            db.session.get(Member, member_id).last_paid_visit_at = now - timedelta(days=idle_days)
        find_or_create_by_plate("粤D92345")  # a walk-in car: no member
        db.session.commit()

    def lookup(**query):
        response = api.get("/vehicles", cashier, query_string={"plate": "2345", **query})
        assert response.status_code == 200, response.json
        return response.json

    def expected():
        with app.app_context():
            summaries = member_summaries(db.session.scalars(select(Member).where(Member.id.in_(ids))).all())
            return {member_id: MemberSummary().dump(summaries[member_id]) for member_id in ids}

    body = lookup()
    assert [item["vehicle"]["plate"] for item in body["items"]] == ["粤B12345", "粤B22345", "粤C32345", "粤D92345"]
    assert body["total"] == 4
    assert [item["member"] for item in body["items"]] == [*expected().values(), None]
    assert [item["member"]["lifecycle"] for item in body["items"][:3]] == ["active", "at_risk", "churned"]
    assert body["items"][0]["member"]["balance_fen"] == 50_000

    # The thresholds come from the saved settings, not only the defaults.
    assert api.patch("/settings", owner, json={"at_risk_after_days": 5, "churned_after_days": 300}).status_code == 200
    body = lookup()
    assert [item["member"]["lifecycle"] for item in body["items"][:3]] == ["at_risk", "at_risk", "churned"]
    assert [item["member"] for item in body["items"][:3]] == list(expected().values())

    # Pages keep the total; a page past the end is empty and still counts the matches.
    second = lookup(page=2, per_page=3)
    assert [item["vehicle"]["plate"] for item in second["items"]] == ["粤D92345"]
    assert (second["total"], second["page"], second["per_page"]) == (4, 2, 3)
    beyond = lookup(page=5, per_page=3)
    assert (beyond["items"], beyond["total"]) == ([], 4)


# -- the plate trigrams the lookup reads (PlateTrigram, kept by the triggers of migration 0042) -----


def _trigrams(app):
    from app.members.models import PlateTrigram

    with app.app_context():
        rows = db.session.execute(select(PlateTrigram.trigram, PlateTrigram.plate, PlateTrigram.vehicle_id)).all()
    return sorted(tuple(row) for row in rows)


def _expected_trigrams(cars):
    return sorted({(plate[i : i + 3], plate, car_id) for car_id, plate in cars.items() for i in range(len(plate) - 2)})


def _trigram_counts(app):
    """{trigram: the sum of its count rows} for every trigram with a row, and the number of rows."""
    from app.members.models import PlateTrigramCount

    with app.app_context():
        rows = db.session.execute(select(PlateTrigramCount.trigram, PlateTrigramCount.cars)).all()
    sums = {}
    for trigram, cars in rows:
        sums[trigram] = sums.get(trigram, 0) + cars
    return sums, len(rows)


def _counts_of(cars):
    """{trigram: how many of the cars hold it}."""
    counts = {}
    for trigram, _plate, _car_id in _expected_trigrams(cars):
        counts[trigram] = counts.get(trigram, 0) + 1
    return counts


def _held(sums):
    return {trigram: cars for trigram, cars in sums.items() if cars != 0}


def test_a_cars_trigrams_follow_it_when_inserted_replated_and_deleted(app):
    from sqlalchemy import delete, insert, update

    from app.members.vehicle_services import find_or_create_by_plate

    with app.app_context():
        first = find_or_create_by_plate("粤B12345").id
        repeated = find_or_create_by_plate("粤A1A1A1").id  # A1A and 1A1 twice: each kept once
        db.session.commit()
    assert _trigrams(app) == _expected_trigrams({first: "粤B12345", repeated: "粤A1A1A1"})
    assert len([row for row in _trigrams(app) if row[2] == repeated]) == 3
    assert _held(_trigram_counts(app)[0]) == _counts_of({first: "粤B12345", repeated: "粤A1A1A1"})

    with app.app_context():
        # Several cars in one statement (as an import or a bulk load writes them).
        db.session.execute(insert(Vehicle), [{"plate": "京N8A8B8"}, {"plate": "沪AD12345"}])
        db.session.execute(update(Vehicle).where(Vehicle.id == first).values(plate="粤B54321"))
        db.session.execute(update(Vehicle).where(Vehicle.id == repeated).values(mileage_km=1200))  # plate kept
        db.session.commit()
        cars = dict(db.session.execute(select(Vehicle.id, Vehicle.plate)).all())
    assert cars[first] == "粤B54321"
    assert _trigrams(app) == _expected_trigrams(cars)
    assert _held(_trigram_counts(app)[0]) == _counts_of(cars)

    with app.app_context():
        db.session.execute(delete(Vehicle).where(Vehicle.plate.in_(["粤A1A1A1", "京N8A8B8"])))
        db.session.commit()
        cars = dict(db.session.execute(select(Vehicle.id, Vehicle.plate)).all())
    assert sorted(cars.values()) == ["沪AD12345", "粤B54321"]
    assert _trigrams(app) == _expected_trigrams(cars)
    assert _held(_trigram_counts(app)[0]) == _counts_of(cars)


def test_the_nightly_fold_leaves_one_count_row_per_trigram_a_car_holds(app, runner):
    from sqlalchemy import delete, insert, update

    from app.members.models import PlateTrigramCount

    with app.app_context():
        db.session.execute(insert(Vehicle), [{"plate": f"粤B{n:05d}"} for n in range(40)])
        db.session.execute(insert(Vehicle), [{"plate": f"粤B{n:05d}"} for n in range(40, 60)])
        db.session.execute(update(Vehicle).where(Vehicle.plate == "粤B00007").values(plate="京Q7X7X7"))
        db.session.execute(delete(Vehicle).where(Vehicle.plate.in_(["京Q7X7X7", "粤B00059"])))
        db.session.commit()
        cars = dict(db.session.execute(select(Vehicle.id, Vehicle.plate)).all())
    sums, rows = _trigram_counts(app)
    assert _held(sums) == _counts_of(cars)
    assert rows > len(_counts_of(cars))  # "粤B0" has a row per statement that touched it; "Q7X" sums to 0

    result = runner.invoke(args=["jobs", "run", "plate_trigram_counts", "--date", "2026-12-06"])
    assert result.exit_code == 0, result.output
    sums, rows = _trigram_counts(app)
    assert sums == _counts_of(cars)  # no row left for a trigram no car holds
    assert rows == len(sums)
    with app.app_context():  # a car added after the fold has its own row, added to the folded one
        db.session.execute(insert(Vehicle), [{"plate": "粤B00099"}])
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(PlateTrigramCount.trigram == "粤B0")) == 2
    assert runner.invoke(args=["jobs", "run", "plate_trigram_counts", "--date", "2026-12-07"]).exit_code == 0
    sums, rows = _trigram_counts(app)
    assert sums["粤B0"] == 60 - 2 + 1 and rows == len(sums)


def test_a_rolled_back_car_leaves_no_trigrams(app):
    from app.members.vehicle_services import find_or_create_by_plate

    with app.app_context():
        find_or_create_by_plate("粤B12345")
        db.session.flush()
        db.session.rollback()
    assert _trigrams(app) == []


_PLATES = [
    "粤B12345",
    "粤B12346",
    "粤B21234",
    "粤C12345",
    "京A12312",
    "沪AD12345",
    "沪AD51234",
    "粤BD1234F",
    "苏E5A12A",
]


def test_the_lookup_finds_exactly_the_cars_whose_plate_holds_the_fragment(app, api, staff_tokens):
    from app.members.vehicle_services import find_or_create_by_plate

    cashier = staff_tokens["cashier"]
    with app.app_context():
        for plate in _PLATES:
            find_or_create_by_plate(plate)
        db.session.commit()
    fragments = sorted(
        {plate[i:j] for plate in _PLATES for i in range(len(plate)) for j in range(i + 3, len(plate) + 1)}
    )
    fragments += ["123", "B1", "X12", "沪AD12345Z"]  # too short, no car, longer than any plate
    for fragment in fragments:
        response = api.get("/vehicles", cashier, query_string={"plate": fragment, "per_page": 3})
        if len(fragment) < 3:
            assert response.status_code == 422
            continue
        expected = sorted(plate for plate in _PLATES if fragment in plate)
        body = response.json
        assert response.status_code == 200, (fragment, body)
        assert body["total"] == len(expected), fragment
        assert [item["vehicle"]["plate"] for item in body["items"]] == expected[:3], fragment
        if len(expected) > 3:
            page = api.get("/vehicles", cashier, query_string={"plate": fragment, "per_page": 3, "page": 2}).json
            assert [item["vehicle"]["plate"] for item in page["items"]] == expected[3:6], fragment


def _lookup_plan(app, fragment):
    """PostgreSQL's plan of the lookup statement the service sends for ``fragment``."""
    from datetime import UTC, datetime

    from sqlalchemy.dialects import postgresql

    from app.members import counter_lookup, services

    with app.app_context():
        lookup, _figures = counter_lookup._lookup_statement(
            services.summary_providers(), counted=len(fragment) == counter_lookup.MIN_PLATE_FRAGMENT
        )
        compiled = lookup.statement().compile(dialect=postgresql.psycopg.dialect())
        params = {
            **compiled.params,
            **counter_lookup.lookup_parameters(fragment),
            "now": datetime.now(UTC),
            "limit": 10,
            "offset": 0,
        }
        connection = db.session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            # The test's tables are nearly empty, where scanning beats any index: forbid the scans so
            # the plan shows what the index serves (a million members' plan is the same; bench/).
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + compiled.string, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        db.session.rollback()
    return plan


@pytest.mark.skipif(not ON_POSTGRES, reason="the plan is PostgreSQL's")
def test_the_lookup_counts_and_pages_from_the_trigram_index_alone(app):
    plan = _lookup_plan(app, "B12345")
    assert "Index Only Scan using pk_plate_trigrams on plate_trigrams" in plan, plan
    assert "Sort" not in plan, plan  # counted and paged in the index's order


@pytest.mark.skipif(not ON_POSTGRES, reason="the plan is PostgreSQL's")
def test_a_three_character_lookup_takes_its_total_from_the_trigrams_count(app):
    plan = _lookup_plan(app, "345")
    assert "Index Only Scan using pk_plate_trigrams on plate_trigrams" in plan, plan
    assert "Index Only Scan using ix_plate_trigram_counts_trigram_cars on plate_trigram_counts" in plan, plan
    assert "WindowAgg" not in plan, plan  # the cars are not counted one by one
    assert "Sort" not in plan, plan


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers are PostgreSQL's")
def test_cars_added_while_the_counts_fold_keep_every_count_exact(app):
    from sqlalchemy import insert

    from app.members.counter_lookup import fold_plate_trigram_counts
    from tests.helpers import run_concurrently

    for round_ in range(4):
        with app.app_context():
            for batch in range(3):  # several count rows per trigram to fold
                db.session.execute(insert(Vehicle), [{"plate": f"粤B{round_}{batch}{n:03d}"} for n in range(10)])
            db.session.commit()

        def fold_or_add(index, round_=round_):
            if index == 0:
                fold_plate_trigram_counts()
            else:
                db.session.execute(insert(Vehicle), [{"plate": f"粤B{round_}{index}9{n:02d}"} for n in range(5)])

        assert run_concurrently(app, fold_or_add, 4) == ["ok"] * 4
        with app.app_context():
            cars = dict(db.session.execute(select(Vehicle.id, Vehicle.plate)).all())
        assert _held(_trigram_counts(app)[0]) == _counts_of(cars), round_
