"""Members buying package cards and period cards in the mini-program with WeChat Pay (fake mode):
issued only when the payment notice arrives, once however often it arrives, refunded within the
card's terms through WeChat Pay with every ledger exact."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import wechat
from app.cards import period_services
from app.cards.models import PackageCard, PackageCardEntry
from app.cards.period_models import CardPurchase, PeriodCard
from app.common import clock
from app.extensions import db
from app.payments import services as payments
from app.payments.models import PaymentOrder, PaymentRefund
from app.payments.refunds import send_payment_refunds
from tests.cards.period_fixtures import make_period_template, period_tender, sell_period_card, wash_order
from tests.counter_fixtures import catalog, fixed_clock, member  # noqa: F401  (fixtures)
from tests.helpers import error_code, run_concurrently, settle
from tests.ledgers import package_ledger_holds


@pytest.fixture
def period_template(api, staff_tokens, catalog):  # noqa: F811
    return make_period_template(api, staff_tokens["owner"], [catalog["wash"]])


@pytest.fixture
def package_template(api, staff_tokens, catalog):  # noqa: F811
    response = api.post(
        "/package-card-templates",
        staff_tokens["owner"],
        json={
            "name": "洗车10次卡",
            "price_fen": 40000,
            "valid_days": 365,
            "items": [{"service_item_id": catalog["wash"], "count": 10}],
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def buy(api, member, body, key="buy-1"):  # noqa: F811
    response = api.post("/me/card-purchases", member["token"], json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.json
    return response.json


def purchases(api, member):  # noqa: F811
    return api.get("/me/card-purchases", member["token"]).json["items"]


def refund(api, member, purchase_id, key="refund-1"):  # noqa: F811
    return api.post(f"/me/card-purchases/{purchase_id}/refund", member["token"], headers={"Idempotency-Key": key})


def count(app, model, *conditions):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_a_period_card_is_issued_only_when_the_payment_arrives_and_once(app, api, member, period_template):  # noqa: F811
    started = buy(
        api, member, {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]}
    )
    assert started["purchase"]["status"] == "pending" and started["pay_params"]["package"].startswith("prepay_id=")
    assert started["payment"]["amount_fen"] == 30000
    assert count(app, PeriodCard) == 0
    trade_no = started["payment"]["out_trade_no"]
    assert api.post(f"/dev/payments/{trade_no}/confirm").status_code == 200
    assert api.post(f"/dev/payments/{trade_no}/confirm").status_code == 200
    [purchase] = purchases(api, member)
    assert purchase["status"] == "issued" and purchase["period_card_id"] is not None
    [card] = api.get("/me/period-cards", member["token"]).json["items"]
    assert (card["id"], card["paid_via"], card["vehicle_id"]) == (
        purchase["period_card_id"],
        "wechat",
        member["vehicle_id"],
    )
    assert count(app, PeriodCard) == 1


def test_concurrent_notices_of_one_payment_issue_one_card(app, api, member, package_template):  # noqa: F811
    started = buy(api, member, {"kind": "package", "template_id": package_template["id"]})
    trade_no = started["payment"]["out_trade_no"]
    with app.app_context():
        notice = wechat.pay().fake_notice(out_trade_no=trade_no, amount_fen=40000)

    outcomes = run_concurrently(app, lambda i: payments.record_payment_notice(notice), 6)

    assert outcomes == ["ok"] * 6
    assert count(app, PackageCard) == 1
    assert count(app, CardPurchase, CardPurchase.status == "issued") == 1
    with app.app_context():
        card_id = db.session.scalar(select(PackageCard.id))
        assert package_ledger_holds(card_id) == {package_template["items"][0]["service_item_id"]: 10}


def test_a_replayed_purchase_request_opens_one_payment(app, api, member, package_template):  # noqa: F811
    first = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="same")
    again = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="same")
    assert first == again
    assert count(app, PaymentOrder) == 1 and count(app, CardPurchase) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "period", "template_id": 999}, 404, "period_card_template_not_found"),
        ({"kind": "package", "template_id": 999}, 404, "package_card_template_not_found"),
        ({"kind": "period", "template_id": "{period}"}, 422, "vehicle_required"),
        ({"kind": "package", "template_id": "{package}", "vehicle_id": 1}, 422, "vehicle_not_applicable"),
    ],
)
def test_bad_purchases_are_refused_and_write_nothing(
    app,
    api,
    member,
    period_template,
    package_template,
    body,
    status,
    code,  # noqa: F811
):
    ids = {"{period}": period_template["id"], "{package}": package_template["id"]}
    body = {**body, "template_id": ids.get(body["template_id"], body["template_id"])}
    response = api.post("/me/card-purchases", member["token"], json=body, headers={"Idempotency-Key": "x"})
    assert (response.status_code, error_code(response)) == (status, code)
    assert count(app, CardPurchase) == 0 and count(app, PaymentOrder) == 0


def test_an_unused_period_card_is_refunded_through_wechat_pay(app, api, staff_tokens, member, period_template):  # noqa: F811
    started = buy(
        api, member, {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]}
    )
    api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm")
    purchase_id = started["purchase"]["id"]
    assert api.get("/stats/overview", staff_tokens["owner"]).json["liabilities"]["period_cards_unearned_fen"] > 0
    response = refund(api, member, purchase_id)
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["refund_status"]) == ("refunded", "pending")
    assert refund(api, member, purchase_id, key="refund-2").json["status"] == "refunded"  # once
    assert count(app, PaymentRefund) == 1
    assert api.get("/me/period-cards?include_expired=true", member["token"]).json["items"][0]["status"] == "refunded"
    assert api.get("/stats/overview", staff_tokens["owner"]).json["liabilities"]["period_cards_unearned_fen"] == 0
    with app.app_context():
        send_payment_refunds(now=clock.now())
        db.session.commit()
        [row] = db.session.scalars(select(PaymentRefund)).all()
        assert (row.status, row.amount_fen) == ("succeeded", 30000)
    assert purchases(api, member)[0]["refund_status"] == "succeeded"


def test_a_used_period_card_is_not_refunded_but_a_use_given_back_counts_as_unused(
    app,
    api,
    staff_tokens,
    stores,
    catalog,
    member,
    period_template,  # noqa: F811
):
    started = buy(
        api, member, {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]}
    )
    api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm")
    card_id = purchases(api, member)[0]["period_card_id"]
    order = wash_order(api, staff_tokens["cashier"], stores[0], catalog["wash"])
    assert (
        settle(api, staff_tokens["cashier"], order["id"], [period_tender(card_id, catalog["wash"])]).status_code == 200
    )
    refused = refund(api, member, started["purchase"]["id"])
    assert (refused.status_code, error_code(refused)) == (409, "card_not_refundable")
    assert refused.json["error"]["details"]["reason"] == "used"
    assert (
        api.post(f"/work-orders/{order['id']}/refund", staff_tokens["owner"], json={"reason": "x"}).status_code == 200
    )
    assert refund(api, member, started["purchase"]["id"], key="refund-2").status_code == 200


def test_a_package_card_refund_writes_off_its_units_and_the_ledger_sums(app, api, member, package_template):  # noqa: F811
    started = buy(api, member, {"kind": "package", "template_id": package_template["id"]})
    api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm")
    card_id = purchases(api, member)[0]["package_card_id"]
    assert refund(api, member, started["purchase"]["id"]).status_code == 200
    with app.app_context():
        assert set(package_ledger_holds(card_id).values()) == {0}
        kinds = db.session.execute(
            select(PackageCardEntry.kind, PackageCardEntry.delta).where(PackageCardEntry.card_id == card_id)
        ).all()
        assert sorted(kinds) == [("refund", -10), ("sale", 10)]
    [card] = api.get("/me/cards?include_expired=true", member["token"]).json["package_cards"]
    assert card["status"] == "refunded"


def test_a_used_package_card_or_one_past_the_terms_is_not_refunded(
    app,
    api,
    staff_tokens,
    stores,
    catalog,
    member,
    package_template,  # noqa: F811
):
    first = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="a")
    api.post(f"/dev/payments/{first['payment']['out_trade_no']}/confirm")
    card_id = purchases(api, member)[0]["package_card_id"]
    order = wash_order(api, staff_tokens["cashier"], stores[0], catalog["wash"])
    tender = {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]}
    assert settle(api, staff_tokens["cashier"], order["id"], [tender]).status_code == 200
    refused = refund(api, member, first["purchase"]["id"])
    assert (refused.status_code, refused.json["error"]["details"]["reason"]) == (409, "used")

    second = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="b")
    api.post(f"/dev/payments/{second['payment']['out_trade_no']}/confirm")
    clock.set_now(clock.now() + timedelta(days=7))
    with app.app_context():
        from app.cards import purchase_services
        from app.common.errors import Conflict

        with pytest.raises(Conflict) as refused:
            purchase_services.refund_purchase(purchase_id=second["purchase"]["id"])
        assert refused.value.details["reason"] == "too_late"
        db.session.rollback()


def test_a_template_withdrawn_before_the_money_arrives_refunds_the_payment(
    app, api, staff_tokens, member, period_template
):  # noqa: F811
    started = buy(
        api, member, {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]}
    )
    api.patch(f"/period-card-templates/{period_template['id']}", staff_tokens["owner"], json={"is_active": False})
    assert api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm").status_code == 200
    [purchase] = purchases(api, member)
    assert (purchase["status"], purchase["period_card_id"], purchase["refund_status"]) == ("refunded", None, "pending")
    assert count(app, PeriodCard) == 0


def test_a_lapsed_payment_closes_the_purchase_and_a_late_success_still_issues(app, api, member, package_template):  # noqa: F811
    started = buy(api, member, {"kind": "package", "template_id": package_template["id"]})
    clock.set_now(clock.now() + timedelta(minutes=31))
    with app.app_context():
        assert payments.close_expired_payments(now=clock.now()) == 1
        db.session.commit()
    assert purchases(api, member)[0]["status"] == "closed"
    assert api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm").status_code == 200
    assert purchases(api, member)[0]["status"] == "issued"
    assert count(app, PackageCard) == 1


def test_period_card_ledger_after_purchase_refund_is_empty(app, api, member, period_template):  # noqa: F811
    started = buy(
        api, member, {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]}
    )
    api.post(f"/dev/payments/{started['payment']['out_trade_no']}/confirm")
    refund(api, member, started["purchase"]["id"])
    with app.app_context():
        card = db.session.get(PeriodCard, purchases(api, member)[0]["period_card_id"])
        assert (card.status, card.uses) == ("refunded", 0)
        assert period_services.unearned_fen() == 0


def test_the_owners_card_sales_count_cards_sold_and_leave_out_cards_refunded(
    app,
    api,
    staff_tokens,
    stores,
    member,
    package_template,
    period_template,  # noqa: F811
):
    def card_sales():
        prepaid = api.get("/stats/overview", staff_tokens["owner"]).json["prepaid"]
        return {
            kind: (prepaid[kind]["sold_fen"], prepaid[kind]["by_paid_via"])
            for kind in ("package_cards", "period_cards")
        }

    none = {"cash": 0, "wechat": 0, "alipay": 0, "card": 0}
    assert card_sales() == {"package_cards": (0, none), "period_cards": (0, none)}
    sell_period_card(api, staff_tokens["cashier"], member, period_template["id"], stores[0])
    package = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="a")
    api.post(f"/dev/payments/{package['payment']['out_trade_no']}/confirm")
    period = buy(
        api,
        member,
        {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]},
        key="b",
    )
    api.post(f"/dev/payments/{period['payment']['out_trade_no']}/confirm")
    assert card_sales() == {
        "package_cards": (40000, {**none, "wechat": 40000}),
        "period_cards": (60000, {**none, "cash": 30000, "wechat": 30000}),
    }

    # Refunded in the mini-program: no longer a sale, of either kind.
    assert refund(api, member, package["purchase"]["id"], key="refund-a").status_code == 200
    assert refund(api, member, period["purchase"]["id"], key="refund-b").status_code == 200
    assert card_sales() == {"package_cards": (0, none), "period_cards": (30000, {**none, "cash": 30000})}


def test_staff_see_a_members_purchases_with_the_card_name_and_the_refund_state(
    app, api, staff_tokens, member, package_template, period_template
):  # noqa: F811
    package = buy(api, member, {"kind": "package", "template_id": package_template["id"]}, key="a")
    api.post(f"/dev/payments/{package['payment']['out_trade_no']}/confirm")
    assert refund(api, member, package["purchase"]["id"]).status_code == 200
    buy(
        api,
        member,
        {"kind": "period", "template_id": period_template["id"], "vehicle_id": member["vehicle_id"]},
        key="b",
    )

    seen = api.get(f"/members/{member['id']}/card-purchases", staff_tokens["cashier"])
    assert seen.status_code == 200, seen.json
    assert [
        (p["kind"], p["template_name"], p["amount_fen"], p["status"], p["refund_status"]) for p in seen.json["items"]
    ] == [("period", "洗车月卡", 30000, "pending", None), ("package", "洗车10次卡", 40000, "refunded", "pending")]
    assert seen.json["items"] == purchases(api, member)  # what the member sees, the same
    missing = api.get("/members/999999/card-purchases", staff_tokens["cashier"])
    assert (missing.status_code, error_code(missing)) == (404, "member_not_found")
    assert api.get(f"/members/{member['id']}/card-purchases", member["token"]).status_code == 403
