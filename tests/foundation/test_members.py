"""Member profile, phone binding, vehicles and the counter's lookups."""

import jwt
from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member
from tests.helpers import error_code


def test_same_code_is_the_same_member_and_phone_is_masked(api, member_login):
    token, member = member_login("alice")
    _, again = member_login("alice")
    _, other = member_login("bob")
    assert again["id"] == member["id"] != other["id"]
    response = api.post("/me/phone", token, json={"code": "13812345678"})
    assert response.status_code == 200
    assert response.json["phone"] == "138****5678"
    assert api.get("/me", token).json["phone"] == "138****5678"
    assert len(member["referral_code"]) == 8


def test_binding_a_phone_twice_reuses_the_bound_number(api, member_login):
    token, _ = member_login("alice")
    api.post("/me/phone", token, json={"code": "13812345678"})
    response = api.post("/me/phone", token, json={"code": "13900000000"})
    assert response.json["phone"] == "138****5678"


def test_a_phone_bound_to_another_wechat_member_is_409(api, member_login):
    alice, _ = member_login("alice")
    bob, _ = member_login("bob")
    api.post("/me/phone", alice, json={"code": "13812345678"})
    response = api.post("/me/phone", bob, json={"code": "13812345678"})
    assert response.status_code == 409
    assert error_code(response) == "phone_taken"


def test_a_counter_registration_is_joined_by_the_wechat_login_with_that_phone(app, api, member_login, staff_tokens):
    registered = api.post(
        "/members", staff_tokens["cashier"], json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"}
    )
    assert registered.status_code == 201, registered.json
    token, fresh = member_login("zhangwei")
    response = api.post("/me/phone", token, json={"code": "13812345678"})
    assert response.status_code == 200
    assert response.json["id"] == registered.json["id"]
    # The old token follows the merge; the car the counter recorded is there.
    assert api.get("/me", token).json["id"] == registered.json["id"]
    assert [v["plate"] for v in api.get("/me/vehicles", token).json["items"]] == ["粤B12345"]
    _, again = member_login("zhangwei")
    assert again["id"] == registered.json["id"]


def test_invalid_phone_code_is_400(api, member_login):
    token, _ = member_login("alice")
    response = api.post("/me/phone", token, json={"code": "not-a-phone"})
    assert response.status_code == 400
    assert error_code(response) == "wechat_invalid_code"


def test_profile_update_and_future_birthday_refused(api, member_login):
    token, _ = member_login("alice")
    response = api.patch("/me", token, json={"nickname": "Alice", "birthday": "1990-02-28", "gender": "female"})
    assert response.status_code == 200
    assert response.json["birthday"] == "1990-02-28" and response.json["nickname"] == "Alice"
    response = api.patch("/me", token, json={"birthday": "2999-01-01"})
    assert response.status_code == 422
    assert error_code(response) == "invalid_birthday"
    response = api.patch("/me", token, json={"tier_id": 1})
    assert response.status_code == 422


def test_a_plate_belongs_to_one_member(api, member_login):
    alice, _ = member_login("alice")
    bob, _ = member_login("bob")
    created = api.post("/me/vehicles", alice, json={"plate": "粤BD12345", "model": "BYD Han", "mileage_km": 100})
    assert created.status_code == 201
    assert created.json["plate"] == "粤BD12345" and created.json["next_maintenance"] is None
    response = api.post("/me/vehicles", bob, json={"plate": "粤bd·12345"})
    assert response.status_code == 409
    assert error_code(response) == "plate_taken"


def test_mileage_never_goes_backwards(api, member_login):
    token, _ = member_login("alice")
    vehicle = api.post("/me/vehicles", token, json={"plate": "粤B12345", "mileage_km": 5000}).json
    response = api.patch(f"/me/vehicles/{vehicle['id']}", token, json={"mileage_km": 4000})
    assert response.status_code == 422
    assert error_code(response) == "mileage_backwards"
    assert api.patch(f"/me/vehicles/{vehicle['id']}", token, json={"mileage_km": 6000}).json["mileage_km"] == 6000


def test_counter_registration_validates_and_refuses_duplicates(app, api, staff_tokens):
    cashier = staff_tokens["cashier"]
    assert api.post("/members", cashier, json={"phone": "12345"}).status_code == 422
    response = api.post("/members", cashier, json={"phone": "13812345678", "plate": "bad"})
    assert response.status_code == 422 and error_code(response) == "invalid_plate"
    with app.app_context():
        assert db.session.scalar(select(func.count(Member.id))) == 0  # nothing half-written
    assert api.post("/members", cashier, json={"phone": "13812345678"}).status_code == 201
    response = api.post("/members", cashier, json={"phone": "13812345678"})
    assert response.status_code == 409 and error_code(response) == "phone_taken"


