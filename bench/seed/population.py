"""Members and their history for the benchmark data set, generated member by member.

Each member gets a visiting habit (a mean interval between visits and how recently they came), cars
with plates spread over provinces, and then their history in time order: work orders (lines priced
with the tier they held then, tenders that add up to the total), stored value top-ups and spends,
points lots earned per order (expired where two years have passed), coupons issued and used, tier
upgrades by rolling 12-month spend and the review's downgrades. Every ledger adds up the way the
services keep it: a wallet's balance is the sum of its entries, points balances the sum of their
entries and of the live lots, coupon uses name the order that used them.

Rows are plain tuples in the column order of ``COLUMNS``, gathered per chunk of members and handed
to the loader table by table in ``COLUMNS`` order (parents before children).
"""

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.common.clock import add_months
from app.wallet.points import expiry_for, points_for_payment
from app.wallet.services import spend_split

COLUMNS = {
    "members": (
        "id",
        "appid",
        "openid",
        "phone",
        "nickname",
        "gender",
        "birthday",
        "birthday_month",
        "birthday_day",
        "tier_id",
        "referral_code",
        "source",
        "registered_store_id",
        "last_paid_visit_at",
        "first_paid_visit_at",
        "paid_visit_count",
        "total_paid_fen",
        "created_at",
    ),
    "member_tags": ("member_id", "tag_id"),
    "tier_changes": ("id", "member_id", "from_tier_id", "to_tier_id", "reason", "spend_12m_fen", "created_at"),
    "vehicles": (
        "id",
        "member_id",
        "plate",
        "model",
        "purchase_date",
        "mileage_km",
        "mileage_recorded_at",
        "first_mileage_km",
        "first_mileage_recorded_at",
        "last_maintenance_date",
        "last_maintenance_km",
        "next_maintenance_due_date",
        "next_maintenance_due_km",
        "created_at",
    ),
    "work_orders": (
        "id",
        "number",
        "store_id",
        "vehicle_id",
        "plate",
        "member_id",
        "status",
        "mileage_km",
        "subtotal_fen",
        "discount_fen",
        "total_fen",
        "paid_fen",
        "points_earned",
        "opened_by_staff_id",
        "settled_by_staff_id",
        "settled_at",
        "cancelled_at",
        "refunded_at",
        "refund_reason",
        "created_at",
        "updated_at",
    ),
    "work_order_lines": (
        "id",
        "work_order_id",
        "kind",
        "service_item_id",
        "part_id",
        "name",
        "category",
        "quantity",
        "unit_price_fen",
        "discount_percent",
        "unit_net_fen",
        "created_at",
    ),
    "member_coupons": (
        "id",
        "code",
        "template_id",
        "member_id",
        "seq",
        "status",
        "source",
        "ref_type",
        "ref_id",
        "valid_from",
        "valid_until",
        "used_at",
        "used_ref_type",
        "used_ref_id",
        "created_at",
    ),
    "work_order_payments": (
        "id",
        "work_order_id",
        "type",
        "amount_fen",
        "status",
        "member_coupon_id",
        "ref_type",
        "ref_id",
        "created_at",
    ),
    "coupon_events": ("id", "member_coupon_id", "kind", "ref_type", "ref_id", "created_at"),
    "wallet_entries": (
        "id",
        "member_id",
        "kind",
        "amount_fen",
        "principal_fen",
        "bonus_fen",
        "balance_after_fen",
        "ref_type",
        "ref_id",
        "plan_id",
        "paid_via",
        "created_by",
        "created_at",
    ),
    "wallets": ("member_id", "principal_fen", "bonus_fen", "balance_fen", "updated_at"),
    "points_lots": (
        "id",
        "member_id",
        "earned",
        "remaining",
        "earned_at",
        "expires_at",
        "expired_at",
        "ref_type",
        "ref_id",
    ),
    "points_entries": (
        "id",
        "member_id",
        "kind",
        "points",
        "balance_after",
        "shortfall",
        "lot_id",
        "ref_type",
        "ref_id",
        "created_at",
    ),
    "points_accounts": ("member_id", "balance", "updated_at"),
    "marketing_visits": (
        "work_order_id",
        "member_id",
        "store_id",
        "plate",
        "paid_fen",
        "settled_at",
        "settled_on",
        "refunded_at",
    ),
    "marketing_messages": (
        "id",
        "member_id",
        "kind",
        "template_key",
        "dedupe_key",
        "status",
        "campaign_id",
        "coupon_id",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "finished_at",
    ),
    "marketing_subscription_grants": ("member_id", "template_key", "remaining", "accepted_total", "updated_at"),
    "package_cards": (
        "id",
        "member_id",
        "template_id",
        "name",
        "price_fen",
        "paid_via",
        "store_id",
        "sold_by",
        "expires_at",
        "created_at",
    ),
    "package_card_items": ("id", "card_id", "service_item_id", "initial_count", "remaining"),
    "package_card_entries": ("id", "card_id", "card_item_id", "kind", "delta", "ref_type", "ref_id", "created_at"),
    "referrals": (
        "id",
        "referrer_id",
        "referred_id",
        "code",
        "status",
        "work_order_id",
        "order_paid_fen",
        "converted_at",
        "created_at",
    ),
    "work_order_sequences": ("id", "store_id", "day", "last_number"),
}

