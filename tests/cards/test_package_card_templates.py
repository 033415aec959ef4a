"""Package-card and stamp-card templates over HTTP: access and validation that writes nothing."""

from datetime import date

import pytest

from app.cards.models import PackageCardTemplate, StampCardTemplate
from tests.factories import make_template
from tests.helpers import error_code
from tests.ledgers import count_rows


def _package(catalog, **changes):
    body = {
        "name": "洗车套餐",
        "price_fen": 20000,
        "valid_days": 365,
        "items": [{"service_item_id": catalog["wash"], "count": 10}],
    }
    body.update(changes)
    return body


def test_marketing_creates_and_changes_a_package_template(api, staff_tokens, catalog):
    created = api.post("/package-card-templates", staff_tokens["marketing"], json=_package(catalog))
    assert created.status_code == 201, created.json
    assert created.json["items"] == [{"service_item_id": catalog["wash"], "count": 10}]
    changed = api.patch(
        f"/package-card-templates/{created.json['id']}",
        staff_tokens["owner"],
        json={
            "price_fen": 18000,
            "items": [
                {"service_item_id": catalog["wash"], "count": 8},
                {"service_item_id": catalog["oil"], "count": 1},
            ],
        },
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["price_fen"] == 18000
    assert [item["count"] for item in changed.json["items"]] == [8, 1]


def test_template_access_by_role(api, staff_tokens, member_login, catalog):
    token, _ = member_login("alice")
    assert api.post("/package-card-templates", token, json=_package(catalog)).status_code == 403
    assert api.post("/package-card-templates", staff_tokens["cashier"], json=_package(catalog)).status_code == 403
    created = api.post("/package-card-templates", staff_tokens["marketing"], json=_package(catalog)).json
    retired = api.post("/package-card-templates", staff_tokens["marketing"], json=_package(catalog, name="旧")).json
    api.patch(f"/package-card-templates/{retired['id']}", staff_tokens["marketing"], json={"is_active": False})
    assert api.get("/package-card-templates", staff_tokens["cashier"]).json["total"] == 2
    assert [item["id"] for item in api.get("/package-card-templates", token).json["items"]] == [created["id"]]
    assert api.get(f"/package-card-templates/{retired['id']}", token).status_code == 404
    assert api.get(f"/package-card-templates/{retired['id']}", staff_tokens["cashier"]).status_code == 200


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"price_fen": -1}, "validation_error"),
        ({"price_fen": 199.5}, "validation_error"),
        ({"valid_days": 0}, "validation_error"),
        ({"items": []}, "validation_error"),
        ({"items": [{"service_item_id": "wash", "count": 1}]}, "validation_error"),
        ({"items": [{"service_item_id": 4040, "count": 1}]}, "service_item_not_found"),
        ("count", -2),
        ("count", 0),
        ("count", 1.5),
        ("duplicate", None),
    ],
)
def test_bad_package_templates_are_422_and_write_nothing(api, staff_tokens, app, catalog, changes, code):
    if changes == "count":
        body = _package(catalog, items=[{"service_item_id": catalog["wash"], "count": code}])
        code = "validation_error"
    elif changes == "duplicate":
        body = _package(catalog, items=[{"service_item_id": catalog["wash"], "count": 1}] * 2)
        code = "duplicate_items"
    else:
        body = _package(catalog, **changes)
    response = api.post("/package-card-templates", staff_tokens["marketing"], json=body)
    assert response.status_code == 422, response.json
    assert error_code(response) == code
    assert count_rows(app, PackageCardTemplate) == 0


def test_stamp_template_needs_known_items_and_a_days_valid_reward(api, staff_tokens, app, catalog):
    reward = make_template(
        app,
        kind="item_voucher",
        value_fen=None,
        threshold_fen=None,
        service_item_id=catalog["wash"],
        claimable=False,
        valid_days=60,
    )
    windowed = make_template(app, valid_days=None, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    body = {
        "name": "洗车集章",
        "service_item_ids": [catalog["wash"]],
        "stamps_required": 10,
        "reward_coupon_template_id": reward,
    }
    cases = [
        ({"reward_coupon_template_id": 4040}, 422, "coupon_template_not_found"),
        ({"reward_coupon_template_id": windowed}, 422, "reward_needs_valid_days"),
        ({"service_item_ids": [4040]}, 422, "service_item_not_found"),
        ({"service_item_ids": [catalog["wash"], catalog["wash"]]}, 422, "duplicate_items"),
        ({"stamps_required": 0}, 422, "validation_error"),
        ({"stamps_required": 2.5}, 422, "validation_error"),
        ({"valid_days": -3}, 422, "validation_error"),
    ]
    for changes, status, code in cases:
        response = api.post("/stamp-card-templates", staff_tokens["marketing"], json={**body, **changes})
        assert (response.status_code, error_code(response)) == (status, code), changes
    assert count_rows(app, StampCardTemplate) == 0
    member_token = api.post("/auth/wechat/login", json={"code": "alice"}).json["token"]
    assert api.post("/stamp-card-templates", member_token, json=body).status_code == 403
    created = api.post("/stamp-card-templates", staff_tokens["marketing"], json=body)
    assert created.status_code == 201, created.json
    assert created.json["service_item_ids"] == [catalog["wash"]]
    changed = api.patch(
        f"/stamp-card-templates/{created.json['id']}",
        staff_tokens["marketing"],
        json={"service_item_ids": [catalog["wash"], catalog["oil"]], "stamps_required": 8},
    )
    assert changed.status_code == 200
    assert sorted(changed.json["service_item_ids"]) == sorted([catalog["wash"], catalog["oil"]])
    assert api.get(f"/stamp-card-templates/{created.json['id']}", staff_tokens["cashier"]).status_code == 200
