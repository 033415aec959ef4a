"""Technicians on lines (派工) and their commission (提成): written at settle from the rules, split by
shares to the fen, reversed exactly at refund; the owner's report (JSON and CSV) and each person's
own read-only view."""

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.commissions.services import split_by_shares
from app.common import clock
from app.extensions import db
from tests.conftest import error_code

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def crew(app, api, stores):
    """Two technicians and an advisor at store 1, a technician at store 2; their tokens."""
    from app.stores.services import create_staff

    people = {"tech1": ("technician", 0), "tech2": ("technician", 0), "adv": ("advisor", 0), "far": ("technician", 1)}
    with app.app_context():
        ids = {
            name: create_staff(username=name, password="password-123", role=role, store_ids=[stores[index]]).id
            for name, (role, index) in people.items()
        }
        db.session.commit()
    tokens = {
        name: api.post("/auth/staff/login", json={"username": name, "password": "password-123"}).json["token"]
        for name in people
    }
    return {"ids": ids, "tokens": tokens}


@pytest.fixture
def shop(app, api, staff_tokens, stores):
    clock.set_now(NOW)
    owner = staff_tokens["owner"]

    def post(path, body):
        response = api.post(path, owner, json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    ids = {
        "service": post("/service-items", {"name": "小保养", "category": "maintenance", "price_fen": 20000}),
        "wash": post("/service-items", {"name": "精洗", "category": "wash", "price_fen": 5000}),
        "oil": post("/parts", {"name": "机油4L", "sku": "O-4", "price_fen": 30000, "stock": 10}),
    }
    post("/commission-rules", {"category": "maintenance", "method": "percent", "percent": 10})
    post("/commission-rules", {"service_item_id": ids["wash"], "method": "fixed", "fixed_fen": 500})
    post("/commission-rules", {"part_id": ids["oil"], "method": "percent", "percent": 5})
    yield ids
    clock.set_now(None)


def _open(api, token, store_id, lines):
    response = api.post("/work-orders", token, json={"store_id": store_id, "plate": "粤B12345", "lines": lines})
    assert response.status_code == 201, response.json
    return response.json


def _assign(api, token, order, index, technicians):
    line_id = order["lines"][index]["id"]
    return api.call(
        "PUT", f"/work-orders/{order['id']}/lines/{line_id}/technicians", token, json={"technicians": technicians}
    )


def _settle(api, token, order):
    tenders = [{"type": "cash", "amount_fen": order["total_fen"]}]
    response = api.post(
        f"/work-orders/{order['id']}/settle", token, json={"tenders": tenders}, headers={"Idempotency-Key": "s"}
    )
    assert response.status_code == 200, response.json
    return response.json


def _report(api, token, **query):
    response = api.get("/commissions", token, query_string={**PERIOD, **query})
    assert response.status_code == 200, response.json
    return response.json


def test_two_technicians_sharing_a_line_earn_the_rule_split_by_their_shares(api, staff_tokens, stores, crew, shop):
    cashier, ids = staff_tokens["cashier"], crew["ids"]
    order = _open(
        api,
        cashier,
        stores[0],
        [{"service_item_id": shop["service"], "quantity": 1}, {"part_id": shop["oil"], "quantity": 1}],
    )
    shared = [{"staff_id": ids["tech1"], "share_percent": 60}, {"staff_id": ids["tech2"], "share_percent": 40}]
    assigned = _assign(api, cashier, order, 0, shared)
    assert assigned.status_code == 200, assigned.json
    assert [(t["username"], t["share_percent"]) for t in assigned.json["lines"][0]["technicians"]] == [
        ("tech1", 60),
        ("tech2", 40),
    ]
    assert _assign(api, cashier, order, 1, [{"staff_id": ids["tech2"]}]).status_code == 200
    _settle(api, cashier, order)
    totals = {t["username"]: t for t in _report(api, staff_tokens["owner"])["totals"]}
    # Labour: 10 % of 200.00 = 20.00 split 60/40; the oil: 5 % of 300.00 = 15.00 to tech2 alone.
    assert totals["tech1"]["net_fen"] == 1200
    assert totals["tech2"]["net_fen"] == 800 + 1500
    assert {t["earned_fen"] for t in totals.values()} == {1200, 2300}


def test_a_refund_reverses_the_commission_exactly(api, staff_tokens, stores, crew, shop):
    cashier, owner, ids = staff_tokens["cashier"], staff_tokens["owner"], crew["ids"]
    order = _open(api, cashier, stores[0], [{"service_item_id": shop["wash"], "quantity": 3}])
    _assign(api, cashier, order, 0, [{"staff_id": ids["tech1"]}, {"staff_id": ids["tech2"]}, {"staff_id": ids["adv"]}])
    _settle(api, cashier, order)
    refunded = api.post(
        f"/work-orders/{order['id']}/refund", owner, json={"reason": "客户投诉"}, headers={"Idempotency-Key": "r"}
    )
    assert refunded.status_code == 200, refunded.json
    report = _report(api, owner)
    earned = sorted(e["amount_fen"] for e in report["items"] if e["kind"] == "earned")
    reversed_ = sorted(-e["amount_fen"] for e in report["items"] if e["kind"] == "reversed")
    # 3 washes × 5.00 = 15.00 split evenly 34/33/33 %: 5.10, 4.95, 4.95.
    assert earned == reversed_ == [495, 495, 510]
    assert all(t["net_fen"] == 0 for t in report["totals"])


def test_the_item_rule_beats_the_category_rule_and_a_line_without_a_rule_earns_nothing(
    api, staff_tokens, stores, crew, shop
):
    cashier, owner, ids = staff_tokens["cashier"], staff_tokens["owner"], crew["ids"]
    tyre = api.post("/service-items", owner, json={"name": "补胎", "category": "repair", "price_fen": 3000}).json["id"]
    order = _open(
        api,
        cashier,
        stores[0],
        [{"service_item_id": shop["wash"], "quantity": 1}, {"service_item_id": tyre, "quantity": 1}],
    )
    assert (
        api.post("/commission-rules", owner, json={"category": "wash", "method": "percent", "percent": 50}).status_code
        == 201
    )
    _assign(api, cashier, order, 0, [{"staff_id": ids["tech1"]}])
    _assign(api, cashier, order, 1, [{"staff_id": ids["tech1"]}])
    _settle(api, cashier, order)
    [entry] = _report(api, owner)["items"]
    assert (entry["line_id"], entry["amount_fen"]) == (order["lines"][0]["id"], 500)


def test_the_report_csv_opens_in_excel(api, staff_tokens, stores, crew, shop):
    cashier, ids = staff_tokens["cashier"], crew["ids"]
    order = _open(api, cashier, stores[0], [{"service_item_id": shop["service"], "quantity": 1}])
    _assign(api, cashier, order, 0, [{"staff_id": ids["tech1"]}])
    _settle(api, cashier, order)
    response = api.get("/commissions", staff_tokens["owner"], query_string={**PERIOD, "format": "csv"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["staff_id"], r["kind"], r["amount_fen"]) for r in rows] == [(str(ids["tech1"]), "earned", "2000")]


def test_technicians_see_only_their_own_jobs_and_commission(api, staff_tokens, stores, crew, shop):
    cashier, ids, tokens = staff_tokens["cashier"], crew["ids"], crew["tokens"]
    order = _open(api, cashier, stores[0], [{"service_item_id": shop["service"], "quantity": 1}])
    _assign(
        api,
        cashier,
        order,
        0,
        [{"staff_id": ids["tech1"], "share_percent": 70}, {"staff_id": ids["tech2"], "share_percent": 30}],
    )
    _settle(api, cashier, order)
    jobs = api.get("/staff/me/jobs", tokens["tech1"], query_string=PERIOD)
    assert jobs.status_code == 200, jobs.json
    assert [(j["number"], j["plate"], j["share_percent"], j["status"]) for j in jobs.json["items"]] == [
        (order["number"], "粤B12345", 70, "settled")
    ]
    mine = api.get("/staff/me/commissions", tokens["tech2"], query_string=PERIOD).json
    assert [t["staff_id"] for t in mine["totals"]] == [ids["tech2"]] and mine["totals"][0]["net_fen"] == 600
    assert {e["staff_id"] for e in mine["items"]} == {ids["tech2"]}
    assert api.get("/staff/me/jobs", tokens["far"], query_string=PERIOD).json["items"] == []
    for path in ("/commissions", "/members", f"/work-orders/{order['id']}", "/commission-rules"):
        assert api.get(path, tokens["tech1"]).status_code == 403, path


def test_an_advisor_opens_orders_like_a_cashier_and_can_work_a_line(api, stores, crew, shop):
    adv = crew["tokens"]["adv"]
    order = _open(api, adv, stores[0], [{"service_item_id": shop["wash"], "quantity": 1}])
    assert _assign(api, adv, order, 0, [{"staff_id": crew["ids"]["adv"]}]).status_code == 200


@pytest.mark.parametrize(
    ("technicians", "code"),
    [
        (
            [{"staff_id": "tech1", "share_percent": 50}, {"staff_id": "tech2", "share_percent": 40}],
            "shares_do_not_add_up",
        ),
        ([{"staff_id": "tech1", "share_percent": 100}, {"staff_id": "tech2"}], "shares_do_not_add_up"),
        ([{"staff_id": "tech1"}, {"staff_id": "tech1"}], "technician_named_twice"),
        ([{"staff_id": "far"}], "technician_not_at_store"),
        ([{"staff_id": "cashier"}], "not_a_technician"),
    ],
)
def test_an_assignment_that_does_not_hold_is_refused_and_changes_nothing(
    api, app, staff_tokens, stores, crew, shop, technicians, code
):
    from app.stores.models import Staff

    cashier = staff_tokens["cashier"]
    with app.app_context():
        ids = dict(crew["ids"], cashier=db.session.scalar(db.select(Staff.id).where(Staff.username == "cashier")))
    order = _open(api, cashier, stores[0], [{"service_item_id": shop["wash"], "quantity": 1}])
    assert _assign(api, cashier, order, 0, [{"staff_id": ids["tech1"]}]).status_code == 200
    body = [{**t, "staff_id": ids[t["staff_id"]]} for t in technicians]
    refused = _assign(api, cashier, order, 0, body)
    assert (refused.status_code, error_code(refused)) == (422, code)
    after = api.get(f"/work-orders/{order['id']}", cashier).json
    assert [t["staff_id"] for t in after["lines"][0]["technicians"]] == [ids["tech1"]]


def test_a_settled_order_keeps_its_technicians(api, staff_tokens, stores, crew, shop):
    cashier = staff_tokens["cashier"]
    order = _open(api, cashier, stores[0], [{"service_item_id": shop["wash"], "quantity": 1}])
    _settle(api, cashier, order)
    late = _assign(api, cashier, order, 0, [{"staff_id": crew["ids"]["tech1"]}])
    assert (late.status_code, error_code(late)) == (409, "work_order_not_editable")


def test_commission_rules_are_the_owners_and_audited(api, staff_tokens, shop):
    rule = {"category": "beauty", "method": "percent", "percent": 8}
    assert api.post("/commission-rules", staff_tokens["marketing"], json=rule).status_code == 403
    created = api.post("/commission-rules", staff_tokens["owner"], json=rule)
    assert created.status_code == 201, created.json
    twice = api.post("/commission-rules", staff_tokens["owner"], json=rule)
    assert (twice.status_code, error_code(twice)) == (409, "commission_rule_exists")
    changed = api.patch(
        f"/commission-rules/{created.json['id']}", staff_tokens["owner"], json={"method": "fixed", "fixed_fen": 300}
    )
    assert changed.status_code == 200 and (changed.json["percent"], changed.json["fixed_fen"]) == (0, 300)
    log = api.get("/audit-log", staff_tokens["owner"], query_string={"kind": "commission_rule"}).json["items"]
    assert any(
        e["entity_id"] == created.json["id"] and e["after"] == {"method": "fixed", "percent": 0, "fixed_fen": 300}
        for e in log
    )
    both = api.post(
        "/commission-rules", staff_tokens["owner"], json={**rule, "category": "repair", "part_id": shop["oil"]}
    )
    assert (both.status_code, error_code(both)) == (422, "commission_rule_target")


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**8),
    cuts=st.lists(st.integers(min_value=1, max_value=99), min_size=0, max_size=5, unique=True),
)
def test_shares_split_an_amount_to_the_fen_exactly(amount, cuts):
    points = sorted(cuts)
    shares = [b - a for a, b in zip([0, *points], [*points, 100], strict=True)]
    parts = split_by_shares(amount, shares)
    assert sum(parts) == amount
    assert all(abs(part * 100 - amount * share) < 100 for part, share in zip(parts, shares, strict=True))


