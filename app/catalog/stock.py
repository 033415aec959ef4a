"""Moving parts' stock at a store: the ledger's one writer.

Every change of a store's on hand is one statement on its (store, part) row that returns the new
figure, followed by one movement row recording it, so on hand always equals the movements' sum:
 * a take-out that must not go below zero is ``UPDATE ... SET on_hand = on_hand - q WHERE on_hand >= q
   RETURNING on_hand``; no row back means there was not enough (409 ``insufficient_stock``). On
   PostgreSQL the second of two concurrent take-outs waits on the row lock and re-checks the
   condition against the first one's result, so the last unit is sold once;
 * any other change is an upsert (``INSERT ... ON CONFLICT DO UPDATE SET on_hand = on_hand + d``):
   the row appears with the store's first movement of the part.
Several rows are always changed in (part id, store id) order, in every transaction that moves stock,
so two transactions never wait on each other's rows in a cycle.
"""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.catalog.models import Part
from app.catalog.stock_models import PartLowStockAlert, PartStockMovement, StorePartStock
from app.common import clock
from app.common.db import is_sqlite
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.stores.services import allows_negative_stock


@dataclass(frozen=True)
class Move:
    """One change of one store's stock of one part."""

    store_id: int
    part_id: int
    delta: int
    kind: str
    # Whether the store may end below zero (a settle at a store that sells before booking in).
    may_go_negative: bool = False
    unit_cost_fen: int | None = None
    reverses_id: int | None = None


def on_hand(*, store_id, part_id):
    """The store's stock of the part (0 before its first movement there)."""
    value = db.session.scalar(
        select(StorePartStock.on_hand).where(StorePartStock.store_id == store_id, StorePartStock.part_id == part_id)
    )
    return value or 0


def _take(move):
    return db.session.scalar(
        update(StorePartStock)
        .where(
            StorePartStock.store_id == move.store_id,
            StorePartStock.part_id == move.part_id,
            StorePartStock.on_hand >= -move.delta,
        )
        .values(on_hand=StorePartStock.on_hand + move.delta)
        .returning(StorePartStock.on_hand)
        .execution_options(synchronize_session=False)
    )


def _add(move):
    insert = sqlite_insert if is_sqlite(db.session) else pg_insert
    statement = insert(StorePartStock).values(store_id=move.store_id, part_id=move.part_id, on_hand=move.delta)
    statement = statement.on_conflict_do_update(
        index_elements=[StorePartStock.store_id, StorePartStock.part_id],
        set_={"on_hand": StorePartStock.on_hand + statement.excluded.on_hand},
    ).returning(StorePartStock.on_hand)
    return db.session.scalar(statement)


def _insufficient(move):
    if db.session.get(Part, move.part_id) is None:
        raise NotFound("part_not_found", "No such part.", details={"part_id": move.part_id})
    have = on_hand(store_id=move.store_id, part_id=move.part_id)
    name = db.session.scalar(select(Part.name).where(Part.id == move.part_id))
    return Conflict(
        "insufficient_stock",
        f"Only {have} of {name} in stock at this store.",
        details={"store_id": move.store_id, "part_id": move.part_id, "stock": have, "requested": -move.delta},
    )


def _apply(move, *, ref_type, ref_id, note, now):
    if move.delta == 0:
        raise Unprocessable("invalid_quantity", "Quantities are positive.")
    after = _take(move) if move.delta < 0 and not move.may_go_negative else _add(move)
    if after is None:
        raise _insufficient(move)
    movement = PartStockMovement(
        store_id=move.store_id,
        part_id=move.part_id,
        kind=move.kind,
        delta=move.delta,
        stock_after=after,
        unit_cost_fen=move.unit_cost_fen,
        ref_type=ref_type,
        ref_id=ref_id,
        reverses_id=move.reverses_id,
        note=note,
        created_at=now,
    )
    db.session.add(movement)
    db.session.flush()
    _update_alert(movement)
    loaded = db.session.identity_map.get(db.session.identity_key(Part, move.part_id))
    if loaded is not None:  # the statement bypassed the ORM: let a loaded part re-read its total
        db.session.expire(loaded, ["stock"])
    return movement


