"""Points exchange: the catalog's rules, redeeming, handing over, cancelling, auditing."""

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.catalog.stock import on_hand
from app.catalog.stock_models import PartStockMovement
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.wallet.models import PointsAccount
from app.wallet.points import live_points
from tests.factories import give_points
from tests.helpers import error_code


def _reward(api, token, **fields):
    body = {"name": "洗车券", "kind": "coupon", "points_price": 500, **fields}
    return api.post("/exchange-rewards", token, json=body)


def _points(app, member_id):
    with app.app_context():
        return live_points(member_id=member_id)


def _redeem(api, token, reward_id, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.call("POST", "/me/exchange-redemptions", token, json={"reward_id": reward_id}, headers=headers)


def test_a_coupon_reward_takes_points_and_issues_the_coupon(app, api, staff_tokens, member_login, catalog):
    reward = _reward(api, staff_tokens["owner"], coupon_template_id=catalog["template"], total_stock=2).json
    token, member = member_login("exchanger")
    give_points(app, member["id"], 1200)

    listed = api.get("/me/exchange-rewards", token).json
    assert [item["id"] for item in listed["items"]] == [reward["id"]]
    response = _redeem(api, token, reward["id"])

    assert response.status_code == 201, response.json
    assert response.json["status"] == "issued" and response.json["points"] == 500
    assert _points(app, member["id"]) == 700
    with app.app_context():
        coupon = db.session.get(MemberCoupon, response.json["member_coupon_id"])
        assert coupon.member_id == member["id"] and coupon.source == "points_exchange"
    assert api.get(f"/exchange-rewards/{reward['id']}", staff_tokens["owner"]).json["remaining_stock"] == 1
    mine = api.get("/me/exchange-redemptions", token).json
    assert [item["id"] for item in mine["items"]] == [response.json["id"]]
    # An issued coupon is the member's: it cannot be cancelled for the points.
    cancel = api.post(f"/me/exchange-redemptions/{response.json['id']}/cancel", token)
    assert cancel.status_code == 409 and error_code(cancel) == "exchange_redemption_not_cancellable"


def test_a_service_item_reward_gives_an_item_voucher_for_the_item(app, api, staff_tokens, member_login, catalog):
    reward = _reward(api, staff_tokens["owner"], kind="service_item", service_item_id=catalog["wash"], name="免费洗车")
    assert reward.status_code == 201, reward.json
    token, member = member_login("washer")
    give_points(app, member["id"], 500)

    response = _redeem(api, token, reward.json["id"])

    assert response.status_code == 201, response.json
    with app.app_context():
        coupon = db.session.get(MemberCoupon, response.json["member_coupon_id"])
        assert coupon.template.kind == "item_voucher" and coupon.template.service_item_id == catalog["wash"]
    assert _points(app, member["id"]) == 0


def test_not_enough_points_changes_nothing(app, api, staff_tokens, member_login, catalog):
    reward = _reward(api, staff_tokens["owner"], coupon_template_id=catalog["template"], total_stock=1).json
    token, member = member_login("poor")
    give_points(app, member["id"], 499)

    response = _redeem(api, token, reward["id"])

    assert response.status_code == 409 and error_code(response) == "insufficient_points"
    assert _points(app, member["id"]) == 499
    assert api.get(f"/exchange-rewards/{reward['id']}", staff_tokens["owner"]).json["redeemed_count"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MemberCoupon)) == 0


def test_out_of_stock_inactive_and_outside_the_window_are_refused(app, api, staff_tokens, member_login, catalog):
    owner = staff_tokens["owner"]
    sold_out = _reward(api, owner, coupon_template_id=catalog["template"], total_stock=0).json
    inactive = _reward(api, owner, coupon_template_id=catalog["template"], is_active=False).json
    later = _reward(api, owner, coupon_template_id=catalog["template"], active_from="2999-01-01").json
    token, member = member_login("unlucky")
    give_points(app, member["id"], 5000)

    assert api.get("/me/exchange-rewards", token).json["items"] == []
    assert error_code(_redeem(api, token, sold_out["id"])) == "exchange_reward_out_of_stock"
    assert error_code(_redeem(api, token, inactive["id"])) == "exchange_reward_unavailable"
    refused = _redeem(api, token, later["id"])
    assert refused.status_code == 409 and refused.json["error"]["details"]["reason"] == "not_started"
    assert error_code(_redeem(api, token, 9999)) == "exchange_reward_not_found"
    assert _points(app, member["id"]) == 5000