def test_a_discount_on_the_whole_order_lowers_each_lines_commission_by_its_share(api, staff_tokens, stores, crew, shop):
    cashier, owner, ids = staff_tokens["cashier"], staff_tokens["owner"], crew["ids"]
    order = _open(
        api,
        cashier,
        stores[0],
        [{"service_item_id": shop["service"], "quantity": 1}, {"part_id": shop["oil"], "quantity": 1}],
    )
    _assign(api, cashier, order, 0, [{"staff_id": ids["tech1"]}])
    _assign(api, cashier, order, 1, [{"staff_id": ids["tech2"]}])
    # 100.00 off 500.00: the service (200.00) carries 40.00 of it, the oil (300.00) 60.00.
    cut = api.call(
        "PUT", f"/work-orders/{order['id']}/discount", owner, json={"kind": "amount", "value": 10000, "reason": "店庆"}
    )
    assert cut.status_code == 200, cut.json
    _settle(api, cashier, cut.json)
    entries = {e["staff_id"]: e for e in _report(api, owner)["items"]}
    assert (entries[ids["tech1"]]["basis_fen"], entries[ids["tech1"]]["amount_fen"]) == (16000, 1600)
    assert (entries[ids["tech2"]]["basis_fen"], entries[ids["tech2"]]["amount_fen"]) == (24000, 1200)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**7), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=6)
)
def test_an_amount_allocated_by_weights_adds_up_to_the_fen(amount, weights):
    from app.commissions.services import allocate

    parts = allocate(amount, weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
    else:
        assert sum(parts) == amount
        assert all(
            abs(part * sum(weights) - amount * weight) < sum(weights)
            for part, weight in zip(parts, weights, strict=True)
        )
