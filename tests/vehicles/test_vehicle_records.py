"""The counter's record of a car: VIN with its check digit, dates, mileage corrections and a change
of owner, both audited with the staff member's reason."""

import pytest

from app.common.errors import Unprocessable
from app.common.vin import check_digit, validate_vin
from tests.conftest import error_code

# Check digits computed by hand from the ISO 3779 table (1M8GDM9AXKP042788 is the standard's example).
VALID_VINS = ["1M8GDM9AXKP042788", "11111111111111111", "LFV2A21K847000013"]


@pytest.mark.parametrize("vin", VALID_VINS)
def test_a_vin_with_the_right_check_digit_is_accepted(vin):
    assert validate_vin(vin) == vin


def test_lowercase_full_width_spaces_and_dashes_are_normalised():
    assert validate_vin(" 1m8gdm9-axkp 042788") == "1M8GDM9AXKP042788"
    assert validate_vin("１Ｍ８ＧＤＭ９ＡＸＫＰ０４２７８８") == "1M8GDM9AXKP042788"


def test_one_mistyped_character_is_caught_by_the_check_digit():
    with pytest.raises(Unprocessable) as refused:
        validate_vin("1M8GDM9AXKP042789")
    assert refused.value.code == "vin_check_digit_mismatch"
    assert refused.value.details["expected_check_digit"] == check_digit("1M8GDM9AXKP042789")


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "IM8GDM9AXKP042788", "1M8GDM9AXKP04278Q"])
def test_wrong_length_and_the_letters_i_o_q_are_refused(vin):
    with pytest.raises(Unprocessable) as refused:
        validate_vin(vin)
    assert refused.value.code == "invalid_vin"


def test_check_digit_ten_is_written_x():
    vin = "1M8GDM9A" + "X" + "KP042788"
    assert check_digit(vin) == "X"


@pytest.fixture
def car(api, staff_tokens, member_login):
    token, _ = member_login("alice")
    response = api.post("/me/vehicles", token, json={"plate": "粤B12345", "mileage_km": 30000})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_staff_record_vin_dates_and_insurance(api, staff_tokens, car):
    body = {
        "model": "卡罗拉",
        "vin": "1m8gdm9axkp042788",
        "registration_date": "2019-03-31",
        "purchase_date": "2019-03-20",
        "insurance_expires_on": "2027-03-30",
        "note": "左后门有旧划痕",
    }
    response = api.patch(f"/vehicles/{car}", staff_tokens["cashier"], json=body)
    assert response.status_code == 200, response.json
    assert response.json["vin"] == "1M8GDM9AXKP042788"
    assert response.json["registration_date"] == "2019-03-31"
    assert response.json["insurance_expires_on"] == "2027-03-30"
    again = api.get(f"/vehicles/{car}", staff_tokens["cashier2"])
    assert again.json["model"] == "卡罗拉" and again.json["note"] == "左后门有旧划痕"


def test_a_vin_belongs_to_one_car(api, staff_tokens, car, member_login):
    token, _ = member_login("bob")
    other = api.post("/me/vehicles", token, json={"plate": "粤B54321"}).json["id"]
    assert api.patch(f"/vehicles/{car}", staff_tokens["cashier"], json={"vin": VALID_VINS[0]}).status_code == 200
    taken = api.patch(f"/vehicles/{other}", staff_tokens["cashier"], json={"vin": VALID_VINS[0]})
    assert (taken.status_code, error_code(taken)) == (409, "vin_taken")


def test_a_mistyped_vin_or_a_future_registration_changes_nothing(api, staff_tokens, car):
    bad = api.patch(f"/vehicles/{car}", staff_tokens["cashier"], json={"vin": "1M8GDM9AXKP042789", "model": "X"})
    assert (bad.status_code, error_code(bad)) == (422, "vin_check_digit_mismatch")
    future = api.patch(f"/vehicles/{car}", staff_tokens["cashier"], json={"registration_date": "2999-01-01"})
    assert (future.status_code, error_code(future)) == (422, "invalid_registration_date")
    record = api.get(f"/vehicles/{car}", staff_tokens["cashier"]).json
    assert record["vin"] is None and record["model"] is None and record["registration_date"] is None