def test_a_part_is_handed_over_at_the_counter_and_leaves_that_stores_stock(
    app, api, staff_tokens, stores, member_login, catalog
):
    reward = _reward(api, staff_tokens["owner"], kind="part", part_id=catalog["part"], name="雨刮片").json
    token, member = member_login("wiper")
    give_points(app, member["id"], 800)
    redemption = _redeem(api, token, reward["id"]).json
    assert redemption["status"] == "awaiting_pickup"
    with app.app_context():
        assert on_hand(store_id=stores[0], part_id=catalog["part"]) == 3  # nothing left the shelf yet

    waiting = api.get("/exchange-redemptions?status=awaiting_pickup", staff_tokens["cashier"]).json
    assert [item["id"] for item in waiting["items"]] == [redemption["id"]]
    assert waiting["items"][0]["member_nickname"] == member["nickname"]
    by_member = api.get(f"/exchange-redemptions?member_id={member['id']}", staff_tokens["cashier"]).json
    assert [item["id"] for item in by_member["items"]] == [redemption["id"]]
    elsewhere = api.post(
        f"/exchange-redemptions/{redemption['id']}/hand-over", staff_tokens["cashier"], json={"store_id": stores[1]}
    )
    assert elsewhere.status_code == 403 and error_code(elsewhere) == "store_forbidden"
    handed = api.post(
        f"/exchange-redemptions/{redemption['id']}/hand-over", staff_tokens["cashier"], json={"store_id": stores[0]}
    )

    assert handed.status_code == 200, handed.json
    assert handed.json["status"] == "collected" and handed.json["store_id"] == stores[0]
    with app.app_context():
        assert on_hand(store_id=stores[0], part_id=catalog["part"]) == 2
        movement = db.session.scalar(select(PartStockMovement).where(PartStockMovement.kind == "exchange"))
        assert (movement.delta, movement.ref_type, movement.ref_id) == (-1, "exchange_redemption", redemption["id"])
    again = api.post(
        f"/exchange-redemptions/{redemption['id']}/hand-over", staff_tokens["cashier"], json={"store_id": stores[0]}
    )
    assert again.status_code == 409 and error_code(again) == "exchange_redemption_not_awaiting_pickup"
    late = api.post(f"/me/exchange-redemptions/{redemption['id']}/cancel", token)
    assert late.status_code == 409 and error_code(late) == "exchange_redemption_not_cancellable"


def test_a_store_without_the_part_cannot_hand_it_over(app, api, staff_tokens, stores, member_login, catalog):
    reward = _reward(api, staff_tokens["owner"], kind="part", part_id=catalog["part"]).json
    token, member = member_login("far-away")
    give_points(app, member["id"], 500)
    redemption = _redeem(api, token, reward["id"]).json

    response = api.post(
        f"/exchange-redemptions/{redemption['id']}/hand-over", staff_tokens["cashier2"], json={"store_id": stores[1]}
    )

    assert response.status_code == 409 and error_code(response) == "insufficient_stock"
    assert api.get("/exchange-redemptions", staff_tokens["owner"]).json["items"][0]["status"] == "awaiting_pickup"


