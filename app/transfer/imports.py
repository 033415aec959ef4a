"""Importing a shop's members, cars, balances and history: dry run, commit and undo.

``check`` reads the file and classifies every row without writing: an error (row, column, code,
Chinese message), ``create`` (a new member), ``merge`` (adds to the member with the same phone or
plate) or ``skip`` (the same row was imported before: its key, a hash of the kind and the row's
values, is held). ``commit`` runs the same check against the database as it is then and writes the
rows in bulk (executemany, not one ORM object per row). Opening balances are ledger entries of
kind ``opening`` whose reference is the batch (``ref_type='import_batch'``), so each wallet still
equals the sum of its entries and the owner sees which balance came from which import.

``undo`` takes a committed batch back while nothing from it has been used: no wallet or points
entry after the batch's own, no work order of a member it created. Members it created are deleted
with their opening entries (nothing else refers to them); on members it merged into, the opening
entries are reversed (the ledgers stay append-only) and the fields it filled are put back.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from sqlalchemy import delete, func, insert, or_, select, update

from app.audit.services import record_change
from app.cards.models import PackageCard, PackageCardEntry, PackageCardItem, PackageCardTemplate
from app.catalog.models import ServiceItem
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.coupons import services as coupon_services
from app.coupons.models import CouponEvent, CouponTemplate, MemberCoupon
from app.extensions import db
from app.members import metrics
from app.members.models import Member, MemberTag, Tag, Vehicle
from app.members.services import REFERRAL_ALPHABET
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.transfer import bulk, cells
from app.transfer.columns import KINDS, MEMBER_ROW_KINDS, REQUIRED
from app.transfer.models import ImportBatch, ImportedRow, ImportRowKey
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry
from app.wallet.points import expiry_for

REF_TYPE = "import_batch"
CHUNK = 2000
MAX_REPORTED_ERRORS = 1000
_TEXT = {
    "required": "手机号和车牌号至少填一个",
    "duplicate_in_file": "与第 {row} 行的{what}重复",
    "plate_taken": "车牌号已属于另一位会员（手机号不同）",
    "unknown_tier": "没有名为“{tier}”的会员等级",
    "member_not_found": "找不到这个手机号或车牌号的会员：请先导入会员",
    "visits_inconsistent": "到店次数为 0 时不能有最近到店日期和累计消费",
    "missing_value": "这一列必须填写",
    "unknown_card": "没有名为“{name}”的套餐卡",
    "unknown_card_item": "套餐卡“{card}”不含服务项目“{item}”",
    "unknown_coupon": "没有名为“{name}”的优惠券",
    "already_expired": "到期日期已过",
}


@dataclass
class Row:
    number: int  # the sheet's own row number (1 is the header)
    values: dict
    key: str
    action: str = ""  # create, merge or skip
    member_id: int | None = None
    errors: list = field(default_factory=list)


@dataclass
class Check:
    kind: str
    rows: list
    errors: list
    header_error: dict | None = None

    @property
    def counts(self):
        result = {"create": 0, "merge": 0, "skip": 0, "error": 0}
        for row in self.rows:
            result["error" if row.errors else row.action] += 1
        return result

    def report(self):
        return {
            "counts": self.counts,
            "errors": self.errors[:MAX_REPORTED_ERRORS],
            "errors_truncated": len(self.errors) > MAX_REPORTED_ERRORS,
            "preview": [
                {"row": row.number, "action": row.action, "member_id": row.member_id, **_preview(row.values)}
                for row in self.rows[:50]
                if not row.errors
            ],
        }


def _preview(values):
    return {
        "phone": values.get("phone"),
        "plate": values.get("plate"),
        "name": values.get("name"),
        "principal_fen": values.get("principal"),
        "bonus_fen": values.get("bonus"),
        "points": values.get("points"),
    }


def _error(row, column, code, message):
    entry = {"row": row, "column": column, "code": code, "message": message}
    return entry


def _header_map(kind, header_rows):
    """Which sheet column holds which key: the first row's Chinese labels (or English keys)."""
    columns = KINDS[kind]
    by_label = {column.label: column.key for column in columns} | {column.key: column.key for column in columns}
    first = [cells.text(value) for value in header_rows]
    positions = {}
    for index, label in enumerate(first):
        key = by_label.get(label) or by_label.get(label.replace("（", "(").replace("）", ")"))
        if key and key not in positions:
            positions[key] = index
    return positions


