"""The car-ready notice (完工提醒/取车通知): queued when staff complete an order, once per order,
sent by the outbox only with the member's grant."""

from datetime import timedelta

from sqlalchemy import select

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.marketing.models import Message, SubscriptionGrant
from app.wechat import fake as fake_wechat
from tests.workorders.conftest import PLATE, open_order


def _status(api, token, order_id, status):
    response = api.post(f"/work-orders/{order_id}/status", token, json={"status": status})
    assert response.status_code == 200, response.json
    return response.json


def _messages(app, kind):
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)).all()
        result = [
            {
                "member_id": m.member_id,
                "template_key": m.template_key,
                "dedupe_key": m.dedupe_key,
                "status": m.status,
                "ref_id": m.ref_id,
                "detail": m.detail,
            }
            for m in rows
        ]
        db.session.rollback()
        return result


def _send(app):
    with app.app_context():
        return run_job("send_outbox")


def _subscribe(api, member, *keys):
    response = api.post("/me/subscriptions", member["token"], json={"template_keys": list(keys)})
    assert response.status_code == 200, response.json


def _order(api, staff_tokens, stores, catalog, plate=PLATE):
    lines = [{"service_item_id": catalog["wash"], "quantity": 1}]
    return open_order(api, staff_tokens["cashier"], stores[0], lines, plate=plate)


def test_completing_an_order_twice_queues_one_car_ready_notice(app, api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    cashier = staff_tokens["cashier"]
    started = _status(api, cashier, order["id"], "in_progress")
    assert started["started_at"] is not None and started["completed_at"] is None
    clock.set_now(clock.now() + timedelta(minutes=40))
    done = _status(api, cashier, order["id"], "completed")
    assert done["completed_at"] is not None and done["started_at"] == started["started_at"]
    back = _status(api, cashier, order["id"], "in_progress")  # the member spotted a scratch
    assert back["completed_at"] is None
    _status(api, cashier, order["id"], "completed")

    queued = _messages(app, "car_ready")
    assert queued == [
        {
            "member_id": member["id"],
            "template_key": "car_ready",
            "dedupe_key": f"car_ready:{member['id']}:{order['id']}",
            "status": "queued",
            "ref_id": order["id"],
            "detail": "2026-03-02 10:40",  # the first completion, merchant-local
        }
    ]
    mine = api.get("/me/work-orders", member["token"]).json["items"][0]
    assert mine["status"] == "completed" and mine["completed_at"] is not None


def test_the_notice_is_sent_with_a_grant(app, api, staff_tokens, stores, catalog, member):
    _subscribe(api, member, "car_ready")
    order = _order(api, staff_tokens, stores, catalog)
    _status(api, staff_tokens["cashier"], order["id"], "completed")
    assert _send(app) == {"sent": 1}

    assert [m["status"] for m in _messages(app, "car_ready")] == ["sent"]
    (pushed,) = fake_wechat.SENT
    assert pushed["template_key"] == "car_ready" and pushed["openid"]
    assert pushed["page"] == f"pages/work-orders/detail?id={order['id']}"
    assert pushed["data"]["car_number1"] == {"value": PLATE}
    assert pushed["data"]["thing2"] == {"value": "南山店"}
    assert pushed["data"]["time3"] == {"value": "2026-03-02 10:00"}
    with app.app_context():
        assert db.session.get(SubscriptionGrant, (member["id"], "car_ready")).remaining == 0
    # Completing again later sends nothing more.
    _status(api, staff_tokens["cashier"], order["id"], "in_progress")
    _status(api, staff_tokens["cashier"], order["id"], "completed")
    assert _send(app) == {}
    assert len(fake_wechat.SENT) == 1


def test_without_a_grant_the_notice_is_skipped(app, api, staff_tokens, stores, catalog, member):
    _subscribe(api, member, "maintenance_due")  # a grant for another template does not count
    order = _order(api, staff_tokens, stores, catalog)
    _status(api, staff_tokens["cashier"], order["id"], "completed")
    assert _send(app) == {"skipped_no_grant": 1}
    assert [m["status"] for m in _messages(app, "car_ready")] == ["skipped_no_grant"]
    assert fake_wechat.SENT == []


def test_a_walk_in_car_has_no_one_to_notify(app, api, staff_tokens, stores, catalog):
    order = _order(api, staff_tokens, stores, catalog, plate="京A99999")
    assert order["member_id"] is None
    _status(api, staff_tokens["cashier"], order["id"], "completed")
    assert _messages(app, "car_ready") == []


def test_a_cancelled_order_sends_no_notice(app, api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    _status(api, staff_tokens["cashier"], order["id"], "cancelled")
    assert _messages(app, "car_ready") == []


def test_extra_work_asks_the_member_once_per_batch_of_lines(app, api, staff_tokens, stores, catalog, member):
    _subscribe(api, member, "extra_work_approval")
    order = _order(api, staff_tokens, stores, catalog)
    cashier = staff_tokens["cashier"]
    _status(api, cashier, order["id"], "in_progress")
    added = api.post(
        f"/work-orders/{order['id']}/lines",
        cashier,
        json={"lines": [{"part_id": catalog["filter"], "quantity": 1}, {"part_id": catalog["oil"], "quantity": 1}]},
    ).json
    (asked,) = _messages(app, "extra_work_approval")
    first_extra = added["lines"][1]["id"]
    assert asked["dedupe_key"] == f"extra_work_approval:{member['id']}:{order['id']}:{first_extra}"
    assert asked["detail"] == "Oil filter、Engine oil 4L" and asked["status"] == "queued"
    assert _send(app) == {"sent": 1}
    # A thing field holds 20 characters: the names are cut to fit rather than refused by WeChat.
    assert fake_wechat.SENT[0]["data"]["thing2"] == {"value": "Oil filter、Engine o…"}
