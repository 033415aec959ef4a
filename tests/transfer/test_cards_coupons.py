"""Package cards (items left) and coupons held in the old system, for members already imported: the
names must be the shop's cards, items and coupons here; the cards count in the liabilities; undo
takes them back until one is used."""

from sqlalchemy import func, select

from app.cards.models import PackageCard, PackageCardItem
from app.common import clock
from app.coupons.models import MemberCoupon
from app.extensions import db
from app.stats.services import liability_figures
from tests.factories import make_template, service_catalog
from tests.helpers import error_code
from tests.transfer.files import csv_bytes, upload, xlsx_bytes
from tests.transfer.test_imports import GOOD, _commit


def _setup(app, api, owner):
    items = service_catalog(app)
    from app.cards import template_services

    with app.app_context():
        template_services.create_package_template(
            data={
                "name": "洗车保养卡",
                "price_fen": 100000,
                "valid_days": 365,
                "items": [
                    {"service_item_id": items["wash"], "count": 10},
                    {"service_item_id": items["oil"], "count": 2},
                ],
            }
        )
        db.session.commit()
    make_template(app, name="50元保养券", value_fen=5000, threshold_fen=0)
    batch = upload(api, owner, "members", csv_bytes("members", [dict(GOOD[0], tier=""), GOOD[1]]), "m.csv").json
    _commit(api, owner, batch["id"])


CARDS = [
    {
        "phone": "13800000001",
        "card_no": "K1",
        "card_name": "洗车保养卡",
        "item_name": "精致洗车",
        "remaining": "6",
        "expires_on": "2099-12-31",
    },
    {
        "phone": "13800000001",
        "card_no": "K1",
        "card_name": "洗车保养卡",
        "item_name": "机油保养",
        "remaining": "1",
        "expires_on": "2099-12-31",
    },
    {
        "plate": "粤B67890",
        "card_name": "洗车保养卡",
        "item_name": "精致洗车",
        "remaining": "3",
        "expires_on": "2099/6/1",
    },
]


def test_cards_group_by_card_number_and_count_as_liabilities_and_undo(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    _setup(app, api, owner)
    bad = [
        *CARDS,
        {
            "phone": "13800000001",
            "card_no": "K1",
            "card_name": "洗车保养卡",
            "item_name": "精致洗车",
            "remaining": "2",
            "expires_on": "2099-12-31",
        },
        {
            "phone": "13800000001",
            "card_name": "年卡",
            "item_name": "精致洗车",
            "remaining": "2",
            "expires_on": "2099-12-31",
        },
        {
            "phone": "13800000001",
            "card_name": "洗车保养卡",
            "item_name": "补漆",
            "remaining": "2",
            "expires_on": "2099-12-31",
        },
        {
            "phone": "13800000001",
            "card_name": "洗车保养卡",
            "item_name": "精致洗车",
            "remaining": "0",
            "expires_on": "2020-01-01",
        },
        {"phone": "13999999999", "card_name": "洗车保养卡", "item_name": "精致洗车", "remaining": "1"},
    ]
    report = upload(api, owner, "package_cards", xlsx_bytes("package_cards", bad), "cards.xlsx").json
    assert {(e["row"], e["code"]) for e in report["report"]["errors"]} == {
        (6, "duplicate_in_file"),
        (7, "unknown_card"),
        (8, "unknown_card_item"),
        (9, "invalid_number"),
        (9, "already_expired"),
        (10, "missing_value"),
    }
    before = liability_figures_now(app)
    batch = upload(api, owner, "package_cards", xlsx_bytes("package_cards", CARDS), "cards.xlsx").json
    assert batch["error_count"] == 0, batch["report"]["errors"]
    done = _commit(api, owner, batch["id"])
    assert (done["result"]["cards"], done["result"]["card_items"]) == (2, 10)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PackageCard)) == 2
        assert sorted(db.session.scalars(select(PackageCardItem.remaining))) == [1, 3, 6]
    assert liability_figures_now(app)["package_card_items_outstanding"] == before["package_card_items_outstanding"] + 10
    again = upload(api, owner, "package_cards", xlsx_bytes("package_cards", CARDS), "cards.xlsx").json
    assert again["report"]["counts"]["skip"] == 3
    assert api.post(f"/imports/{batch['id']}/undo", owner).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PackageCard)) == 0


def test_coupons_are_issued_unused_and_undo_is_refused_once_one_is_used(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    _setup(app, api, owner)
    rows = [
        {"phone": "13800000001", "coupon_name": "50元保养券", "quantity": "2", "expires_on": "2099-01-31"},
        {"phone": "13800000002", "coupon_name": "100元券", "expires_on": "2099-01-31"},
    ]
    report = upload(api, owner, "coupons", csv_bytes("coupons", rows, encoding="gbk"), "c.csv").json
    assert [(e["row"], e["code"]) for e in report["report"]["errors"]] == [(3, "unknown_coupon")]
    batch = upload(api, owner, "coupons", csv_bytes("coupons", rows[:1], encoding="gbk"), "c.csv").json
    assert _commit(api, owner, batch["id"])["result"]["coupons"] == 2
    with app.app_context():
        coupons = db.session.scalars(select(MemberCoupon)).all()
        assert [(c.status, c.source, c.seq) for c in coupons] == [("unused", "import", 1), ("unused", "import", 2)]
        coupons[0].status, coupons[0].used_at = "used", clock.now()
        db.session.commit()
    refused = api.post(f"/imports/{batch['id']}/undo", owner)
    assert error_code(refused) == "import_undo_refused" and refused.json["error"]["details"]["reason"] == "coupon_used"


def liability_figures_now(app):
    with app.app_context():
        return liability_figures(clock.now())
