"""Undoing a committed import while nothing from it has been used: no wallet or points entry after
the batch's own, no work order of a member it created. Members it created are deleted with their
opening entries; on members it merged into, the opening entries are reversed (the ledgers stay
append-only) and the fields it filled are put back."""

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from app.audit.services import record_change
from app.cards.models import PackageCard, PackageCardEntry, PackageCardItem
from app.common import clock
from app.common.errors import Conflict, NotFound
from app.coupons.models import CouponEvent, MemberCoupon
from app.extensions import db
from app.members import metrics
from app.members.models import Member, MemberTag, Vehicle
from app.transfer.bulk import chunks
from app.transfer.models import ImportBatch, ImportedRow, ImportRowKey
from app.transfer.writing import REF_TYPE
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry


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

    for chunk in chunks(members):
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
    for chunk in chunks(created):
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
    for chunk in chunks(coupon_ids):
        db.session.execute(delete(CouponEvent).where(CouponEvent.member_coupon_id.in_(chunk)))
        db.session.execute(delete(MemberCoupon).where(MemberCoupon.id.in_(chunk)))
    for chunk in chunks(created):
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
