"""An Idempotency-Key replay is judged by the parsed body: the same JSON with its keys in another
order or other whitespace is the same request (before, it was refused as a reused key)."""

from tests.conftest import error_code


def _topup(api, token, member_id, body, key="topup-1"):
    return api.call(
        "POST",
        f"/members/{member_id}/topups",
        token,
        data=body,
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_the_same_body_with_keys_in_another_order_is_a_replay(api, staff_tokens, member_login):
    _, member = member_login("replay")
    first = _topup(api, staff_tokens["cashier"], member["id"], '{"amount_fen": 10000, "paid_via": "cash"}')
    assert first.status_code == 201, first.json
    again = _topup(api, staff_tokens["cashier"], member["id"], '{ "paid_via" : "cash",\n "amount_fen" : 10000 }')
    assert again.status_code == 201, again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json


def test_a_different_body_under_the_same_key_is_refused(api, staff_tokens, member_login):
    _, member = member_login("reused")
    assert (
        _topup(api, staff_tokens["cashier"], member["id"], '{"amount_fen": 10000, "paid_via": "cash"}').status_code
        == 201
    )
    other = _topup(api, staff_tokens["cashier"], member["id"], '{"paid_via": "cash", "amount_fen": 20000}')
    assert other.status_code == 409
    assert error_code(other) == "idempotency_key_reused"
