"""Selling, redeeming, reversing and expiring package cards; GET /me/cards."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from app.cards import services
from app.cards.models import PackageCard, PackageCardEntry
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from tests.factories import make_stamp_template, new_member
from tests.helpers import error_code
from tests.ledgers import count_rows, package_ledger_holds


def _sell(app, member_id, template_id, now=None):
    with app.app_context():
        card_id = services.sell_package_card(member_id=member_id, template_id=template_id, paid_via="cash", now=now).id
        db.session.commit()
    return card_id


def _redeem(card_id, member_id, item_id, ref_id=1):
    return services.redeem_item(
        card_id=card_id, member_id=member_id, service_item_id=item_id, ref_type="work_order", ref_id=ref_id
    )


def test_counter_sells_a_card_once_per_idempotency_key(
    api, staff_tokens, member_login, app, package_template, catalog, fixed_clock
):
    _, member = member_login("alice")
    path = f"/members/{member['id']}/package-cards"
    body = {"template_id": package_template, "paid_via": "wechat", "store_id": 1}
    headers = {"Idempotency-Key": "sale-1"}
    sold = api.post(path, staff_tokens["cashier"], json=body, headers=headers)
    assert sold.status_code == 201, sold.json
    again = api.post(path, staff_tokens["cashier"], json=body, headers=headers)
    assert again.status_code == 201 and again.json["id"] == sold.json["id"]
    assert count_rows(app, PackageCard) == 1
    card = sold.json
    assert card["price_fen"] == 15000 and card["paid_via"] == "wechat" and card["status"] == "active"
    assert [(i["service_item_id"], i["name"], i["remaining"]) for i in card["items"]] == [
        (catalog["wash"], "精致洗车", 3),
        (catalog["oil"], "机油保养", 1),
    ]
    # 30 local days including 2026-03-10: until the end of 2026-04-08 in Shanghai.
    assert datetime.fromisoformat(card["expires_at"]) == datetime(2026, 4, 8, 16, 0, tzinfo=UTC)
    listed = api.get(f"{path}", staff_tokens["cashier"])
    assert [item["id"] for item in listed.json["items"]] == [card["id"]]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"template_id": 4040, "paid_via": "cash"}, 404, "package_card_template_not_found"),
        ({"template_id": "1", "paid_via": "cash"}, 422, "validation_error"),
        ({"template_id": 1, "paid_via": "stored_value"}, 422, "validation_error"),
        ({"template_id": 1, "paid_via": "cash", "store_id": 2}, 403, "store_forbidden"),
        ({"template_id": 1, "paid_via": "cash", "price_fen": 1}, 422, "validation_error"),
    ],
)
def test_bad_sales_write_nothing(api, staff_tokens, member_login, app, package_template, body, status, code):
    _, member = member_login("alice")
    response = api.post(f"/members/{member['id']}/package-cards", staff_tokens["cashier"], json=body)
    assert (response.status_code, error_code(response)) == (status, code)
    assert count_rows(app, PackageCard) == 0 and count_rows(app, PackageCardEntry) == 0


def test_sales_need_counter_staff_an_active_template_and_a_member(
    api, staff_tokens, member_login, app, package_template
):
    token, member = member_login("alice")
    body = {"template_id": package_template, "paid_via": "cash"}
    assert api.post(f"/members/{member['id']}/package-cards", token, json=body).status_code == 403
    assert api.post(f"/members/{member['id']}/package-cards", staff_tokens["marketing"], json=body).status_code == 403
    assert api.post("/members/4040/package-cards", staff_tokens["cashier"], json=body).status_code == 404
    api.patch(f"/package-card-templates/{package_template}", staff_tokens["marketing"], json={"is_active": False})
    retired = api.post(f"/members/{member['id']}/package-cards", staff_tokens["cashier"], json=body)
    assert retired.status_code == 409 and error_code(retired) == "package_card_template_inactive"
    assert count_rows(app, PackageCard) == 0


def test_redeem_takes_one_unit_until_the_item_is_empty(app, member_id, package_template, catalog):
    card_id = _sell(app, member_id, package_template)
    with app.app_context():
        for ref_id in (1, 2, 3):
            _redeem(card_id, member_id, catalog["wash"], ref_id)
        with pytest.raises(Conflict) as empty:
            _redeem(card_id, member_id, catalog["wash"], 4)
        assert empty.value.code == "card_item_empty"
        with pytest.raises(Unprocessable) as not_on_card:
            _redeem(card_id, member_id, catalog["paint"], 4)
        assert not_on_card.value.code == "card_item_not_on_card"
        db.session.commit()
        assert package_ledger_holds(card_id) == {catalog["wash"]: 0, catalog["oil"]: 1}
        assert db.session.get(PackageCard, card_id).status_at(clock.now()) == "active"
        _redeem(card_id, member_id, catalog["oil"], 5)
        assert db.session.get(PackageCard, card_id).status_at(clock.now()) == "used_up"


def test_another_members_card_is_not_found(app, member_id, package_template, catalog):
    card_id = _sell(app, member_id, package_template)
    other = new_member(app, phone="13900000002")
    with app.app_context():
        with pytest.raises(NotFound) as missing:
            _redeem(card_id, other, catalog["wash"])
        assert missing.value.code == "card_not_found"
        with pytest.raises(NotFound):
            _redeem(4040, member_id, catalog["wash"])


def test_reversal_returns_a_references_units_once(app, member_id, package_template, catalog):
    card_id = _sell(app, member_id, package_template)
    with app.app_context():
        _redeem(card_id, member_id, catalog["wash"], ref_id=7)
        _redeem(card_id, member_id, catalog["oil"], ref_id=7)
        _redeem(card_id, member_id, catalog["wash"], ref_id=8)
        db.session.commit()
        returned = services.reverse_reference(ref_type="work_order", ref_id=7)
        assert sorted(entry.delta for entry in returned) == [1, 1]
        assert services.reverse_reference(ref_type="work_order", ref_id=7) == []
        db.session.commit()
        assert package_ledger_holds(card_id) == {catalog["wash"]: 2, catalog["oil"]: 1}


def test_expired_cards_cannot_be_redeemed_and_the_job_writes_them_off(
    app, member_id, package_template, catalog, fixed_clock
):
    card_id = _sell(app, member_id, package_template)
    with app.app_context():
        _redeem(card_id, member_id, catalog["wash"], ref_id=7)
        db.session.commit()
        assert services.outstanding_items() == 3
        clock.set_now(datetime(2026, 4, 8, 15, 59, tzinfo=UTC))  # 23:59 of the last local day
        _redeem(card_id, member_id, catalog["wash"], ref_id=8)
        db.session.commit()
        clock.set_now(datetime(2026, 4, 8, 16, 0, tzinfo=UTC))
        with pytest.raises(Conflict) as expired:
            _redeem(card_id, member_id, catalog["wash"], ref_id=9)
        assert expired.value.code == "card_expired"
        assert services.outstanding_items() == 0
        assert services.expire_package_cards(now=clock.now()) == 1
        assert services.expire_package_cards(now=clock.now()) == 0
        db.session.commit()
        assert package_ledger_holds(card_id) == {catalog["wash"]: 0, catalog["oil"]: 0}
        # A refund after the write-off returns the unit and expires it again: nothing stays owed.
        assert len(services.reverse_reference(ref_type="work_order", ref_id=7)) == 1
        db.session.commit()
        assert package_ledger_holds(card_id) == {catalog["wash"]: 0, catalog["oil"]: 0}
        kinds = db.session.scalars(
            db.select(PackageCardEntry.kind).where(PackageCardEntry.card_id == card_id).order_by(PackageCardEntry.id)
        ).all()
        assert kinds == ["sale", "sale", "redeem", "redeem", "expiry", "expiry", "reversal", "expiry"]


def test_outstanding_items_by_store_and_sales_summary(app, member_id, package_template, fixed_clock):
    with app.app_context():
        services.sell_package_card(member_id=member_id, template_id=package_template, paid_via="cash", store_id=None)
        services.sell_package_card(member_id=member_id, template_id=package_template, paid_via="alipay")
        db.session.commit()
        assert services.outstanding_items() == 8
        assert services.outstanding_items(store_id=1) == 0
        summary = services.sales_summary(start=fixed_clock - timedelta(days=1), end=fixed_clock + timedelta(days=1))
        assert summary == {"cash": 15000, "alipay": 15000}


def test_me_cards_lists_cards_and_stamps_in_a_fixed_number_of_queries(
    api, member_login, app, package_template, catalog, reward_template, fixed_clock
):
    token, member = member_login("alice")
    stamp_template = make_stamp_template(app, [catalog["wash"]], reward_template, stamps_required=5)
    _sell(app, member["id"], package_template)
    with app.app_context():
        services.add_stamps(member_id=member["id"], service_item_ids=[catalog["wash"]], ref_type="work_order", ref_id=1)
        db.session.commit()

    def queries():
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = api.get("/me/cards", token)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, response.json
        return response.json, len(statements)

    body, few = queries()
    assert [c["items"][0]["remaining"] for c in body["package_cards"]] == [3]
    assert body["stamp_cards"][0]["stamps"] == 1 and body["stamp_cards"][0]["stamps_required"] == 5
    assert body["stamp_cards"][0]["reward"]["name"] == "免费洗车"
    assert body["stamp_cards"][0]["template_id"] == stamp_template
    for _ in range(4):
        _sell(app, member["id"], package_template)
    body, many = queries()
    assert len(body["package_cards"]) == 5
    assert many == few
    clock.set_now(fixed_clock + timedelta(days=40))
    token, _ = member_login("alice")  # the old token expired too
    assert api.get("/me/cards", token).json["package_cards"] == []
    assert len(api.get("/me/cards?include_expired=true", token).json["package_cards"]) == 5


def test_card_entries_are_shown_to_staff_and_to_the_owner_of_the_card(
    api, staff_tokens, member_login, app, package_template
):
    alice, member = member_login("alice")
    bob, _ = member_login("bob")
    card_id = _sell(app, member["id"], package_template)
    staff_view = api.get(f"/package-cards/{card_id}/entries", staff_tokens["cashier"])
    assert [entry["kind"] for entry in staff_view.json["items"]] == ["sale", "sale"]
    assert api.get(f"/me/package-cards/{card_id}/entries", alice).status_code == 200
    assert api.get(f"/me/package-cards/{card_id}/entries", bob).status_code == 404
