"""Demo package cards, stamp cards and coupons (idempotent): templates, and for the first demo
member a wash card, two stamps and a claimed coupon, so the mini-program has something to show."""

from sqlalchemy import select

from app.cards import services
from app.cards.models import PackageCard, PackageCardTemplate, StampCardTemplate
from app.cards.template_services import create_package_template, create_stamp_template
from app.catalog.services import create_service_item, list_service_items
from app.coupons import issuing as coupons
from app.coupons.demo import seed_demo_coupons
from app.coupons.models import MemberCoupon
from app.extensions import db

DEMO_ITEMS = [
    {"name": "精致洗车", "category": "wash", "price_fen": 5000, "duration_minutes": 40},
    {
        "name": "小保养（机油+机滤）",
        "category": "maintenance",
        "price_fen": 39800,
        "duration_minutes": 60,
        "maintenance_interval_months": 6,
        "maintenance_interval_km": 5000,
    },
]


def _service_items():
    known = {item.name: item.id for item in list_service_items(page=1, per_page=100)["items"]}
    return [known.get(data["name"]) or create_service_item(data=data).id for data in DEMO_ITEMS]


def _template(model, name, create, data):
    existing = db.session.scalar(select(model.id).where(model.name == name).limit(1))
    return existing or create(data={"name": name, **data}).id


def seed_demo_cards(*, member_id=None):
    wash, maintenance = _service_items()
    coupon_ids = seed_demo_coupons(wash_item_id=wash)
    wash_card = _template(
        PackageCardTemplate,
        "洗车10次卡",
        create_package_template,
        {"price_fen": 39900, "valid_days": 365, "items": [{"service_item_id": wash, "count": 10}]},
    )
    _template(
        PackageCardTemplate,
        "保养畅享卡",
        create_package_template,
        {
            "price_fen": 99900,
            "valid_days": 365,
            "items": [{"service_item_id": wash, "count": 6}, {"service_item_id": maintenance, "count": 2}],
        },
    )
    _template(
        StampCardTemplate,
        "洗车集章卡（满10送1）",
        create_stamp_template,
        {"service_item_ids": [wash], "stamps_required": 10, "reward_coupon_template_id": coupon_ids["免费精致洗车券"]},
    )
    if member_id is None or db.session.scalar(select(PackageCard.id).where(PackageCard.member_id == member_id)):
        return
    services.sell_package_card(member_id=member_id, template_id=wash_card, paid_via="cash", actor_key="demo")
    for ref_id in (1, 2):
        services.add_stamps(member_id=member_id, service_item_ids=[wash], ref_type="demo", ref_id=ref_id)
    if db.session.scalar(select(MemberCoupon.id).where(MemberCoupon.member_id == member_id)) is None:
        coupons.claim(template_id=coupon_ids["新客立减30元"], member_id=member_id)
