"""Mass assignment: a member can never write balance, points, tier or prices through any endpoint.

Every route a member's token may call with a body (member routes and public ones) is found from the
URL map. Each must be listed below with a valid body, or as taking no body, or as exempt with a
reason; a new member write route fails test_every_member_write_route_is_covered until it is.
Each valid body is sent with extra fields a client might try (balances, points, tier, prices,
someone else's id, a status): the body schemas raise on unknown fields, so the answer is 422
validation_error naming exactly the extra fields, and the member's wallet, points and tier and the
catalog's prices are unchanged afterwards.
"""

import re

import pytest

from tests.hardening.access_world import (
    PASSWORD,
    RESCHEDULE_START,
    build_world,
    close_world_app,
    fill_ids,
    open_world_app,
)

API_PREFIX = "/api/v1"
WRITE_METHODS = ("POST", "PATCH", "PUT")

# What a client might try to slip in, with tempting values ("{name}" is a row of the world).
EXTRA_FIELDS = {
    "balance_fen": 10**9,
    "principal_fen": 10**9,
    "bonus_fen": 10**9,
    "points": 10**6,
    "points_balance": 10**6,
    "tier_id": "{tier_id}",
    "tier": {"id": "{tier_id}", "name": "金卡"},
    "price_fen": 1,
    "total_fen": 1,
    "amount_fen": 1,
    "paid_fen": 10**9,
    "member_id": "{member_b}",
    "discount_percent": 100,
    "labor_discount_percent": 100,
    "status": "settled",
    "role": "owner",
    "tag_ids": ["{tag_id}"],
    "store_ids": ["{store_1}", "{store_2}"],
    "id": 1,
}

# Valid bodies of every write route a member may call; the extras are added to them.
VALID_BODIES = {
    ("POST", "/auth/wechat/login"): {"code": "member-a"},
    ("POST", "/auth/staff/login"): {"username": "cashier", "password": PASSWORD},
    ("PATCH", "/me"): {"nickname": "小王"},
    ("POST", "/me/phone"): {"code": "13800138000"},
    ("POST", "/me/vehicles"): {"plate": "粤B9Z999"},
    ("PATCH", "/me/vehicles/<int:vehicle_id>"): {"model": "Model Y"},
    ("POST", "/me/bookings"): {
        "store_id": "{store_2}",
        "vehicle_id": "{vehicle_id}",
        "service_item_id": "{service_item_id}",
        "start": RESCHEDULE_START.isoformat(),
    },
    ("POST", "/me/bookings/<int:booking_id>/cancel"): {"reason": "plans changed"},
    ("POST", "/me/bookings/<int:booking_id>/reschedule"): {"start": RESCHEDULE_START.isoformat()},
    ("POST", "/me/subscriptions"): {"template_keys": ["maintenance_due"]},
    ("PUT", "/me/sms-opt-out"): {"opted_out": True},
    ("POST", "/me/topups"): {"amount_fen": 10000},
    ("POST", "/me/card-purchases"): {
        "kind": "period",
        "template_id": "{period_template_id}",
        "vehicle_id": "{vehicle_id}",
    },
    ("POST", "/me/work-orders/<int:work_order_id>/pay"): {"tenders": []},
    ("POST", "/me/work-orders/<int:work_order_id>/approvals"): {
        "lines": [{"line_id": "{line_id}", "decision": "approved"}]
    },
    ("POST", "/me/exchange-redemptions"): {"reward_id": "{reward_id}"},
    ("POST", "/me/work-orders/<int:work_order_id>/rating"): {"score": 5, "comment": "很好"},
}
# Routes that read no body at all: whatever is sent is ignored (the document declares no body).
NO_BODY = {
    ("POST", "/auth/logout"),
    ("POST", "/coupon-templates/<int:template_id>/claim"),
    ("POST", "/dev/payments/<out_trade_no>/confirm"),
    ("POST", "/me/exchange-redemptions/<int:redemption_id>/cancel"),
    ("POST", "/me/card-purchases/<int:purchase_id>/refund"),
}
# Not a JSON body a client writes: WeChat Pay's notification is signed and verified before it is read.
EXEMPT = {
    ("POST", "/payments/wechat/notify"): "signed by WeChat Pay; refused (401) unless the signature checks out",
}

