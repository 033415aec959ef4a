"""One realistic data set for the access-control and mass-assignment tests, built once per module.

Two members (A and B) and the four staff accounts of tests/conftest.py. Member A owns one of
everything a member can own (vehicle, booking, coupon, package card, payment order, work order)
and the store-scoped things (A's booking, A's work order, a call-list entry) live in store 2, so
the cashier of store 1 probing them is an outsider and the cashier of store 2 is at home.

The clock is pinned to Monday 2026-11-30 10:00 (+08:00); A's booking is the next day at 10:00.
"""

import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from app import create_app
from app.care.models import Complaint, Rating
from app.common import clock
from app.extensions import db
from tests.helpers import ON_POSTGRES, Api, empty_tables

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
BOOKING_START = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
RESCHEDULE_START = datetime(2026, 12, 1, 14, 0, tzinfo=SHANGHAI)
WEEK_HOURS = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PLATE_A = "粤B1A001"
PLATE_B = "粤B2B002"
PASSWORD = "password-123"
STAFF = {
    "owner": ("owner", (1, 2)),
    "marketing": ("marketing", (1, 2)),
    "cashier": ("cashier", (1,)),
    "cashier2": ("cashier", (2,)),
    "advisor2": ("advisor", (2,)),
    "technician2": ("technician", (2,)),
}


@dataclass
class World:
    app: object
    api: Api
    url: str = ""
    tokens: dict = field(default_factory=dict)  # actor name -> bearer token (anonymous: None)
    ids: dict = field(default_factory=dict)  # what the routes' placeholders resolve to, and more

    def ok(self, response, status=(200, 201)):
        statuses = (status,) if isinstance(status, int) else status
        assert response.status_code in statuses, (response.status_code, response.get_json())
        return response.get_json()


def fill_ids(value, ids):
    """Replace "{name}" strings (whole values) by the world's ids, recursively."""
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {key: fill_ids(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_ids(item, ids) for item in value]
    return value


def open_world_app(database_template, tmp_path_factory):
    """A Flask app on a database of its own for one test module: (app, url)."""
    if ON_POSTGRES:
        url = database_template
    else:
        path = tmp_path_factory.mktemp("world") / "world.db"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url}), url


def close_world_app(app, url):
    clock.set_now(None)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        empty_tables(url)  # the next module starts from empty tables, as after any test


