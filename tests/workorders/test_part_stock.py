"""The parts stock ledger: take out, give back by reference, alerts."""

import pytest

from app.catalog import stock
from app.catalog.models import Part
from app.catalog.stock_models import PartLowStockAlert, PartStockMovement
from app.common.errors import Conflict
from app.extensions import db


def test_take_out_return_and_alerts(app):
    with app.app_context():
        filter_, oil = (
            Part(name="Filter", sku="F", price_fen=1, stock=5, low_stock_threshold=2),
            Part(name="Oil", sku="O", price_fen=1, stock=1, low_stock_threshold=0),
        )
        db.session.add_all([filter_, oil])
        db.session.flush()
        stock.take_out(quantities={filter_.id: 2}, ref_type="work_order", ref_id=1)
        assert filter_.stock == 3 and stock.open_low_stock_alerts() == []
        stock.take_out(quantities={filter_.id: 1, oil.id: 1}, ref_type="work_order", ref_id=2)
        assert (filter_.stock, oil.stock) == (2, 0)
        assert sorted(a.part_id for a in stock.open_low_stock_alerts()) == sorted([filter_.id, oil.id])
        with pytest.raises(Conflict) as refused:
            stock.take_out(quantities={filter_.id: 3}, ref_type="work_order", ref_id=3)
        assert refused.value.code == "insufficient_stock"
        assert filter_.stock == 2

        assert len(stock.return_reference(ref_type="work_order", ref_id=2)) == 2
        assert stock.return_reference(ref_type="work_order", ref_id=2) == []  # once only
        assert (filter_.stock, oil.stock) == (3, 1)
        assert stock.open_low_stock_alerts() == []  # both climbed above their thresholds
        assert db.session.scalar(db.select(db.func.count()).select_from(PartLowStockAlert)) == 2
        stock.receive(part_id=oil.id, quantity=10)
        for part in (filter_, oil):
            deltas = db.session.scalars(db.select(PartStockMovement.delta).where(PartStockMovement.part_id == part.id))
            assert part.stock == {filter_.id: 5, oil.id: 1}[part.id] + sum(deltas)
        db.session.rollback()