def _is_key_row(kind, values):
    keys = {column.key for column in KINDS[kind]}
    texts = [cells.text(value) for value in values if cells.text(value)]
    return bool(texts) and all(text in keys for text in texts)


def parse(kind, content, filename, progress=None):
    """Read and check every row's cells (no database). Errors are per (row, column)."""
    columns = {column.key: column for column in KINDS[kind]}
    rows, errors = [], []
    iterator = iter(cells.read_rows(content, filename))
    header = next(iterator, None)
    positions = _header_map(kind, header or [])
    if not ({"phone", "plate"} & set(positions)):
        return Check(
            kind, [], [], header_error=_error(1, None, "import_header_unknown", "第 1 行不是模板的表头：请用下载的模板")
        )
    seen = {"phone": {}, "plate": {}, "card_item": {}}
    for number, raw in enumerate(iterator, start=2):
        if progress:
            progress(number)
        if not any(cells.text(value) for value in raw):
            continue
        if cells.text(raw[0] if raw else "").startswith("#") or (number == 2 and _is_key_row(kind, raw)):
            continue
        values, row_errors = {}, []
        for key, index in positions.items():
            value = raw[index] if index < len(raw) else None
            if cells.text(value) == "":
                continue
            try:
                values[key] = columns[key].read(value)
            except cells.CellError as error:
                row_errors.append(_error(number, columns[key].label, error.code, error.message))
        if (
            not values.get("phone")
            and not values.get("plate")
            and not any(e["column"] in ("手机号", "车牌号") for e in row_errors)
        ):
            row_errors.append(_error(number, "手机号", "required", _TEXT["required"]))
        if (
            not values.get("visit_count")
            and (values.get("total_spend") or values.get("last_visit"))
            and "visit_count" in values
        ):
            row_errors.append(_error(number, "到店次数", "visits_inconsistent", _TEXT["visits_inconsistent"]))
        for key in REQUIRED.get(kind, ()):
            if key not in values and not any(e["column"] == columns[key].label for e in row_errors):
                row_errors.append(_error(number, columns[key].label, "missing_value", _TEXT["missing_value"]))
        if kind == "package_cards" and values.get("card_no"):
            owner = values.get("phone") or values.get("plate")
            item = (owner, values["card_no"], values.get("item_name"))
            if item in seen["card_item"]:
                row_errors.append(
                    _error(
                        number,
                        "服务项目",
                        "duplicate_in_file",
                        _TEXT["duplicate_in_file"].format(row=seen["card_item"][item], what="卡号和服务项目"),
                    )
                )
            else:
                seen["card_item"][item] = number
        for what, label in (("phone", "手机号"), ("plate", "车牌号")):
            if kind not in MEMBER_ROW_KINDS:
                break
            value = values.get(what)
            if value is None:
                continue
            if value in seen[what]:
                row_errors.append(
                    _error(
                        number,
                        label,
                        "duplicate_in_file",
                        _TEXT["duplicate_in_file"].format(row=seen[what][value], what=label),
                    )
                )
            else:
                seen[what][value] = number
        digest = hashlib.sha256(json.dumps([kind, sorted(values.items())], default=str, ensure_ascii=False).encode())
        rows.append(Row(number, values, digest.hexdigest(), errors=row_errors))
        errors.extend(row_errors)
    return Check(kind, rows, errors)


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve(check):
    """Classify each row against the database: skip (imported before), merge or create; errors for
    plates held by another member, unknown tiers and (for the add-on kinds) members not found."""
    if check.header_error:
        check.errors = [check.header_error]
        return check
    ok = [row for row in check.rows if not row.errors]
    done = set()
    for chunk in _chunks([row.key for row in ok]):
        done.update(
            db.session.scalars(
                select(ImportRowKey.row_key).where(ImportRowKey.kind == check.kind, ImportRowKey.row_key.in_(chunk))
            )
        )
    by_phone, by_plate = {}, {}
    for chunk in _chunks({row.values["phone"] for row in ok if row.values.get("phone")}):
        by_phone.update(db.session.execute(select(Member.phone, Member.id).where(Member.phone.in_(chunk))).all())
    for chunk in _chunks({row.values["plate"] for row in ok if row.values.get("plate")}):
        by_plate.update(
            db.session.execute(select(Vehicle.plate, Vehicle.member_id).where(Vehicle.plate.in_(chunk))).all()
        )
    tiers = dict(db.session.execute(select(Tier.name, Tier.id)).all())
    for row in check.rows:
        tier = row.values.get("tier")
        if tier and tier not in tiers:
            error = _error(row.number, "会员等级", "unknown_tier", _TEXT["unknown_tier"].format(tier=tier))
            row.errors.append(error)
            check.errors.append(error)
    _check_names(check)
    ok = [row for row in ok if not row.errors]
    for row in ok:
        values = row.values
        phone_member = by_phone.get(values.get("phone"))
        plate_member = by_plate.get(values.get("plate"))
        if phone_member and plate_member and phone_member != plate_member:
            row.errors.append(_error(row.number, "车牌号", "plate_taken", _TEXT["plate_taken"]))
        elif plate_member and values.get("phone") and not phone_member:
            row.errors.append(_error(row.number, "车牌号", "plate_taken", _TEXT["plate_taken"]))
        row.member_id = phone_member or plate_member
        if row.key in done:
            row.action = "skip"
        elif row.member_id and check.kind in ("package_cards", "coupons"):
            row.action = "create"  # a card or coupon for a member already here
        elif row.member_id:
            row.action = "merge"
        elif check.kind != "members":
            row.errors.append(_error(row.number, "手机号", "member_not_found", _TEXT["member_not_found"]))
        else:
            row.action = "create"
        check.errors.extend(row.errors)
    check.errors.sort(key=lambda e: (e["row"], e["column"] or ""))
    return check


