"""The demo merchant: idempotent, so running it twice changes nothing."""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.members import services as members
from app.members.models import Member, Tag
from app.members.tiers import services as tier_services
from app.members.tiers.models import Tier
from app.members.vehicle_services import claim_vehicle
from app.merchant.services import get_settings
from app.stores import services as stores
from app.stores.models import Staff, Store
from app.wallet import plans as topup_plans
from app.wallet import services as wallet
from app.wallet.models import TopupPlan

DEMO_PASSWORD = "pitstop-demo"
STORES = ["Pitstop 南山店", "Pitstop 福田店"]
STAFF = [
    ("owner", "owner", (1, 2)),
    ("marketing", "marketing", (1, 2)),
    ("cashier1", "cashier", (1,)),
    ("cashier2", "cashier", (2,)),
    ("advisor1", "advisor", (1,)),
    ("tech1", "technician", (1,)),
    ("tech2", "technician", (1,)),
]
TIERS = [
    # The counter may put a member on the two lower tiers; gold stays the owner's to give.
    {"name": "普通会员", "rank": 0, "labor_discount_percent": 0, "care_note": "greeting", "counter_assignable": True},
    {
        "name": "银卡会员",
        "rank": 1,
        "labor_discount_percent": 5,
        "parts_discount_percent": 0,
        "points_multiplier": 1.2,
        "min_spend_12m_fen": 200000,
        "care_note": "holiday gift",
        "counter_assignable": True,
    },
    {
        "name": "金卡会员",
        "rank": 2,
        "labor_discount_percent": 10,
        "parts_discount_percent": 5,
        "points_multiplier": 1.5,
        "min_spend_12m_fen": 500000,
        "care_note": "personal call and gift",
    },
]
TAGS = ["新能源车主", "家用车", "网约车", "高价值"]
MEMBERS = [
    ("13800000001", "张伟", "粤B12345", date(1985, 3, 14)),
    ("13800000002", "李娜", "粤BD12345", date(1990, 11, 26)),
    ("13800000003", "王芳", "粤B8K9Q2", None),
]
# (name, pay_fen, bonus_fen, tier granted): the top-up plans the counter and the mini-program offer.
TOPUP_PLANS = [
    ("充500送50", 50000, 5000, None),
    ("充1000送150", 100000, 15000, None),
    ("充3000送600 升银卡", 300000, 60000, "银卡会员"),
]


def _ensure_store(store_id, name):
    store = db.session.get(Store, store_id)
    return store or stores.create_store(name=name)


def seed_demo():
    get_settings()
    store_ids = [_ensure_store(index, name).id for index, name in enumerate(STORES, start=1)]
    logins = []
    for username, role, store_numbers in STAFF:
        if db.session.scalar(select(Staff.id).where(Staff.username == username)) is None:
            stores.create_staff(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                store_ids=[store_ids[n - 1] for n in store_numbers],
            )
        logins.append(f"{role:9} {username} / {DEMO_PASSWORD}")
    for tier in TIERS:
        if db.session.scalar(select(Tier.id).where(Tier.name == tier["name"])) is None:
            tier_services.create_tier(data=tier)
    for name in TAGS:
        if db.session.scalar(select(Tag.id).where(Tag.name == name)) is None:
            tier_services.create_tag(name=name)
    for phone, nickname, plate, birthday in MEMBERS:
        member = db.session.scalar(select(Member).where(Member.phone == phone))
        if member is None:
            member = members.register_at_counter(phone=phone, nickname=nickname, store_id=store_ids[0])
            members.set_birthday(member, birthday)
            claim_vehicle(member=member, plate=plate, model="demo car", mileage_km=30000)
    _seed_wallets()
    _seed_cards_and_coupons()
    logins.append('member    any mini-program login code, e.g. POST /api/v1/auth/wechat/login {"code": "alice"}')
    return logins


def _seed_wallets():
    """Top-up plans, and a first top-up for the first demo member so the counter shows a balance."""
    for name, pay_fen, bonus_fen, tier_name in TOPUP_PLANS:
        if db.session.scalar(select(TopupPlan.id).where(TopupPlan.name == name)) is None:
            tier_id = db.session.scalar(select(Tier.id).where(Tier.name == tier_name)) if tier_name else None
            topup_plans.create_topup_plan(
                data={"name": name, "pay_fen": pay_fen, "bonus_fen": bonus_fen, "grants_tier_id": tier_id}
            )
    member_id = db.session.scalar(select(Member.id).where(Member.phone == MEMBERS[0][0]))
    if wallet.list_entries(member_id=member_id, page=1, per_page=1)["total"] == 0:
        wallet.top_up(member_id=member_id, amount_fen=TOPUP_PLANS[1][1], paid_via="cash", actor_key="demo")


def _seed_cards_and_coupons():
    from app.cards.demo import seed_demo_cards

    seed_demo_cards(member_id=db.session.scalar(select(Member.id).where(Member.phone == MEMBERS[0][0])))