HISTORY_DAYS = 730
PLATE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
PROVINCES = [
    ("粤", 45),
    ("湘", 10),
    ("桂", 8),
    ("赣", 6),
    ("川", 6),
    ("鄂", 5),
    ("闽", 5),
    ("豫", 5),
    ("浙", 4),
    ("苏", 3),
    ("京", 3),
]
CITY_LETTERS = [("B", 40), ("A", 20), ("S", 8), ("E", 8), ("C", 8), ("D", 6), ("F", 5), ("G", 5)]
MODELS = [
    "丰田卡罗拉",
    "本田雅阁",
    "大众朗逸",
    "日产轩逸",
    "比亚迪汉",
    "特斯拉Model 3",
    "宝马3系",
    "奔驰C级",
    "别克英朗",
    "吉利星瑞",
    "理想L7",
    "奥迪A4L",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
GRANT_TEMPLATES = [
    "maintenance_due",
    "service_follow_up",
    "booking_reminder",
    "coupon_expiring",
    "birthday_greeting",
    "win_back_offer",
    "campaign",
]
MONEY_TENDERS = [("wechat", 55), ("cash", 15), ("alipay", 15), ("card", 15)]
UTC = UTC


def _weighted(pairs):
    values, weights = zip(*pairs, strict=False)
    cumulative, total = [], 0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return values, cumulative


def plate_for(vehicle_id, rng):
    """A unique plate per vehicle id: the last five characters are a bijection of the id."""
    code, number = [], (vehicle_id * 7919 + 104_729) % 34**5
    for _ in range(5):
        number, digit = divmod(number, 34)
        code.append(PLATE_ALPHABET[digit])
    province = rng.choices(_PROVINCES[0], cum_weights=_PROVINCES[1])[0]
    city = rng.choices(_CITIES[0], cum_weights=_CITIES[1])[0]
    new_energy = rng.random() < 0.15
    return f"{province}{city}{'D' if new_energy else ''}{''.join(code)}"


_PROVINCES = _weighted(PROVINCES)
_CITIES = _weighted(CITY_LETTERS)
_TENDERS = _weighted(MONEY_TENDERS)


class Ids:
    """The next id of every generated table (ids are assigned here, sequences are moved after)."""

    def __init__(self):
        self._next = {}

    def __call__(self, table):
        value = self._next.get(table, 0) + 1
        self._next[table] = value
        return value


class Population:
    def __init__(self, reference, settings, *, now, seed):
        self.ref = reference
        self.settings = settings
        self.now = now
        self.tz = ZoneInfo(settings.timezone)
        self.today = now.astimezone(self.tz).date()
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.sequences = {}  # (store id, local day) -> last number
        self.coupons_issued = {}  # template id -> count
        self.tiers_desc = sorted(reference.tiers, key=lambda tier: -tier[1])
        items = reference.items
        self._items = _weighted([(item, item[7]) for item in items])
        self.parts = {part[1]: part for part in reference.parts}
        self._expiry_by_day = {}
        self.campaign_audience = {}

    # ---- time -------------------------------------------------------------------------------------
    def _instant(self, days_ago):
        """A moment in opening hours on the local day ``days_ago`` days before today (never after now)."""
        day = self.today - timedelta(days=int(days_ago))
        local = datetime.combine(day, time(9), tzinfo=self.tz) + timedelta(minutes=self.rng.randint(0, 539))
        instant = local.astimezone(UTC)
        return instant if instant <= self.now else instant - timedelta(days=1)

    def _local_day(self, instant):
        return instant.astimezone(self.tz).date()

    def _number(self, store_id, instant):
        day = self._local_day(instant)
        sequence = self.sequences.get((store_id, day), 0) + 1
        self.sequences[(store_id, day)] = sequence
        return f"S{store_id}-{day:%Y%m%d}-{sequence:03d}"

    # ---- one member -------------------------------------------------------------------------------
    def add_member(self, member_id, rows):
        rng, ref, now = self.rng, self.ref, self.now
        home = ref.store_ids[member_id % len(ref.store_ids)]
        visits = self._visit_days(rng)
        first_visit = self._instant(visits[0]) if visits else None
        if first_visit is not None:
            created_at = first_visit - timedelta(
                days=rng.random() * 20 if rng.random() < 0.5 else 0, minutes=rng.randint(1, 30)
            )
        else:
            created_at = self._instant(rng.uniform(0, 3 * 365))
        wechat = rng.random() < 0.85
        birthday = (
            date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.75 else None
        )
        member = {
            "tier": None,
            "tier_since": None,
            "paid_visits": 0,
            "paid_fen": 0,
            "first_paid": None,
            "last_paid": None,
            "wallet": None,
            "points": [],
            "coupons": [],
            "spend": [],
            "first_order": None,
        }
        vehicles = self._vehicles(member_id, created_at, rows)

        self._issue_welcome(member_id, member, created_at, rows)
        self._campaigns(member_id, member, created_at, wechat, rows)
        for days_ago in visits:
            self._visit(member_id, member, home, vehicles, self._instant(days_ago), rows)
        self._recent_offers(member_id, member, rows)
        self._review_tier(member_id, member, rows)
        self._close_points(member_id, member, rows)
        self._close_wallet(member_id, member, rows)
        self._close_coupons(member_id, member, rows)
        self._close_vehicles(vehicles, rows)
        if wechat and rng.random() < 0.8:
            for key in rng.sample(GRANT_TEMPLATES, rng.randint(1, 4)):
                accepted = rng.randint(1, 5)
                rows["marketing_subscription_grants"].append(
                    (member_id, key, rng.randint(0, min(accepted, 3)), accepted, now)
                )
        if rng.random() < 0.2:
            for tag_id in rng.sample(ref.tag_ids, rng.randint(1, 2)):
                rows["member_tags"].append((member_id, tag_id))
        if rng.random() < 0.04:
            self._package_card(member_id, home, created_at, rows)
        if member_id > 1 and rng.random() < 0.03:
            self._referral(member_id, member, created_at, rows)
        phone = f"1{('38', '39', '58', '86', '37')[member_id % 5]}{member_id:08d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        rows["members"].append(
            (
                member_id,
                "wx-bench" if wechat else None,
                f"o-bench-{member_id:010d}" if wechat else None,
                phone,
                name,
                rng.choices(("male", "female", "unknown"), (55, 35, 10))[0],
                birthday,
                birthday.month if birthday else None,
                birthday.day if birthday else None,
                member["tier"][0] if member["tier"] else None,
                f"R{member_id:08X}",
                "wechat" if wechat else "counter",
                home,
                member["last_paid"],
                member["first_paid"],
                member["paid_visits"],
                member["paid_fen"],
                created_at,
            )
        )

    def _visit_days(self, rng):
        """Days ago of each visit, oldest first: a mean interval, a recency, about three visits on average."""
        if rng.random() >= 0.85:
            return []
        interval = min(max(rng.lognormvariate(math.log(60), 0.6), 7), 365)
        habit = rng.random()
        if habit < 0.6:
            recency = rng.uniform(0, interval * 1.2)
        elif habit < 0.85:
            recency = rng.uniform(interval * 1.2, interval * 3)
        else:
            recency = rng.uniform(interval * 3, HISTORY_DAYS)
        wanted = 1 + int(rng.expovariate(1 / 3.4))
        days, ago = [], min(recency, HISTORY_DAYS - 1)
        while len(days) < wanted and ago < HISTORY_DAYS:
            days.append(ago)
            ago += interval * rng.uniform(0.6, 1.4)
        return days[::-1]

    def _vehicles(self, member_id, created_at, rows):
        rng = self.rng
        vehicles = []
        for _ in range(2 if rng.random() < 0.2 else 1):
            vehicle_id = self.ids("vehicles")
            purchased = self.today - timedelta(days=rng.randint(180, 12 * 365))
            vehicles.append(
                {
                    "id": vehicle_id,
                    "member_id": member_id,
                    "plate": plate_for(vehicle_id, rng),
                    "model": rng.choice(MODELS),
                    "purchase_date": purchased,
                    "km_per_day": rng.uniform(15, 70),
                    "first": None,
                    "last": None,
                    "maintenance": None,
                    "created_at": created_at,
                }
            )
        return vehicles

    def add_walk_in_vehicle(self, rows):
        """A car the counter has seen without a member (walk-ins), with one paid visit."""
        rng = self.rng
        vehicle = {
            "id": self.ids("vehicles"),
            "member_id": None,
            "plate": None,
            "model": rng.choice(MODELS),
            "purchase_date": self.today - timedelta(days=rng.randint(180, 12 * 365)),
            "km_per_day": rng.uniform(15, 70),
            "first": None,
            "last": None,
            "maintenance": None,
            "created_at": None,
        }
        vehicle["plate"] = plate_for(vehicle["id"], rng)
        at = self._instant(rng.uniform(0, HISTORY_DAYS))
        vehicle["created_at"] = at
        store_id = rng.choice(self.ref.store_ids)
        self._work_order(None, None, store_id, vehicle, at, rows)
        self._close_vehicles([vehicle], rows)

    def _mileage(self, vehicle, at):
        days = (self._local_day(at) - vehicle["purchase_date"]).days
        return max(int(days * vehicle["km_per_day"]), 0)

    # ---- a visit ----------------------------------------------------------------------------------
    def _visit(self, member_id, member, home, vehicles, at, rows):
        rng = self.rng
        vehicle = vehicles[0] if len(vehicles) == 1 or rng.random() < 0.8 else vehicles[1]
        store_id = home if rng.random() < 0.85 else rng.choice(self.ref.store_ids)
        if member["wallet"] is None and rng.random() < 0.35:
            self._top_up(member_id, member, at - timedelta(minutes=5), rows)
        self._work_order(member_id, member, store_id, vehicle, at, rows)

    def _lines(self, order_id, tier, at, rows):
        rng = self.rng
        item = rng.choices(self._items[0], cum_weights=self._items[1])[0]
        item_id, name, category, price, _minutes, months, km, _weight = item
        labor_percent = tier[2] if tier else 0
        parts_percent = tier[3] if tier else 0
        quantity = 1
        lines = [("labor", item_id, None, name, category, quantity, price, labor_percent)]
        if category == "maintenance":
            lines.append(
                (
                    "part",
                    None,
                    self.parts["全合成机油 4L"][0],
                    "全合成机油 4L",
                    "part",
                    1,
                    self.parts["全合成机油 4L"][2],
                    parts_percent,
                )
            )
            lines.append(
                (
                    "part",
                    None,
                    self.parts["机油滤芯"][0],
                    "机油滤芯",
                    "part",
                    1,
                    self.parts["机油滤芯"][2],
                    parts_percent,
                )
            )
            if price >= 80_000:
                lines.append(
                    (
                        "part",
                        None,
                        self.parts["空气滤芯"][0],
                        "空气滤芯",
                        "part",
                        1,
                        self.parts["空气滤芯"][2],
                        parts_percent,
                    )
                )
        subtotal = total = 0
        for kind, service_item_id, part_id, line_name, line_category, qty, unit, percent in lines:
            net = unit * (100 - percent) // 100
            subtotal += unit * qty
            total += net * qty
            rows["work_order_lines"].append(
                (
                    self.ids("work_order_lines"),
                    order_id,
                    kind,
                    service_item_id,
                    part_id,
                    line_name,
                    line_category,
                    qty,
                    unit,
                    percent,
                    net,
                    at,
                )
            )
        return subtotal, total, (months, km) if months else None

    def _work_order(self, member_id, member, store_id, vehicle, at, rows):
        rng, ids = self.rng, self.ids
        order_id = ids("work_orders")
        tier = member["tier"] if member else None
        subtotal, total, maintenance = self._lines(order_id, tier, at, rows)
        mileage = self._mileage(vehicle, at)
        opened = self.now - at < timedelta(hours=3) and rng.random() < 0.5
        roll = rng.random()
        status = "open" if opened else "cancelled" if roll < 0.015 else "refunded" if roll < 0.025 else "settled"
        cashier = self.ref.cashier_ids[store_id]
        settled_at = at + timedelta(minutes=rng.randint(20, 120)) if status in ("settled", "refunded") else None
        if settled_at and settled_at > self.now:
            settled_at = self.now
        paid = points = 0
        if settled_at:
            paid = self._tenders(order_id, member_id, member, total, settled_at, status == "refunded", rows)
            if status == "settled" and member_id:
                points = self._earn(member_id, member, paid, order_id, settled_at, rows)
                member["paid_visits"] += 1
                member["paid_fen"] += paid
                member["first_paid"] = member["first_paid"] or settled_at
                member["first_order"] = member["first_order"] or (order_id, paid)
                member["last_paid"] = settled_at
                member["spend"].append((settled_at, paid))
                self._check_upgrade(member_id, member, settled_at, rows)
            if member_id:
                rows["marketing_visits"].append(
                    (
                        order_id,
                        member_id,
                        store_id,
                        vehicle["plate"],
                        paid,
                        settled_at,
                        self._local_day(settled_at),
                        settled_at + timedelta(days=1) if status == "refunded" else None,
                    )
                )
            vehicle["first"] = vehicle["first"] or (settled_at, mileage)
            vehicle["last"] = (settled_at, mileage)
            if maintenance and status == "settled":
                vehicle["maintenance"] = (self._local_day(settled_at), mileage, maintenance)
        refunded_at = settled_at + timedelta(days=1) if status == "refunded" else None
        if refunded_at and refunded_at > self.now:
            refunded_at = self.now
        cancelled_at = at + timedelta(minutes=10) if status == "cancelled" else None
        rows["work_orders"].append(
            (
                order_id,
                self._number(store_id, at),
                store_id,
                vehicle["id"],
                vehicle["plate"],
                member_id,
                status,
                mileage,
                subtotal,
                subtotal - total,
                total,
                paid,
                points,
                cashier,
                cashier if settled_at else None,
                settled_at,
                cancelled_at,
                refunded_at,
                "客户不满意" if refunded_at else None,
                at,
                refunded_at or cancelled_at or settled_at or at,
            )
        )

    def _tenders(self, order_id, member_id, member, total, at, refunded, rows):
        """Post the tenders of a settlement; returns the money paid (stored value counts as money)."""
        rng, ids = self.rng, self.ids
        tenders, remaining = [], total
        if member and not refunded:
            coupon = next(
                (
                    c
                    for c in member["coupons"]
                    if c["used_at"] is None
                    and c["valid_from"] <= at < c["valid_until"]
                    and c["threshold"] <= total
                    and c["value"] < total
                ),
                None,
            )
            if coupon is not None and rng.random() < 0.7:
                coupon.update(used_at=at, used_ref_id=order_id)
                tenders.append(("coupon", coupon["value"], coupon["id"]))
                remaining -= coupon["value"]
            wallet = member["wallet"]
            if wallet and remaining > 0 and rng.random() < 0.8:
                if wallet["principal"] + wallet["bonus"] < remaining and rng.random() < 0.6:
                    self._top_up(member_id, member, at - timedelta(minutes=3), rows)
                if wallet["principal"] + wallet["bonus"] >= remaining:
                    principal, bonus = spend_split(remaining, wallet["principal"], wallet["bonus"])
                    wallet["principal"] -= principal
                    wallet["bonus"] -= bonus
                    rows["wallet_entries"].append(
                        (
                            ids("wallet_entries"),
                            member_id,
                            "spend",
                            -remaining,
                            -principal,
                            -bonus,
                            wallet["principal"] + wallet["bonus"],
                            "work_order",
                            order_id,
                            None,
                            None,
                            None,
                            at,
                        )
                    )
                    wallet["updated_at"] = at
                    tenders.append(("stored_value", remaining, None))
                    remaining = 0
        if remaining > 0:
            kind = rng.choices(_TENDERS[0], cum_weights=_TENDERS[1])[0]
            if rng.random() < 0.15 and remaining > 1:
                first = remaining // 2
                tenders += [(kind, first, None), ("cash" if kind != "cash" else "wechat", remaining - first, None)]
            else:
                tenders.append((kind, remaining, None))
        paid = 0
        for kind, amount, coupon_id in tenders:
            rows["work_order_payments"].append(
                (ids("work_order_payments"), order_id, kind, amount, "posted", coupon_id, "work_order", order_id, at)
            )
            if kind != "coupon":
                paid += amount
        return paid

    # ---- ledgers ----------------------------------------------------------------------------------
    def _top_up(self, member_id, member, at, rows):
        plan_id, pay, bonus = self.rng.choice(self.ref.plans)
        wallet = member["wallet"] or {"principal": 0, "bonus": 0, "updated_at": at}
        member["wallet"] = wallet
        wallet["principal"] += pay
        wallet["bonus"] += bonus
        wallet["updated_at"] = at
        rows["wallet_entries"].append(
            (
                self.ids("wallet_entries"),
                member_id,
                "topup",
                pay + bonus,
                pay,
                bonus,
                wallet["principal"] + wallet["bonus"],
                "topup_plan",
                None,
                plan_id,
                self.rng.choice(("wechat", "cash", "card")),
                None,
                at,
            )
        )

    def _close_wallet(self, member_id, member, rows):
        wallet = member["wallet"]
        if wallet:
            rows["wallets"].append(
                (
                    member_id,
                    wallet["principal"],
                    wallet["bonus"],
                    wallet["principal"] + wallet["bonus"],
                    wallet["updated_at"],
                )
            )

    def _earn(self, member_id, member, paid, order_id, at, rows):
        multiplier = member["tier"][4] if member["tier"] else 1
        points = points_for_payment(paid, multiplier, self.settings.points_per_yuan)
        if points > 0:
            member["points"].append(
                {
                    "id": self.ids("points_lots"),
                    "earned": points,
                    "at": at,
                    "ref_id": order_id,
                    "expires_at": self._points_expiry(at),
                }
            )
        return points

    def _points_expiry(self, earned_at):
        day = self._local_day(earned_at)
        expiry = self._expiry_by_day.get(day)
        if expiry is None:
            expiry = self._expiry_by_day[day] = expiry_for(earned_at, self.settings)
        return expiry

    def _close_points(self, member_id, member, rows):
        lots = member["points"]
        if not lots:
            return
        events = []
        for lot in lots:
            expired = lot["expires_at"] <= self.now
            rows["points_lots"].append(
                (
                    lot["id"],
                    member_id,
                    lot["earned"],
                    0 if expired else lot["earned"],
                    lot["at"],
                    lot["expires_at"],
                    lot["expires_at"] if expired else None,
                    "work_order",
                    lot["ref_id"],
                )
            )
            events.append((lot["at"], "earn", lot["earned"], lot))
            if expired:
                events.append((lot["expires_at"], "expiry", -lot["earned"], lot))
        events.sort(key=lambda event: event[0])
        balance = 0
        for at, kind, points, lot in events:
            balance += points
            rows["points_entries"].append(
                (
                    self.ids("points_entries"),
                    member_id,
                    kind,
                    points,
                    balance,
                    0,
                    lot["id"],
                    "work_order" if kind == "earn" else None,
                    lot["ref_id"] if kind == "earn" else None,
                    at,
                )
            )
        rows["points_accounts"].append((member_id, balance, events[-1][0]))

    def _coupon(self, member_id, member, key, issued_at, source, ref_type=None, ref_id=None):
        template_id, value, threshold, days = self.ref.coupons[key]
        seq = sum(1 for c in member["coupons"] if c["template_id"] == template_id) + 1
        coupon = {
            "id": self.ids("member_coupons"),
            "template_id": template_id,
            "seq": seq,
            "value": value,
            "threshold": threshold,
            "source": source,
            "ref_type": ref_type,
            "ref_id": ref_id,
            "valid_from": issued_at,
            "valid_until": issued_at + timedelta(days=days),
            "used_at": None,
            "used_ref_id": None,
        }
        member["coupons"].append(coupon)
        self.coupons_issued[template_id] = self.coupons_issued.get(template_id, 0) + 1
        return coupon

    def _issue_welcome(self, member_id, member, created_at, rows):
        if self.rng.random() < 0.6:
            self._coupon(member_id, member, "welcome", created_at, "welcome")

    def _campaigns(self, member_id, member, created_at, wechat, rows):
        """Past campaigns reached about one member in twenty each, with a coupon and a message."""
        for campaign_id, sent_at in self.ref.campaigns:
            if sent_at <= created_at or self.rng.random() >= 0.05:
                continue
            coupon = self._coupon(member_id, member, "campaign", sent_at, "campaign", "campaign", campaign_id)
            delivered = wechat and self.rng.random() < 0.7
            rows["marketing_messages"].append(
                (
                    self.ids("marketing_messages"),
                    member_id,
                    "campaign",
                    "campaign",
                    f"campaign:{campaign_id}:{member_id}",
                    "sent" if delivered else "skipped_no_grant",
                    campaign_id,
                    coupon["id"],
                    1,
                    sent_at,
                    sent_at,
                    sent_at if delivered else None,
                    sent_at,
                )
            )
            self.campaign_audience[campaign_id] = self.campaign_audience.get(campaign_id, 0) + 1

    def _recent_offers(self, member_id, member, rows):
        """Win-back and birthday coupons of the last month, some still unused (the expiry notices' work)."""
        rng = self.rng
        last = member["last_paid"]
        if last and self.now - last > timedelta(days=90) and rng.random() < 0.3:
            self._coupon(member_id, member, "win_back", self.now - timedelta(days=rng.uniform(0, 29)), "win_back")
        if rng.random() < 0.05:
            self._coupon(member_id, member, "birthday", self.now - timedelta(days=rng.uniform(0, 29)), "birthday")

    def _close_coupons(self, member_id, member, rows):
        for c in member["coupons"]:
            code = f"BC{c['id']:010d}"
            used = c["used_at"] is not None
            rows["member_coupons"].append(
                (
                    c["id"],
                    code,
                    c["template_id"],
                    member_id,
                    c["seq"],
                    "used" if used else "unused",
                    c["source"],
                    c["ref_type"],
                    c["ref_id"],
                    c["valid_from"],
                    c["valid_until"],
                    c["used_at"],
                    "work_order" if used else None,
                    c["used_ref_id"],
                    c["valid_from"],
                )
            )
            rows["coupon_events"].append(
                (self.ids("coupon_events"), c["id"], "issue", c["ref_type"], c["ref_id"], c["valid_from"])
            )
            if used:
                rows["coupon_events"].append(
                    (self.ids("coupon_events"), c["id"], "use", "work_order", c["used_ref_id"], c["used_at"])
                )

    # ---- tiers ------------------------------------------------------------------------------------
    def _spend_12m(self, member, at):
        since = at - timedelta(days=365)
        return sum(fen for when, fen in member["spend"] if since <= when <= at)

    def _qualified(self, spend):
        return next((tier for tier in self.tiers_desc if spend >= tier[5]), None)

    def _check_upgrade(self, member_id, member, at, rows):
        spend = self._spend_12m(member, at)
        tier = self._qualified(spend)
        current = member["tier"]
        if tier and (current is None or tier[1] > current[1]):
            rows["tier_changes"].append(
                (self.ids("tier_changes"), member_id, current[0] if current else None, tier[0], "upgrade", spend, at)
            )
            member["tier"], member["tier_since"] = tier, at

    def _review_tier(self, member_id, member, rows):
        """What the daily review would have done: a tier kept 12 months drops to what the spend reaches."""
        current = member["tier"]
        if current is None or self.now - member["tier_since"] < timedelta(days=365):
            return
        review_at = member["tier_since"] + timedelta(days=365)
        spend = self._spend_12m(member, review_at)
        tier = self._qualified(spend)
        if tier is not None and tier[1] < current[1]:
            rows["tier_changes"].append(
                (self.ids("tier_changes"), member_id, current[0], tier[0], "review_downgrade", spend, review_at)
            )
            member["tier"], member["tier_since"] = tier, review_at

    # ---- cars, cards, referrals -------------------------------------------------------------------
    def _close_vehicles(self, vehicles, rows):
        for v in vehicles:
            first_at, first_km = v["first"] or (None, None)
            last_at, last_km = v["last"] or (None, None)
            last_day = last_km_serviced = next_day = next_km = None
            if v["maintenance"]:
                last_day, last_km_serviced, (months, km) = v["maintenance"]
                next_day = add_months(last_day, months)
                next_km = last_km_serviced + km
            rows["vehicles"].append(
                (
                    v["id"],
                    v["member_id"],
                    v["plate"],
                    v["model"],
                    v["purchase_date"],
                    last_km,
                    last_at,
                    first_km,
                    first_at,
                    last_day,
                    last_km_serviced,
                    next_day,
                    next_km,
                    v["created_at"],
                )
            )

    def _package_card(self, member_id, store_id, created_at, rows):
        template_id, name, price, valid_days, items = self.ref.card_template
        sold_at = max(created_at, self.now - timedelta(days=self.rng.uniform(0, 400)))
        card_id = self.ids("package_cards")
        rows["package_cards"].append(
            (
                card_id,
                member_id,
                template_id,
                name,
                price,
                "wechat",
                store_id,
                self.ref.cashier_ids[store_id],
                sold_at + timedelta(days=valid_days),
                sold_at,
            )
        )
        for service_item_id, count in items:
            item_id = self.ids("package_card_items")
            rows["package_card_items"].append((item_id, card_id, service_item_id, count, count))
            rows["package_card_entries"].append(
                (self.ids("package_card_entries"), card_id, item_id, "sale", count, "package_card", card_id, sold_at)
            )

    def _referral(self, member_id, member, created_at, rows):
        referrer_id = self.rng.randint(1, member_id - 1)
        order_id, paid = member["first_order"] or (None, None)
        rows["referrals"].append(
            (
                self.ids("referrals"),
                referrer_id,
                member_id,
                f"R{referrer_id:08X}",
                "converted" if order_id else "pending",
                order_id,
                paid,
                member["first_paid"] if order_id else None,
                created_at,
            )
        )

    # ---- after the last member --------------------------------------------------------------------
    def sequence_rows(self):
        return [
            (self.ids("work_order_sequences"), store_id, day, last)
            for (store_id, day), last in sorted(self.sequences.items())
        ]
