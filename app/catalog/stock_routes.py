from flask_smorest import Blueprint

from app.catalog import stock_services as services
from app.catalog.stock_schemas import (
    MovementPage,
    MovementQuery,
    StockReceiptCreate,
    StockReceiptRead,
    StocktakeCreate,
    StocktakeRead,
    StockTransferCreate,
    StockTransferRead,
    StoreStockPage,
    StoreStockQuery,
)
from app.common.auth import counter_staff, current_actor
from app.common.transaction import unit_of_work

blp = Blueprint("stock", __name__, description="Stock of parts per store: receipts, stocktakes, transfers, movements")


@blp.route("/stores/<int:store_id>/stock")
@counter_staff
@blp.arguments(StoreStockQuery, location="query")
@blp.response(200, StoreStockPage)
def store_stock(query, store_id):
    """What a store has of each part (low_stock=true: at or below the threshold, negative included)"""
    return services.store_stock(actor=current_actor(), store_id=store_id, **query)


@blp.route("/stores/<int:store_id>/stock/receipts", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(StockReceiptCreate)
@blp.response(201, StockReceiptRead)
def receive_stock(body, store_id):
    """Book a delivery in (入库): supplier, and per part the quantity and unit cost"""
    return services.receive(actor=current_actor(), store_id=store_id, **body)


@blp.route("/stores/<int:store_id>/stock/stocktakes", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(StocktakeCreate)
@blp.response(201, StocktakeRead)
def take_stock(body, store_id):
    """Record a stocktake (盘点): counted quantities; differences are written with the reason"""
    return services.take_stock(actor=current_actor(), store_id=store_id, **body)


@blp.route("/stock/transfers", methods=["POST"])
@counter_staff
@unit_of_work(idempotent=True)
@blp.arguments(StockTransferCreate)
@blp.response(201, StockTransferRead)
def transfer_stock(body):
    """Move parts between two stores (调拨), never below zero at the source (staff of both stores)"""
    return services.transfer(actor=current_actor(), **body)


@blp.route("/parts/<int:part_id>/movements")
@counter_staff
@blp.arguments(MovementQuery, location="query")
@blp.response(200, MovementPage)
def part_movements(query, part_id):
    """A part's stock movements, newest first, at one store or at the caller's stores"""
    return services.part_movements(actor=current_actor(), part_id=part_id, **query)