def test_marketing_cannot_edit_a_car(api, staff_tokens, car):
    refused = api.patch(f"/vehicles/{car}", staff_tokens["marketing"], json={"model": "X"})
    assert refused.status_code == 403


def _audit(api, staff_tokens, kind):
    response = api.get("/audit-log", staff_tokens["owner"], query_string={"kind": kind})
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_mileage_correction_goes_below_the_last_reading_and_is_audited_with_its_reason(
    api, staff_tokens, car, member_login
):
    token, _ = member_login("alice")
    backwards = api.patch(f"/me/vehicles/{car}", token, json={"mileage_km": 3000})
    assert (backwards.status_code, error_code(backwards)) == (422, "mileage_backwards")
    response = api.post(
        f"/vehicles/{car}/mileage-corrections",
        staff_tokens["cashier"],
        json={"mileage_km": 3000, "reason": "多录了一个0"},
    )
    assert response.status_code == 200, response.json
    assert response.json["mileage_km"] == 3000
    [entry] = _audit(api, staff_tokens, "mileage_correction")
    assert entry["entity_id"] == car and entry["reason"] == "多录了一个0"
    assert entry["before"] == {"mileage_km": 30000} and entry["after"] == {"mileage_km": 3000}


def test_a_correction_needs_a_reason_and_a_new_figure(api, staff_tokens, car):
    no_reason = api.post(f"/vehicles/{car}/mileage-corrections", staff_tokens["cashier"], json={"mileage_km": 1})
    assert no_reason.status_code == 422
    same = api.post(
        f"/vehicles/{car}/mileage-corrections", staff_tokens["cashier"], json={"mileage_km": 30000, "reason": "核对"}
    )
    assert (same.status_code, error_code(same)) == (422, "mileage_unchanged")
    assert _audit(api, staff_tokens, "mileage_correction") == []


def test_a_sold_car_moves_to_its_new_owner_with_its_history(api, staff_tokens, car, member_login):
    alice, _ = member_login("alice")
    order = api.post("/work-orders", staff_tokens["owner"], json={"store_id": 1, "plate": "粤B12345", "lines": []})
    assert order.status_code == 201, order.json
    bob_token, bob = member_login("bob")
    moved = api.post(
        f"/vehicles/{car}/transfer", staff_tokens["cashier"], json={"member_id": bob["id"], "reason": "车辆已过户"}
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["member_id"] == bob["id"]
    assert [v["id"] for v in api.get("/me/vehicles", bob_token).json["items"]] == [car]
    assert api.get("/me/vehicles", alice).json["items"] == []
    # The order opened before the sale stays with the car and with the member of the time.
    orders = api.get("/work-orders", staff_tokens["owner"], query_string={"plate": "12345"}).json["items"]
    assert [(o["id"], o["member_id"]) for o in orders] == [(order.json["id"], order.json["member_id"])]
    [entry] = _audit(api, staff_tokens, "vehicle_transfer")
    assert entry["reason"] == "车辆已过户"
    assert entry["before"]["member_id"] == order.json["member_id"] and entry["after"]["member_id"] == bob["id"]


def test_a_transfer_to_the_same_owner_or_to_no_one_is_refused(api, staff_tokens, car, member_login):
    _, alice = member_login("alice")
    same = api.post(
        f"/vehicles/{car}/transfer", staff_tokens["cashier"], json={"member_id": alice["id"], "reason": "x过户"}
    )
    assert (same.status_code, error_code(same)) == (422, "same_owner")
    missing = api.post(
        f"/vehicles/{car}/transfer", staff_tokens["cashier"], json={"member_id": 99999, "reason": "过户"}
    )
    assert (missing.status_code, error_code(missing)) == (404, "member_not_found")
    assert _audit(api, staff_tokens, "vehicle_transfer") == []
