"""Helpers of the referrals tests (the fixtures are in this package's conftest)."""

from sqlalchemy import select, update

from app.extensions import db
from app.members.models import Member
from app.merchant.services import update_settings
from app.referrals.models import Referral, ReferralRefusal


def join(api, code, referral_code=None):
    """Log in through the API (a first login creates the member), presenting a referral code."""
    body = {"code": code}
    if referral_code is not None:
        body["referral_code"] = referral_code
    response = api.post("/auth/wechat/login", json=body)
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


def set_rules(app, **values):
    with app.app_context():
        update_settings(changes=values)
        db.session.commit()


def referral_rows(app):
    """{referred member id: (referrer id, status)} of every referral."""
    with app.app_context():
        return {r.referred_id: (r.referrer_id, r.status) for r in db.session.scalars(select(Referral))}


def refusal_rows(app):
    """[(member id, referrer id, reason, attempts)] of every recorded refusal, in order."""
    with app.app_context():
        rows = db.session.scalars(select(ReferralRefusal).order_by(ReferralRefusal.id))
        return [(r.member_id, r.referrer_id, r.reason, r.attempts) for r in rows]


def mark_visited(app, member_id):
    with app.app_context():
        db.session.execute(update(Member).where(Member.id == member_id).values(paid_visit_count=1))
        db.session.commit()


class Shop:
    """The counter and back office over the API: service items, coupon templates, visits, refunds."""

    def __init__(self, api, tokens, store_id):
        self.api, self.tokens, self.store_id = api, tokens, store_id
        self.items = {
            name: self._item(name, category, price)
            for name, category, price in (("wash", "wash", 5000), ("maintenance", "maintenance", 30000))
        }

    def _item(self, name, category, price_fen):
        response = self.api.post(
            "/service-items",
            self.tokens["marketing"],
            json={"name": name, "category": category, "price_fen": price_fen},
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    def coupon_template(self, name, value_fen=2000, **fields):
        body = {
            "name": name,
            "kind": "cash_off",
            "value_fen": value_fen,
            "valid_days": 30,
            "claimable": False,
            **fields,
        }
        response = self.api.post("/coupon-templates", self.tokens["marketing"], json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def open_order(self, plate, item="maintenance"):
        response = self.api.post(
            "/work-orders",
            self.tokens["cashier"],
            json={
                "store_id": self.store_id,
                "plate": plate,
                "lines": [{"service_item_id": self.items[item], "quantity": 1}],
            },
        )
        assert response.status_code == 201, response.json
        return response.json

    def settle(self, order, key=None):
        headers = {"Idempotency-Key": key} if key else None
        return self.api.post(
            f"/work-orders/{order['id']}/settle",
            self.tokens["cashier"],
            headers=headers,
            json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
        )

    def visit(self, plate, item="maintenance"):
        """Open and settle (in cash) an order for the car; returns the work order id."""
        order = self.open_order(plate, item)
        response = self.settle(order, key=f"settle-{order['id']}")
        assert response.status_code == 200, response.json
        return order["id"]

    def refund(self, work_order_id):
        response = self.api.post(
            f"/work-orders/{work_order_id}/refund",
            self.tokens["owner"],
            headers={"Idempotency-Key": f"refund-{work_order_id}"},
            json={"reason": "complaint"},
        )
        assert response.status_code == 200, response.json
        return response.json


def add_car(api, token, plate):
    response = api.post("/me/vehicles", token, json={"plate": plate})
    assert response.status_code == 201, response.json
