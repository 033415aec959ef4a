"""Rules checked again when the reward would be granted: an account merged by phone binding into
the referrer (same phone) or into a member who had visited before is refused, and recorded."""

from sqlalchemy import select

from app.extensions import db
from app.referrals.models import ReferralReward
from tests.referrals.helpers import referral_rows, refusal_rows, set_rules


def register_at_counter(api, shop, phone, plate):
    response = api.post("/members", shop.tokens["cashier"], json={"phone": phone, "nickname": "老王", "plate": plate})
    assert response.status_code == 201, response.json
    return response.json


def bind_phone(api, token, phone):
    response = api.post("/me/phone", token, json={"code": phone})
    assert response.status_code == 200, response.json
    return response.json


def no_rewards(app):
    with app.app_context():
        return db.session.scalar(select(ReferralReward.id)) is None


def test_a_friend_who_binds_the_referrers_own_phone_is_refused_as_same_phone(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500)
    owner = register_at_counter(api, shop, "13800000001", "粤C11111")
    token, wechat_account = joiner("wang-wechat", owner["referral_code"])
    assert referral_rows(app) == {wechat_account["id"]: (owner["id"], "pending")}

    merged = bind_phone(api, token, "13800000001")  # it is the referrer, on WeChat
    assert merged["id"] == owner["id"]
    shop.visit("粤C11111")

    assert referral_rows(app) == {wechat_account["id"]: (owner["id"], "refused")}
    assert refusal_rows(app) == [(wechat_account["id"], owner["id"], "same_phone", 1)]
    assert no_rewards(app)


def test_a_friend_who_turns_out_to_be_an_earlier_customer_is_refused_as_already_visited(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500)
    _, alice = joiner("alice")
    customer = register_at_counter(api, shop, "13800000002", "粤D22222")
    shop.visit("粤D22222")  # a customer of the shop before anyone referred them
    token, wechat_account = joiner("li-wechat", alice["referral_code"])  # a fresh WeChat account: no visits
    assert referral_rows(app) == {wechat_account["id"]: (alice["id"], "pending")}

    assert bind_phone(api, token, "13800000002")["id"] == customer["id"]
    shop.visit("粤D22222")

    assert referral_rows(app) == {wechat_account["id"]: (alice["id"], "refused")}
    assert refusal_rows(app) == [(wechat_account["id"], alice["id"], "already_visited", 1)]
    assert no_rewards(app)


def test_a_genuinely_new_friend_merged_with_a_counter_registration_is_still_rewarded(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=0)
    _, alice = joiner("alice")
    # The counter registered the friend on their first day, before they opened the mini-program.
    token, wechat_account = joiner("zhao-wechat", alice["referral_code"])
    customer = register_at_counter(api, shop, "13800000003", "粤E33333")
    assert bind_phone(api, token, "13800000003")["id"] == customer["id"]
    shop.visit("粤E33333")

    assert referral_rows(app) == {wechat_account["id"]: (alice["id"], "converted")}
    assert refusal_rows(app) == []
    assert not no_rewards(app)


def test_a_welcome_coupon_out_of_stock_does_not_stop_the_friend_joining(app, api, joiner, shop):
    welcome = shop.coupon_template("welcome", total_stock=1)
    set_rules(app, referral_welcome_coupon_template_id=welcome)
    _, alice = joiner("alice")
    first_token, first = joiner("bob", alice["referral_code"])
    second_token, second = joiner("carol", alice["referral_code"])

    assert referral_rows(app) == {first["id"]: (alice["id"], "pending"), second["id"]: (alice["id"], "pending")}
    assert len(api.get("/me/coupons", first_token).json["items"]) == 1
    assert api.get("/me/coupons", second_token).json["items"] == []


def test_a_referrer_whose_account_was_merged_by_phone_keeps_the_referral_and_the_reward(app, api, joiner, shop):
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=0)
    counter_alice = register_at_counter(api, shop, "13800000004", "粤F44444")
    alice_token, alice_wechat = joiner("alice")
    bob_token, bob = joiner("bob", alice_wechat["referral_code"])
    assert bind_phone(api, alice_token, "13800000004")["id"] == counter_alice["id"]  # alice's WeChat joins her
    joiner("bob", alice_wechat["referral_code"])  # the shared link again: the same referrer, nothing refused
    assert refusal_rows(app) == []
    api.post("/me/vehicles", bob_token, json={"plate": "粤B12345"})
    shop.visit("粤B12345")

    assert referral_rows(app) == {bob["id"]: (alice_wechat["id"], "converted")}
    with app.app_context():
        assert db.session.scalar(select(ReferralReward.referrer_id)) == counter_alice["id"]
    mine = api.get("/me/referral", alice_token).json
    assert (mine["invited_count"], mine["converted_count"], mine["points_earned"]) == (1, 1, 500)
    assert api.get("/me/wallet", alice_token).json["points"] == 500
