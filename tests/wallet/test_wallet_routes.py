"""Wallet endpoints: top-up plans, counter top-ups, refunds, the member's wallet, points adjustments."""

import pytest

from app.extensions import db
from app.wallet import points
from app.wallet.models import TopupPlan, WalletEntry
from tests.helpers import error_code
from tests.ledgers import session_count


@pytest.fixture
def plan(api, staff_tokens):
    response = api.post(
        "/topup-plans", staff_tokens["owner"], json={"name": "充1000送100", "pay_fen": 100000, "bonus_fen": 10000}
    )
    assert response.status_code == 201, response.json
    return response.json


def test_topup_plans_are_managed_by_the_owner_and_read_by_cashiers_and_members(api, staff_tokens, member_login, plan):
    for role in ("cashier", "marketing"):
        refused = api.post("/topup-plans", staff_tokens[role], json={"name": "x", "pay_fen": 1, "bonus_fen": 0})
        assert refused.status_code == 403
        assert api.patch(f"/topup-plans/{plan['id']}", staff_tokens[role], json={"bonus_fen": 1}).status_code == 403
    duplicate = api.post(
        "/topup-plans", staff_tokens["owner"], json={"name": "充1000送100", "pay_fen": 5, "bonus_fen": 0}
    )
    assert duplicate.status_code == 409 and error_code(duplicate) == "topup_plan_exists"
    changed = api.patch(f"/topup-plans/{plan['id']}", staff_tokens["owner"], json={"bonus_fen": 12000})
    assert changed.status_code == 200 and changed.json["bonus_fen"] == 12000
    price = api.patch(f"/topup-plans/{plan['id']}", staff_tokens["owner"], json={"pay_fen": 1})
    assert price.status_code == 422
    listed = api.get("/topup-plans", staff_tokens["cashier"])
    assert listed.status_code == 200 and [p["id"] for p in listed.json["items"]] == [plan["id"]]
    assert listed.json["total"] == 1
    api.patch(f"/topup-plans/{plan['id']}", staff_tokens["owner"], json={"is_active": False})
    token, _ = member_login("alice")
    assert api.get("/topup-plans?include_inactive=true", token).json["items"] == []
    assert api.get(f"/topup-plans/{plan['id']}", token).status_code == 404
    assert len(api.get("/topup-plans?include_inactive=true", staff_tokens["cashier"]).json["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "neg", "pay_fen": -1, "bonus_fen": 0},
        {"name": "zero", "pay_fen": 0, "bonus_fen": 0},
        {"name": "frac", "pay_fen": 10.5, "bonus_fen": 0},
        {"name": "str", "pay_fen": "100", "bonus_fen": 0},
        {"name": "tier", "pay_fen": 100, "bonus_fen": 0, "grants_tier_id": 999},
        {"name": "extra", "pay_fen": 100, "bonus_fen": 0, "colour": "red"},
    ],
)
def test_bad_plans_are_refused_and_nothing_is_written(app, api, staff_tokens, body):
    response = api.post("/topup-plans", staff_tokens["owner"], json=body)
    assert response.status_code == 422, response.json
    with app.app_context():
        assert session_count(TopupPlan) == 0


def test_counter_top_up_with_a_plan_answers_entry_and_wallet(api, staff_tokens, member_login, plan):
    token, member = member_login("alice")
    response = api.post(
        f"/members/{member['id']}/topups",
        staff_tokens["cashier"],
        json={"amount_fen": 100000, "plan_id": plan["id"], "paid_via": "cash"},
    )
    assert response.status_code == 201, response.json
    assert response.json["entry"]["bonus_fen"] == 10000
    assert response.json["entry"]["created_by"].startswith("staff:")
    assert response.json["wallet"] == {
        "member_id": member["id"],
        "balance_fen": 110000,
        "principal_fen": 100000,
        "bonus_fen": 10000,
    }
    mine = api.get("/me/wallet", token).json
    assert (mine["balance_fen"], mine["principal_fen"], mine["bonus_fen"], mine["points"]) == (110000, 100000, 10000, 0)
    entries = api.get("/me/wallet/entries", token).json
    assert entries["total"] == 1 and entries["items"][0]["kind"] == "topup"
    assert "created_by" not in entries["items"][0]


