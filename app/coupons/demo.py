"""Demo coupon templates (idempotent by name): the three kinds, claimable and issue-only."""

from sqlalchemy import select

from app.coupons.models import CouponTemplate
from app.coupons.template_services import create_template
from app.extensions import db


def seed_demo_coupons(*, wash_item_id):
    """Create the demo templates that are missing; returns {name: template id}."""
    templates = [
        {
            "name": "新客立减30元",
            "kind": "cash_off",
            "value_fen": 3000,
            "threshold_fen": 20000,
            "valid_days": 30,
            "total_stock": 500,
            "claimable": True,
        },
        {
            "name": "保养9折（最高减50元）",
            "kind": "percent_off",
            "percent_off": 10,
            "max_off_fen": 5000,
            "applicable_categories": ["maintenance"],
            "valid_days": 60,
            "claimable": True,
        },
        {
            "name": "免费精致洗车券",
            "kind": "item_voucher",
            "service_item_id": wash_item_id,
            "valid_days": 90,
            "claimable": False,
        },
    ]
    ids = {}
    for data in templates:
        existing = db.session.scalar(select(CouponTemplate.id).where(CouponTemplate.name == data["name"]).limit(1))
        ids[data["name"]] = existing or create_template(data=data).id
    return ids
