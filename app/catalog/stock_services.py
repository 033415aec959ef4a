"""A store's stock, as the counter and the owner work it: receipts (入库), stocktakes (盘点),
transfers (调拨), what a store has and what it is short of, a part's movements.

Who may: receipts, stocktakes and reading a store's stock are for the counter staff of that store
(and the owner); a transfer for whoever works at both stores (the owner works at all of them).
Every write validates its whole body before it moves anything, so a refusal writes nothing.
"""

from sqlalchemy import select

from app.audit.services import record_change
from app.catalog import stock
from app.catalog.models import Part
from app.catalog.stock_models import (
    PartStockMovement,
    StockReceipt,
    Stocktake,
    StocktakeLine,
    StockTransfer,
    StorePartStock,
)
from app.common import clock
from app.common.errors import Forbidden, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.stores.services import get_store


def _staff_id(actor):
    return actor.id if actor is not None and actor.kind == "staff" else None


def _check_store(actor, store_id):
    """The store exists (404 ``store_not_found``) and the caller works at it (403 ``store_forbidden``)."""
    store = get_store(store_id)
    if actor is not None and not actor.can_access_store(store_id):
        raise Forbidden("store_forbidden", "You do not work at this store.")
    return store


def _check_lines(lines, quantity_key, minimum):
    """Known parts, each once, with a whole quantity of at least ``minimum``."""
    part_ids = [line["part_id"] for line in lines]
    if not part_ids:
        raise Unprocessable("no_lines", "Name at least one part.")
    duplicates = sorted({part_id for part_id in part_ids if part_ids.count(part_id) > 1})
    if duplicates:
        raise Unprocessable("duplicate_part", "Name each part once.", details={"part_ids": duplicates})
    for line in lines:
        if line[quantity_key] < minimum:
            raise Unprocessable(
                "invalid_quantity",
                f"{quantity_key} must be at least {minimum}.",
                details={"part_id": line["part_id"], quantity_key: line[quantity_key]},
            )
    known = set(db.session.scalars(select(Part.id).where(Part.id.in_(part_ids))))
    unknown = [part_id for part_id in part_ids if part_id not in known]
    if unknown:
        raise Unprocessable("part_not_found", "No such part.", details={"part_id": unknown[0]})


def open_stock(*, store_id, part_id, quantity, now=None):
    """A new part's opening stock at a store (no-op for zero)."""
    if quantity:
        move = stock.Move(store_id=store_id, part_id=part_id, delta=quantity, kind="opening")
        stock.apply([move], note="opening stock", now=now)


def receive(*, actor, store_id, supplier, lines, note=None, now=None):
    """Book a delivery in at a store: each line's quantity (at least 1) goes into the store's stock
    as a "receive" movement with its unit cost; the receipt records the supplier."""
    now = now or clock.now()
    _check_store(actor, store_id)
    _check_lines(lines, "quantity", 1)
    receipt = StockReceipt(
        store_id=store_id, supplier=supplier.strip(), note=note, staff_id=_staff_id(actor), created_at=now
    )
    db.session.add(receipt)
    db.session.flush()
    moves = [
        stock.Move(
            store_id=store_id,
            part_id=line["part_id"],
            delta=line["quantity"],
            kind="receive",
            unit_cost_fen=line["unit_cost_fen"],
        )
        for line in lines
    ]
    movements = stock.apply(moves, ref_type="stock_receipt", ref_id=receipt.id, now=now)
    return _receipt_dict(receipt, movements)


def _receipt_dict(receipt, movements):
    lines = [
        {
            "part_id": m.part_id,
            "quantity": m.delta,
            "unit_cost_fen": m.unit_cost_fen,
            "cost_fen": m.delta * m.unit_cost_fen,
            "on_hand_after": m.stock_after,
        }
        for m in movements
    ]
    return {
        "id": receipt.id,
        "store_id": receipt.store_id,
        "supplier": receipt.supplier,
        "note": receipt.note,
        "staff_id": receipt.staff_id,
        "created_at": receipt.created_at,
        "lines": lines,
        "total_cost_fen": sum(line["cost_fen"] for line in lines),
    }


def take_stock(*, actor, store_id, lines, reason, now=None):
    """Record a stocktake: for each counted part, what the store had and what was counted; each
    difference is written as a "stocktake" movement with the reason, so on hand becomes the count.
    A count equal to on hand is recorded and moves nothing."""
    now = now or clock.now()
    _check_store(actor, store_id)
    _check_lines(lines, "counted", 0)
    stocktake = Stocktake(store_id=store_id, reason=reason.strip(), staff_id=_staff_id(actor), created_at=now)
    db.session.add(stocktake)
    db.session.flush()
    write_stocktake_adjustments(stocktake, lines, actor=actor, now=now)
    return stocktake


