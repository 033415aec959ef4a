"""The last unit of a reward under real concurrent redemptions (threads released by a barrier, each
with its own connection): never oversold, points never taken twice. SQLite and PostgreSQL alike."""

from functools import partial

from sqlalchemy import func, select

from app.extensions import db
from app.rewards.models import ExchangeRedemption, ExchangeReward
from app.wallet.models import PointsEntry
from app.wallet.points import live_points
from tests.factories import give_points
from tests.helpers import Api, login_member, run_together


def _reward(api, token, catalog, **fields):
    body = {"name": "最后一件", "kind": "part", "part_id": catalog["part"], "points_price": 300, **fields}
    response = api.post("/exchange-rewards", token, json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _redeem(app, token, reward_id, key=None):
    headers = {"Idempotency-Key": key} if key else None
    response = Api(app.test_client()).call(
        "POST", "/me/exchange-redemptions", token, json={"reward_id": reward_id}, headers=headers
    )
    body = response.get_json()
    return response.status_code, body["error"]["code"] if response.status_code >= 400 else None


def test_twelve_members_racing_for_the_last_two_units_get_exactly_two(app, api, staff_tokens, catalog):
    reward_id = _reward(api, staff_tokens["owner"], catalog, total_stock=2)
    members = [login_member(api, f"racer-{index}") for index in range(12)]
    for _, member in members:
        give_points(app, member["id"], 300)

    outcomes = run_together(*(partial(_redeem, app, token, reward_id) for token, _ in members))

    assert outcomes.count((201, None)) == 2, outcomes
    assert outcomes.count((409, "exchange_reward_out_of_stock")) == 10, outcomes
    with app.app_context():
        assert db.session.get(ExchangeReward, reward_id).redeemed_count == 2
        winners = db.session.scalars(select(ExchangeRedemption.member_id)).all()
        assert len(winners) == 2
        for _, member in members:
            expected = 0 if member["id"] in winners else 300
            assert live_points(member_id=member["id"]) == expected


def test_one_member_racing_with_one_key_pays_once(app, api, staff_tokens, catalog):
    reward_id = _reward(api, staff_tokens["owner"], catalog)
    token, member = login_member(api, "double-tap")
    give_points(app, member["id"], 1000)

    outcomes = run_together(*(partial(_redeem, app, token, reward_id, "same-key") for _ in range(6)))

    assert all(status == 201 or code == "idempotency_in_progress" for status, code in outcomes), outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangeRedemption)) == 1
        redeems = db.session.scalar(select(func.count()).where(PointsEntry.kind == "redeem"))
        assert redeems == 1
        assert live_points(member_id=member["id"]) == 700


def test_one_member_racing_for_more_than_the_points_cover_never_goes_below_zero(app, api, staff_tokens, catalog):
    reward_id = _reward(api, staff_tokens["owner"], catalog)
    token, member = login_member(api, "greedy")
    give_points(app, member["id"], 700)

    outcomes = run_together(*(partial(_redeem, app, token, reward_id) for _ in range(6)))

    assert outcomes.count((201, None)) == 2, outcomes
    assert outcomes.count((409, "insufficient_points")) == 4, outcomes
    with app.app_context():
        assert live_points(member_id=member["id"]) == 100
        assert db.session.get(ExchangeReward, reward_id).redeemed_count == 2
