"""Marketing benchmark: segment previews and a full daily scan (every daily job for one day) on
100,000 members.

    python bench/bench_marketing.py [--members 100000] [--runs 3] [--reset]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench_marketing.db (recreated on every run). It is built by the migrations,
then bulk-seeded with INSERTs (executemany, not the API): members over three tiers with birthdays
over the year and visit statistics over two years, tags, one car each (purchase dates and next
maintenance due dates spread over the coming year), wallets for half of them, unused coupons
expiring over the coming month, settled visits of the last ten days, subscribe grants for most
members and tomorrow's bookings. A PostgreSQL database that already holds members is only wiped
with --reset (it drops the public schema).

Timed as service calls in an app context:
- segment previews (count + a sample of 10 with their summaries) for a simple and a complex rule set;
- the daily scan: each daily job run through ``run_job`` for one day (metrics, birthdays,
  maintenance, first maintenance, coupon expiry, win-back, follow-ups, booking reminders, points
  expiry, tier review, campaign sends), first run and rerun (the rerun inserts nothing);
- the sender draining up to 2,000 queued messages with the fake WeChat client.
"""
import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert, text  # noqa: E402

from bench_database import prepare_database  # noqa: E402

SQLITE_PATH = Path("/tmp/pitstop_bench_marketing.db")
BATCH = 10_000
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DAILY_JOBS = ["member_metrics", "birthday_greetings", "maintenance_reminders", "first_maintenance_reminders",
              "coupon_expiry_notices", "win_back_offers", "service_follow_ups", "booking_reminders",
              "points_expiry", "tier_review", "campaign_sends"]
OTHER_DOMAINS = ["points_expiry", "tier_review"]  # their work, registered in app/marketing/jobs.py
SIMPLE_RULES = {"all": [{"field": "lifecycle", "op": "in", "value": ["at_risk", "churned"]}]}
COMPLEX_RULES = {"all": [
    {"field": "tier_rank", "op": "gte", "value": 1},
    {"any": [{"field": "tags", "op": "has_any", "value": [1, 3]}, {"field": "value_class", "op": "eq", "value": "high"}]},
    {"field": "last_visit", "op": "within_days", "value": 365},
    {"field": "balance", "op": "gte", "value": 10_000},
    {"field": "vehicle_age", "op": "between", "value": [1, 6]},
    {"field": "unused_coupons", "op": "gte", "value": 1},
    {"field": "store", "op": "in", "value": [1]},
]}


def database_url(reset):
    return prepare_database(SQLITE_PATH, reset=reset)


def _member_row(i, rng):
    birthday = date(1970 + i % 35, 1, 1) + timedelta(days=rng.randrange(365))
    visits = rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 9, 14])
    last = NOW - timedelta(days=rng.randrange(730), hours=rng.randrange(24)) if visits else None
    first = last - timedelta(days=rng.randrange(30, 900)) if visits > 1 else last
    total = visits * rng.randrange(5_000, 150_000) if visits else 0
    return {"id": i, "phone": f"139{i:08d}", "nickname": f"车主{i}", "referral_code": f"M{i:07d}",
            "appid": "wx-bench", "openid": f"bench-openid-{i}", "source": "wechat", "gender": "unknown",
            "birthday": birthday, "birthday_month": birthday.month, "birthday_day": birthday.day,
            "tier_id": rng.choice([1, 1, 1, 2, 2, 3]), "registered_store_id": rng.choice([1, 2]),
            "paid_visit_count": visits, "total_paid_fen": total, "last_paid_visit_at": last,
            "first_paid_visit_at": first, "created_at": NOW - timedelta(days=900)}


