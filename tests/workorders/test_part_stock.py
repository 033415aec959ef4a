"""The parts stock ledger at a store: take out, give back by reference, alerts."""

import pytest

from app.catalog import stock
from app.catalog.models import Part
from app.catalog.stock_models import PartLowStockAlert, PartStockMovement
from app.catalog.stock_services import open_stock
from app.common.errors import Conflict
from app.extensions import db


def test_take_out_return_and_alerts(app, stores):
    store = stores[0]
    with app.app_context():
        filter_, oil = (
            Part(name="Filter", sku="F", price_fen=1, low_stock_threshold=2),
            Part(name="Oil", sku="O", price_fen=1, low_stock_threshold=0),
        )
        db.session.add_all([filter_, oil])
        db.session.flush()
        open_stock(store_id=store, part_id=filter_.id, quantity=5)
        open_stock(store_id=store, part_id=oil.id, quantity=1)
        stock.take_out(store_id=store, quantities={filter_.id: 2}, ref_type="work_order", ref_id=1)
        assert filter_.stock == 3 and stock.open_low_stock_alerts() == []
        stock.take_out(store_id=store, quantities={filter_.id: 1, oil.id: 1}, ref_type="work_order", ref_id=2)
        assert (filter_.stock, oil.stock) == (2, 0)
        assert sorted(a.part_id for a in stock.open_low_stock_alerts(store_id=store)) == sorted([filter_.id, oil.id])
        assert stock.open_low_stock_alerts(store_id=stores[1]) == []
        with pytest.raises(Conflict) as refused:
            stock.take_out(store_id=store, quantities={filter_.id: 3}, ref_type="work_order", ref_id=3)
        assert refused.value.code == "insufficient_stock"
        assert filter_.stock == 2
        with pytest.raises(Conflict):  # the other store has none of it
            stock.take_out(store_id=stores[1], quantities={filter_.id: 1}, ref_type="work_order", ref_id=4)

        assert len(stock.return_reference(ref_type="work_order", ref_id=2)) == 2
        assert stock.return_reference(ref_type="work_order", ref_id=2) == []  # once only
        assert (filter_.stock, oil.stock) == (3, 1)
        assert stock.open_low_stock_alerts() == []  # both climbed above their thresholds
        assert db.session.scalar(db.select(db.func.count()).select_from(PartLowStockAlert)) == 2
        stock.receive(store_id=store, part_id=oil.id, quantity=10)
        for part in (filter_, oil):
            deltas = db.session.scalars(db.select(PartStockMovement.delta).where(PartStockMovement.part_id == part.id))
            assert part.stock == sum(deltas)
            assert stock.on_hand(store_id=store, part_id=part.id) == part.stock
        db.session.rollback()


def test_a_store_that_sells_below_zero_goes_negative_and_is_low(app, stores):
    with app.app_context():
        from app.stores.services import update_store

        update_store(store_id=stores[0], changes={"allow_negative_stock": True})
        part = Part(name="Pads", sku="P", price_fen=1, low_stock_threshold=0)
        db.session.add(part)
        db.session.flush()
        (movement,) = stock.take_out(store_id=stores[0], quantities={part.id: 2}, ref_type="work_order", ref_id=1)
        assert (movement.delta, movement.stock_after, movement.kind) == (-2, -2, "settle")
        assert [(a.store_id, a.stock) for a in stock.open_low_stock_alerts()] == [(stores[0], -2)]
        with pytest.raises(Conflict):  # the other store does not allow it
            stock.take_out(store_id=stores[1], quantities={part.id: 1}, ref_type="work_order", ref_id=2)
        db.session.rollback()