def _check_names(check):
    """Cards, their items and coupons are named as the shop set them up here."""
    if check.kind == "package_cards":
        templates = {t.name: t for t in db.session.scalars(select(PackageCardTemplate))}
        item_names = dict(db.session.execute(select(ServiceItem.id, ServiceItem.name)).all())
        for row in check.rows:
            name, item = row.values.get("card_name"), row.values.get("item_name")
            template = templates.get(name)
            if name and template is None:
                row.errors.append(
                    _error(row.number, "套餐卡名称", "unknown_card", _TEXT["unknown_card"].format(name=name))
                )
            elif (
                template is not None
                and item
                and item not in {item_names.get(i.service_item_id) for i in template.items}
            ):
                row.errors.append(
                    _error(
                        row.number,
                        "服务项目",
                        "unknown_card_item",
                        _TEXT["unknown_card_item"].format(card=name, item=item),
                    )
                )
            else:
                _check_expiry(check, row)
                continue
            check.errors.append(row.errors[-1])
    elif check.kind == "coupons":
        names = set(db.session.scalars(select(CouponTemplate.name)))
        for row in check.rows:
            name = row.values.get("coupon_name")
            if name and name not in names:
                row.errors.append(
                    _error(row.number, "优惠券名称", "unknown_coupon", _TEXT["unknown_coupon"].format(name=name))
                )
                check.errors.append(row.errors[-1])
            else:
                _check_expiry(check, row)


def _check_expiry(check, row):
    day = row.values.get("expires_on")
    if day is not None and day < clock.local_today(get_settings().timezone, clock.now()):
        row.errors.append(_error(row.number, "到期日期", "already_expired", _TEXT["already_expired"]))
        check.errors.append(row.errors[-1])


# --- dry run ----------------------------------------------------------------------------------------