def seed(app, members):
    from app.bookings.models import Booking
    from app.catalog.models import ServiceItem
    from app.coupons.models import CouponTemplate, MemberCoupon
    from app.extensions import db
    from app.marketing.models import SubscriptionGrant, Visit
    from app.members.models import Member, MemberTag, Tag, Tier, Vehicle
    from app.stores.models import Store
    from app.wallet.models import Wallet

    rng = random.Random(7)
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(insert(Store), [{"id": 1, "name": "南山店", "created_at": NOW},
                                         {"id": 2, "name": "福田店", "created_at": NOW}])
            # Nobody spent enough in the last 12 months for a better tier (no work orders are seeded):
            # the tier review scans everyone and changes no one, as on an ordinary night.
            conn.execute(insert(Tier), [{"id": rank + 1, "name": f"tier {rank}", "rank": rank,
                                         "labor_discount_percent": rank * 5, "min_spend_12m_fen": rank * 300_000,
                                         "created_at": NOW} for rank in range(3)])
            conn.execute(insert(Tag), [{"id": i, "name": f"tag {i}", "created_at": NOW} for i in range(1, 6)])
            conn.execute(insert(ServiceItem), [{"id": 1, "name": "保养", "category": "maintenance", "price_fen": 30_000,
                                                "created_at": NOW}])
            conn.execute(insert(CouponTemplate), [{"id": 1, "name": "保养券", "kind": "cash_off", "value_fen": 2_000,
                                                   "valid_days": 60, "claimable": False, "created_at": NOW}])
            coupon_id = booking_id = 0
            for start in range(1, members + 1, BATCH):
                ids = range(start, min(start + BATCH, members + 1))
                conn.execute(insert(Member), [_member_row(i, rng) for i in ids])
                conn.execute(insert(MemberTag), [{"member_id": i, "tag_id": 1 + i % 5} for i in ids if i % 3])
                conn.execute(insert(Vehicle), [
                    {"id": i, "member_id": i, "plate": f"粤{LETTERS[i // 100_000]}{i % 100_000:05d}",
                     "purchase_date": DAY - timedelta(days=rng.randrange(170, 3650)),
                     "last_maintenance_date": DAY - timedelta(days=rng.randrange(30, 200)) if i % 4 else None,
                     "next_maintenance_due_date": DAY + timedelta(days=rng.randrange(-30, 365)) if i % 4 else None,
                     "created_at": NOW} for i in ids])
                conn.execute(insert(Wallet), [{"member_id": i, "principal_fen": 20_000 * (i % 7), "bonus_fen": 0,
                                               "balance_fen": 20_000 * (i % 7), "updated_at": NOW}
                                              for i in ids if i % 2])
                coupons = []
                for i in ids:
                    if i % 3 == 0:
                        coupon_id += 1
                        coupons.append({"id": coupon_id, "code": f"BC{coupon_id:08d}", "template_id": 1, "member_id": i,
                                        "seq": 1, "status": "unused", "source": "grant", "valid_from": NOW,
                                        "valid_until": NOW + timedelta(days=rng.randrange(1, 30)), "created_at": NOW})
                conn.execute(insert(MemberCoupon), coupons)
                conn.execute(insert(SubscriptionGrant), [
                    {"member_id": i, "template_key": key, "remaining": 1 + i % 3, "accepted_total": 1 + i % 3,
                     "updated_at": NOW}
                    for i in ids if i % 5 for key in ("maintenance_due", "birthday_greeting", "win_back_offer",
                                                      "service_follow_up", "booking_reminder", "coupon_expiring",
                                                      "campaign")])
                conn.execute(insert(Visit), [
                    {"work_order_id": i, "member_id": i, "store_id": 1 + i % 2, "plate": f"粤{LETTERS[i // 100_000]}"
                     f"{i % 100_000:05d}", "paid_fen": 30_000, "settled_at": NOW - timedelta(days=i % 10),
                     "settled_on": DAY - timedelta(days=i % 10)} for i in ids if i % 33 == 0])
                bookings = []
                for i in ids:
                    if i % 500 == 0:
                        booking_id += 1
                        start_at = NOW + timedelta(days=1, minutes=30 * (booking_id % 16))
                        bookings.append({"id": booking_id, "store_id": 1, "member_id": i, "vehicle_id": i,
                                         "service_item_id": 1, "plate": f"粤{LETTERS[i // 100_000]}{i % 100_000:05d}",
                                         "start_at": start_at, "end_at": start_at + timedelta(minutes=30),
                                         "status": "booked", "created_at": NOW, "updated_at": NOW})
                if bookings:
                    conn.execute(insert(Booking), bookings)
            if conn.dialect.name == "postgresql":
                for table in ("members", "vehicles", "member_coupons", "bookings", "stores", "tiers", "tags",
                              "service_items", "coupon_templates"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
                conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.common import clock
    from app.common.jobs import run_job
    from app.extensions import db
    from app.marketing.campaigns import create_campaign
    from app.marketing.segments import create_segment, preview_rules
    from app.marketing.sender import send_outbox
    from app.marketing.settings_services import update_marketing_settings

    url = database_url(args.reset)
    app = create_app("production" if os.environ.get("PITSTOP_ENV") == "production" else "development",
                     {"SQLALCHEMY_DATABASE_URI": url, "WECHAT_MODE": "fake", "MARKETING_SEND_PER_RUN": 2_000})
    with app.app_context():
        upgrade()
    seeded = seed(app, args.members)
    clock.set_now(NOW)
    print(f"database: {url.split('@')[-1]}  members: {args.members:,}  seeded in {seeded:.1f} s  "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    with app.app_context():
        update_marketing_settings(changes={"birthday_coupons": {"default": 1}, "birthday_call_min_tier_rank": 2})
        segment = create_segment(name="bench: high value, active", rules={"all": [
            {"field": "value_class", "op": "eq", "value": "high"}, {"field": "lifecycle", "op": "eq", "value": "active"}]})
        create_campaign(name="bench", segment_id=segment.id, send_at=NOW - timedelta(hours=12),
                        message={"template_key": "campaign", "fields": {"thing1": "{nickname}的爱车{plate}",
                                                                        "thing2": "您有一项车主权益待查看"}})
        db.session.commit()

    print("\ndaily scan (run_job per job, one day):")
    first = {}
    for name in DAILY_JOBS:
        with app.app_context():
            first[name], result = timed(lambda: run_job(name, day=DAY))
        print(f"  {name:<28} {first[name] * 1000:9.1f} ms  {result}")
    rerun = {}
    for name in DAILY_JOBS:
        with app.app_context():
            rerun[name] = timed(lambda: run_job(name, day=DAY))[0]
    own = [name for name in DAILY_JOBS if name not in OTHER_DOMAINS]
    for label, names in (("marketing's jobs", own), ("other domains' jobs", OTHER_DOMAINS), ("all daily jobs", DAILY_JOBS)):
        print(f"  {'TOTAL ' + label:<34} first run {sum(first[n] for n in names) * 1000:9.1f} ms   "
              f"rerun (nothing new) {sum(rerun[n] for n in names) * 1000:9.1f} ms")

    print("\nsegment preview (count + sample of 10 with summaries):")
    for label, rules in (("simple: lifecycle at_risk/churned", SIMPLE_RULES), ("complex: 7 conditions", COMPLEX_RULES)):
        samples = []
        for _ in range(args.runs):
            with app.app_context():
                elapsed, result = timed(lambda: preview_rules(rules, now=NOW))
            samples.append(elapsed)
        print(f"  {label:<36} median {statistics.median(samples) * 1000:8.1f} ms  "
              f"max {max(samples) * 1000:8.1f} ms  count {result['count']:,}")

    with app.app_context():
        elapsed, result = timed(lambda: send_outbox(now=NOW + timedelta(hours=12)))
        db.session.commit()
    handled = sum(result.values())
    print(f"\nsender (fake WeChat): {handled:,} messages in {elapsed:.2f} s "
          f"({handled / elapsed if elapsed else 0:,.0f}/s)  {result}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
