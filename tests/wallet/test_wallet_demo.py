"""The demo merchant offers top-up plans and shows a first balance; seeding twice adds nothing."""

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import TopupPlan, WalletEntry


def test_seed_demo_creates_plans_and_one_top_up_once(app, runner, api):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(TopupPlan.id))) == 3
        [entry] = db.session.scalars(select(WalletEntry)).all()
        assert (entry.principal_fen, entry.bonus_fen) == (100000, 15000)
        assert db.session.scalar(select(TopupPlan.grants_tier_id).where(TopupPlan.pay_fen == 300000)) is not None
