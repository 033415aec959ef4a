"""Claiming, listing and showing member coupons; staff issue; the counter's summary count."""

from datetime import UTC, datetime, timedelta

from app.common import clock
from app.coupons.issuing import CODE_ALPHABET
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.members.services import get_member, member_summaries
from tests.factories import make_template
from tests.helpers import error_code
from tests.ledgers import count_rows


def _claim(api, token, template_id, **kwargs):
    return api.post(f"/coupon-templates/{template_id}/claim", token, **kwargs)


def test_claim_gives_a_coupon_with_a_short_plain_code_valid_for_n_local_days(api, member_login, app, fixed_clock):
    template_id = make_template(app, valid_days=7)
    token, _ = member_login("alice")
    response = _claim(api, token, template_id)
    assert response.status_code == 201, response.json
    coupon = response.json
    assert len(coupon["code"]) == 10 and set(coupon["code"]) <= set(CODE_ALPHABET)
    assert coupon["status"] == "unused" and coupon["template"]["id"] == template_id
    assert coupon["template"]["value_fen"] == 2000
    # Issued 2026-03-10 (Shanghai): valid through the end of 2026-03-16 local time.
    assert datetime.fromisoformat(coupon["valid_until"]) == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)
    assert datetime.fromisoformat(coupon["valid_from"]) == fixed_clock