# Tenders a member sends to pay: the server values each one, a tender never carries its own value.
FORGED_TENDERS = [
    ({"type": "coupon", "member_coupon_id": "{coupon_id}", "amount_fen": 5000}, "amount_fen"),
    ({"type": "points", "points": 100, "amount_fen": 5000}, "amount_fen"),
    ({"type": "stored_value", "amount_fen": 100, "balance_fen": 10**9}, "balance_fen"),
    ({"type": "stored_value", "amount_fen": 100, "member_id": "{member_b}"}, "member_id"),
]


def _handler(app, rule, method):
    view = app.view_functions[rule.endpoint]
    return getattr(getattr(view, "view_class", None), method.lower(), view)


def member_write_routes(app):
    """{(method, rule)} a member's token may call with a body: member routes and public routes."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        for method in rule.methods & set(WRITE_METHODS):
            roles = getattr(_handler(app, rule, method), "_roles", None)
            if roles is None or "member" in roles:
                routes.add((method, rule.rule.removeprefix(API_PREFIX)))
    return routes


def _url(rule, ids):
    def value(match):
        name = match.group(1)
        return str(ids["coupon_template_id" if name == "template_id" else name])

    return API_PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", value, rule)


def _operation(spec, method, rule):
    path = API_PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
    return spec["paths"][path][method.lower()]


def _body_schema(spec, operation):
    """The operation's JSON body schema with its $ref resolved, or None."""
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.fixture(scope="module")
def world(database_template, tmp_path_factory):
    app, url = open_world_app(database_template, tmp_path_factory)
    yield build_world(app, url)
    close_world_app(app, url)


def protected_values(world):
    """Member A's wallet, points and tier, and every catalog price, as the owner reads them."""
    api, owner, ids = world.api, world.tokens["owner"], world.ids
    reads = {
        "wallet": f"/members/{ids['member_a']}/wallet",
        "member": f"/members/{ids['member_a']}",
        "service_item": f"/service-items/{ids['service_item_id']}",
        "part": f"/parts/{ids['part_id']}",
        "plan": f"/topup-plans/{ids['plan_id']}",
        "tier": f"/tiers/{ids['tier_id']}",
        "coupon_template": f"/coupon-templates/{ids['coupon_template_id']}",
        "package_card_template": f"/package-card-templates/{ids['package_card_template_id']}",
        "work_order": f"/work-orders/{ids['work_order_id']}",
    }
    kept = {
        "wallet": ("balance_fen", "principal_fen", "bonus_fen", "points", "tier"),
        "member": ("tier", "tags", "total_paid_fen", "paid_visit_count"),
        "service_item": ("price_fen",),
        "part": ("price_fen", "stock"),
        "plan": ("pay_fen", "bonus_fen"),
        "tier": ("labor_discount_percent", "parts_discount_percent", "rank"),
        "coupon_template": ("value_fen", "percent_off", "max_off_fen", "threshold_fen"),
        "package_card_template": ("price_fen",),
        "work_order": ("status", "member_id", "subtotal_fen", "discount_fen", "total_fen", "payments"),
    }
    values = {}
    for name, path in reads.items():
        response = api.get(path, owner)
        assert response.status_code == 200, (path, response.get_json())
        values[name] = {key: response.json[key] for key in kept[name]}
    return values


def test_every_member_write_route_is_covered(world):
    routes = member_write_routes(world.app)
    listed = set(VALID_BODIES) | NO_BODY | set(EXEMPT)
    assert sorted(routes - listed) == [], "member write routes without a mass-assignment entry"
    assert sorted(listed - routes) == [], "mass-assignment entries for routes a member cannot call with a body"


