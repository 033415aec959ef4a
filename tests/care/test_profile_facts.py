"""Profile facts (画像) staff keep: set through the member update, refused when out of range,
selected by segments (counts equal to a direct count) and broken down in the owner's statistics."""

from sqlalchemy import func, select

from app.extensions import db
from app.marketing.segments import preview_rules
from app.members.models import Member
from tests.helpers import error_code
from tests.marketing.helpers import Seeder

FACTS = [
    # gender, birth_year, region, occupation, car_use, acquisition_channel
    ("male", 1985, "南山区", "office_worker", "commute", "referral"),
    ("female", 1992, "南山区", "professional", "private", "dianping"),
    ("male", 1978, "福田区", "driver", "ride_hailing", "walk_in"),
    ("female", 1989, " 福田区 ", "self_employed", "ride_hailing", "referral"),
    ("unknown", None, None, None, None, None),
]


def _members(app, api, token):
    seed = Seeder(app)
    ids = []
    for index, (gender, year, region, occupation, use, channel) in enumerate(FACTS):
        member_id = seed.member(f"m{index}")
        body = {"gender": gender, "birth_year": year, "region": region}
        body |= {"occupation": occupation, "car_use": use, "acquisition_channel": channel}
        answer = api.patch(f"/members/{member_id}", token, json=body)
        assert answer.status_code == 200, answer.json
        ids.append(member_id)
    return ids


def test_staff_keep_profile_facts_on_the_member(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    ids = _members(app, api, cashier)
    card = api.get(f"/members/{ids[3]}", cashier).json
    facts = [card[name] for name in ("gender", "birth_year", "region", "occupation", "car_use", "acquisition_channel")]
    assert facts == ["female", 1989, "福田区", "self_employed", "ride_hailing", "referral"]  # region trimmed
    for body, code in [
        ({"birth_year": 2999}, "invalid_birth_year"),
        ({"birth_year": 1800}, "validation_error"),
        ({"car_use": "spaceship"}, "validation_error"),
        ({"region": "x" * 51}, "validation_error"),
    ]:
        answer = api.patch(f"/members/{ids[0]}", cashier, json=body)
        assert (answer.status_code, error_code(answer)) == (422, code), body
    cleared = api.patch(f"/members/{ids[0]}", cashier, json={"region": "  ", "occupation": None}).json
    assert (cleared["region"], cleared["occupation"]) == (None, None)


def test_segments_select_by_profile_facts_as_a_direct_count_does(app, api, staff_tokens):
    _members(app, api, staff_tokens["cashier"])
    cases = [
        ({"field": "gender", "op": "eq", "value": "female"}, Member.gender == "female"),
        ({"field": "birth_year", "op": "between", "value": [1980, 1990]}, Member.birth_year.between(1980, 1990)),
        ({"field": "birth_year", "op": "lt", "value": 1990}, Member.birth_year < 1990),
        ({"field": "region", "op": "eq", "value": "福田区"}, Member.region == "福田区"),
        (
            {"field": "region", "op": "ne", "value": "南山区"},
            (Member.region != "南山区") | Member.region.is_(None),
        ),
        (
            {"field": "car_use", "op": "in", "value": ["ride_hailing", "taxi"]},
            Member.car_use.in_(["ride_hailing", "taxi"]),
        ),
        (
            {"field": "acquisition_channel", "op": "not_in", "value": ["referral"]},
            (Member.acquisition_channel != "referral") | Member.acquisition_channel.is_(None),
        ),
        ({"field": "occupation", "op": "eq", "value": "driver"}, Member.occupation == "driver"),
    ]
    with app.app_context():
        for condition, direct in cases:
            expected = db.session.scalar(select(func.count()).select_from(Member).where(direct))
            assert preview_rules({"all": [condition]})["count"] == expected, condition
        both = {
            "all": [
                {"field": "car_use", "op": "eq", "value": "ride_hailing"},
                {"field": "gender", "op": "eq", "value": "male"},
            ]
        }
        assert preview_rules(both)["count"] == 1
    refused = api.post(
        "/segments/preview",
        staff_tokens["marketing"],
        json={"rules": {"all": [{"field": "car_use", "op": "eq", "value": "boat"}]}},
    )
    assert (refused.status_code, error_code(refused)) == (422, "invalid_segment_rules")


def test_the_owner_sees_members_by_each_fact(app, api, staff_tokens):
    _members(app, api, staff_tokens["cashier"])
    answer = api.get("/stats/member-profiles", staff_tokens["owner"])
    assert answer.status_code == 200, answer.json
    figures = answer.json
    assert figures["total"] == 5
    facts = {name: {row["value"]: row["count"] for row in rows} for name, rows in figures["facts"].items()}
    assert facts["gender"] == {"male": 2, "female": 2, "none": 1}
    assert facts["birth_year"] == {"1970s": 1, "1980s": 2, "1990s": 1, "none": 1}
    assert facts["region"] == {"南山区": 2, "福田区": 2, "none": 1}
    assert facts["car_use"]["ride_hailing"] == 2 and facts["car_use"]["taxi"] == 0 and facts["car_use"]["none"] == 1
    assert facts["acquisition_channel"]["referral"] == 2
    for rows in figures["facts"].values():
        assert sum(row["count"] for row in rows) == 5
    csv = api.get("/stats/member-profiles?format=csv", staff_tokens["owner"]).get_data(as_text=True)
    assert "car_use,ride_hailing,2" in csv
    assert api.get("/stats/member-profiles", staff_tokens["marketing"]).status_code == 403
