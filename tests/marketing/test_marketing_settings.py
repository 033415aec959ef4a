"""The marketing rules: read by the back office, changed by the owner, checked against what exists."""

from datetime import date

from app.common.jobs import run_job
from tests.helpers import error_code
from tests.marketing.helpers import member_ids, messages


def test_owner_sets_birthday_coupons_by_tier_and_the_job_issues_them(app, api, staff_tokens, seed):
    owner, marketing = staff_tokens["owner"], staff_tokens["marketing"]
    gold = api.post("/tiers", owner, json={"name": "金卡", "rank": 2, "labor_discount_percent": 10}).json["id"]
    template = api.post(
        "/coupon-templates",
        owner,
        json={"name": "生日券", "kind": "cash_off", "value_fen": 2000, "valid_days": 30, "claimable": False},
    ).json["id"]
    assert api.get("/marketing/settings", marketing).json["win_back_interval_days"] == 90
    assert api.patch("/marketing/settings", marketing, json={"win_back_interval_days": 30}).status_code == 403
    assert (
        error_code(api.patch("/marketing/settings", owner, json={"birthday_coupons": {"vip": template}}))
        == "invalid_birthday_coupons"
    )
    assert (
        error_code(api.patch("/marketing/settings", owner, json={"birthday_coupons": {str(gold): 999}}))
        == "coupon_template_not_found"
    )
    assert api.patch("/marketing/settings", owner, json={"win_back_interval_days": 0}).status_code == 422
    changed = api.patch(
        "/marketing/settings", owner, json={"birthday_coupons": {str(gold): template}, "first_maintenance_months": 3}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["birthday_coupons"] == {str(gold): template} and changed.json["first_maintenance_months"] == 3

    golden = seed.member("golden", birthday=date(1990, 3, 10))
    plain = seed.member("plain", birthday=date(1990, 3, 10))
    with app.app_context():
        from app.extensions import db
        from app.members.models import Member

        db.session.get(Member, golden).tier_id = gold
        db.session.commit()
        assert run_job("birthday_greetings", day=date(2026, 3, 10))["coupons"] == 1
        assert run_job("birthday_greetings", day=date(2026, 3, 10))["coupons"] == 0
    assert member_ids(app, kind="birthday") == sorted([golden, plain])
    with_coupon = [m.member_id for m in messages(app, kind="birthday") if m.coupon_id is not None]
    assert with_coupon == [golden]


def test_every_change_of_the_marketing_rules_is_audited_with_before_and_after(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    template = api.post(
        "/coupon-templates",
        owner,
        json={"name": "召回券", "kind": "cash_off", "value_fen": 3000, "valid_days": 30, "claimable": False},
    ).json["id"]

    assert (
        api.patch(
            "/marketing/settings",
            owner,
            json={"win_back_interval_days": 60, "win_back_coupon_template_id": template},
        ).status_code
        == 200
    )
    assert api.patch("/marketing/settings", owner, json={"win_back_interval_days": 60}).status_code == 200
    refused = api.patch("/marketing/settings", owner, json={"win_back_coupon_template_id": 999})
    assert refused.status_code == 422

    log = api.get("/audit-log?kind=marketing_settings", owner).json["items"]
    assert len(log) == 1  # an unchanged value and a refused change write nothing
    assert log[0]["before"] == {"win_back_interval_days": 90, "win_back_coupon_template_id": None}
    assert log[0]["after"] == {"win_back_interval_days": 60, "win_back_coupon_template_id": template}
    assert log[0]["actor_role"] == "owner" and log[0]["entity_type"] == "marketing_settings"