def test_member_search_by_phone_name_and_plate(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    api.post("/members", cashier, json={"phone": "13900001111", "nickname": "李娜", "plate": "京A88888"})

    def ids(q):
        response = api.post("/members/search", cashier, json={"q": q}) if q else api.get("/members", cashier)
        assert response.status_code == 200
        return [m["nickname"] for m in response.json["items"]]

    assert ids("13812345678") == ["张伟"]
    assert ids("5678") == ["张伟"]
    assert ids("李") == ["李娜"]
    assert ids("a888") == ["李娜"]
    assert sorted(ids("")) == ["张伟", "李娜"]
    full = api.get("/members", cashier, query_string={"q": "张"}).json["items"][0]
    assert full["phone"] == "13812345678"  # staff see the full number to call back
    assert full["lifecycle"] == "new"


def test_staff_read_a_member_with_their_cars_and_value_class(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    member = api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"}).json
    assert [car["plate"] for car in member["vehicles"]] == ["粤B12345"]
    assert (member["value_class"], member["average_ticket_fen"], member["mean_visit_interval_days"]) == (
        "none",
        0,
        None,
    )
    # The search by phone answers with the cars, so the counter opens one without another request.
    [found] = api.post("/members/search", cashier, json={"q": "5678"}).json["items"]
    assert [car["plate"] for car in found["vehicles"]] == ["粤B12345"]
    assert found["vehicles"][0]["id"] == api.get(f"/members/{member['id']}", cashier).json["vehicles"][0]["id"]


def test_plate_lookup_is_partial_and_normalised_with_member_summary(api, staff_tokens):
    cashier = staff_tokens["cashier"]
    api.post("/members", cashier, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    response = api.get("/vehicles", cashier, query_string={"plate": "b1234"})
    assert response.status_code == 200
    [item] = response.json["items"]
    assert item["vehicle"]["plate"] == "粤B12345"
    assert item["member"]["nickname"] == "张伟"
    assert item["member"]["lifecycle"] == "new"
    assert api.get("/vehicles", cashier, query_string={"plate": "9999"}).json["items"] == []
    too_short = api.get("/vehicles", cashier, query_string={"plate": "b"})
    assert too_short.status_code == 422


def test_member_card_qr_is_a_short_lived_token_the_counter_accepts(app, api, member_login, staff_tokens):
    from datetime import timedelta

    from app.common import clock
    from app.members.services import issue_member_card_token

    token, member = member_login("alice")
    api.post("/me/vehicles", token, json={"plate": "粤B12345"})
    response = api.get("/me/member-card/qr.png", token)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    with app.app_context():
        card = issue_member_card_token(member_id=member["id"])
    assert card != str(member["id"])
    forged = jwt.encode(
        dict(jwt.decode(card, options={"verify_signature": False}), sub="999"),
        "not-the-server-key-not-the-server-key",
        algorithm="HS256",
    )
    assert api.post("/members/search", staff_tokens["cashier"], json={"q": forged}).status_code == 422
    found = api.post("/members/search", staff_tokens["cashier"], json={"q": card}).json["items"]
    assert [m["id"] for m in found] == [member["id"]]

    def scan(card_token):
        return api.get("/vehicles", staff_tokens["cashier"], headers={"Member-Card-Token": card_token})

    cars = scan(card).json["items"]
    assert [c["vehicle"]["plate"] for c in cars] == ["粤B12345"]
    # An access token is not a member card, and a card expires within minutes.
    assert scan(token).status_code == 422
    clock.set_now(clock.now() + timedelta(minutes=10))
    assert scan(card).status_code == 422


def test_staff_set_tier_and_tags(api, staff_tokens, member_login):
    marketing = staff_tokens["marketing"]
    tier = api.post(
        "/tiers",
        staff_tokens["owner"],
        json={
            "name": "金卡",
            "rank": 2,
            "labor_discount_percent": 10,
            "points_multiplier": 1.5,
            "counter_assignable": True,
        },
    ).json
    tag = api.post("/tags", marketing, json={"name": "网约车"}).json
    _, member = member_login("alice")
    response = api.patch(f"/members/{member['id']}", staff_tokens["cashier"], json={"tier_id": tier["id"]})
    assert response.status_code == 200 and response.json["tier"]["name"] == "金卡"
    assert api.patch(f"/members/{member['id']}", marketing, json={"tier_id": 999}).status_code == 422
    response = api.post(f"/members/{member['id']}/tags", marketing, json={"tag_ids": [tag["id"]]})
    assert response.status_code == 200 and [t["name"] for t in response.json["tags"]] == ["网约车"]
    response = api.post(f"/members/{member['id']}/tags", marketing, json={"tag_ids": [999]})
    assert response.status_code == 422 and error_code(response) == "tag_not_found"
    assert api.post(f"/members/{member['id']}/tags", staff_tokens["cashier"], json={"tag_ids": []}).status_code == 403


def test_tier_names_and_ranks_are_unique(api, staff_tokens):
    owner = staff_tokens["owner"]
    assert api.post("/tiers", owner, json={"name": "银卡", "rank": 1, "labor_discount_percent": 5}).status_code == 201
    response = api.post("/tiers", owner, json={"name": "银卡", "rank": 3, "labor_discount_percent": 5})
    assert response.status_code == 409 and error_code(response) == "tier_exists"
    response = api.post("/tiers", owner, json={"name": "金卡", "rank": 1, "labor_discount_percent": 101})
    assert response.status_code == 422
    tier_id = api.get("/tiers", owner).json["items"][0]["id"]
    assert api.patch(f"/tiers/{tier_id}", owner, json={"labor_discount_percent": 8}).json["labor_discount_percent"] == 8
