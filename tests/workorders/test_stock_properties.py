"""The stock ledger under random mixes of receipts, settles, refunds, stocktakes and transfers
(service level; each operation in its own savepoint as a request is in its own transaction).
Store 1 never sells below zero, store 2 may."""

import itertools
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.catalog import stock
from app.catalog import stock_services as services
from app.catalog.models import Part
from app.catalog.stock_models import PartStockMovement, StorePartStock
from app.common.errors import AppError
from app.extensions import db
from app.stores.services import update_store

_skus = itertools.count(1)
_orders = itertools.count(1)

store_index = st.integers(0, 1)
part_index = st.integers(0, 1)
quantity = st.integers(1, 6)
operations = st.one_of(
    st.tuples(st.just("receive"), store_index, part_index, quantity),
    st.tuples(st.just("settle"), store_index, part_index, quantity, part_index, st.integers(0, 3)),
    st.tuples(st.just("refund"), st.integers(0, 20)),
    st.tuples(st.just("stocktake"), store_index, part_index, st.integers(0, 8)),
    st.tuples(st.just("transfer"), store_index, part_index, quantity),
)


def ledger():
    on_hand = {
        (row.store_id, row.part_id): row.on_hand
        for row in db.session.execute(select(StorePartStock.store_id, StorePartStock.part_id, StorePartStock.on_hand))
    }
    sums = {
        (store_id, part_id): total
        for store_id, part_id, total in db.session.execute(
            select(PartStockMovement.store_id, PartStockMovement.part_id, func.sum(PartStockMovement.delta)).group_by(
                PartStockMovement.store_id, PartStockMovement.part_id
            )
        )
    }
    return on_hand, sums


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=3, max_size=25))
def test_on_hand_equals_the_movements_sum_after_any_mix(app, stores, steps):
    with app.app_context():
        update_store(store_id=stores[1], changes={"allow_negative_stock": True})
        parts = []
        for _ in range(2):
            part = Part(name="Part", sku=f"P-{next(_skus)}", price_fen=100, low_stock_threshold=2)
            db.session.add(part)
            db.session.flush()
            parts.append(part.id)
        model = defaultdict(int)  # what each (store, part) should hold
        sold = []  # (order ref, {(store, part): quantity}) of settles not refunded yet
        for step in steps:
            kind = step[0]
            refusal_expected = False
            try:
                with db.session.begin_nested():
                    if kind == "receive":
                        _kind, s, p, q = step
                        line = {"part_id": parts[p], "quantity": q, "unit_cost_fen": 50}
                        services.receive(actor=None, store_id=stores[s], supplier="S", lines=[line])
                        model[stores[s], parts[p]] += q
                    elif kind == "settle":
                        _kind, s, p, q, other, q2 = step
                        quantities = {parts[p]: q}
                        if q2 and other != p:
                            quantities[parts[other]] = q2
                        ref = next(_orders)
                        short = any(model[stores[s], part] < n for part, n in quantities.items())
                        refusal_expected = s == 0 and short
                        stock.take_out(store_id=stores[s], quantities=quantities, ref_type="work_order", ref_id=ref)
                        for part, n in quantities.items():
                            model[stores[s], part] -= n
                        sold.append((ref, {(stores[s], part): n for part, n in quantities.items()}))
                    elif kind == "refund" and sold:
                        ref, taken = sold.pop(step[1] % len(sold))
                        stock.return_reference(ref_type="work_order", ref_id=ref)
                        for key, n in taken.items():
                            model[key] += n
                    elif kind == "stocktake":
                        _kind, s, p, counted = step
                        line = {"part_id": parts[p], "counted": counted}
                        services.take_stock(actor=None, store_id=stores[s], lines=[line], reason="count")
                        model[stores[s], parts[p]] = counted
                    elif kind == "transfer":
                        _kind, s, p, q = step
                        source, target = stores[s], stores[1 - s]
                        line = {"part_id": parts[p], "quantity": q}
                        refusal_expected = model[source, parts[p]] < q
                        services.transfer(actor=None, from_store_id=source, to_store_id=target, lines=[line])
                        model[source, parts[p]] -= q
                        model[target, parts[p]] += q
            except AppError as refused:  # nothing of it was written: the savepoint rolled back
                assert refusal_expected and refused.code == "insufficient_stock", (step, refused.code)
            else:
                assert not refusal_expected, f"{step} should have been refused"
            on_hand, sums = ledger()
            assert on_hand == sums
            assert {key: value for key, value in model.items() if key in on_hand or value} == on_hand
            assert all(value >= 0 for (store_id, _part), value in on_hand.items() if store_id == stores[0])
        for part_id in parts:
            assert db.session.get(Part, part_id).stock == sum(v for (_s, p), v in on_hand.items() if p == part_id)
        db.session.rollback()
