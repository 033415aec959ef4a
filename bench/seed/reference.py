"""The chain the benchmark members belong to: stores, staff, tiers, catalog, coupon and card templates.

Created through the ORM (a few dozen rows); the population in ``population.py`` refers to them by
the ids returned here.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from app.cards.models import PackageCardTemplate, PackageCardTemplateItem
from app.catalog.models import Part, ServiceItem
from app.catalog.stock_services import open_stock
from app.coupons.models import CouponTemplate
from app.extensions import db
from app.marketing.models import Campaign, Segment
from app.marketing.settings_services import marketing_settings as get_marketing_settings
from app.members.models import Tag
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.stores.models import Store
from app.stores.services import create_staff
from app.wallet.models import TopupPlan

BENCH_PASSWORD = "bench-password"
STORE_NAMES = ["Pitstop 南山店", "Pitstop 福田店", "Pitstop 宝安店", "Pitstop 龙华店", "Pitstop 天河店"]
OPENING_HOURS = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# (name, rank, labor %, parts %, points multiplier, 12-month spend to keep it)
TIERS = [
    ("普通会员", 0, 0, 0, 1, 0),
    ("银卡会员", 1, 5, 0, 1.2, 200_000),
    ("金卡会员", 2, 10, 5, 1.5, 500_000),
    ("钻石会员", 3, 15, 8, 2, 1_500_000),
]
TAGS = ["新能源车主", "家用车", "网约车", "高价值", "企业客户"]
# (name, category, price_fen, minutes, maintenance months, maintenance km, how often chosen)
SERVICE_ITEMS = [
    ("标准洗车", "wash", 4_000, 30, None, None, 34),
    ("精致洗车", "wash", 8_000, 60, None, None, 14),
    ("小保养", "maintenance", 30_000, 60, 6, 5_000, 18),
    ("大保养", "maintenance", 80_000, 120, 12, 10_000, 6),
    ("钣金喷漆", "repair", 120_000, 240, None, None, 5),
    ("更换轮胎", "repair", 60_000, 60, None, None, 5),
    ("漆面镀晶", "beauty", 150_000, 240, None, None, 4),
    ("内饰清洁", "beauty", 30_000, 90, None, None, 8),
    ("四轮定位", "other", 15_000, 45, None, None, 6),
]
OPENING_STOCK = 1_000_000  # per store and part: the seeded orders never run a store out
# (name, sku, price_fen): parts a maintenance uses
PARTS = [("全合成机油 4L", "OIL-4L", 28_000), ("机油滤芯", "FLT-OIL", 5_000), ("空气滤芯", "FLT-AIR", 8_000)]
# (key, name, value_fen, threshold_fen, valid_days)
COUPONS = [
    ("welcome", "新客立减券", 2_000, 0, 30),
    ("birthday", "生日礼券", 5_000, 10_000, 30),
    ("win_back", "老友回店券", 3_000, 10_000, 30),
    ("campaign", "会员日满减券", 5_000, 30_000, 30),
]
TOPUP_PLANS = [("充500送50", 50_000, 5_000), ("充1000送150", 100_000, 15_000), ("充3000送600", 300_000, 60_000)]


@dataclass
class Reference:
    store_ids: list
    cashier_ids: dict  # store id -> staff id
    tiers: list  # (id, rank, labor %, parts %, multiplier, min spend), best last
    tag_ids: list
    items: list  # (id, name, category, price, minutes, months, km, weight)
    parts: list  # (id, name, price)
    coupons: dict  # key -> (id, value, threshold, valid days)
    plans: list  # (id, pay, bonus)
    card_template: tuple  # (id, name, price, valid days, [(service item id, count)])
    campaigns: list  # (id, sent at)
    logins: list = field(default_factory=list)


def create_reference(store_count, *, now):
    """Create the chain's settings, stores, staff, tiers, tags, catalog and templates; flush only."""
    get_settings()
    marketing_settings = get_marketing_settings()
    stores = []
    for number in range(store_count):
        store = Store(
            name=STORE_NAMES[number % len(STORE_NAMES)] + ("" if number < len(STORE_NAMES) else f" {number}"),
            bays=6,
            slot_minutes=30,
            opening_hours=OPENING_HOURS,
            closed_dates=[],
        )
        db.session.add(store)
        stores.append(store)
    db.session.flush()
    store_ids = [store.id for store in stores]
    logins = []
    create_staff(username="bench-owner", password=BENCH_PASSWORD, role="owner", store_ids=store_ids)
    create_staff(username="bench-marketing", password=BENCH_PASSWORD, role="marketing", store_ids=store_ids)
    logins += [f"owner     bench-owner / {BENCH_PASSWORD}", f"marketing bench-marketing / {BENCH_PASSWORD}"]
    cashier_ids = {}
    for store_id in store_ids:
        staff = create_staff(
            username=f"bench-cashier{store_id}", password=BENCH_PASSWORD, role="cashier", store_ids=[store_id]
        )
        cashier_ids[store_id] = staff.id
        logins.append(f"cashier   bench-cashier{store_id} / {BENCH_PASSWORD}")

    tiers = [
        Tier(
            name=name,
            rank=rank,
            labor_discount_percent=labor,
            parts_discount_percent=parts,
            points_multiplier=multiplier,
            min_spend_12m_fen=spend,
        )
        for name, rank, labor, parts, multiplier, spend in TIERS
    ]
    tags = [Tag(name=name) for name in TAGS]
    items = [
        ServiceItem(
            name=name,
            category=category,
            price_fen=price,
            duration_minutes=minutes,
            maintenance_interval_months=months,
            maintenance_interval_km=km,
        )
        for name, category, price, minutes, months, km, _weight in SERVICE_ITEMS
    ]
    parts = [Part(name=name, sku=sku, price_fen=price, low_stock_threshold=50) for name, sku, price in PARTS]
    coupons = {
        key: CouponTemplate(
            name=name,
            kind="cash_off",
            value_fen=value,
            threshold_fen=threshold,
            valid_days=days,
            issued_count=0,
            claimable=key == "welcome",
        )
        for key, name, value, threshold, days in COUPONS
    }
    plans = [TopupPlan(name=name, pay_fen=pay, bonus_fen=bonus) for name, pay, bonus in TOPUP_PLANS]
    card = PackageCardTemplate(name="洗车十次卡", price_fen=30_000, valid_days=365)
    db.session.add_all([*tiers, *tags, *items, *parts, *coupons.values(), *plans, card])
    db.session.flush()
    db.session.add(PackageCardTemplateItem(template_id=card.id, service_item_id=items[0].id, count=10))
    for store_id in store_ids:  # every store opens with plenty of each part, as ledger movements
        for part in parts:
            open_stock(store_id=store_id, part_id=part.id, quantity=OPENING_STOCK, now=now)
    segment = Segment(
        name="流失风险会员", rules={"all": [{"field": "lifecycle", "op": "in", "value": ["at_risk", "churned"]}]}
    )
    db.session.add(segment)
    db.session.flush()
    campaigns = [
        Campaign(
            name=f"会员日 {days} 天前",
            segment_id=segment.id,
            coupon_template_id=coupons["campaign"].id,
            template_key="campaign",
            fields={"thing1": "会员日满减券已到账"},
            send_at=now - timedelta(days=days),
            status="sent",
            launched_at=now - timedelta(days=days),
            created_at=now - timedelta(days=days + 3),
        )
        for days in (90, 60, 30)
    ]
    db.session.add_all(campaigns)
    marketing_settings.win_back_coupon_template_id = coupons["win_back"].id
    marketing_settings.birthday_coupons = {"default": coupons["birthday"].id}
    db.session.flush()
    return Reference(
        store_ids=store_ids,
        cashier_ids=cashier_ids,
        tiers=[
            (
                t.id,
                t.rank,
                t.labor_discount_percent,
                t.parts_discount_percent,
                float(t.points_multiplier),
                t.min_spend_12m_fen,
            )
            for t in tiers
        ],
        tag_ids=[tag.id for tag in tags],
        items=[(item.id, *spec[:-1], spec[-1]) for item, spec in zip(items, SERVICE_ITEMS, strict=False)],
        parts=[(part.id, part.name, part.price_fen) for part in parts],
        coupons={
            key: (template.id, template.value_fen, template.threshold_fen, template.valid_days)
            for key, template in coupons.items()
        },
        plans=[(plan.id, plan.pay_fen, plan.bonus_fen) for plan in plans],
        card_template=(card.id, card.name, card.price_fen, card.valid_days, [(items[0].id, 10)]),
        campaigns=[(campaign.id, campaign.send_at) for campaign in campaigns],
        logins=logins,
    )
