"""Coupon templates over HTTP: who may do what, and cross-field validation that writes nothing."""

import pytest

from app.coupons.models import CouponTemplate
from tests.factories import make_template
from tests.helpers import error_code
from tests.ledgers import count_rows

CASH = {
    "name": "满100减20",
    "kind": "cash_off",
    "value_fen": 2000,
    "threshold_fen": 10000,
    "valid_days": 30,
    "claimable": True,
}


def test_marketing_creates_a_cash_off_template_with_defaults(api, staff_tokens):
    response = api.post("/coupon-templates", staff_tokens["marketing"], json=CASH)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["kind"] == "cash_off" and body["value_fen"] == 2000 and body["threshold_fen"] == 10000
    assert body["per_member_limit"] == 1  # claimable templates default to one per member
    assert body["total_stock"] is None and body["remaining_stock"] is None and body["issued_count"] == 0


def test_issue_only_templates_default_to_no_per_member_limit(api, staff_tokens):
    response = api.post("/coupon-templates", staff_tokens["owner"], json={**CASH, "claimable": False})
    assert response.status_code == 201
    assert response.json["per_member_limit"] is None


def test_percent_and_item_voucher_templates(api, staff_tokens, catalog):
    percent = api.post(
        "/coupon-templates",
        staff_tokens["marketing"],
        json={
            "name": "保养8折",
            "kind": "percent_off",
            "percent_off": 20,
            "max_off_fen": 5000,
            "applicable_categories": ["maintenance"],
            "valid_from": "2026-04-01",
            "valid_until": "2026-04-30",
            "claimable": True,
            "total_stock": 100,
        },
    )
    assert percent.status_code == 201, percent.json
    assert percent.json["applicable_categories"] == ["maintenance"]
    assert percent.json["valid_from"] == "2026-04-01" and percent.json["valid_days"] is None
    voucher = api.post(
        "/coupon-templates",
        staff_tokens["marketing"],
        json={
            "name": "免费洗车",
            "kind": "item_voucher",
            "service_item_id": catalog["wash"],
            "valid_days": 7,
            "claimable": False,
        },
    )
    assert voucher.status_code == 201, voucher.json


def test_members_cannot_create_templates_and_cashiers_cannot_either(api, staff_tokens, member_login):
    token, _ = member_login("alice")
    assert api.post("/coupon-templates", token, json=CASH).status_code == 403
    assert api.post("/coupon-templates", staff_tokens["cashier"], json=CASH).status_code == 403


def test_cashiers_read_every_template(api, staff_tokens, app):
    claimable = make_template(app)
    issue_only = make_template(app, claimable=False)
    listed = api.get("/coupon-templates", staff_tokens["cashier"])
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json["items"]} == {claimable, issue_only}
    assert api.get(f"/coupon-templates/{issue_only}", staff_tokens["cashier"]).status_code == 200


