"""Attribution over the API: a code presented at login makes the new member referred, or is
refused with a recorded reason."""

from datetime import UTC, datetime

from app.common import clock
from tests.helpers import error_code
from tests.referrals.helpers import mark_visited, referral_rows, refusal_rows, set_rules


def test_a_new_member_joining_with_a_code_is_referred_and_counted_for_the_referrer(api, joiner):
    alice_token, alice = joiner("alice")
    _, bob = joiner("bob", alice["referral_code"].lower())  # typed in any case

    assert referral_rows(api.client.application) == {bob["id"]: (alice["id"], "pending")}
    response = api.get("/me/referral", alice_token)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["referral_code"] == alice["referral_code"]
    assert (body["invited_count"], body["pending_count"], body["converted_count"], body["rewarded_count"]) == (
        1,
        1,
        0,
        0,
    )
    assert body["share_path"] == f"pages/index/index?scene={alice['referral_code']}"


def test_the_same_code_presented_again_changes_nothing(app, joiner):
    _, alice = joiner("alice")
    _, bob = joiner("bob", alice["referral_code"])
    joiner("bob", alice["referral_code"])  # every launch from the shared link sends the code again

    assert referral_rows(app) == {bob["id"]: (alice["id"], "pending")}
    assert refusal_rows(app) == []


def test_an_existing_member_who_never_visited_can_still_be_referred(app, joiner):
    _, alice = joiner("alice")
    _, bob = joiner("bob")
    joiner("bob", alice["referral_code"])

    assert referral_rows(app) == {bob["id"]: (alice["id"], "pending")}


def test_unknown_and_own_codes_are_refused_and_recorded(app, joiner):
    _, alice = joiner("alice", "ZZZZZZZZ")
    joiner("alice", alice["referral_code"])
    joiner("alice", "ZZZZZZZZ")  # the same refusal again only counts an attempt

    assert referral_rows(app) == {}
    assert refusal_rows(app) == [(alice["id"], None, "unknown_code", 2), (alice["id"], alice["id"], "self_referral", 1)]


def test_a_member_referred_by_someone_else_is_refused(app, joiner):
    _, alice = joiner("alice")
    _, carol = joiner("carol")
    _, bob = joiner("bob", alice["referral_code"])
    joiner("bob", carol["referral_code"])

    assert referral_rows(app) == {bob["id"]: (alice["id"], "pending")}
    assert refusal_rows(app) == [(bob["id"], carol["id"], "already_referred", 1)]


def test_a_member_who_already_visited_is_refused(app, joiner):
    _, alice = joiner("alice")
    _, bob = joiner("bob")
    mark_visited(app, bob["id"])
    joiner("bob", alice["referral_code"])

    assert referral_rows(app) == {}
    assert refusal_rows(app) == [(bob["id"], alice["id"], "already_visited", 1)]


def test_circular_referrals_are_refused_however_long_the_circle(app, joiner):
    _, alice = joiner("alice")
    _, bob = joiner("bob", alice["referral_code"])
    _, carol = joiner("carol", bob["referral_code"])
    joiner("alice", bob["referral_code"])  # A→B→A
    joiner("alice", carol["referral_code"])  # A→B→C→A

    assert referral_rows(app) == {bob["id"]: (alice["id"], "pending"), carol["id"]: (bob["id"], "pending")}
    assert refusal_rows(app) == [(alice["id"], bob["id"], "circular", 1), (alice["id"], carol["id"], "circular", 1)]


def test_the_monthly_cap_counts_the_merchants_local_month(app, joiner):
    set_rules(app, referral_monthly_cap=2)
    _, alice = joiner("alice")
    code = alice["referral_code"]
    clock.set_now(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 on 1 March in Shanghai
    _, first = joiner("m1", code)
    clock.set_now(datetime(2026, 3, 31, 15, 0, tzinfo=UTC))  # 23:00 on 31 March
    _, second = joiner("m2", code)
    clock.set_now(datetime(2026, 3, 31, 15, 59, tzinfo=UTC))  # 23:59, still March
    _, third = joiner("m3", code)
    clock.set_now(datetime(2026, 3, 31, 16, 0, tzinfo=UTC))  # 00:00 on 1 April
    _, fourth = joiner("m4", code)
    joiner("m3", code)  # in April the third one fits

    referred = referral_rows(app)
    assert set(referred) == {first["id"], second["id"], fourth["id"], third["id"]}
    assert refusal_rows(app) == [(third["id"], alice["id"], "monthly_cap", 1)]


def test_no_cap_when_the_setting_is_cleared(app, joiner):
    set_rules(app, referral_monthly_cap=None)
    _, alice = joiner("alice")
    for n in range(12):
        joiner(f"m{n}", alice["referral_code"])

    assert len(referral_rows(app)) == 12
    assert refusal_rows(app) == []


def test_refusals_are_listed_for_the_back_office_by_reason(api, joiner, staff_tokens):
    _, alice = joiner("alice")
    joiner("bob", "NOPE2345")
    joiner("alice", alice["referral_code"])

    response = api.get("/referrals/refusals?reason=self_referral", staff_tokens["marketing"])
    assert response.status_code == 200, response.json
    assert [(r["member_id"], r["reason"], r["attempts"]) for r in response.json["items"]] == [
        (alice["id"], "self_referral", 1)
    ]
    assert response.json["total"] == 1
    assert api.get("/referrals/refusals", staff_tokens["cashier"]).status_code == 403
    assert error_code(api.get("/referrals/refusals?reason=bogus", staff_tokens["owner"])) == "validation_error"


def test_referral_rules_are_owner_settings(api, staff_tokens):
    response = api.patch(
        "/settings",
        staff_tokens["owner"],
        json={
            "referral_reward_points": 200,
            "referral_min_order_fen": 10000,
            "referral_reward_freeze_days": 14,
            "referral_monthly_cap": 5,
            "referral_share_page": "pages/invite/index",
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["referral_reward_freeze_days"] == 14
    assert response.json["referral_share_page"] == "pages/invite/index"
    bad = api.patch("/settings", staff_tokens["owner"], json={"referral_share_page": "/pages/x?y=1"})
    assert error_code(bad) == "validation_error"
    assert error_code(api.patch("/settings", staff_tokens["owner"], json={"referral_reward_points": 1.5})) == (
        "validation_error"
    )
