"""Indexes the statistics read through (stats owns no tables; migration 0010 creates these).

``ix_work_orders_stats`` covers every column the work-order figures read — status and settled_at
first (the period filter), then store, member, vehicle and the two amounts — so car counts, the
return rate, the best customers and the daily series are answered from the index alone: on SQLite
this made those queries 3-5x cheaper over a year of 300,000 orders (bench/bench_stats.py); on
PostgreSQL it allows index-only scans of settled orders. It is declared here, on the work-order
table, so the models and the migrations stay equal without touching app/workorders.
"""
from sqlalchemy import Index

from app.workorders.models import WorkOrder

WORK_ORDERS_STATS = Index(
    "ix_work_orders_stats",
    WorkOrder.status, WorkOrder.settled_at, WorkOrder.store_id, WorkOrder.member_id, WorkOrder.vehicle_id,
    WorkOrder.total_fen, WorkOrder.paid_fen,
)