def test_members_see_only_active_claimable_templates(api, staff_tokens, member_login, app):
    claimable = make_template(app)
    issue_only = make_template(app, claimable=False)
    retired = make_template(app)
    assert (
        api.patch(f"/coupon-templates/{retired}", staff_tokens["marketing"], json={"is_active": False}).status_code
        == 200
    )
    token, _ = member_login("alice")
    listed = api.get("/coupon-templates", token)
    assert [item["id"] for item in listed.json["items"]] == [claimable]
    assert api.get(f"/coupon-templates/{claimable}", token).status_code == 200
    assert api.get(f"/coupon-templates/{issue_only}", token).status_code == 404
    assert api.get(f"/coupon-templates/{retired}", token).status_code == 404


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"valid_from": "2026-04-01", "valid_until": "2026-04-30"}, "validity_conflict"),
        ({"valid_days": None}, "validity_required"),
        ({"valid_days": None, "valid_from": "2026-04-01"}, "validity_window_invalid"),
        ({"valid_days": None, "valid_from": "2026-05-01", "valid_until": "2026-04-30"}, "validity_window_invalid"),
        ({"value_fen": None}, "coupon_value_required"),
        ({"percent_off": 10}, "coupon_field_not_allowed"),
        ({"kind": "percent_off", "value_fen": None}, "coupon_value_required"),
        ({"kind": "item_voucher", "value_fen": None, "threshold_fen": 0}, "coupon_value_required"),
        ({"applicable_item_ids": [999]}, "service_item_not_found"),
        ({"value_fen": 12.5}, "validation_error"),
        ({"value_fen": -100}, "validation_error"),
        ({"value_fen": "2000"}, "validation_error"),
        ({"percent_off": 100, "kind": "percent_off", "value_fen": None}, "validation_error"),
        ({"total_stock": -1}, "validation_error"),
        ({"per_member_limit": 0}, "validation_error"),
        ({"applicable_categories": ["tyres"]}, "validation_error"),
        ({"surprise": True}, "validation_error"),
    ],
)
def test_bad_templates_are_422_and_nothing_is_written(api, staff_tokens, app, changes, code):
    body = {name: value for name, value in {**CASH, **changes}.items() if value is not None}
    response = api.post("/coupon-templates", staff_tokens["marketing"], json=body)
    assert response.status_code == 422, response.json
    assert error_code(response) == code
    assert count_rows(app, CouponTemplate) == 0


def test_item_voucher_takes_only_its_service_item(api, staff_tokens, catalog):
    body = {
        "name": "免费洗车",
        "kind": "item_voucher",
        "service_item_id": catalog["wash"],
        "valid_days": 7,
        "claimable": True,
        "threshold_fen": 5000,
    }
    response = api.post("/coupon-templates", staff_tokens["marketing"], json=body)
    assert response.status_code == 422 and error_code(response) == "coupon_field_not_allowed"
    unknown = api.post(
        "/coupon-templates", staff_tokens["marketing"], json={**body, "threshold_fen": 0, "service_item_id": 4040}
    )
    assert unknown.status_code == 422 and error_code(unknown) == "service_item_not_found"


def test_patch_switches_validity_and_guards_issued_value(api, staff_tokens, member_login, app):
    template_id = make_template(app, total_stock=10)
    switched = api.patch(
        f"/coupon-templates/{template_id}",
        staff_tokens["marketing"],
        json={"valid_from": "2026-06-01", "valid_until": "2026-06-30"},
    )
    assert switched.status_code == 200, switched.json
    assert switched.json["valid_days"] is None and switched.json["valid_until"] == "2026-06-30"
    both = api.patch(
        f"/coupon-templates/{template_id}",
        staff_tokens["marketing"],
        json={"valid_days": 5, "valid_from": "2026-06-01"},
    )
    assert both.status_code == 422 and error_code(both) == "validity_conflict"
    back = api.patch(f"/coupon-templates/{template_id}", staff_tokens["marketing"], json={"valid_days": 5})
    assert back.status_code == 200 and back.json["valid_from"] is None and back.json["valid_days"] == 5

    token, _ = member_login("alice")
    assert api.post(f"/coupon-templates/{template_id}/claim", token).status_code == 201
    frozen = api.patch(f"/coupon-templates/{template_id}", staff_tokens["marketing"], json={"value_fen": 5000})
    assert frozen.status_code == 409 and error_code(frozen) == "coupon_template_in_use"
    renamed = api.patch(f"/coupon-templates/{template_id}", staff_tokens["marketing"], json={"name": "新名字"})
    assert renamed.status_code == 200 and renamed.json["value_fen"] == 2000
    too_small = api.patch(f"/coupon-templates/{template_id}", staff_tokens["marketing"], json={"total_stock": 0})
    assert too_small.status_code == 422 and error_code(too_small) == "stock_below_issued"


def test_unknown_template_is_404(api, staff_tokens):
    response = api.get("/coupon-templates/4040", staff_tokens["cashier"])
    assert response.status_code == 404 and error_code(response) == "coupon_template_not_found"
