"""Phone numbers and member-card tokens stay out of URLs (they land in every access and proxy log):
member search by phone goes in a POST body, a scanned card in a header; a URL carrying either is
refused with a code that says where it goes. A card that cannot be used is a 422 of its own, never
the 401 token_expired a console reads as the cashier's session ending."""

from datetime import timedelta

import pytest

from app.common import clock
from tests.conftest import error_code


@pytest.fixture
def registered(api, staff_tokens):
    response = api.post("/members", staff_tokens["cashier"], json={"phone": "13812345678", "nickname": "王先生"})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def card(app, member_login, api):
    from app.members.services import issue_member_card_token

    _, member = member_login("scanned")
    with app.app_context():
        return member, issue_member_card_token(member_id=member["id"])


def test_member_search_by_phone_is_a_post_body(api, staff_tokens, registered):
    for q in ("13812345678", "5678"):  # the whole number or its last digits
        response = api.post("/members/search", staff_tokens["cashier"], json={"q": q})
        assert response.status_code == 200, response.json
        assert [m["id"] for m in response.json["items"]] == [registered["id"]]


@pytest.mark.parametrize("q", ["13812345678", "+8613812345678", "1381234"])
def test_a_phone_number_in_the_search_url_is_refused(api, staff_tokens, registered, q):
    response = api.get("/members", staff_tokens["cashier"], query_string={"q": q})
    assert response.status_code == 400
    assert error_code(response) == "personal_data_in_url"
    assert "POST /members/search" in response.json["error"]["message"]


def test_names_plates_and_last_digits_still_search_by_url(api, staff_tokens, registered):
    for q in ("王", "5678"):
        response = api.get("/members", staff_tokens["cashier"], query_string={"q": q})
        assert response.status_code == 200
        assert [m["id"] for m in response.json["items"]] == [registered["id"]]


def test_a_member_card_is_scanned_by_header_not_url(api, staff_tokens, card):
    member, token = card
    response = api.get("/vehicles", staff_tokens["cashier"], headers={"Member-Card-Token": token})
    assert response.status_code == 200, response.json
    for query in ({"card_token": token}, {"plate": "x", "card_token": "abc"}):
        response = api.get("/vehicles", staff_tokens["cashier"], query_string=query)
        assert (response.status_code, error_code(response)) == (400, "personal_data_in_url")
    response = api.get("/members", staff_tokens["cashier"], query_string={"q": token})
    assert (response.status_code, error_code(response)) == (400, "personal_data_in_url")
    found = api.post("/members/search", staff_tokens["cashier"], json={"q": token})
    assert [m["id"] for m in found.json["items"]] == [member["id"]]


def test_an_expired_member_card_is_not_the_cashiers_session_ending(api, staff_tokens, card):
    _, token = card
    clock.set_now(clock.now() + timedelta(minutes=10))
    for response in (
        api.get("/vehicles", staff_tokens["cashier"], headers={"Member-Card-Token": token}),
        api.post("/members/search", staff_tokens["cashier"], json={"q": token}),
    ):
        assert (response.status_code, error_code(response)) == (422, "member_card_expired")
    # The cashier's own session is untouched.
    assert api.get("/members", staff_tokens["cashier"]).status_code == 200


def test_a_token_that_is_not_a_member_card_is_an_invalid_card(api, staff_tokens, member_login):
    access, _ = member_login("not-a-card")
    response = api.get("/vehicles", staff_tokens["cashier"], headers={"Member-Card-Token": access})
    assert (response.status_code, error_code(response)) == (422, "invalid_member_card")


def test_the_document_names_the_card_header_and_the_search_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    lookup = spec["paths"]["/api/v1/vehicles"]["get"]
    assert {"in": "header", "name": "Member-Card-Token"}.items() <= next(
        p for p in lookup["parameters"] if p["name"] == "Member-Card-Token"
    ).items()
    assert "card_token" not in {p["name"] for p in lookup["parameters"]}
    assert "requestBody" in spec["paths"]["/api/v1/members/search"]["post"]
