"""Concurrent requests (real threads, separate connections): the monthly cap and the one reward
per referral hold. PostgreSQL only; SQLite serialises every write transaction anyway."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.referrals.models import ReferralReward
from tests.helpers import ON_POSTGRES, Api, run_together
from tests.referrals.helpers import Shop, add_car, referral_rows, refusal_rows, set_rules

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")]


def test_concurrent_friends_joining_never_exceed_the_monthly_cap(app, joiner):
    set_rules(app, referral_monthly_cap=3)
    _, alice = joiner("alice")

    def join(name):
        return lambda: (
            Api(app.test_client())
            .post("/auth/wechat/login", json={"code": name, "referral_code": alice["referral_code"]})
            .status_code
        )

    statuses = run_together(*(join(f"friend-{n}") for n in range(8)))

    assert statuses == [200] * 8
    assert len(referral_rows(app)) == 3
    assert sorted(reason for _, _, reason, _ in refusal_rows(app)) == ["monthly_cap"] * 5


def test_two_orders_settled_at_once_reward_the_referrer_once(app, api, joiner, staff_tokens, stores):
    shop = Shop(api, staff_tokens, stores[0])
    set_rules(app, referral_reward_points=500, referral_reward_freeze_days=0)
    _, alice = joiner("alice")
    bob_token, bob = joiner("bob", alice["referral_code"])
    add_car(api, bob_token, "粤B10001")
    add_car(api, bob_token, "粤B10002")
    orders = [shop.open_order("粤B10001"), shop.open_order("粤B10002")]

    def settle(order):
        return lambda: (
            Api(app.test_client())
            .post(
                f"/work-orders/{order['id']}/settle",
                staff_tokens["cashier"],
                json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
            )
            .status_code
        )

    assert run_together(*(settle(order) for order in orders)) == [200, 200]
    assert referral_rows(app) == {bob["id"]: (alice["id"], "converted")}
    with app.app_context():
        assert db.session.scalar(select(func.count(ReferralReward.id))) == 1
