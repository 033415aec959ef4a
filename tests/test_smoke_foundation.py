from tests.helpers import error_code


def test_member_logs_in_and_registers_a_vehicle(api, member_login):
    token, member = member_login("alice")
    again, same = member_login("alice")
    assert same["id"] == member["id"]
    response = api.post("/me/vehicles", token, json={"plate": "粤b·12345", "mileage_km": 1000})
    assert response.status_code == 201, response.json
    assert response.json["plate"] == "粤B12345"


def test_missing_token_is_401(api):
    response = api.get("/me")
    assert response.status_code == 401
    assert error_code(response) == "missing_token"