def apply(moves, *, ref_type=None, ref_id=None, note=None, now=None):
    """Apply the moves in lock order (part id, then store id), all or nothing within the caller's
    transaction: a take-out a store cannot cover raises 409 ``insufficient_stock`` (the caller rolls
    back). Returns the movements in that order."""
    now = now or clock.now()
    ordered = sorted(moves, key=lambda move: (move.part_id, move.store_id))
    return [_apply(move, ref_type=ref_type, ref_id=ref_id, note=note, now=now) for move in ordered]


def _update_alert(movement):
    """One open alert per (store, part) while its stock is at or below the part's threshold."""
    threshold = db.session.scalar(select(Part.low_stock_threshold).where(Part.id == movement.part_id))
    stock = movement.stock_after
    if (movement.delta < 0) == (stock > threshold):
        return  # a take-out above the threshold raises nothing; a delivery at or below it resolves nothing
    open_alert = db.session.scalar(
        select(PartLowStockAlert).where(
            PartLowStockAlert.store_id == movement.store_id,
            PartLowStockAlert.part_id == movement.part_id,
            PartLowStockAlert.resolved_at.is_(None),
        )
    )
    if stock <= threshold and open_alert is None:
        db.session.add(
            PartLowStockAlert(
                store_id=movement.store_id,
                part_id=movement.part_id,
                movement_id=movement.id,
                stock=stock,
                threshold=threshold,
                created_at=movement.created_at,
            )
        )
    elif stock > threshold and open_alert is not None:
        open_alert.resolved_at = movement.created_at
    db.session.flush()


def take_out(*, store_id, quantities, ref_type, ref_id, now=None):
    """Take parts out of a store's stock for a sale (a settle). ``quantities``: {part_id: quantity}.

    Below zero only when the store allows it (``allow_negative_stock``); otherwise a part short of
    stock raises 409 ``insufficient_stock`` and the caller rolls everything back."""
    if any(quantity <= 0 for quantity in quantities.values()):
        raise Unprocessable("invalid_quantity", "Quantities are positive.")
    may_go_negative = allows_negative_stock(store_id)
    moves = [
        Move(store_id=store_id, part_id=part_id, delta=-quantity, kind="settle", may_go_negative=may_go_negative)
        for part_id, quantity in quantities.items()
    ]
    return apply(moves, ref_type=ref_type, ref_id=ref_id, now=now)


def return_reference(*, ref_type, ref_id, now=None):
    """Give back every take-out made for a reference that was not given back yet, each to the store it
    was taken from (idempotent)."""
    returned = select(PartStockMovement.reverses_id).where(PartStockMovement.reverses_id.is_not(None))
    outs = db.session.scalars(
        select(PartStockMovement).where(
            PartStockMovement.ref_type == ref_type,
            PartStockMovement.ref_id == ref_id,
            PartStockMovement.kind == "settle",
            PartStockMovement.id.not_in(returned),
        )
    ).all()
    moves = [
        Move(store_id=out.store_id, part_id=out.part_id, delta=-out.delta, kind="refund", reverses_id=out.id)
        for out in outs
    ]
    return apply(moves, ref_type=ref_type, ref_id=ref_id, now=now)


def receive(*, store_id, part_id, quantity, unit_cost_fen=None, ref_type=None, ref_id=None, note=None, now=None):
    """Put delivered parts into a store's stock."""
    if quantity <= 0:
        raise Unprocessable("invalid_quantity", "Quantities are positive.")
    move = Move(store_id=store_id, part_id=part_id, delta=quantity, kind="receive", unit_cost_fen=unit_cost_fen)
    return apply([move], ref_type=ref_type, ref_id=ref_id, note=note, now=now)[0]


def movements_for(*, ref_type, ref_id):
    return db.session.scalars(
        select(PartStockMovement)
        .where(PartStockMovement.ref_type == ref_type, PartStockMovement.ref_id == ref_id)
        .order_by(PartStockMovement.id)
    ).all()


def open_low_stock_alerts(*, store_id=None):
    """(Store, part) pairs waiting to be reordered: open alerts, oldest first."""
    stmt = select(PartLowStockAlert).where(PartLowStockAlert.resolved_at.is_(None)).order_by(PartLowStockAlert.id)
    if store_id is not None:
        stmt = stmt.where(PartLowStockAlert.store_id == store_id)
    return db.session.scalars(stmt).all()