def test_cancelling_a_part_not_collected_returns_points_and_stock_exactly(
    app, api, staff_tokens, stores, member_login, catalog
):
    reward = _reward(api, staff_tokens["owner"], kind="part", part_id=catalog["part"], total_stock=1).json
    token, member = member_login("changed-mind")
    give_points(app, member["id"], 700)
    redemption = _redeem(api, token, reward["id"]).json
    assert _points(app, member["id"]) == 200
    assert api.get(f"/exchange-rewards/{reward['id']}", staff_tokens["owner"]).json["remaining_stock"] == 0

    cancelled = api.post(f"/me/exchange-redemptions/{redemption['id']}/cancel", token)

    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert _points(app, member["id"]) == 700
    with app.app_context():
        assert db.session.get(PointsAccount, member["id"]).balance == 700
        assert on_hand(store_id=stores[0], part_id=catalog["part"]) == 3
    assert api.get(f"/exchange-rewards/{reward['id']}", staff_tokens["owner"]).json["remaining_stock"] == 1
    twice = api.post(f"/exchange-redemptions/{redemption['id']}/cancel", staff_tokens["cashier"])
    assert twice.status_code == 409 and error_code(twice) == "exchange_redemption_not_cancellable"
    assert _points(app, member["id"]) == 700
    other_token, _ = member_login("stranger")
    assert error_code(api.post(f"/me/exchange-redemptions/{redemption['id']}/cancel", other_token)) == (
        "exchange_redemption_not_found"
    )


def test_an_idempotency_key_redeems_once(app, api, staff_tokens, member_login, catalog):
    reward = _reward(api, staff_tokens["owner"], coupon_template_id=catalog["template"]).json
    token, member = member_login("retrier")
    give_points(app, member["id"], 2000)

    first = _redeem(api, token, reward["id"], key="redeem-1")
    replay = _redeem(api, token, reward["id"], key="redeem-1")
    other = api.call(
        "POST",
        "/me/exchange-redemptions",
        token,
        json={"reward_id": reward["id"] + 1},
        headers={"Idempotency-Key": "redeem-1"},
    )

    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and error_code(other) == "idempotency_key_reused"
    assert _points(app, member["id"]) == 1500


def test_the_points_price_is_the_owners_and_every_change_is_audited(app, api, staff_tokens, catalog):
    marketing, owner = staff_tokens["marketing"], staff_tokens["owner"]
    refused = _reward(api, marketing, coupon_template_id=catalog["template"])
    assert refused.status_code == 403 and error_code(refused) == "points_price_owner_only"
    reward = _reward(api, owner, coupon_template_id=catalog["template"], total_stock=5).json

    repriced = api.patch(f"/exchange-rewards/{reward['id']}", marketing, json={"points_price": 100})
    assert repriced.status_code == 403 and error_code(repriced) == "points_price_owner_only"
    restocked = api.patch(f"/exchange-rewards/{reward['id']}", marketing, json={"total_stock": 9, "is_active": False})
    assert restocked.status_code == 200 and restocked.json["total_stock"] == 9
    assert api.patch(f"/exchange-rewards/{reward['id']}", owner, json={"points_price": 800}).json["points_price"] == 800

    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "exchange_reward").order_by(AuditEntry.id)
        ).all()
    assert [entry.actor_role for entry in entries] == ["owner", "marketing", "owner"]
    assert entries[0].before is None and entries[0].after["points_price"] == 500
    assert entries[1].before == {"total_stock": 5, "is_active": True}
    assert entries[1].after == {"total_stock": 9, "is_active": False}
    assert (entries[2].before, entries[2].after) == ({"points_price": 500}, {"points_price": 800})


def test_the_catalog_refuses_what_does_not_fit(app, api, staff_tokens, member_login, catalog):
    owner = staff_tokens["owner"]
    mixed = _reward(api, owner, kind="part", part_id=catalog["part"], coupon_template_id=catalog["template"])
    assert mixed.status_code == 422 and error_code(mixed) == "invalid_exchange_reward"
    window = _reward(
        api, owner, coupon_template_id=catalog["template"], active_from="2026-05-02", active_until="2026-05-01"
    )
    assert window.status_code == 422 and error_code(window) == "invalid_exchange_window"
    reward = _reward(api, owner, coupon_template_id=catalog["template"], total_stock=1).json
    token, member = member_login("first")
    give_points(app, member["id"], 500)
    assert _redeem(api, token, reward["id"]).status_code == 201
    below = api.patch(f"/exchange-rewards/{reward['id']}", owner, json={"total_stock": 0})
    assert below.status_code == 422 and error_code(below) == "exchange_stock_below_redeemed"
