"""Catalog prices, staff accounts, stores and manual balance or points changes land in the audit log."""

from app.extensions import db
from app.stores.services import create_staff

SERVICE_ITEM = {"name": "精洗", "category": "wash", "price_fen": 5000, "duration_minutes": 60}


def _log(api, owner, **query):
    response = api.get("/audit-log", owner, query_string={"per_page": 100, **query})
    assert response.status_code == 200, response.json
    return response.json["items"]


def _brief(entry):
    return entry["entity_type"], entry["actor_username"], entry["before"], entry["after"]


def test_catalog_prices_are_logged_when_set_and_when_changed_and_not_for_other_fields(api, staff_tokens):
    owner, marketing = staff_tokens["owner"], staff_tokens["marketing"]
    item = api.post("/service-items", marketing, json=SERVICE_ITEM).json
    part = api.post("/parts", marketing, json={"name": "机油滤芯", "sku": "F-1", "price_fen": 8000, "stock": 5}).json
    coupon = api.post(
        "/coupon-templates",
        marketing,
        json={"name": "立减10元", "kind": "cash_off", "value_fen": 1000, "valid_days": 30, "claimable": True},
    ).json
    card = api.post(
        "/package-card-templates",
        marketing,
        json={
            "name": "洗车十次卡",
            "price_fen": 40000,
            "valid_days": 365,
            "items": [{"service_item_id": item["id"], "count": 10}],
        },
    ).json
    assert api.patch(f"/service-items/{item['id']}", marketing, json={"price_fen": 5500}).status_code == 200
    assert api.patch(f"/service-items/{item['id']}", marketing, json={"name": "精致洗车"}).status_code == 200
    assert api.patch(f"/parts/{part['id']}", owner, json={"price_fen": 7500}).status_code == 200
    assert api.patch(f"/coupon-templates/{coupon['id']}", marketing, json={"value_fen": 1500}).status_code == 200
    assert api.patch(f"/package-card-templates/{card['id']}", marketing, json={"price_fen": 38000}).status_code == 200

    card_change, coupon_change, part_change, item_change, *created = _log(api, owner, kind="catalog_price")
    assert _brief(item_change) == ("service_item", "marketing", {"price_fen": 5000}, {"price_fen": 5500})
    assert _brief(part_change) == ("part", "owner", {"price_fen": 8000}, {"price_fen": 7500})
    assert _brief(coupon_change) == ("coupon_template", "marketing", {"value_fen": 1000}, {"value_fen": 1500})
    assert _brief(card_change) == ("package_card_template", "marketing", {"price_fen": 40000}, {"price_fen": 38000})
    assert [(entry["entity_type"], entry["entity_id"]) for entry in created] == [
        ("package_card_template", card["id"]),
        ("coupon_template", coupon["id"]),
        ("part", part["id"]),
        ("service_item", item["id"]),
    ]
    assert created[-1]["before"] is None and created[-1]["after"] == {"name": "精洗", "price_fen": 5000}


def test_manual_points_and_balance_changes_are_logged_with_the_reason(api, staff_tokens, member_login):
    owner = staff_tokens["owner"]
    _, member = member_login("alice")
    added = api.post(f"/members/{member['id']}/points/adjustments", owner, json={"points": 300, "reason": "生日礼"})
    assert added.status_code == 201
    api.post(f"/members/{member['id']}/topups", staff_tokens["cashier"], json={"amount_fen": 1000, "paid_via": "cash"})
    refund = api.post(f"/members/{member['id']}/wallet/refund", owner, json={"amount_fen": 400, "reason": "搬家"})
    assert refund.status_code == 201

    (points,) = _log(api, owner, kind="points_adjustment")
    assert (points["entity_type"], points["entity_id"], points["reason"]) == ("member", member["id"], "生日礼")
    assert points["before"] == {"points": 0, "points_entry_id": None}
    assert points["after"] == {"points": 300, "points_entry_id": added.json["entry"]["id"]}
    (balance,) = _log(api, owner, kind="balance_adjustment")
    assert (balance["actor_role"], balance["reason"]) == ("owner", "搬家")
    assert balance["before"]["balance_fen"] == 1000 and balance["after"]["balance_fen"] == 600
    assert balance["after"]["wallet_entry_id"] == refund.json["entry"]["id"]


def test_staff_accounts_made_and_disabled_on_the_command_line_are_logged_as_the_system(app, api, runner, staff_tokens):
    owner = staff_tokens["owner"]
    result = runner.invoke(
        args=["staff", "create", "--username", "amy", "--password", "secret-pass", "--role", "cashier"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["staff", "disable", "--username", "amy"]).exit_code == 0
    disabled, created = _log(api, owner, kind="staff")[:2]
    assert (created["actor_kind"], created["actor_role"], created["before"]) == ("system", None, None)
    assert created["after"] == {"username": "amy", "role": "cashier", "store_ids": [], "is_active": True}
    assert (disabled["entity_id"], disabled["before"], disabled["after"]) == (
        created["entity_id"],
        {"is_active": True},
        {"is_active": False},
    )
    with app.app_context():
        create_staff(username="bo", password="secret-pass", role="marketing")
        db.session.commit()
    assert "secret-pass" not in api.get("/audit-log?format=csv&kind=staff", owner).data.decode("utf-8-sig")


def test_store_changes_are_logged_with_the_store(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    assert api.patch(f"/stores/{stores[0]}", owner, json={"bays": 3}).status_code == 200
    (entry,) = _log(api, owner, kind="store")
    assert (entry["store_id"], entry["after"]) == (stores[0], {"bays": 3})
    assert "bays" in entry["before"]


def test_a_role_or_store_change_on_the_command_line_is_logged_and_ends_the_old_tokens(
    api, runner, staff_tokens, stores
):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    result = runner.invoke(
        args=["staff", "update", "--username", "cashier", "--role", "marketing", "--store", str(stores[1])]
    )
    assert result.exit_code == 0, result.output
    assert api.get("/tiers", cashier).status_code == 401
    change = _log(api, owner, kind="staff")[0]
    assert (change["before"], change["after"]) == (
        {"role": "cashier", "store_ids": [stores[0]]},
        {"role": "marketing", "store_ids": [stores[1]]},
    )
    assert runner.invoke(args=["staff", "update", "--username", "nobody", "--role", "owner"]).exit_code != 0