def test_fixed_window_runs_from_the_first_local_day_to_the_end_of_the_last(api, member_login, app, fixed_clock):
    template_id = make_template(
        app, valid_days=None, valid_from=datetime(2026, 4, 1).date(), valid_until=datetime(2026, 4, 30).date()
    )
    token, _ = member_login("alice")
    coupon = _claim(api, token, template_id).json
    assert datetime.fromisoformat(coupon["valid_from"]) == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert datetime.fromisoformat(coupon["valid_until"]) == datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    clock.set_now(datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    bob, _ = member_login("bob")
    late = _claim(api, bob, template_id)
    assert late.status_code == 409 and error_code(late) == "coupon_template_expired"


def test_second_claim_over_the_per_member_limit_is_409(api, member_login, app):
    template_id = make_template(app, per_member_limit=2)
    token, _ = member_login("alice")
    assert _claim(api, token, template_id).status_code == 201
    assert _claim(api, token, template_id).status_code == 201
    third = _claim(api, token, template_id)
    assert third.status_code == 409 and error_code(third) == "coupon_limit_reached"
    assert count_rows(app, MemberCoupon) == 2


def test_out_of_stock_is_409_and_stock_is_counted(api, member_login, staff_tokens, app):
    template_id = make_template(app, total_stock=1)
    alice, _ = member_login("alice")
    bob, _ = member_login("bob")
    assert _claim(api, alice, template_id).status_code == 201
    refused = _claim(api, bob, template_id)
    assert refused.status_code == 409 and error_code(refused) == "coupon_out_of_stock"
    template = api.get(f"/coupon-templates/{template_id}", staff_tokens["cashier"]).json
    assert template["issued_count"] == 1 and template["remaining_stock"] == 0


def test_issue_only_and_unknown_templates_cannot_be_claimed(api, member_login, app):
    issue_only = make_template(app, claimable=False)
    token, _ = member_login("alice")
    refused = _claim(api, token, issue_only)
    assert refused.status_code == 403 and error_code(refused) == "coupon_not_claimable"
    assert _claim(api, token, 4040).status_code == 404
    assert count_rows(app, MemberCoupon) == 0


def test_a_replayed_claim_returns_the_first_coupon(api, member_login, app):
    template_id = make_template(app, per_member_limit=None)
    token, _ = member_login("alice")
    headers = {"Idempotency-Key": "claim-1"}
    first = _claim(api, token, template_id, headers=headers)
    again = _claim(api, token, template_id, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert count_rows(app, MemberCoupon) == 1


def test_my_coupons_filter_by_derived_status(api, member_login, app, fixed_clock):
    short = make_template(app, name="短期", valid_days=1, per_member_limit=None)
    long = make_template(app, name="长期", valid_days=30, per_member_limit=None)
    token, member = member_login("alice")
    short_coupon = _claim(api, token, short).json
    long_coupon = _claim(api, token, long).json
    used_coupon = _claim(api, token, long).json
    with app.app_context():
        from app.coupons.services import use

        use(member_coupon_id=used_coupon["id"], member_id=member["id"], ref_type="work_order", ref_id=1)
        db.session.commit()

    def ids(status=None):
        response = api.get("/me/coupons" + (f"?status={status}" if status else ""), token)
        assert response.status_code == 200
        return [item["id"] for item in response.json["items"]], response.json["total"]

    assert ids("unused") == ([long_coupon["id"], short_coupon["id"]], 2)
    assert ids("used") == ([used_coupon["id"]], 1)
    assert ids("expired") == ([], 0)
    clock.set_now(fixed_clock + timedelta(days=1))  # the one-day coupon ended at local midnight
    assert ids("unused") == ([long_coupon["id"]], 1)
    assert ids("expired") == ([short_coupon["id"]], 1)
    listed = api.get("/me/coupons", token).json["items"]
    assert {item["id"]: item["status"] for item in listed} == {
        short_coupon["id"]: "expired",
        long_coupon["id"]: "unused",
        used_coupon["id"]: "used",
    }
    assert api.get("/me/coupons?status=void", token).status_code == 422


def test_coupon_qr_is_a_png_of_the_callers_own_coupon(api, member_login, app):
    template_id = make_template(app)
    alice, _ = member_login("alice")
    bob, _ = member_login("bob")
    coupon = _claim(api, alice, template_id).json
    response = api.get(f"/me/coupons/{coupon['id']}/qr.png", alice)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert api.get(f"/me/coupons/{coupon['id']}/qr.png", bob).status_code == 404
    assert api.get(f"/me/coupons/{coupon['id']}", bob).status_code == 404
    assert api.get(f"/me/coupons/{coupon['id']}", alice).json["code"] == coupon["code"]


def test_staff_issue_issue_only_templates_and_the_counter_finds_them_by_code(api, staff_tokens, member_login, app):
    template_id = make_template(app, claimable=False)
    _, member = member_login("alice")
    path = f"/members/{member['id']}/coupons"
    assert api.post(path, staff_tokens["cashier"], json={"template_id": template_id}).status_code == 403
    issued = api.post(path, staff_tokens["marketing"], json={"template_id": template_id})
    assert issued.status_code == 201, issued.json
    assert issued.json["source"] == "staff" and issued.json["member_id"] == member["id"]
    found = api.get(f"/member-coupons/by-code/{issued.json['code'].lower()}", staff_tokens["cashier"])
    assert found.status_code == 200 and found.json["id"] == issued.json["id"]
    listed = api.get(f"{path}?status=unused", staff_tokens["cashier"])
    assert [item["id"] for item in listed.json["items"]] == [issued.json["id"]]


def test_staff_issue_with_an_unknown_template_or_member_writes_nothing(api, staff_tokens, member_login, app):
    _, member = member_login("alice")
    unknown = api.post(f"/members/{member['id']}/coupons", staff_tokens["marketing"], json={"template_id": 4040})
    assert unknown.status_code == 404 and error_code(unknown) == "coupon_template_not_found"
    template_id = make_template(app, claimable=False)
    nobody = api.post("/members/4040/coupons", staff_tokens["marketing"], json={"template_id": template_id})
    assert nobody.status_code == 404
    fractional = api.post(f"/members/{member['id']}/coupons", staff_tokens["marketing"], json={"template_id": 1.5})
    assert fractional.status_code == 422
    assert count_rows(app, MemberCoupon) == 0


def test_member_summary_counts_unused_coupons_in_one_query(api, member_login, app):
    template_id = make_template(app, per_member_limit=None)
    alice, alice_member = member_login("alice")
    _, bob_member = member_login("bob")
    for _ in range(3):
        _claim(api, alice, template_id)
    with app.app_context():
        members = [get_member(alice_member["id"]), get_member(bob_member["id"])]
        statements = []
        from sqlalchemy import event

        def record(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            summaries = member_summaries(members)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert summaries[alice_member["id"]]["unused_coupon_count"] == 3
        assert summaries[bob_member["id"]]["unused_coupon_count"] == 0
        assert sum("member_coupons" in sql for sql in statements) == 1
