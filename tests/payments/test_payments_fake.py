"""WeChat Pay top-ups in fake mode: the order, the development confirm endpoint, lapsed orders."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.common import clock
from app.common.errors import Conflict, Unprocessable
from app.extensions import db
from app.payments import services as payments
from app.payments.models import PaymentOrder
from app.wallet.models import WalletEntry
from app.wechat import PaymentNotice
from tests.helpers import Api, error_code


def _wallet_entries():
    return db.session.scalars(select(WalletEntry).order_by(WalletEntry.id)).all()


@pytest.fixture
def plan(api, staff_tokens):
    response = api.post(
        "/topup-plans", staff_tokens["owner"], json={"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000}
    )
    assert response.status_code == 201
    return response.json


def test_me_topups_returns_pay_params_and_credits_nothing_yet(app, api, member_login, plan):
    token, _ = member_login("alice")
    response = api.post("/me/topups", token, json={"plan_id": plan["id"]})
    assert response.status_code == 201, response.json
    payment, params = response.json["payment"], response.json["pay_params"]
    assert (payment["amount_fen"], payment["status"], payment["purpose"]) == (50000, "pending", "topup")
    assert 6 <= len(payment["out_trade_no"]) <= 32
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    assert api.get("/me/wallet", token).json["balance_fen"] == 0
    polled = api.get(f"/me/payments/{payment['out_trade_no']}", token)
    assert polled.status_code == 200 and polled.json["status"] == "pending"
    other, _ = member_login("bob")
    assert api.get(f"/me/payments/{payment['out_trade_no']}", other).status_code == 404


def test_a_replayed_confirm_credits_once_with_the_plans_bonus(app, api, member_login, plan):
    token, _ = member_login("alice")
    trade_no = api.post("/me/topups", token, json={"amount_fen": 50000}).json["payment"]["out_trade_no"]
    first = api.post(f"/dev/payments/{trade_no}/confirm")
    again = api.post(f"/dev/payments/{trade_no}/confirm")
    assert first.status_code == again.status_code == 200, first.json
    assert first.json["payment"]["status"] == "paid"
    wallet = api.get("/me/wallet", token).json
    assert (wallet["principal_fen"], wallet["bonus_fen"]) == (50000, 5000)
    with app.app_context():
        [entry] = _wallet_entries()
        order = db.session.scalar(select(PaymentOrder))
        assert (entry.ref_type, entry.ref_id, entry.paid_via) == ("payment_order", order.id, "wechat")
        assert order.transaction_id and order.paid_at is not None
    assert api.get(f"/me/payments/{trade_no}", token).json["status"] == "paid"


def test_the_plan_seen_at_checkout_is_honoured_after_it_is_withdrawn(api, staff_tokens, member_login, plan):
    token, _ = member_login("alice")
    trade_no = api.post("/me/topups", token, json={"plan_id": plan["id"]}).json["payment"]["out_trade_no"]
    api.patch(f"/topup-plans/{plan['id']}", staff_tokens["owner"], json={"is_active": False})
    assert api.post(f"/dev/payments/{trade_no}/confirm").status_code == 200
    assert api.get("/me/wallet", token).json["bonus_fen"] == 5000


def test_a_replayed_me_topup_opens_one_order(app, api, member_login):
    token, _ = member_login("alice")
    headers = {"Idempotency-Key": "pay-1"}
    first = api.post("/me/topups", token, json={"amount_fen": 1000}, headers=headers)
    again = api.post("/me/topups", token, json={"amount_fen": 1000}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    with app.app_context():
        assert len(db.session.scalars(select(PaymentOrder)).all()) == 1


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "validation_error"),
        ({"amount_fen": -1}, "validation_error"),
        ({"amount_fen": 0}, "validation_error"),
        ({"amount_fen": 10.5}, "validation_error"),
        ({"plan_id": 999}, "topup_plan_not_found"),
        ({"plan_id": "PLAN", "amount_fen": 1}, "amount_does_not_match_plan"),
    ],
)
def test_bad_me_topups_are_refused_and_write_nothing(app, api, member_login, plan, body, code):
    token, _ = member_login("alice")
    if body.get("plan_id") == "PLAN":
        body = {**body, "plan_id": plan["id"]}
    response = api.post("/me/topups", token, json=body)
    assert response.status_code == 422 and error_code(response) == code
    with app.app_context():
        assert db.session.scalars(select(PaymentOrder)).all() == []


def test_a_counter_registered_member_without_wechat_cannot_pay_online(app, member_login):
    from tests.factories import new_member

    member_id = new_member(app)
    with app.app_context():
        with pytest.raises(Conflict) as caught:
            payments.create_wechat_payment(
                member_id=member_id, purpose="topup", purpose_ref_id=None, amount_fen=100, description="x"
            )
        assert caught.value.code == "wechat_not_bound"
        with pytest.raises(Unprocessable):
            payments.create_wechat_payment(
                member_id=member_id, purpose="nothing", purpose_ref_id=None, amount_fen=100, description="x"
            )


def test_a_notice_with_another_amount_is_refused_and_credits_nothing(app, api, member_login):
    token, _ = member_login("alice")
    trade_no = api.post("/me/topups", token, json={"amount_fen": 1000}).json["payment"]["out_trade_no"]
    with app.app_context():
        with pytest.raises(Unprocessable) as caught:
            payments.record_payment_notice(
                PaymentNotice(transaction_id="T-1", out_trade_no=trade_no, trade_state="SUCCESS", amount_fen=999)
            )
        assert caught.value.code == "amount_mismatch"
        db.session.rollback()
        assert _wallet_entries() == []
        failed = payments.record_payment_notice(
            PaymentNotice(transaction_id="T-1", out_trade_no=trade_no, trade_state="PAYERROR", amount_fen=1000)
        )
        assert failed.status == "pending" and _wallet_entries() == []
        payments.record_payment_notice(
            PaymentNotice(transaction_id="T-1", out_trade_no=trade_no, trade_state="SUCCESS", amount_fen=1000)
        )
        with pytest.raises(Conflict) as other:
            payments.record_payment_notice(
                PaymentNotice(transaction_id="T-2", out_trade_no=trade_no, trade_state="SUCCESS", amount_fen=1000)
            )
        assert other.value.code == "payment_already_paid"
        assert len(_wallet_entries()) == 1


def test_fake_mode_takes_no_notifications(app, api, member_login):
    token, _ = member_login("alice")
    trade_no = api.post("/me/topups", token, json={"amount_fen": 1000}).json["payment"]["out_trade_no"]
    response = api.post("/payments/wechat/notify", json={"out_trade_no": trade_no})
    assert response.status_code == 401 and response.json["code"] == "FAIL"
    with app.app_context():
        assert _wallet_entries() == []


def test_the_confirm_endpoint_is_404_unless_development_and_fake(database_url):
    for overrides in ({"DEV_ENDPOINTS": False}, {"DEV_ENDPOINTS": True, "WECHAT_MODE": "live"}):
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        response = Api(app.test_client()).post("/dev/payments/PS123456/confirm")
        assert response.status_code == 404
        with app.app_context():
            db.engine.dispose()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    assert Api(app.test_client()).post("/dev/payments/NOSUCHORDER/confirm").status_code == 404
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def closed_calls():
    calls = []
    payments.register_payment_purpose(
        "test_purpose", lambda order, notice: None, lambda order: calls.append(order.out_trade_no)
    )
    yield calls
    payments._purposes.pop("test_purpose")


def test_lapsed_orders_close_once_and_a_late_payment_still_credits(app, api, member_login, closed_calls):
    token, _ = member_login("alice")
    trade_no = api.post("/me/topups", token, json={"amount_fen": 1000}).json["payment"]["out_trade_no"]
    with app.app_context():
        member_id = db.session.scalar(select(PaymentOrder.member_id))
        other, _ = payments.create_wechat_payment(
            member_id=member_id, purpose="test_purpose", purpose_ref_id=7, amount_fen=300, description="test"
        )
        other_no = other.out_trade_no
        db.session.commit()
        later = clock.now() + timedelta(minutes=29)
        assert payments.close_expired_payments(now=later) == 0
        later = clock.now() + timedelta(minutes=31)
        assert payments.close_expired_payments(now=later) == 2
        assert payments.close_expired_payments(now=later) == 0
        db.session.commit()
    assert closed_calls == [other_no]
    assert api.get(f"/me/payments/{trade_no}", token).json["status"] == "closed"
    # The member paid just before the close reached WeChat: the money moved, so it credits.
    assert api.post(f"/dev/payments/{trade_no}/confirm").json["payment"]["status"] == "paid"
    assert api.get("/me/wallet", token).json["balance_fen"] == 1000
