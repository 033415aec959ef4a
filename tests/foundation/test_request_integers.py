"""Numbers too large for a database integer are refused at the edge, never overflow in the database."""
BIG = 2**63  # past SQLite's and PostgreSQL's integers alike


def test_an_id_too_large_in_the_path_is_not_found(api, staff_tokens):
    response = api.get(f"/members/{BIG}", staff_tokens["owner"])
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_id_too_large_in_a_body_is_a_validation_error(api, staff_tokens):
    response = api.post("/stamp-card-templates", staff_tokens["owner"], json={
        "name": "洗车集章", "stamps_required": 5, "reward_coupon_template_id": 1, "service_item_ids": [BIG],
    })
    assert response.status_code == 422
    assert "service_item_ids" in response.json["error"]["details"]["fields"]


def test_an_id_too_large_in_a_query_is_a_validation_error(api, staff_tokens):
    response = api.get(f"/follow-ups?member_id={BIG}", staff_tokens["owner"])
    assert response.status_code == 422
    assert "member_id" in response.json["error"]["details"]["fields"]


def test_the_document_states_the_bounds(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    (member_id,) = spec["paths"]["/api/v1/members/{member_id}"]["parameters"]
    assert member_id["schema"]["maximum"] == 2**31 - 1
    item_ids = spec["components"]["schemas"]["StampCardTemplateCreate"]["properties"]["service_item_ids"]
    assert item_ids["items"]["maximum"] == 2**31 - 1
