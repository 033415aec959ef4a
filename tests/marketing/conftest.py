"""Marketing fixtures: members seeded straight into the database, jobs run for a chosen day.

The merchant's timezone is Asia/Shanghai (+08:00). ``Seeder`` writes members (and their cars,
tiers, grants) as rows, because the jobs under test read the rows, not the requests that made them.
"""

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.common.jobs import run_job
from app.extensions import db
from app.marketing.models import Message, SubscriptionGrant
from app.members.models import Member, Vehicle
from app.members.tiers.models import Tier
from app.wechat import fake as fake_wechat

SHANGHAI = timezone(timedelta(hours=8))


def local(day, hour=10, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


class Seeder:
    _numbers = itertools.count(1)

    def __init__(self, app):
        self.app = app

    def member(
        self,
        name,
        *,
        birthday=None,
        tier=None,
        last_visit=None,
        first_visit=None,
        visits=None,
        total_paid_fen=None,
        openid=True,
        store_id=None,
        grants=None,
    ):
        """A member row; ``last_visit`` as an aware instant; ``grants`` {template_key: count}."""
        number = next(self._numbers)
        with self.app.app_context():
            member = Member(
                nickname=name,
                referral_code=f"R{number:07d}",
                phone=f"139{number:08d}",
                appid="wx-fake-appid" if openid else None,
                openid=f"openid-{name}-{number}" if openid else None,
                birthday=birthday,
                birthday_month=birthday.month if birthday else None,
                birthday_day=birthday.day if birthday else None,
                registered_store_id=store_id,
                tier_id=self.tier(tier) if tier else None,
                last_paid_visit_at=last_visit,
                first_paid_visit_at=first_visit or last_visit,
                paid_visit_count=visits if visits is not None else (1 if last_visit else 0),
                total_paid_fen=total_paid_fen if total_paid_fen is not None else (10000 if last_visit else 0),
            )
            db.session.add(member)
            db.session.flush()
            for template_key, count in (grants or {}).items():
                db.session.add(
                    SubscriptionGrant(
                        member_id=member.id, template_key=template_key, remaining=count, accepted_total=count
                    )
                )
            db.session.commit()
            return member.id

    def tier(self, rank):
        existing = db.session.scalar(select(Tier.id).where(Tier.rank == rank))
        if existing:
            return existing
        tier = Tier(name=f"tier-{rank}", rank=rank, labor_discount_percent=0)
        db.session.add(tier)
        db.session.flush()
        return tier.id

    def vehicle(self, member_id, plate, **values):
        with self.app.app_context():
            vehicle = Vehicle(member_id=member_id, plate=plate, **values)
            db.session.add(vehicle)
            db.session.commit()
            return vehicle.id

    def grant(self, member_id, template_key, count=1):
        with self.app.app_context():
            grant = db.session.get(SubscriptionGrant, (member_id, template_key))
            if grant is None:
                db.session.add(
                    SubscriptionGrant(
                        member_id=member_id, template_key=template_key, remaining=count, accepted_total=count
                    )
                )
            else:
                grant.remaining += count
            db.session.commit()


@pytest.fixture
def seed(app):
    return Seeder(app)


@pytest.fixture
def run(app):
    """run(job_name, day) -> the job's result, as `flask jobs run NAME --date` would."""

    def runner(name, day):
        with app.app_context():
            return run_job(name, day=day)

    return runner


def messages(app, **filters):
    """[(member_id, kind, status)] of the outbox rows matching ``filters``, by id."""
    with app.app_context():
        stmt = select(Message).order_by(Message.id)
        for name, value in filters.items():
            stmt = stmt.where(getattr(Message, name) == value)
        return db.session.scalars(stmt).all()


def member_ids(app, **filters):
    return sorted(m.member_id for m in messages(app, **filters))


def sent_openids():
    return [entry["openid"] for entry in fake_wechat.SENT]