def dry_run(*, kind, content, filename, actor_key=None):
    """Check the file and keep it with its report as a new batch (status ``validated``)."""
    if kind not in KINDS:
        raise NotFound("import_kind_not_found", f"No import kind {kind!r}.")
    try:
        check = resolve(parse(kind, content, filename))
    except cells.CellError as error:
        raise Unprocessable("import_file_unreadable", error.message) from error
    file_hash = hashlib.sha256(content).hexdigest()
    earlier = db.session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.kind == kind, ImportBatch.file_hash == file_hash, ImportBatch.status == "committed"
        )
    )
    report = check.report() | {"same_file_committed_in": earlier}
    batch = ImportBatch(
        kind=kind,
        filename=filename[:200],
        file_hash=file_hash,
        content=content,
        status="validated",
        row_count=len(check.rows),
        error_count=len(check.errors),
        report=report,
        created_by=actor_key,
        created_at=clock.now(),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def get_batch(batch_id) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("import_not_found", f"No import {batch_id}.")
    return batch


def list_batches(limit=50):
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def queue_commit(*, batch_id, actor=None):
    """Mark a checked batch for its commit (the job runs it). Refused when the check found errors."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound("import_not_found", f"No import {batch_id}.")
    if batch.status in ("queued", "running", "committed"):
        return batch
    if batch.status != "validated":
        raise Conflict("import_not_committable", f"The import is {batch.status}; upload the file again.")
    if batch.error_count:
        raise Unprocessable(
            "import_has_errors",
            "The file has errors; fix them and upload it again.",
            details={"errors": batch.error_count},
        )
    batch.status = "queued"
    batch.queued_at = clock.now()
    batch.created_by = batch.created_by or (actor.key if actor else None)
    db.session.flush()
    return batch


# --- commit ------------------------------------------------------------------------------------------


def run_commit(batch_id, *, actor=None, progress=None):
    """Write a queued batch (in the caller's transaction). Rows whose check now fails stop the commit."""
    # Not locked: the runner claimed the row, and progress is written to it through another
    # connection (runner.py) while this transaction runs; the batch row is written only at the end.
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status not in ("queued", "running"):
        return batch
    now = clock.now()
    check = resolve(parse(batch.kind, batch.content, batch.filename))
    if check.errors:
        batch.status = "failed"
        batch.failure = "数据在检查后发生了变化，请重新上传检查"
        batch.report = check.report()
        batch.error_count = len(check.errors)
        return batch
    writer = _Writer(batch, now)
    rows = [row for row in check.rows if row.action != "skip"]
    creates = [row for row in rows if row.action == "create"]
    if batch.kind in ("package_cards", "coupons"):
        write = writer.card if batch.kind == "package_cards" else writer.coupon
        for row in rows:
            write(row)
            if progress:
                progress(1)
        creates = []
    for chunk in _chunks(creates):
        writer.create(chunk)
        if progress:
            progress(len(chunk))
    for row in rows:
        if row.action == "merge":
            writer.merge(row)
            if progress:
                progress(1)
    keys = [{"kind": batch.kind, "row_key": row.key, "batch_id": batch.id} for row in rows]
    for chunk in _chunks(keys):
        bulk.insert_rows(ImportRowKey, chunk)
    if any("last_visit" in row.values for row in rows):
        metrics.recompute_member_metrics(now=now)
    batch.status = "committed"
    batch.committed_at = now
    batch.rows_done = batch.row_count
    batch.result = writer.counts | {"skipped": len(check.rows) - len(rows)}
    batch.content = batch.content  # kept: the owner may download what was imported
    record_change(
        actor=actor,
        kind="data_import",
        entity_type="import_batch",
        entity_id=batch.id,
        before=None,
        after={"kind": batch.kind, "filename": batch.filename, "file_hash": batch.file_hash, **batch.result},
        now=now,
    )
    db.session.flush()
    return batch


class _Writer:
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
                code=coupon_services._new_code(),
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


# --- undo --------------------------------------------------------------------------------------------


def undo(*, batch_id, actor=None):
    """Take a committed batch back, or refuse with the reason while anything from it was used."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound("import_not_found", f"No import {batch_id}.")
    if batch.status != "committed":
        raise Conflict("import_not_committed", f"The import is {batch.status}; only a committed import can be undone.")
    created = [
        m
        for (m,) in db.session.execute(
            select(ImportedRow.member_id).where(ImportedRow.batch_id == batch.id, ImportedRow.action == "created")
        )
    ]
    merged = list(
        db.session.scalars(select(ImportedRow).where(ImportedRow.batch_id == batch.id, ImportedRow.action == "merged"))
    )
    members = created + [row.member_id for row in merged]
    not_ours = or_(WalletEntry.ref_type.is_distinct_from(REF_TYPE), WalletEntry.ref_id != batch.id)
    points_not_ours = or_(PointsEntry.ref_type.is_distinct_from(REF_TYPE), PointsEntry.ref_id != batch.id)
    from app.workorders.models import WorkOrder

    for chunk in _chunks(members):
        if db.session.scalar(
            select(func.count()).where(
                WalletEntry.member_id.in_(chunk), WalletEntry.created_at >= batch.committed_at, not_ours
            )
        ):
            raise Conflict(
                "import_undo_refused",
                "The import cannot be undone: something from it was used (details.reason: balance_used here).",
                details={"reason": "balance_used"},
            )
        if db.session.scalar(
            select(func.count()).where(
                PointsEntry.member_id.in_(chunk), PointsEntry.created_at >= batch.committed_at, points_not_ours
            )
        ):
            raise Conflict(
                "import_undo_refused", "Points from this import have moved since.", details={"reason": "points_used"}
            )
    for chunk in _chunks(created):
        if db.session.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.member_id.in_(chunk))):
            raise Conflict(
                "import_undo_refused",
                "A member this import created has work orders.",
                details={"reason": "member_has_work_orders"},
            )
    card_ids = list(
        db.session.scalars(
            select(PackageCardEntry.card_id)
            .where(PackageCardEntry.ref_type == REF_TYPE, PackageCardEntry.ref_id == batch.id)
            .distinct()
        )
    )
    if card_ids and db.session.scalar(
        select(func.count())
        .select_from(PackageCardEntry)
        .where(PackageCardEntry.card_id.in_(card_ids), PackageCardEntry.ref_type.is_distinct_from(REF_TYPE))
    ):
        raise Conflict(
            "import_undo_refused", "A package card from this import has been used.", details={"reason": "card_used"}
        )
    coupons = select(MemberCoupon.id).where(MemberCoupon.ref_type == REF_TYPE, MemberCoupon.ref_id == batch.id)
    if db.session.scalar(select(func.count()).where(MemberCoupon.id.in_(coupons), MemberCoupon.status != "unused")):
        raise Conflict(
            "import_undo_refused", "A coupon from this import has been used.", details={"reason": "coupon_used"}
        )
    now = clock.now()
    if card_ids:
        db.session.execute(delete(PackageCardEntry).where(PackageCardEntry.card_id.in_(card_ids)))
        db.session.execute(delete(PackageCardItem).where(PackageCardItem.card_id.in_(card_ids)))
        db.session.execute(delete(PackageCard).where(PackageCard.id.in_(card_ids)))
    coupon_ids = list(db.session.scalars(coupons))
    for chunk in _chunks(coupon_ids):
        db.session.execute(delete(CouponEvent).where(CouponEvent.member_coupon_id.in_(chunk)))
        db.session.execute(delete(MemberCoupon).where(MemberCoupon.id.in_(chunk)))
    for chunk in _chunks(created):
        lots = select(PointsLot.id).where(PointsLot.member_id.in_(chunk))
        db.session.execute(delete(PointsEntry).where(PointsEntry.member_id.in_(chunk)))
        db.session.execute(delete(PointsLot).where(PointsLot.id.in_(lots)))
        db.session.execute(delete(PointsAccount).where(PointsAccount.member_id.in_(chunk)))
        db.session.execute(delete(WalletEntry).where(WalletEntry.member_id.in_(chunk)))
        db.session.execute(delete(Wallet).where(Wallet.member_id.in_(chunk)))
        db.session.execute(delete(MemberTag).where(MemberTag.member_id.in_(chunk)))
        db.session.execute(
            delete(ImportedRow).where(ImportedRow.batch_id == batch.id, ImportedRow.member_id.in_(chunk))
        )
        db.session.execute(delete(Vehicle).where(Vehicle.member_id.in_(chunk)))
        try:
            with db.session.begin_nested():
                db.session.execute(delete(Member).where(Member.id.in_(chunk)))
        except Exception:  # something else refers to the member (a push queued, a coupon issued)
            raise Conflict(
                "import_undo_refused",
                "A member this import created is referred to by later records.",
                details={"reason": "member_referenced"},
            )
    for row in merged:
        _undo_merge(batch, row, now)
    db.session.execute(delete(ImportRowKey).where(ImportRowKey.batch_id == batch.id))
    batch.status = "undone"
    batch.undone_at = now
    if any(row.before and "paid_visit_count" in row.before for row in merged) or created:
        metrics.recompute_member_metrics(now=now)
    record_change(
        actor=actor,
        kind="data_import",
        entity_type="import_batch",
        entity_id=batch.id,
        before={"status": "committed"},
        after={
            "status": "undone",
            "members_deleted": len(created),
            "members_restored": len(merged),
            "cards_deleted": len(card_ids),
            "coupons_deleted": len(coupon_ids),
        },
        now=now,
    )
    db.session.flush()
    return batch


def _undo_merge(batch, row, now):
    member = db.session.get(Member, row.member_id, with_for_update={"of": Member})
    before = dict(row.before or {})
    for tag_id in before.pop("tags_added", []):
        db.session.execute(delete(MemberTag).where(MemberTag.member_id == member.id, MemberTag.tag_id == tag_id))
    claimed = before.pop("claimed_vehicle_id", None)
    if claimed:
        db.session.execute(update(Vehicle).where(Vehicle.id == claimed).values(member_id=None))
    if row.vehicle_id:
        vehicle_id, row.vehicle_id = row.vehicle_id, None
        db.session.flush()
        db.session.execute(delete(Vehicle).where(Vehicle.id == vehicle_id))
    for name, value in before.items():
        if name in ("last_paid_visit_at", "first_paid_visit_at") and value:
            value = datetime.fromisoformat(value)
        setattr(member, name, value)
    if "birthday" in before:
        member.birthday_month = member.birthday_day = None
    for entry in db.session.scalars(
        select(WalletEntry).where(
            WalletEntry.member_id == member.id,
            WalletEntry.ref_type == REF_TYPE,
            WalletEntry.ref_id == batch.id,
            WalletEntry.kind == "opening",
        )
    ):
        wallet = db.session.get(Wallet, member.id, with_for_update=True)
        wallet.principal_fen -= entry.principal_fen
        wallet.bonus_fen -= entry.bonus_fen
        wallet.balance_fen -= entry.amount_fen
        wallet.updated_at = now
        db.session.add(
            WalletEntry(
                member_id=member.id,
                kind="reversal",
                amount_fen=-entry.amount_fen,
                principal_fen=-entry.principal_fen,
                bonus_fen=-entry.bonus_fen,
                balance_after_fen=wallet.balance_fen,
                ref_type=REF_TYPE,
                ref_id=batch.id,
                reverses_entry_id=entry.id,
                note=f"撤销导入 #{batch.id}",
                created_at=now,
            )
        )
    for entry in db.session.scalars(
        select(PointsEntry).where(
            PointsEntry.member_id == member.id,
            PointsEntry.ref_type == REF_TYPE,
            PointsEntry.ref_id == batch.id,
            PointsEntry.kind == "opening",
        )
    ):
        account = db.session.get(PointsAccount, member.id, with_for_update=True)
        account.balance -= entry.points
        account.updated_at = now
        lot = db.session.get(PointsLot, entry.lot_id)
        lot.remaining, lot.revoked_at = 0, now
        db.session.add(
            PointsEntry(
                member_id=member.id,
                kind="reversal",
                points=-entry.points,
                balance_after=account.balance,
                lot_id=lot.id,
                ref_type=REF_TYPE,
                ref_id=batch.id,
                reverses_entry_id=entry.id,
                reason=f"撤销导入 #{batch.id}",
                created_at=now,
            )
        )
    db.session.flush()
