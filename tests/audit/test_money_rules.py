"""Money-shaping rules are the owner's and bounded, and each change lands in the audit log."""

from tests.conftest import error_code

HUGE_PLAN = {"name": "充1分送100万", "pay_fen": 1, "bonus_fen": 100_000_000}
FREE_LABOR = {"name": "员工卡", "rank": 9, "labor_discount_percent": 100}


def _log(api, owner, **query):
    response = api.get("/audit-log", owner, query_string={"per_page": 100, **query})
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_marketing_cannot_create_the_one_fen_plan_with_a_million_yuan_bonus(api, staff_tokens):
    owner = staff_tokens["owner"]
    response = api.post("/topup-plans", staff_tokens["marketing"], json=HUGE_PLAN)
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert api.get("/topup-plans?include_inactive=true", owner).json["total"] == 0
    assert _log(api, owner, kind="topup_plan") == []


def test_the_owner_over_the_bonus_limit_is_refused_until_they_raise_it(api, staff_tokens):
    owner = staff_tokens["owner"]
    response = api.post("/topup-plans", owner, json=HUGE_PLAN)
    assert (response.status_code, error_code(response)) == (422, "topup_bonus_over_limit")
    assert response.json["error"]["details"]["topup_bonus_max_percent"] == 100
    at_limit = api.post("/topup-plans", owner, json={"name": "充500送500", "pay_fen": 50000, "bonus_fen": 50000})
    assert at_limit.status_code == 201
    over = api.patch(f"/topup-plans/{at_limit.json['id']}", owner, json={"bonus_fen": 50001})
    assert (over.status_code, error_code(over)) == (422, "topup_bonus_over_limit")

    assert api.patch("/settings", owner, json={"topup_bonus_max_percent": 200}).status_code == 200
    raised = api.patch(f"/topup-plans/{at_limit.json['id']}", owner, json={"bonus_fen": 100000})
    assert raised.status_code == 200 and raised.json["bonus_fen"] == 100000

    limit_change = _log(api, owner, kind="settings")[0]
    assert (limit_change["before"], limit_change["after"]) == (
        {"topup_bonus_max_percent": 100},
        {"topup_bonus_max_percent": 200},
    )
    update, creation = _log(api, owner, kind="topup_plan")
    assert (update["before"], update["after"]) == ({"bonus_fen": 50000}, {"bonus_fen": 100000})
    assert (update["actor_username"], update["actor_role"], update["entity_id"]) == (
        "owner",
        "owner",
        at_limit.json["id"],
    )
    assert creation["before"] is None
    assert creation["after"] == {
        "name": "充500送500",
        "pay_fen": 50000,
        "bonus_fen": 50000,
        "grants_tier_id": None,
        "is_active": True,
    }


def test_the_free_labor_tier_is_neither_made_by_marketing_nor_assigned_by_a_cashier(api, staff_tokens, member_login):
    owner, marketing, cashier = staff_tokens["owner"], staff_tokens["marketing"], staff_tokens["cashier"]
    assert api.post("/tiers", marketing, json=FREE_LABOR).status_code == 403
    refused = api.post("/tiers", owner, json=FREE_LABOR)
    assert (refused.status_code, error_code(refused)) == (422, "tier_discount_over_limit")
    assert refused.json["error"]["details"]["field"] == "labor_discount_percent"
    assert api.patch("/settings", owner, json={"tier_labor_discount_max_percent": 100}).status_code == 200
    free_labor = api.post("/tiers", owner, json=FREE_LABOR).json
    assert free_labor["counter_assignable"] is False
    silver = api.post("/tiers", owner, json={"name": "银卡", "rank": 1, "labor_discount_percent": 5}).json
    api.patch(f"/tiers/{silver['id']}", owner, json={"counter_assignable": True})
    assert api.patch(f"/tiers/{silver['id']}", marketing, json={"labor_discount_percent": 50}).status_code == 403

    _, member = member_login("alice")
    path = f"/members/{member['id']}"
    for token in (cashier, marketing):
        response = api.patch(path, token, json={"tier_id": free_labor["id"]})
        assert (response.status_code, error_code(response)) == (403, "tier_not_assignable")
    assert api.get(path, owner).json["tier"] is None
    assert api.patch(path, cashier, json={"tier_id": silver["id"]}).json["tier"]["id"] == silver["id"]
    assert api.patch(path, owner, json={"tier_id": free_labor["id"]}).json["tier"]["id"] == free_labor["id"]
    # Nor can the counter take the owner's tier away again.
    response = api.patch(path, cashier, json={"tier_id": silver["id"]})
    assert (response.status_code, error_code(response)) == (403, "tier_not_assignable")

    by_owner, by_cashier = _log(api, owner, kind="member_tier")
    assert (by_cashier["actor_username"], by_cashier["before"], by_cashier["after"]) == (
        "cashier",
        {"tier_id": None},
        {"tier_id": silver["id"]},
    )
    assert (by_owner["entity_type"], by_owner["entity_id"]) == ("member", member["id"])
    assert (by_owner["before"], by_owner["after"]) == ({"tier_id": silver["id"]}, {"tier_id": free_labor["id"]})
    made_assignable = _log(api, owner, kind="tier")[0]
    assert (made_assignable["before"], made_assignable["after"]) == (
        {"counter_assignable": False},
        {"counter_assignable": True},
    )


def test_a_tier_discount_change_over_the_limit_is_refused_and_a_lowered_limit_keeps_existing_tiers(api, staff_tokens):
    owner = staff_tokens["owner"]
    gold = api.post("/tiers", owner, json={"name": "金卡", "rank": 2, "labor_discount_percent": 40}).json
    assert api.patch("/settings", owner, json={"tier_parts_discount_max_percent": 10}).status_code == 200
    response = api.patch(f"/tiers/{gold['id']}", owner, json={"parts_discount_percent": 11})
    assert (response.status_code, error_code(response)) == (422, "tier_discount_over_limit")
    assert api.patch("/settings", owner, json={"tier_labor_discount_max_percent": 20}).status_code == 200
    renamed = api.patch(f"/tiers/{gold['id']}", owner, json={"name": "金卡会员"})
    assert renamed.status_code == 200 and renamed.json["labor_discount_percent"] == 40
    assert api.get("/audit-log?kind=tier", owner).json["items"][0]["after"] == {"name": "金卡会员"}


def test_the_referral_reward_stays_within_its_limit_and_is_logged_as_its_own_kind(api, staff_tokens):
    owner = staff_tokens["owner"]
    response = api.patch("/settings", owner, json={"referral_reward_points": 10001})
    assert (response.status_code, error_code(response)) == (422, "referral_reward_over_limit")
    response = api.patch(
        "/settings", owner, json={"referral_reward_points": 20000, "referral_reward_max_points": 20000}
    )
    assert response.status_code == 200
    assert api.patch("/settings", staff_tokens["marketing"], json={"referral_reward_points": 1}).status_code == 403
    (reward,) = _log(api, owner, kind="referral_reward")
    assert (reward["before"], reward["after"]) == ({"referral_reward_points": 0}, {"referral_reward_points": 20000})
    (limit,) = _log(api, owner, kind="settings")
    assert (limit["before"], limit["after"]) == (
        {"referral_reward_max_points": 10000},
        {"referral_reward_max_points": 20000},
    )
    assert reward["entity_type"] == limit["entity_type"] == "merchant_settings"
