"""Requests are refused at the edge (422 or 404) when a value does not fit where it is stored or
computed with: numbers past a database integer, money past a million yuan, dates in years no one
uses, text with a NUL character. Before, each was a server error (on PostgreSQL at least)."""

from app.common.schemas import NoNul

BIG = 2**63  # past SQLite's and PostgreSQL's integers alike


def test_an_id_too_large_in_the_path_is_not_found(api, staff_tokens):
    response = api.get(f"/members/{BIG}", staff_tokens["owner"])
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_id_too_large_in_a_body_is_a_validation_error(api, staff_tokens):
    response = api.post(
        "/stamp-card-templates",
        staff_tokens["owner"],
        json={
            "name": "洗车集章",
            "stamps_required": 5,
            "reward_coupon_template_id": 1,
            "service_item_ids": [BIG],
        },
    )
    assert response.status_code == 422
    assert "service_item_ids" in response.json["error"]["details"]["fields"]


def test_an_id_too_large_in_a_query_is_a_validation_error(api, staff_tokens):
    response = api.get(f"/follow-ups?member_id={BIG}", staff_tokens["owner"])
    assert response.status_code == 422
    assert "member_id" in response.json["error"]["details"]["fields"]


def test_a_date_in_year_one_is_a_validation_error(api, staff_tokens):
    # Midnight of 0001-01-01 in Shanghai is before the first representable UTC instant.
    response = api.get("/follow-ups/outcomes?from=0001-01-01&to=0001-01-04", staff_tokens["owner"])
    assert response.status_code == 422
    assert "from" in response.json["error"]["details"]["fields"]


def test_a_date_in_year_9999_is_a_validation_error(api, member_login):
    token, _ = member_login("far-future")
    response = api.patch("/me", token, json={"birthday": "9999-12-31"})
    assert response.status_code == 422
    assert "birthday" in response.json["error"]["details"]["fields"]


def test_ordinary_dates_still_pass(api, staff_tokens):
    response = api.get("/follow-ups/outcomes?from=2024-01-01&to=2024-01-31", staff_tokens["owner"])
    assert response.status_code == 200


def test_a_nul_character_in_text_is_a_validation_error(api, member_login):
    token, _ = member_login("nul-nickname")
    response = api.patch("/me", token, json={"nickname": "a\u0000b"})
    assert response.status_code == 422
    assert "nickname" in response.json["error"]["details"]["fields"]
    assert api.patch("/me", token, json={"nickname": "阿强"}).status_code == 200


def test_money_past_a_million_yuan_is_a_validation_error(api, staff_tokens, member_login):
    _, member = member_login("big-topup")
    url = f"/members/{member['id']}/topups"
    # 32,557,854.64 yuan: past the 32-bit money columns, it failed comparing with the plans' prices.
    response = api.post(url, staff_tokens["cashier"], json={"amount_fen": 3_255_785_464, "paid_via": "cash"})
    assert response.status_code == 422
    assert "amount_fen" in response.json["error"]["details"]["fields"]
    response = api.post(url, staff_tokens["cashier"], json={"amount_fen": 10**8, "paid_via": "cash"})
    assert response.status_code == 201, response.json


def test_the_document_states_the_bounds(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    (member_id,) = spec["paths"]["/api/v1/members/{member_id}"]["parameters"]
    assert member_id["schema"]["maximum"] == 2**31 - 1
    item_ids = spec["components"]["schemas"]["StampCardTemplateCreate"]["properties"]["service_item_ids"]
    assert item_ids["items"]["maximum"] == 2**31 - 1


def test_request_limits_are_added_once_however_many_schema_instances_are_made():
    """Field copies share the declared validator lists: adding limits must not grow them per instance."""
    from app.members.schemas import PlateQuery

    counts = {len(PlateQuery().fields["plate"].validators) for _ in range(5)}
    assert len(counts) == 1


def test_each_argument_schema_is_built_once_for_all_requests(app, api, staff_tokens):
    from app.extensions import _SmorestBlueprint
    from app.members.schemas import PlateQuery

    parser = _SmorestBlueprint.ARGUMENTS_PARSER
    for fragment in ("12345", "23456", "34567"):
        assert api.get("/vehicles", staff_tokens["cashier"], query_string={"plate": fragment}).status_code == 200
    schema = parser._instances[PlateQuery]
    api.get("/vehicles", staff_tokens["cashier"], query_string={"plate": "45678"})
    assert parser._instances[PlateQuery] is schema
    assert sum(isinstance(v, NoNul) for v in schema.fields["plate"].validators) == 1