def test_member_write_bodies_refuse_extra_fields(world):
    api, ids, member_a = world.api, world.ids, world.tokens["member_a"]
    spec = api.get("/openapi.json").json
    before = protected_values(world)
    failures = []
    for (method, rule), body in VALID_BODIES.items():
        schema = _body_schema(spec, _operation(spec, method, rule))
        assert schema is not None and schema.get("additionalProperties") is False, (method, rule, schema)
        extras = {name: value for name, value in EXTRA_FIELDS.items() if name not in schema["properties"]}
        response = api.call(
            method, _url(rule, ids).removeprefix(API_PREFIX), member_a, json=fill_ids({**body, **extras}, ids)
        )
        error = (response.get_json() or {}).get("error", {})
        refused = error.get("details", {}).get("fields", {})
        # Exactly the extras are refused: the rest of the body is valid, so nothing else explains a 422.
        if (response.status_code, error.get("code")) != (422, "validation_error") or refused != {
            name: ["Unknown field."] for name in extras
        }:
            failures.append(f"{method} {rule}: {response.status_code} {error.get('code')} {refused}")
    assert not failures, "extra fields not refused:\n  " + "\n  ".join(failures)
    assert protected_values(world) == before


def test_member_profile_refuses_staff_only_fields_one_by_one(world):
    """PATCH /me takes nickname, birthday and gender; what staff set (tier, tags, phone) is refused."""
    api, ids, member_a = world.api, world.ids, world.tokens["member_a"]
    before = protected_values(world)
    for name, value in [
        ("tier_id", ids["tier_id"]),
        ("tier", {"id": ids["tier_id"]}),
        ("tag_ids", [ids["tag_id"]]),
        ("tags", [{"id": ids["tag_id"]}]),
        ("phone", "13900000000"),
        ("source", "counter"),
        ("total_paid_fen", 10**9),
        ("paid_visit_count", 99),
        ("referral_code", "FREE"),
    ]:
        response = api.patch("/me", member_a, json={"nickname": "小王", name: value})
        assert response.status_code == 422, (name, response.get_json())
        assert response.json["error"]["details"]["fields"] == {name: ["Unknown field."]}, name
    assert protected_values(world) == before
    me = api.get("/me", member_a).json
    assert me["tier"] is None and me["tags"] == [] and me["phone"] is None


def test_tenders_never_carry_their_own_value(world):
    api, ids, member_a = world.api, world.ids, world.tokens["member_a"]
    before = protected_values(world)
    url = f"/me/work-orders/{ids['work_order_id']}/pay"
    for tender, field in FORGED_TENDERS:
        response = api.post(url, member_a, json={"tenders": [fill_ids(tender, ids)]})
        assert response.status_code == 422, (tender, response.get_json())
        assert field in response.json["error"]["details"]["fields"]["tenders"]["0"], response.json
    assert protected_values(world) == before


def test_routes_without_a_body_ignore_one(world):
    """The claim and the development confirmation declare no body; one sent anyway moves nothing
    more than the plain call does (the claim gives the template's coupon, nothing else)."""
    api, ids, member_a = world.api, world.ids, world.tokens["member_a"]
    spec = api.get("/openapi.json").json
    for method, rule in NO_BODY:
        assert _body_schema(spec, _operation(spec, method, rule)) is None, (method, rule)
    before = protected_values(world)
    claimed = api.post(
        f"/coupon-templates/{ids['coupon_template_id']}/claim", member_a, json=fill_ids(EXTRA_FIELDS, ids)
    )
    assert claimed.status_code == 201, claimed.get_json()
    assert claimed.json["status"] == "unused"
    assert claimed.json["template"]["id"] == ids["coupon_template_id"]
    assert claimed.json["template"]["value_fen"] == before["coupon_template"]["value_fen"]
    assert protected_values(world) == before
    assert claimed.json["id"] in {c["id"] for c in api.get("/me/coupons", member_a).json["items"]}
    assert claimed.json["id"] not in {c["id"] for c in api.get("/me/coupons", world.tokens["member_b"]).json["items"]}

    # Confirming A's top-up (development only) credits the payment's own amount, not a forged one.
    payment = api.get(f"/me/payments/{ids['out_trade_no']}", member_a).json
    confirmed = api.post(f"/dev/payments/{ids['out_trade_no']}/confirm", json=fill_ids(EXTRA_FIELDS, ids))
    assert confirmed.status_code == 200, confirmed.get_json()
    wallet = api.get("/me/wallet", member_a).json
    assert wallet["balance_fen"] == before["wallet"]["balance_fen"] + payment["amount_fen"]
    assert wallet["principal_fen"] == before["wallet"]["principal_fen"] + payment["amount_fen"]
    assert wallet["points"] == before["wallet"]["points"] and wallet["tier"] == before["wallet"]["tier"]
