"""Referral test helpers: joining with a code, the merchant's referral rules, reading the records."""
import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.members.models import Member
from app.merchant.services import update_settings
from app.referrals.models import Referral, ReferralRefusal


def join(api, code, referral_code=None):
    """Log in through the API (a first login creates the member), presenting a referral code."""
    body = {"code": code}
    if referral_code is not None:
        body["referral_code"] = referral_code
    response = api.post("/auth/wechat/login", json=body)
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


def set_rules(app, **values):
    with app.app_context():
        update_settings(changes=values)
        db.session.commit()


def referral_rows(app):
    """{referred member id: (referrer id, status)} of every referral."""
    with app.app_context():
        return {r.referred_id: (r.referrer_id, r.status) for r in db.session.scalars(select(Referral))}


def refusal_rows(app):
    """[(member id, referrer id, reason, attempts)] of every recorded refusal, in order."""
    with app.app_context():
        rows = db.session.scalars(select(ReferralRefusal).order_by(ReferralRefusal.id))
        return [(r.member_id, r.referrer_id, r.reason, r.attempts) for r in rows]


def mark_visited(app, member_id):
    with app.app_context():
        db.session.execute(update(Member).where(Member.id == member_id).values(paid_visit_count=1))
        db.session.commit()


@pytest.fixture
def joiner(api):
    return lambda code, referral_code=None: join(api, code, referral_code)