def write_stocktake_adjustments(stocktake, lines, *, actor, now):
    """The one place stocktake differences become movements, each written to the audit log
    ("stock_adjustment": on hand before and after, the stocktake's reason). Each count is read
    against its row after the row is locked, in part-id
    order, so a sale running meanwhile is either counted in the expectation or waits."""
    for line in sorted(lines, key=lambda line: line["part_id"]):
        counted = line["counted"]
        expected = _locked_on_hand(stocktake.store_id, line["part_id"])
        db.session.add(
            StocktakeLine(stocktake_id=stocktake.id, part_id=line["part_id"], expected=expected, counted=counted)
        )
        if counted != expected:
            move = stock.Move(
                store_id=stocktake.store_id, part_id=line["part_id"], delta=counted - expected, kind="stocktake"
            )
            stock.apply([move], ref_type="stocktake", ref_id=stocktake.id, note=stocktake.reason, now=now)
            record_change(
                actor=actor,
                kind="stock_adjustment",
                entity_type="part",
                entity_id=line["part_id"],
                before={"on_hand": expected, "stocktake_id": None},
                after={"on_hand": counted, "stocktake_id": stocktake.id},
                reason=stocktake.reason,
                store_id=stocktake.store_id,
                now=now,
            )
    db.session.flush()
    db.session.expire(stocktake, ["lines"])


def _locked_on_hand(store_id, part_id):
    return (
        db.session.scalar(
            select(StorePartStock.on_hand)
            .where(StorePartStock.store_id == store_id, StorePartStock.part_id == part_id)
            .with_for_update()
        )
        or 0
    )


def transfer(*, actor, from_store_id, to_store_id, lines, note=None, now=None):
    """Move parts from one store to another in one transaction: a "transfer_out" at the source and a
    "transfer_in" at the destination per line. A transfer never takes the source below zero, even
    where the source may sell below zero (409 ``insufficient_stock``, nothing moved)."""
    now = now or clock.now()
    if from_store_id == to_store_id:
        raise Unprocessable("same_store_transfer", "A transfer goes from one store to another.")
    _check_store(actor, from_store_id)
    _check_store(actor, to_store_id)
    _check_lines(lines, "quantity", 1)
    record = StockTransfer(
        from_store_id=from_store_id, to_store_id=to_store_id, note=note, staff_id=_staff_id(actor), created_at=now
    )
    db.session.add(record)
    db.session.flush()
    moves = []
    for line in lines:
        part_id, quantity = line["part_id"], line["quantity"]
        moves.append(stock.Move(store_id=from_store_id, part_id=part_id, delta=-quantity, kind="transfer_out"))
        moves.append(stock.Move(store_id=to_store_id, part_id=part_id, delta=quantity, kind="transfer_in"))
    movements = stock.apply(moves, ref_type="stock_transfer", ref_id=record.id, now=now)
    return {
        "id": record.id,
        "from_store_id": from_store_id,
        "to_store_id": to_store_id,
        "note": note,
        "staff_id": record.staff_id,
        "created_at": record.created_at,
        "lines": [{"part_id": m.part_id, "quantity": -m.delta} for m in movements if m.kind == "transfer_out"],
    }


def store_stock(*, actor, store_id, low_stock=False, page=1, per_page=20):
    """What a store has of each part it has ever held, by part id; ``low_stock`` keeps the parts at or
    below their threshold (a negative on hand always is)."""
    _check_store(actor, store_id)
    stmt = (
        select(
            Part.id.label("part_id"),
            Part.name,
            Part.sku,
            StorePartStock.on_hand,
            Part.low_stock_threshold,
            (StorePartStock.on_hand <= Part.low_stock_threshold).label("low_stock"),
        )
        .join(StorePartStock, StorePartStock.part_id == Part.id)
        .where(StorePartStock.store_id == store_id)
        .order_by(Part.id)
    )
    if low_stock:
        stmt = stmt.where(StorePartStock.on_hand <= Part.low_stock_threshold)
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    total = db.session.scalar(select(db.func.count()).select_from(stmt.order_by(None).subquery()))
    return {"items": [dict(row) for row in rows], "total": total, "page": page, "per_page": per_page}


def part_movements(*, actor, part_id, store_id=None, page=1, per_page=20):
    """A part's movements, newest first: at one store, or at every store the caller works at."""
    if db.session.get(Part, part_id) is None:
        raise NotFound("part_not_found", "No such part.")
    stmt = select(PartStockMovement).where(PartStockMovement.part_id == part_id)
    if store_id is not None:
        _check_store(actor, store_id)
        stmt = stmt.where(PartStockMovement.store_id == store_id)
    elif actor is not None and not actor.is_owner:
        stmt = stmt.where(PartStockMovement.store_id.in_(actor.store_ids or (-1,)))
    return paginate(stmt.order_by(PartStockMovement.id.desc()), page, per_page)
