"""The marketing view: referrals per member, top referrers, repeat purchases; lists without N+1."""

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from app.common import clock
from app.extensions import db
from tests.helpers import error_code
from tests.referrals.helpers import add_car, set_rules

T0 = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    clock.set_now(T0)


@contextmanager
def counted_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def referred_friends(api, joiner, referrer, names, plates=()):
    """Friends joining with the referrer's code; the first ones get the given cars."""
    friends = []
    for n, name in enumerate(names):
        token, member = joiner(name, referrer["referral_code"])
        if n < len(plates):
            add_car(api, token, plates[n])
        friends.append(member)
    return friends


def test_stats_count_per_referrer_top_referrers_and_repeat_purchases(app, api, joiner, shop):
    set_rules(app, referral_reward_points=100, referral_reward_freeze_days=0)
    _, alice = joiner("alice")
    _, dave = joiner("dave")
    referred_friends(api, joiner, alice, ["bob", "carol"], plates=["粤B10001"])
    referred_friends(api, joiner, dave, ["erin", "frank", "gina"], plates=["粤B20001", "粤B20002"])
    joiner("alice", dave["referral_code"])  # a referrer may be referred too while they never visited
    shop.visit("粤B10001")
    shop.visit("粤B10001")
    shop.visit("粤B10001")  # bob: 2 repeat visits
    shop.visit("粤B20001")
    refunded = shop.visit("粤B20002")
    shop.refund(refunded)
    joiner("bob", "NOPE2345")  # a refusal

    response = api.get("/referrals/stats", shop.tokens["marketing"])
    assert response.status_code == 200, response.json
    stats = response.json
    assert (stats["invited"], stats["pending"], stats["converted"], stats["reversed"], stats["rewarded"]) == (
        6,
        3,
        2,
        1,
        2,
    )
    assert stats["reward_points_released"] == 200
    assert stats["refusals"] == {"unknown_code": {"count": 1, "attempts": 1}}
    top = [
        (r["member_id"], r["invited"], r["converted"], r["rewarded"], r["repeat_visits"])
        for r in stats["top_referrers"]
    ]
    assert top == [(dave["id"], 4, 1, 1, 0), (alice["id"], 2, 1, 1, 2)]  # tied on conversions: more invited first
    assert stats["repeat_purchases"] == {
        "referred_members": 6,
        "with_paid_visit": 2,
        "with_repeat_visit": 1,
        "repeat_visits": 2,
        "repeat_rate_percent": 50,
        "paid_fen": 4 * 30000,
    }


def test_referrers_are_ranked_by_conversions_then_invitations_and_paginated(app, api, joiner, shop):
    _, alice = joiner("alice")
    _, dave = joiner("dave")
    _, gus = joiner("gus")
    referred_friends(api, joiner, alice, ["a1"], plates=["粤B10001"])
    referred_friends(api, joiner, dave, ["d1", "d2", "d3"])
    referred_friends(api, joiner, gus, ["g1", "g2"])
    shop.visit("粤B10001")

    first = api.get("/referrals/referrers?per_page=2", shop.tokens["owner"]).json
    second = api.get("/referrals/referrers?per_page=2&page=2", shop.tokens["owner"]).json
    assert first["total"] == second["total"] == 3
    assert [r["member_id"] for r in first["items"] + second["items"]] == [alice["id"], dave["id"], gus["id"]]
    assert first["items"][0]["referral_code"] == alice["referral_code"]


def test_a_period_selects_referrals_by_the_local_day_they_were_made(app, api, joiner, shop):
    _, alice = joiner("alice")
    clock.set_now(datetime(2026, 5, 10, 15, 59, tzinfo=UTC))  # 23:59 on 10 May in Shanghai
    joiner("bob", alice["referral_code"])
    clock.set_now(datetime(2026, 5, 10, 16, 0, tzinfo=UTC))  # 00:00 on 11 May
    joiner("carol", alice["referral_code"])

    def invited(query):
        response = api.get(f"/referrals/stats?{query}", shop.tokens["owner"])
        assert response.status_code == 200, response.json
        return response.json["invited"]

    assert invited("from=2026-05-10&to=2026-05-10") == 1
    assert invited("from=2026-05-11") == 1
    assert invited("") == 2
    assert error_code(api.get("/referrals/stats?from=2026-05-11&to=2026-05-10", shop.tokens["owner"])) == (
        "invalid_period"
    )


def test_the_referral_list_filters_and_loads_without_a_query_per_row(app, api, joiner, shop):
    _, alice = joiner("alice")
    _, dave = joiner("dave")
    referred_friends(api, joiner, alice, ["bob", "carol"], plates=["粤B10001"])
    shop.visit("粤B10001")
    with counted_queries(app) as few:
        small = api.get("/referrals", shop.tokens["marketing"])
    referred_friends(api, joiner, dave, ["d1", "d2", "d3", "d4", "d5"])
    with counted_queries(app) as many:
        large = api.get("/referrals", shop.tokens["marketing"])

    assert small.json["total"] == 2 and large.json["total"] == 7
    assert len(many) == len(few)
    converted = api.get("/referrals?status=converted", shop.tokens["marketing"]).json["items"]
    assert [(r["referrer"]["id"], r["referred"]["nickname"], r["status"]) for r in converted] == [
        (alice["id"], None, "converted")
    ]
    by_dave = api.get(f"/referrals?referrer_id={dave['id']}&per_page=2", shop.tokens["marketing"]).json
    assert (by_dave["total"], len(by_dave["items"])) == (5, 2)
    assert api.get("/referrals", shop.tokens["cashier"]).status_code == 403


def test_members_see_only_their_own_referrals(api, joiner, staff_tokens):
    token, alice = joiner("alice")
    joiner("bob", alice["referral_code"])
    bob_token, _ = joiner("bob")

    assert api.get("/me/referral", bob_token).json["invited_count"] == 0
    assert api.get("/me/referral", token).json["invited_count"] == 1
    assert api.get("/me/referral", staff_tokens["owner"]).status_code == 403
    assert api.get("/referrals/stats", token).status_code == 403