def build_world(app, url="") -> World:
    from app.marketing.models import FollowUp
    from app.payments.models import PaymentOrder, PaymentRefund
    from app.stores.services import create_staff, create_store

    clock.set_now(NOW)
    world = World(app=app, api=Api(app.test_client()), url=url)
    api, ids = world.api, world.ids
    with app.app_context():
        stores = [create_store(name="南山店").id, create_store(name="福田店").id]
        db.session.commit()
        for username, (role, store_numbers) in STAFF.items():
            create_staff(
                username=username, password=PASSWORD, role=role, store_ids=[stores[n - 1] for n in store_numbers]
            )
        # An account no caller acts as: the owner's staff routes disable and enable it.
        spare = create_staff(username="spare", password=PASSWORD, role="cashier", store_ids=[stores[1]]).id
        db.session.commit()
    ids.update(store_1=stores[0], store_2=stores[1], store_id=stores[1], staff_id=spare)
    world.tokens["anonymous"] = None
    for username in STAFF:
        body = world.ok(api.post("/auth/staff/login", json={"username": username, "password": PASSWORD}))
        world.tokens[username] = body["token"]
    owner = world.tokens["owner"]

    def create(path, body, token=owner):
        return world.ok(api.post(path, token, json=body), 201)["id"]

    # The catalog and the rules, as the back office sets them up.
    world.ok(
        api.patch(f"/stores/{ids['store_2']}", owner, json={"bays": 2, "slot_minutes": 30, "opening_hours": WEEK_HOURS})
    )
    ids["tier_id"] = create("/tiers", {"name": "金卡", "rank": 2, "labor_discount_percent": 10})
    ids["tag_id"] = create("/tags", {"name": "常客"})
    ids["rule_id"] = create("/commission-rules", {"category": "wash", "method": "percent", "percent": 10})
    ids["service_item_id"] = ids["item_id"] = create(
        "/service-items", {"name": "精洗", "category": "wash", "price_fen": 5000, "duration_minutes": 60}
    )
    ids["part_id"] = create("/parts", {"name": "机油滤芯", "sku": "F-1", "price_fen": 8000, "stock": 50})
    ids["plan_id"] = create("/topup-plans", {"name": "充1000送100", "pay_fen": 100000, "bonus_fen": 10000})
    ids["coupon_template_id"] = create(
        "/coupon-templates",
        {
            "name": "洗车立减10元",
            "kind": "cash_off",
            "value_fen": 1000,
            "valid_days": 30,
            "claimable": True,
            "per_member_limit": 50,
        },
    )
    ids["package_card_template_id"] = create(
        "/package-card-templates",
        {
            "name": "洗车十次卡",
            "price_fen": 40000,
            "valid_days": 365,
            "items": [{"service_item_id": ids["service_item_id"], "count": 10}],
        },
    )
    ids["stamp_card_template_id"] = create(
        "/stamp-card-templates",
        {
            "name": "洗车集章",
            "service_item_ids": [ids["service_item_id"]],
            "stamps_required": 5,
            "reward_coupon_template_id": ids["coupon_template_id"],
        },
    )
    ids["segment_id"] = create("/segments", {"name": "所有人", "rules": {"all": []}})
    ids["holiday_id"] = create("/marketing/holidays", {"name": "中秋节", "day": "2027-09-15", "days_before": 1})
    ids["account_id"] = create(
        "/accounts", {"name": "平安保险", "kind": "insurer", "credit_limit_fen": 100000, "payment_terms_days": 30}
    )
    ids["campaign_id"] = create(
        "/campaigns",
        {
            "name": "春季回馈",
            "segment_id": ids["segment_id"],
            "send_at": "2026-12-10T10:00:00+08:00",
            "message": {
                "template_key": "campaign",
                "fields": {"thing1": "车主权益", "thing2": "您有一项车主权益待查看"},
            },
        },
    )

    # The two members: A owns one of everything, B owns a car of their own.
    for name in ("a", "b"):
        body = world.ok(api.post("/auth/wechat/login", json={"code": f"member-{name}"}))
        world.tokens[f"member_{name}"] = body["token"]
        ids[f"member_{name}"] = body["member"]["id"]
    member_a = world.tokens["member_a"]
    ids["member_id"] = ids["member_a"]
    ids["vehicle_id"] = create("/me/vehicles", {"plate": PLATE_A, "mileage_km": 12000}, member_a)
    ids["vehicle_b"] = create("/me/vehicles", {"plate": PLATE_B}, world.tokens["member_b"])
    ids["booking_id"] = create(
        "/me/bookings",
        {
            "store_id": ids["store_2"],
            "vehicle_id": ids["vehicle_id"],
            "service_item_id": ids["service_item_id"],
            "start": BOOKING_START.isoformat(),
        },
        member_a,
    )
    coupon = world.ok(api.post(f"/coupon-templates/{ids['coupon_template_id']}/claim", member_a), 201)
    ids["coupon_id"], ids["code"] = coupon["id"], coupon["code"]
    ids["card_id"] = create(
        f"/members/{ids['member_a']}/package-cards",
        {"template_id": ids["package_card_template_id"], "paid_via": "cash", "store_id": ids["store_2"]},
        world.tokens["cashier2"],
    )
    ids["period_template_id"] = create(
        "/period-card-templates",
        {
            "name": "洗车月卡",
            "price_fen": 30000,
            "period_kind": "month",
            "daily_cap": 1,
            "service_item_ids": [ids["service_item_id"]],
        },
    )
    ids["period_card_id"] = create(
        f"/members/{ids['member_a']}/period-cards",
        {
            "template_id": ids["period_template_id"],
            "paid_via": "cash",
            "vehicle_id": ids["vehicle_id"],
            "store_id": ids["store_2"],
        },
        world.tokens["cashier2"],
    )
    bought = world.ok(
        api.post(
            "/me/card-purchases",
            member_a,
            json={"kind": "period", "template_id": ids["period_template_id"], "vehicle_id": ids["vehicle_id"]},
        ),
        201,
    )
    world.ok(api.post(f"/dev/payments/{bought['payment']['out_trade_no']}/confirm"))
    ids["purchase_id"] = bought["purchase"]["id"]
    payment = world.ok(api.post("/me/topups", member_a, json={"amount_fen": 20000}), 201)
    ids["out_trade_no"] = payment["payment"]["out_trade_no"]
    order = world.ok(
        api.post(
            "/work-orders",
            world.tokens["cashier2"],
            json={
                "store_id": ids["store_2"],
                "plate": PLATE_A,
                "lines": [
                    {"service_item_id": ids["service_item_id"], "quantity": 1},
                    {"part_id": ids["part_id"], "quantity": 1},
                ],
            },
        ),
        201,
    )
    ids["work_order_id"], ids["line_id"] = order["id"], order["lines"][-1]["id"]
    assert order["member_id"] == ids["member_a"]

    # A call-list entry at store 2 (the jobs make these; here it is written directly).
    with app.app_context():
        entry = FollowUp(
            member_id=ids["member_a"],
            kind="follow_up",
            reason="no_grant",
            dedupe_key="access-matrix",
            store_id=ids["store_2"],
            due_date=date(2026, 11, 30),
            status="open",
        )
        db.session.add(entry)
        db.session.commit()
        ids["follow_up_id"] = entry.id
        # A complaint about A's order (a low rating opens these; written directly here).
        rating = Rating(
            work_order_id=ids["work_order_id"],
            member_id=ids["member_a"],
            store_id=ids["store_2"],
            score=1,
            source="member",
            rated_at=clock.now(),
        )
        db.session.add(rating)
        db.session.flush()
        complaint = Complaint(
            rating_id=rating.id,
            work_order_id=ids["work_order_id"],
            member_id=ids["member_a"],
            store_id=ids["store_2"],
            status="open",
            opened_at=clock.now(),
            due_at=clock.now(),
        )
        db.session.add(complaint)
        db.session.commit()
        ids["complaint_id"] = complaint.id
        # A failed WeChat refund the owner may send again (the payment_refunds job leaves these).
        now = clock.now()
        paid = PaymentOrder(
            out_trade_no="PSACCESSMATRIX",
            member_id=ids["member_a"],
            purpose="topup",
            amount_fen=100,
            description="access matrix",
            status="paid",
            transaction_id="access-matrix",
            expires_at=now,
            paid_at=now,
        )
        db.session.add(paid)
        db.session.flush()
        refund = PaymentRefund(
            payment_order_id=paid.id,
            out_refund_no="RFPSACCESSMATRIX",
            amount_fen=100,
            status="failed",
            next_attempt_at=now,
            finished_at=now,
        )
        db.session.add(refund)
        db.session.commit()
        ids["refund_id"] = refund.id
    # An import the owner committed and an export ready to download.
    app.config["EXPORT_DIR"] = tempfile.mkdtemp(prefix="access-world-exports-")
    csv_file = "手机号,姓名,车牌号,储值本金(元)\r\n13700000001,导入,粤B·KM001,100\r\n".encode()
    batch = world.ok(
        api.client.post(
            "/api/v1/imports?kind=members",
            data={"file": (io.BytesIO(csv_file), "members.csv")},
            headers={"Authorization": f"Bearer {owner}"},
            content_type="multipart/form-data",
        ),
        201,
    )
    ids["import_id"] = batch["id"]
    world.ok(api.post(f"/imports/{batch['id']}/commit", owner), 202)
    ids["export_id"] = world.ok(api.post("/exports", owner, json={"kind": "members"}), 202)["id"]
    ids["kind"], ids["file_format"] = "members", "csv"
    # Points exchange: a part reward member A redeemed and has not collected yet.
    ids["reward_id"] = create(
        "/exchange-rewards", {"name": "机油滤芯", "kind": "part", "part_id": ids["part_id"], "points_price": 100}
    )
    world.ok(
        api.post(f"/members/{ids['member_a']}/points/adjustments", owner, json={"points": 500, "reason": "seed"}), 201
    )
    ids["redemption_id"] = create("/me/exchange-redemptions", {"reward_id": ids["reward_id"]}, member_a)
    return world
