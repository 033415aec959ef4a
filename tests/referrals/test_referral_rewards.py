"""Rewards over the API: the welcome coupon on joining; the referrer's reward on the new member's
first qualifying paid order, frozen, released by the job, granted once, taken back on refund."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.referrals.models import ReferralReward
from app.referrals.rewards import release_frozen_referral_rewards
from tests.referrals.helpers import add_car, referral_rows, set_rules

T0 = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def fixed_clock():
    clock.set_now(T0)


def release(app, at):
    with app.app_context():
        released = release_frozen_referral_rewards(now=at)
        db.session.commit()
    return released


def rewards(app):
    with app.app_context():
        return [
            (r.referrer_id, r.status, r.points, r.points_not_recovered)
            for r in db.session.scalars(select(ReferralReward).order_by(ReferralReward.id))
        ]


def points_of(api, token):
    response = api.get("/me/wallet", token)
    assert response.status_code == 200, response.json
    return response.json["points"]


def coupons_of(api, token, status="unused"):
    response = api.get(f"/me/coupons?status={status}", token)
    assert response.status_code == 200, response.json
    return [(c["template"]["id"], c["status"]) for c in response.json["items"]]


def first_visit_of_a_friend(api, joiner, shop):
    """alice refers bob, whose first (maintenance, 300 yuan) order is settled in cash."""
    alice_token, alice = joiner("alice")
    bob_token, bob = joiner("bob", alice["referral_code"])
    add_car(api, bob_token, "粤B12345")
    return alice_token, alice, bob, shop.visit("粤B12345")


def test_share_join_visit_reward_end_to_end_and_a_replayed_settle_rewards_once(app, api, joiner, shop):
    welcome = shop.coupon_template("welcome")
    set_rules(
        app,
        referral_welcome_coupon_template_id=welcome,
        referral_reward_points=500,
        referral_min_order_fen=10000,
        referral_reward_freeze_days=3,
    )
    # share
    alice_token, alice = joiner("alice")
    share = api.get("/me/referral", alice_token).json
    assert api.get("/me/referral/qr.png", alice_token).mimetype == "image/png"
    # join: the friend gets the welcome coupon
    bob_token, bob = joiner("bob", share["referral_code"])
    assert coupons_of(api, bob_token) == [(welcome, "unused")]
    # first paid visit, settled, then replayed with the same key and settled again
    add_car(api, bob_token, "粤B12345")
    order = shop.open_order("粤B12345")
    first = shop.settle(order, key="settle-1")
    replay = shop.settle(order, key="settle-1")
    again = shop.settle(order, key="settle-2")
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert again.status_code == 409

    assert referral_rows(app) == {bob["id"]: (alice["id"], "converted")}
    assert rewards(app) == [(alice["id"], "frozen", 500, 0)]
    mine = api.get("/me/referral", alice_token).json
    assert (mine["invited_count"], mine["converted_count"], mine["rewarded_count"]) == (1, 1, 1)
    assert mine["frozen_rewards"] == [
        {"points": 500, "coupon_template_id": None, "releases_at": (T0 + timedelta(days=3)).isoformat()}
    ]
    assert points_of(api, alice_token) == 0  # frozen: nothing to use yet

    assert release(app, T0 + timedelta(days=3) - timedelta(seconds=1)) == 0
    assert release(app, T0 + timedelta(days=3)) == 1
    assert release(app, T0 + timedelta(days=4)) == 0
    assert rewards(app) == [(alice["id"], "released", 500, 0)]
    clock.set_now(T0 + timedelta(days=4))
    assert points_of(api, alice_token) == 500
    assert api.get("/me/referral", alice_token).json["points_earned"] == 500


def test_only_a_paid_order_of_at_least_the_minimum_converts_the_referral(app, api, joiner, shop):
    set_rules(app, referral_reward_points=300, referral_min_order_fen=10000, referral_reward_freeze_days=0)
    alice_token, alice = joiner("alice")
    bob_token, bob = joiner("bob", alice["referral_code"])
    add_car(api, bob_token, "粤B12345")

    shop.visit("粤B12345", item="wash")  # 50 yuan: below the minimum
    assert referral_rows(app) == {bob["id"]: (alice["id"], "pending")}
    order_id = shop.visit("粤B12345")  # 300 yuan
    shop.visit("粤B12345")  # later orders change nothing

    assert referral_rows(app) == {bob["id"]: (alice["id"], "converted")}
    assert rewards(app) == [(alice["id"], "released", 300, 0)]  # no freeze: usable at once
    assert points_of(api, alice_token) == 300
    listed = api.get(f"/referrals?referrer_id={alice['id']}", shop.tokens["marketing"]).json["items"]
    assert [(r["work_order_id"], r["order_paid_fen"]) for r in listed] == [(order_id, 30000)]


def test_a_refund_while_frozen_cancels_the_reward(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=7)
    alice_token, alice, bob, order_id = first_visit_of_a_friend(api, joiner, shop)
    clock.set_now(T0 + timedelta(days=2))
    shop.refund(order_id)

    assert referral_rows(app) == {bob["id"]: (alice["id"], "reversed")}
    assert rewards(app) == [(alice["id"], "cancelled", 500, 0)]
    assert release(app, T0 + timedelta(days=30)) == 0
    assert points_of(api, alice_token) == 0
    # A later paid order does not earn the reward again.
    shop.visit("粤B12345")
    assert rewards(app) == [(alice["id"], "cancelled", 500, 0)]


def test_a_refund_after_release_reverses_the_points_with_a_ledger_entry(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=3)
    alice_token, alice, _, order_id = first_visit_of_a_friend(api, joiner, shop)
    release(app, T0 + timedelta(days=3))
    clock.set_now(T0 + timedelta(days=5))
    shop.refund(order_id)

    assert rewards(app) == [(alice["id"], "reversed", 500, 0)]
    assert points_of(api, alice_token) == 0
    entries = api.get("/me/points/entries", alice_token).json["items"]
    assert [(e["kind"], e["points"]) for e in entries][:2] == [("reversal", -500), ("earn", 500)]


def test_a_reward_already_spent_is_taken_back_as_far_as_it_can_be_and_the_rest_recorded(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=0)
    alice_token, alice, _, order_id = first_visit_of_a_friend(api, joiner, shop)
    add_car(api, alice_token, "粤A54321")
    wash = shop.open_order("粤A54321", item="wash")  # 50 yuan: 300 points pay 3 yuan, 47 yuan in cash
    paid = api.post(
        f"/work-orders/{wash['id']}/settle",
        shop.tokens["cashier"],
        json={"tenders": [{"type": "points", "points": 300}, {"type": "cash", "amount_fen": wash["total_fen"] - 300}]},
    )
    assert paid.status_code == 200, paid.json
    assert points_of(api, alice_token) == 500 - 300 + 47  # 1 point per yuan paid
    shop.refund(order_id)

    # 200 left of the reward and the 47 earned since are taken; 253 were spent and are recorded.
    assert rewards(app) == [(alice["id"], "reversed", 500, 253)]
    assert points_of(api, alice_token) == 0


def test_a_coupon_reward_is_issued_on_release_and_voided_by_a_refund(app, api, joiner, shop):
    gift = shop.coupon_template("thank you", value_fen=5000)
    set_rules(app, referral_reward_coupon_template_id=gift, referral_reward_freeze_days=3)
    alice_token, alice, _, order_id = first_visit_of_a_friend(api, joiner, shop)
    assert coupons_of(api, alice_token) == []
    release(app, T0 + timedelta(days=3))
    clock.set_now(T0 + timedelta(days=3))
    assert coupons_of(api, alice_token) == [(gift, "unused")]
    shop.refund(order_id)

    assert coupons_of(api, alice_token) == []
    assert rewards(app) == [(alice["id"], "reversed", 0, 0)]


def test_the_release_job_is_registered_and_runs_for_a_day(app, api, joiner, shop):
    set_rules(app, referral_reward_points=100, referral_reward_freeze_days=1)
    _, alice, _, _ = first_visit_of_a_friend(api, joiner, shop)
    with app.app_context():
        assert run_job("referral_rewards", day=(T0 + timedelta(days=2)).date()) == {"released": 1}
    assert rewards(app) == [(alice["id"], "released", 100, 0)]


def test_no_reward_configured_still_converts_the_referral(app, api, joiner, shop):
    _, alice, bob, _ = first_visit_of_a_friend(api, joiner, shop)

    assert referral_rows(app) == {bob["id"]: (alice["id"], "converted")}
    assert rewards(app) == []


def test_a_reward_coupon_is_earned_so_the_templates_limit_and_stock_do_not_hold_it_back(app, api, joiner, shop):
    gift = shop.coupon_template("thank you", per_member_limit=1, total_stock=1)
    set_rules(app, referral_reward_coupon_template_id=gift, referral_reward_freeze_days=0)
    alice_token, alice = joiner("alice")
    for name, plate in (("bob", "粤B10001"), ("carol", "粤B10002")):
        token, _ = joiner(name, alice["referral_code"])
        add_car(api, token, plate)
        shop.visit(plate)

    assert [status for _, status, _, _ in rewards(app)] == ["released", "released"]
    assert coupons_of(api, alice_token) == [(gift, "unused"), (gift, "unused")]
