"""Stock movements of parts: take out, give back by reference, receive.

A take-out is a conditional ``UPDATE parts SET stock = stock - q WHERE id = ? AND stock >= q``
checked by its row count, so stock never goes below zero, also under concurrent settlements (the
``stock >= 0`` CHECK is the net under it). Several parts are moved in part-id order so two
transactions touching the same parts lock them in the same order.
"""

from sqlalchemy import select, update

from app.catalog.models import Part
from app.catalog.stock_models import PartLowStockAlert, PartStockMovement
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db


def _move(*, part_id, delta, kind, ref_type=None, ref_id=None, reverses_id=None, note=None, now=None):
    condition = [Part.id == part_id]
    if delta < 0:
        condition.append(Part.stock >= -delta)
    result = db.session.execute(
        update(Part).where(*condition).values(stock=Part.stock + delta).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        part = db.session.get(Part, part_id)
        if part is None:
            raise NotFound("part_not_found", "No such part.", details={"part_id": part_id})
        db.session.refresh(part, ["stock"])
        raise Conflict(
            "insufficient_stock",
            f"Only {part.stock} of {part.name} in stock.",
            details={"part_id": part_id, "stock": part.stock, "requested": -delta},
        )
    stock, threshold = db.session.execute(select(Part.stock, Part.low_stock_threshold).where(Part.id == part_id)).one()
    movement = PartStockMovement(
        part_id=part_id,
        kind=kind,
        delta=delta,
        stock_after=stock,
        ref_type=ref_type,
        ref_id=ref_id,
        reverses_id=reverses_id,
        note=note,
        created_at=now or clock.now(),
    )
    db.session.add(movement)
    db.session.flush()
    _update_alert(part_id=part_id, stock=stock, threshold=threshold, movement=movement)
    loaded = db.session.identity_map.get(db.session.identity_key(Part, part_id))
    if loaded is not None:  # the UPDATE bypassed the ORM: let a loaded part re-read its stock
        db.session.expire(loaded, ["stock"])
    return movement


def _update_alert(*, part_id, stock, threshold, movement):
    """One open alert per part while its stock is at or below the threshold."""
    if (movement.delta < 0) == (stock > threshold):
        return  # a take-out above the threshold raises nothing; a delivery at or below it resolves nothing
    open_alert = db.session.scalar(
        select(PartLowStockAlert).where(PartLowStockAlert.part_id == part_id, PartLowStockAlert.resolved_at.is_(None))
    )
    if stock <= threshold and open_alert is None:
        db.session.add(
            PartLowStockAlert(
                part_id=part_id,
                movement_id=movement.id,
                stock=stock,
                threshold=threshold,
                created_at=movement.created_at,
            )
        )
    elif stock > threshold and open_alert is not None:
        open_alert.resolved_at = movement.created_at
    db.session.flush()


def take_out(*, quantities, ref_type, ref_id, now=None):
    """Take parts out of stock for a reference. ``quantities``: {part_id: quantity}.

    All or nothing within the caller's transaction: a part short of stock raises 409
    ``insufficient_stock`` (the caller rolls back). Parts are moved in id order.
    """
    movements = []
    for part_id in sorted(quantities):  # part-id order: the lock order of every stock change
        quantity = quantities[part_id]
        if quantity <= 0:
            raise Unprocessable("invalid_quantity", "Quantities are positive.")
        movements.append(_move(part_id=part_id, delta=-quantity, kind="out", ref_type=ref_type, ref_id=ref_id, now=now))
    return movements


def return_reference(*, ref_type, ref_id, now=None):
    """Give back every take-out made for a reference that was not given back yet (idempotent)."""
    returned = select(PartStockMovement.reverses_id).where(PartStockMovement.reverses_id.is_not(None))
    outs = db.session.scalars(
        select(PartStockMovement)
        .where(
            PartStockMovement.ref_type == ref_type,
            PartStockMovement.ref_id == ref_id,
            PartStockMovement.kind == "out",
            PartStockMovement.id.not_in(returned),
        )
        .order_by(PartStockMovement.part_id, PartStockMovement.id)
    ).all()
    return [
        _move(
            part_id=out.part_id,
            delta=-out.delta,
            kind="return",
            ref_type=ref_type,
            ref_id=ref_id,
            reverses_id=out.id,
            now=now,
        )
        for out in outs
    ]


def receive(*, part_id, quantity, note=None, now=None):
    """Put delivered parts into stock."""
    if quantity <= 0:
        raise Unprocessable("invalid_quantity", "Quantities are positive.")
    return _move(part_id=part_id, delta=quantity, kind="receive", note=note, now=now)


def movements_for(*, ref_type, ref_id):
    return db.session.scalars(
        select(PartStockMovement)
        .where(PartStockMovement.ref_type == ref_type, PartStockMovement.ref_id == ref_id)
        .order_by(PartStockMovement.id)
    ).all()


def open_low_stock_alerts():
    """Parts waiting to be reordered: open alerts, oldest first."""
    return db.session.scalars(
        select(PartLowStockAlert).where(PartLowStockAlert.resolved_at.is_(None)).order_by(PartLowStockAlert.id)
    ).all()