def test_a_replayed_top_up_credits_once(app, api, staff_tokens, member_login):
    _, member = member_login("alice")
    headers = {"Idempotency-Key": "topup-0001"}
    body = {"amount_fen": 5000, "paid_via": "wechat"}
    first = api.post(f"/members/{member['id']}/topups", staff_tokens["cashier"], json=body, headers=headers)
    again = api.post(f"/members/{member['id']}/topups", staff_tokens["cashier"], json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers.get("Idempotent-Replayed") == "true"
    with app.app_context():
        assert session_count(WalletEntry) == 1
    other = api.post(
        f"/members/{member['id']}/topups", staff_tokens["cashier"], json={**body, "amount_fen": 1}, headers=headers
    )
    assert other.status_code == 409 and error_code(other) == "idempotency_key_reused"


@pytest.mark.parametrize(
    "body, status",
    [
        ({"amount_fen": -100, "paid_via": "cash"}, 422),
        ({"amount_fen": 0, "paid_via": "cash"}, 422),
        ({"amount_fen": 100.5, "paid_via": "cash"}, 422),
        ({"amount_fen": "100", "paid_via": "cash"}, 422),
        ({"amount_fen": 100, "paid_via": "bitcoin"}, 422),
        ({"amount_fen": 100}, 422),
        ({"amount_fen": 100000, "plan_id": 999, "paid_via": "cash"}, 422),
        ({"amount_fen": 99999, "plan_id": "PLAN", "paid_via": "cash"}, 422),
    ],
)
def test_bad_top_ups_are_refused_and_nothing_is_written(app, api, staff_tokens, member_login, plan, body, status):
    _, member = member_login("alice")
    if body.get("plan_id") == "PLAN":
        body = {**body, "plan_id": plan["id"]}
    response = api.post(f"/members/{member['id']}/topups", staff_tokens["cashier"], json=body)
    assert response.status_code == status, response.json
    with app.app_context():
        assert session_count(WalletEntry) == 0


def test_only_counter_staff_top_up_and_only_the_owner_refunds(api, staff_tokens, member_login):
    token, member = member_login("alice")
    path = f"/members/{member['id']}/topups"
    assert api.post(path, staff_tokens["marketing"], json={"amount_fen": 100, "paid_via": "cash"}).status_code == 403
    assert api.post(path, token, json={"amount_fen": 100, "paid_via": "cash"}).status_code == 403
    assert api.post(path, staff_tokens["owner"], json={"amount_fen": 1000, "paid_via": "cash"}).status_code == 201
    refund = f"/members/{member['id']}/wallet/refund"
    assert api.post(refund, staff_tokens["cashier"], json={"amount_fen": 100, "reason": "x"}).status_code == 403
    done = api.post(refund, staff_tokens["owner"], json={"amount_fen": 400, "reason": "leaving town"})
    assert done.status_code == 201, done.json
    assert done.json["entry"]["kind"] == "refund" and done.json["wallet"]["balance_fen"] == 600
    over = api.post(refund, staff_tokens["owner"], json={"amount_fen": 601, "reason": "too much"})
    assert over.status_code == 409 and error_code(over) == "insufficient_principal"
    assert (
        api.post("/members/999/topups", staff_tokens["owner"], json={"amount_fen": 1, "paid_via": "cash"}).status_code
        == 404
    )


def test_points_adjustment_is_owner_only_and_shows_in_the_entries(api, staff_tokens, member_login):
    token, member = member_login("alice")
    path = f"/members/{member['id']}/points/adjustments"
    assert api.post(path, staff_tokens["marketing"], json={"points": 10, "reason": "x"}).status_code == 403
    assert api.post(path, staff_tokens["owner"], json={"points": 0, "reason": "x"}).status_code == 422
    assert api.post(path, staff_tokens["owner"], json={"points": 1.5, "reason": "x"}).status_code == 422
    assert api.post(path, staff_tokens["owner"], json={"points": 10}).status_code == 422
    added = api.post(path, staff_tokens["owner"], json={"points": 300, "reason": "birthday gift"})
    assert added.status_code == 201 and added.json["points"] == 300
    taken = api.post(path, staff_tokens["owner"], json={"points": -301, "reason": "oops"})
    assert taken.status_code == 409 and error_code(taken) == "insufficient_points"
    mine = api.get("/me/points/entries", token).json
    assert mine["total"] == 1 and mine["items"][0]["reason"] == "birthday gift"
    wallet = api.get("/me/wallet", token).json
    assert wallet["points"] == 300 and wallet["next_points_expiry"]["points"] == 300
    staff_view = api.get(f"/members/{member['id']}/points/entries", staff_tokens["cashier"]).json
    assert staff_view["items"][0]["created_by"].startswith("staff:")


def test_entries_are_newest_first_and_paginated(app, api, staff_tokens, member_login):
    token, member = member_login("alice")
    for amount in (100, 200, 300):
        api.post(
            f"/members/{member['id']}/topups", staff_tokens["cashier"], json={"amount_fen": amount, "paid_via": "cash"}
        )
    with app.app_context():
        points.earn(member_id=member["id"], paid_fen=1000, ref_type="work_order", ref_id=1)
        points.earn(member_id=member["id"], paid_fen=2000, ref_type="work_order", ref_id=2)
        db.session.commit()
    page = api.get("/me/wallet/entries?per_page=2", token).json
    assert [e["amount_fen"] for e in page["items"]] == [300, 200] and page["total"] == 3
    assert [e["amount_fen"] for e in api.get("/me/wallet/entries?per_page=2&page=2", token).json["items"]] == [100]
    assert [e["points"] for e in api.get("/me/points/entries", token).json["items"]] == [20, 10]


def test_counter_lookup_shows_balance_and_points(api, staff_tokens, member_login):
    token, member = member_login("alice")
    api.post("/me/vehicles", token, json={"plate": "粤B12345"})
    api.post(f"/members/{member['id']}/topups", staff_tokens["cashier"], json={"amount_fen": 2500, "paid_via": "cash"})
    api.post(
        f"/members/{member['id']}/points/adjustments", staff_tokens["owner"], json={"points": 40, "reason": "gift"}
    )
    found = api.get("/vehicles?plate=B123", staff_tokens["cashier"])
    assert found.status_code == 200, found.json
    summary = found.json["items"][0]["member"]
    assert (summary["balance_fen"], summary["points"]) == (2500, 40)


def test_me_wallet_is_empty_for_a_new_member_and_members_only(api, staff_tokens, member_login):
    token, _ = member_login("bob")
    assert api.get("/me/wallet", token).json == {
        "balance_fen": 0,
        "principal_fen": 0,
        "bonus_fen": 0,
        "points": 0,
        "next_points_expiry": None,
        "tier": None,
    }
    assert api.get("/me/wallet", staff_tokens["owner"]).status_code == 403


def test_me_wallet_shows_the_tier_and_its_benefits(api, staff_tokens, member_login):
    token, member = member_login("alice")
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
    api.patch(f"/members/{member['id']}", staff_tokens["cashier"], json={"tier_id": tier["id"]})
    shown = api.get("/me/wallet", token).json["tier"]
    assert shown == {
        "id": tier["id"],
        "name": "金卡",
        "rank": 2,
        "labor_discount_percent": 10,
        "parts_discount_percent": 0,
        "points_multiplier": 1.5,
    }
