"""Rules the counter relies on in the members domain: maintenance due, tier rules, visit statistics."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import literal, select, union_all

from app.common import clock
from app.extensions import db
from app.members import maintenance, visits
from app.members.models import Member, Vehicle
from app.members.tiers import rules as tier_rules
from app.members.tiers.models import Tier, TierChange

UTC = UTC


def test_next_due_is_the_earlier_of_time_and_projected_mileage():
    last = date(2026, 1, 31)
    # Time only: months are calendar months, clamped to the month's end.
    assert maintenance.next_due(last_date=last, last_km=None, interval_months=1) == (date(2026, 2, 28), None)
    # 50 km/day reaches 5,000 km in 100 days, before 6 months.
    assert maintenance.next_due(
        last_date=last, last_km=20000, interval_months=6, interval_km=5000, pace_km_per_day=50
    ) == (date(2026, 5, 11), 25000)
    # 10 km/day needs 500 days: the 6 months come first.
    assert maintenance.next_due(
        last_date=last, last_km=20000, interval_months=6, interval_km=5000, pace_km_per_day=10
    ) == (date(2026, 7, 31), 25000)
    # A km interval without a pace gives a mileage but no date.
    assert maintenance.next_due(last_date=last, last_km=20000, interval_km=5000) == (None, 25000)


def test_pace_needs_thirty_days_of_history():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    car = Vehicle(
        plate="粤B12345",
        first_mileage_km=1000,
        first_mileage_recorded_at=start,
        mileage_km=1600,
        mileage_recorded_at=start + timedelta(days=29),
    )
    assert maintenance.km_per_day(car) is None
    car.mileage_recorded_at = start + timedelta(days=30)
    assert maintenance.km_per_day(car) == 20
    car.mileage_km = 1000
    assert maintenance.km_per_day(car) is None


def test_record_maintenance_takes_the_earliest_item(app):
    with app.app_context():
        car = Vehicle(plate="粤B12345", mileage_km=30000)
        db.session.add(car)
        db.session.flush()
        maintenance.record_maintenance(
            vehicle_id=car.id, intervals=[(12, 10000), (6, None), (None, None)], on_date=date(2026, 3, 2)
        )
        assert (car.next_maintenance_due_date, car.next_maintenance_due_km) == (date(2026, 9, 2), 40000)
        assert (car.last_maintenance_date, car.last_maintenance_km) == (date(2026, 3, 2), 30000)
        untouched = maintenance.record_maintenance(
            vehicle_id=car.id, intervals=[(None, None)], on_date=date(2026, 4, 1)
        )
        assert untouched.last_maintenance_date == date(2026, 3, 2)
        db.session.rollback()


def _member(code, tier=None):
    member = Member(referral_code=code, tier_id=tier.id if tier else None)
    db.session.add(member)
    db.session.flush()
    return member


def _spend_query(spend):
    """The spend dict as a SELECT (member_id, fen), read when the review runs."""

    def query(*, since):
        rows = [select(literal(m).label("member_id"), literal(fen).label("fen")) for m, fen in spend.items()]
        return union_all(*rows) if len(rows) > 1 else rows[0]

    return query


@pytest.mark.parametrize("as_query", [False, True], ids=["per-member source", "source with a query"])
def test_tier_review_upgrades_and_downgrades_after_a_year(app, as_query):
    spend = {}
    source = lambda *, member_ids, since: {m: spend.get(m, 0) for m in member_ids}  # noqa: E731
    tier_rules.register_spend_source(source, query=_spend_query(spend) if as_query else None)
    try:
        with app.app_context():
            silver = Tier(name="Silver", rank=1, min_spend_12m_fen=100000)
            gold = Tier(name="Gold", rank=2, min_spend_12m_fen=500000)
            db.session.add_all([silver, gold])
            db.session.flush()
            climber, staff_given, plain = _member("AAAA1111"), _member("AAAA2222", gold), _member("AAAA3333")
            spend.update({climber.id: 600000, staff_given.id: 0, plain.id: 50000})
            now = datetime(2026, 3, 2, tzinfo=UTC)
            assert tier_rules.check_upgrade(member_id=climber.id, now=now).id == gold.id
            assert tier_rules.check_upgrade(member_id=climber.id, now=now) is None  # already there

            spend[climber.id] = 150000  # spend fell back to silver's level
            assert tier_rules.review_tiers(now=now + timedelta(days=200)) == {"upgraded": 0, "downgraded": 0}
            assert tier_rules.review_tiers(now=now + timedelta(days=366)) == {"upgraded": 0, "downgraded": 1}
            assert climber.tier_id == silver.id
            assert staff_given.tier_id == gold.id  # assigned by hand: the review leaves it
            assert plain.tier_id is None
            spend[plain.id] = 120000
            assert tier_rules.review_tiers(now=now + timedelta(days=367)) == {"upgraded": 1, "downgraded": 0}
            assert plain.tier_id == silver.id
            reasons = db.session.scalars(db.select(TierChange.reason).order_by(TierChange.id)).all()
            assert reasons == ["upgrade", "review_downgrade", "review_upgrade"]
            db.session.rollback()
    finally:
        tier_rules._spend_sources.remove(source)
        tier_rules._spend_queries.pop(source, None)


@pytest.mark.parametrize("as_query", [False, True], ids=["per-member source", "source with a query"])
def test_tier_review_reads_the_members_last_change_only(app, monkeypatch, as_query):
    """A tier is kept 12 months from the change that brought the member to it: an older change to
    the same tier, or an old change followed by a newer one, does not let the review move them down.
    (With the one spend source here, its rows are the spend as they are.)"""
    spend = {}
    source = lambda *, member_ids, since: {m: spend.get(m, 0) for m in member_ids}  # noqa: E731
    monkeypatch.setattr(tier_rules, "_spend_sources", [])
    monkeypatch.setattr(tier_rules, "_spend_queries", {})
    tier_rules.register_spend_source(source, query=_spend_query(spend) if as_query else None)
    with app.app_context():
        silver = Tier(name="Silver", rank=1, min_spend_12m_fen=100000)
        gold = Tier(name="Gold", rank=2, min_spend_12m_fen=500000)
        db.session.add_all([silver, gold])
        db.session.flush()
        # Reached silver two years ago and gold 200 days ago; now spends at silver's level.
        climber, returner = _member("CCCC1111"), _member("CCCC2222")
        start = datetime(2025, 1, 10, tzinfo=UTC)
        spend.update({climber.id: 150000, returner.id: 150000})
        # The returner was on gold once before, over a year before the others' first change.
        db.session.add(
            TierChange(
                member_id=returner.id,
                from_tier_id=None,
                to_tier_id=gold.id,
                reason="upgrade",
                spend_12m_fen=0,
                created_at=start - timedelta(days=30),
            )
        )
        db.session.flush()
        for member in (climber, returner):
            for tier, at in ((silver, start), (gold, start + timedelta(days=530))):
                db.session.add(
                    TierChange(
                        member_id=member.id,
                        from_tier_id=member.tier_id,
                        to_tier_id=tier.id,
                        reason="upgrade",
                        spend_12m_fen=0,
                        created_at=at,
                    )
                )
                member.tier_id = tier.id
            db.session.flush()
        assert tier_rules.review_tiers(now=start + timedelta(days=730)) == {"upgraded": 0, "downgraded": 0}
        assert (climber.tier_id, returner.tier_id) == (gold.id, gold.id)
        # 12 months after the last change, both go down to the tier their spend reaches.
        assert tier_rules.review_tiers(now=start + timedelta(days=530 + 366)) == {"upgraded": 0, "downgraded": 2}
        assert (climber.tier_id, returner.tier_id) == (silver.id, silver.id)
        db.session.rollback()


def test_visits_count_and_revert(app):
    with app.app_context():
        member = _member("BBBB1111")
        first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
        visits.record_paid_visit(member_id=member.id, paid_fen=3000, at=second)
        visits.record_paid_visit(member_id=member.id, paid_fen=2000, at=first)  # recorded out of order
        assert (member.paid_visit_count, member.total_paid_fen) == (2, 5000)
        assert (member.first_paid_visit_at, member.last_paid_visit_at) == (first, second)
        visits.revert_paid_visit(member_id=member.id, paid_fen=3000, first_at=first, last_at=first)
        assert (member.paid_visit_count, member.total_paid_fen, member.last_paid_visit_at) == (1, 2000, first)
        db.session.rollback()


def test_paid_spend_by_member_counts_settled_orders_in_the_window(app, api, staff_tokens, stores, catalog, member):
    from app.workorders.stats import paid_spend_by_member
    from tests.factories import open_order
    from tests.helpers import settle

    order = open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 5000}])
    open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    with app.app_context():
        now = clock.now()
        assert paid_spend_by_member(member_ids=[member["id"], 999], since=now - timedelta(days=1)) == {
            member["id"]: 5000
        }
        assert paid_spend_by_member(member_ids=[member["id"]], since=now + timedelta(seconds=1)) == {}
        assert paid_spend_by_member(member_ids=[], since=now) == {}


def test_tier_review_on_a_shop_without_tiers_changes_nothing(app, member):
    with app.app_context():
        assert db.session.scalar(select(Tier.id)) is None
        assert tier_rules.review_tiers(now=datetime(2026, 6, 1, tzinfo=UTC)) == {"upgraded": 0, "downgraded": 0}
        assert db.session.scalar(select(TierChange.id)) is None
