"""Writing a checked batch in bulk (executemany/COPY, not one ORM object per row): members and
cars created, merges into members already here (what they changed is kept for undo), package cards
and coupons. Opening balances are ledger entries of kind ``opening`` referring to the batch."""

import secrets
from datetime import UTC, datetime, time

from sqlalchemy import func, insert, select

from app.cards.models import PackageCard, PackageCardEntry, PackageCardItem, PackageCardTemplate
from app.catalog.models import ServiceItem
from app.common import clock
from app.coupons import issuing as coupon_issuing
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.extensions import db
from app.members import metrics
from app.members.models import Member, MemberTag, Tag, Vehicle
from app.members.services import REFERRAL_ALPHABET
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.transfer import bulk
from app.transfer.models import ImportedRow
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry
from app.wallet.points import expiry_for

REF_TYPE = "import_batch"


class Writer:
    def __init__(self, batch, now):
        self.batch = batch
        self.now = now
        self.settings = get_settings()
        self.tiers = dict(db.session.execute(select(Tier.name, Tier.id)).all())
        self.tags = dict(db.session.execute(select(Tag.name, Tag.id)).all())
        self.counts = {
            "cards": 0,
            "card_items": 0,
            "coupons": 0,
            "members_created": 0,
            "members_merged": 0,
            "vehicles": 0,
            "principal_fen": 0,
            "bonus_fen": 0,
            "points": 0,
        }
        self.expires_at = expiry_for(now, self.settings)
        self.note = f"导入 #{batch.id}"

    def _tag_ids(self, names):
        missing = [name for name in names if name not in self.tags]
        for name in missing:
            self.tags[name] = db.session.execute(
                insert(Tag).returning(Tag.id), {"name": name, "created_at": self.now}
            ).scalar_one()
        return [self.tags[name] for name in names]

    def _referral_codes(self, count):
        codes = set()
        while len(codes) < count:
            fresh = {"".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8)) for _ in range(count - len(codes))}
            taken = set(db.session.scalars(select(Member.referral_code).where(Member.referral_code.in_(list(fresh)))))
            codes |= fresh - taken
        return list(codes)

    def _visit_columns(self, values):
        count = values.get("visit_count", 0) or 0
        last = _instant(values.get("last_visit"))
        first = _instant(values.get("first_visit")) or last
        total = values.get("total_spend", 0) or 0
        return {
            "paid_visit_count": count,
            "total_paid_fen": total,
            "last_paid_visit_at": last if count else None,
            "first_paid_visit_at": first if count else None,
            "average_ticket_fen": metrics.average_ticket(total, count),
            "mean_visit_interval_days": metrics.mean_interval_days(first, last, count)
            if count and first and last
            else None,
            "lifecycle": metrics.lifecycle_for(last if count else None, now=self.now, settings=self.settings),
        }

    def create(self, rows):
        codes = self._referral_codes(len(rows))
        member_rows = []
        for row, code in zip(rows, codes, strict=True):
            values = row.values
            birthday = values.get("birthday")
            member_rows.append(
                {
                    "phone": values.get("phone"),
                    "nickname": values.get("name") or None,
                    "gender": values.get("gender", "unknown"),
                    "birthday": birthday,
                    "birthday_month": birthday.month if birthday else None,
                    "birthday_day": birthday.day if birthday else None,
                    "tier_id": self.tiers.get(values.get("tier")),
                    "referral_code": code,
                    "source": "import",
                    "created_at": self.now,
                    "value_class": "none",
                    "token_version": 0,
                    **self._visit_columns(values),
                }
            )
        ids = bulk.insert_with_ids(Member, member_rows)
        vehicles, wallets, wallet_entries, accounts, lots, tags, imported = [], [], [], [], [], [], []
        for row, member_id in zip(rows, ids, strict=True):
            values = row.values
            row.member_id = member_id
            if values.get("plate"):
                mileage = values.get("mileage_km")
                vehicles.append(
                    {
                        "member_id": member_id,
                        "plate": values["plate"],
                        "model": values.get("car_model") or None,
                        "mileage_km": mileage,
                        "mileage_recorded_at": self.now if mileage is not None else None,
                        "first_mileage_km": mileage,
                        "first_mileage_recorded_at": self.now if mileage is not None else None,
                        "created_at": self.now,
                    }
                )
            principal, bonus = values.get("principal", 0), values.get("bonus", 0)
            if principal or bonus:
                wallets.append(
                    {
                        "member_id": member_id,
                        "principal_fen": principal,
                        "bonus_fen": bonus,
                        "balance_fen": principal + bonus,
                        "updated_at": self.now,
                    }
                )
                wallet_entries.append(self._wallet_entry(member_id, principal, bonus, principal + bonus))
            if values.get("points"):
                accounts.append({"member_id": member_id, "balance": values["points"], "updated_at": self.now})
                lots.append(self._lot(member_id, values["points"]))
            for tag_id in self._tag_ids(values.get("tags", [])):
                tags.append({"member_id": member_id, "tag_id": tag_id})
        vehicle_ids = {}
        if vehicles:
            returned = bulk.insert_with_ids(Vehicle, vehicles)
            vehicle_ids = {car["member_id"]: vehicle_id for vehicle_id, car in zip(returned, vehicles, strict=True)}
        if wallets:
            bulk.insert_rows(Wallet, wallets)
            bulk.insert_rows(WalletEntry, wallet_entries)
        if lots:
            bulk.insert_rows(PointsAccount, accounts)
            self._points_entries(lots)
        if tags:
            bulk.insert_rows(MemberTag, tags)
        for row in rows:
            imported.append(
                {
                    "batch_id": self.batch.id,
                    "member_id": row.member_id,
                    "action": "created",
                    "vehicle_id": vehicle_ids.get(row.member_id),
                    "before": None,
                }
            )
        bulk.insert_rows(ImportedRow, imported)
        self.counts["members_created"] += len(rows)
        self.counts["vehicles"] += len(vehicles)
        self.counts["principal_fen"] += sum(w["principal_fen"] for w in wallets)
        self.counts["bonus_fen"] += sum(w["bonus_fen"] for w in wallets)
        self.counts["points"] += sum(a["balance"] for a in accounts)

    def _wallet_entry(self, member_id, principal, bonus, balance_after):
        return {
            "member_id": member_id,
            "kind": "opening",
            "amount_fen": principal + bonus,
            "principal_fen": principal,
            "bonus_fen": bonus,
            "balance_after_fen": balance_after,
            "ref_type": REF_TYPE,
            "ref_id": self.batch.id,
            "note": self.note,
            "created_by": self.batch.created_by,
            "created_at": self.now,
        }

    def _lot(self, member_id, points):
        return {
            "member_id": member_id,
            "earned": points,
            "remaining": points,
            "earned_at": self.now,
            "expires_at": self.expires_at,
            "ref_type": REF_TYPE,
            "ref_id": self.batch.id,
        }

    def _points_entries(self, lots, balances=None):
        lot_ids = bulk.insert_with_ids(PointsLot, lots)
        entries = [
            {
                "member_id": lot["member_id"],
                "kind": "opening",
                "points": lot["earned"],
                "balance_after": (balances or {}).get(lot["member_id"], lot["earned"]),
                "shortfall": 0,
                "lot_id": lot_id,
                "ref_type": REF_TYPE,
                "ref_id": self.batch.id,
                "reason": self.note,
                "created_by": self.batch.created_by,
                "created_at": self.now,
            }
            for lot, lot_id in zip(lots, lot_ids, strict=True)
        ]
        bulk.insert_rows(PointsEntry, entries)

    def _day_end(self, day):
        return clock.local_day_bounds(day, self.settings.timezone)[1]

    def card(self, row):
        """One package card per (member, 卡号, card name); a row without 卡号 is a card of its own."""
        values = row.values
        if not hasattr(self, "_cards"):
            self._cards, self._card_templates = {}, {t.name: t for t in db.session.scalars(select(PackageCardTemplate))}
            self._items = {
                name: item_id for item_id, name in db.session.execute(select(ServiceItem.id, ServiceItem.name))
            }
        template = self._card_templates[values["card_name"]]
        key = (row.member_id, values.get("card_no") or f"row {row.number}", template.id)
        card = self._cards.get(key)
        if card is None:
            card = PackageCard(
                member_id=row.member_id,
                template_id=template.id,
                name=template.name,
                price_fen=0,  # paid in the old system: no sale here
                paid_via="cash",
                sold_by=self.batch.created_by,
                created_at=self.now,
                expires_at=self._day_end(values["expires_on"]),
            )
            db.session.add(card)
            db.session.flush()
            self._cards[key] = card
            self.counts["cards"] = self.counts.get("cards", 0) + 1
        item_ids = {i.service_item_id for i in template.items}
        item_id = next(i for name, i in self._items.items() if name == values["item_name"] and i in item_ids)
        item = PackageCardItem(
            card_id=card.id, service_item_id=item_id, initial_count=values["remaining"], remaining=values["remaining"]
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            PackageCardEntry(
                card_id=card.id,
                card_item_id=item.id,
                kind="sale",
                delta=item.initial_count,
                ref_type=REF_TYPE,
                ref_id=self.batch.id,
                created_at=self.now,
            )
        )
        self.counts["card_items"] = self.counts.get("card_items", 0) + values["remaining"]

    def coupon(self, row):
        values = row.values
        template = db.session.scalar(
            select(CouponTemplate).where(CouponTemplate.name == values["coupon_name"]).order_by(CouponTemplate.id)
        )
        held = db.session.scalar(
            select(func.count()).where(MemberCoupon.template_id == template.id, MemberCoupon.member_id == row.member_id)
        )
        for number in range(values.get("quantity", 1)):
            coupon = MemberCoupon(
                code=coupon_issuing.new_code(),
                template_id=template.id,
                member_id=row.member_id,
                seq=held + number + 1,
                status="unused",
                source="import",
                ref_type=REF_TYPE,
                ref_id=self.batch.id,
                valid_from=self.now,
                valid_until=self._day_end(values["expires_on"]),
                created_at=self.now,
            )
            db.session.add(coupon)
            db.session.flush()
            db.session.add(
                CouponEvent(
                    member_coupon_id=coupon.id,
                    kind="issue",
                    ref_type=REF_TYPE,
                    ref_id=self.batch.id,
                    created_at=self.now,
                )
            )
            self.counts["coupons"] = self.counts.get("coupons", 0) + 1
        db.session.flush()

    def merge(self, row):
        """Add the row to an existing member: fill empty fields, add the car and tags, credit the balances."""
        values, member = row.values, db.session.get(Member, row.member_id, with_for_update={"of": Member})
        before, vehicle_id = {}, None
        fill = {
            "nickname": values.get("name") or None,
            "gender": values.get("gender"),
            "birthday": values.get("birthday"),
            "tier_id": self.tiers.get(values.get("tier")),
        }
        for name, value in fill.items():
            if value is not None and getattr(member, name) in (None, "unknown"):
                before[name] = getattr(member, name)
                setattr(member, name, value)
        if "birthday" in before:
            before["birthday"] = None
            member.birthday_month, member.birthday_day = member.birthday.month, member.birthday.day
        if "visit_count" in values and member.paid_visit_count == 0:
            visits = self._visit_columns(values)
            before.update({name: _jsonable(getattr(member, name)) for name in visits})
            for name, value in visits.items():
                setattr(member, name, value)
        if values.get("plate"):
            vehicle = db.session.scalar(select(Vehicle).where(Vehicle.plate == values["plate"]))
            if vehicle is None:
                vehicle = Vehicle(
                    member_id=member.id,
                    plate=values["plate"],
                    model=values.get("car_model") or None,
                    created_at=self.now,
                )
                db.session.add(vehicle)
                db.session.flush()
                vehicle_id = vehicle.id
                self.counts["vehicles"] += 1
            elif vehicle.member_id is None:
                vehicle.member_id = member.id
                before["claimed_vehicle_id"] = vehicle.id
        existing_tags = set(db.session.scalars(select(MemberTag.tag_id).where(MemberTag.member_id == member.id)))
        added = [tag_id for tag_id in self._tag_ids(values.get("tags", [])) if tag_id not in existing_tags]
        for tag_id in added:
            db.session.add(MemberTag(member_id=member.id, tag_id=tag_id))
        if added:
            before["tags_added"] = added
        principal, bonus = values.get("principal", 0), values.get("bonus", 0)
        if principal or bonus:
            wallet = db.session.get(Wallet, member.id, with_for_update=True)
            if wallet is None:
                wallet = Wallet(member_id=member.id, principal_fen=0, bonus_fen=0, balance_fen=0, updated_at=self.now)
                db.session.add(wallet)
            wallet.principal_fen += principal
            wallet.bonus_fen += bonus
            wallet.balance_fen += principal + bonus
            wallet.updated_at = self.now
            db.session.flush()
            db.session.execute(
                insert(WalletEntry), [self._wallet_entry(member.id, principal, bonus, wallet.balance_fen)]
            )
            self.counts["principal_fen"] += principal
            self.counts["bonus_fen"] += bonus
        if values.get("points"):
            account = db.session.get(PointsAccount, member.id, with_for_update=True)
            if account is None:
                account = PointsAccount(member_id=member.id, balance=0, updated_at=self.now)
                db.session.add(account)
            account.balance += values["points"]
            account.updated_at = self.now
            db.session.flush()
            self._points_entries([self._lot(member.id, values["points"])], {member.id: account.balance})
            self.counts["points"] += values["points"]
        db.session.add(
            ImportedRow(
                batch_id=self.batch.id, member_id=member.id, action="merged", vehicle_id=vehicle_id, before=before
            )
        )
        db.session.flush()
        self.counts["members_merged"] += 1


def _instant(day):
    """A visit day as an instant: noon UTC of that day, inside the day in any Chinese timezone."""
    return datetime.combine(day, time(12), tzinfo=UTC) if day else None


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value
