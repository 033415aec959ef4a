"""The demo merchant offers coupons and cards, and its first member holds some, created once."""

from sqlalchemy import func, select

from app.cards.models import PackageCard, PackageCardTemplate, StampCard, StampCardTemplate
from app.coupons.models import CouponTemplate, MemberCoupon
from app.extensions import db


def test_seed_demo_creates_offers_and_a_members_cards_once(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():

        def count(model):
            return db.session.scalar(select(func.count()).select_from(model))

        assert count(CouponTemplate) == 3 and count(PackageCardTemplate) == 2 and count(StampCardTemplate) == 1
        assert count(PackageCard) == 1 and count(MemberCoupon) == 1
        assert db.session.scalar(select(StampCard.stamps).where(StampCard.is_open.is_(True))) == 2
