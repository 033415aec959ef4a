"""What the statistics keep: covering indexes on other domains' tables and the daily sales rollup.

``ix_work_orders_stats`` covers every column the work-order figures read — status and settled_at
first (the period filter), then store, member, vehicle and the two amounts — so car counts, the
return rate, the best customers and the daily series are answered from the index alone: on SQLite
this made those queries 3-5x cheaper over a year of 300,000 orders (bench/bench_stats.py); on
PostgreSQL it allows index-only scans of settled orders. It is declared here, on the work-order
table, so the models and the migrations stay equal without touching app/workorders; so are the
overview's indexes on members, wallet entries, points lots and coupon tenders (migration 0016,
below).

``stats_daily_sales`` (``DailySales``) holds the additive figures of the counted orders per store and
merchant-local day, so the overview sums a few hundred rows instead of matching millions of lines
and payments against the period's orders (see app/stats/rollup.py for how it is kept current).
One row per (day, store, kind, name):
 * kind ``orders`` (name ""): counted orders settled that day — work_orders, member_work_orders,
   amount_fen (their totals), paid_fen;
 * kind ``tender`` (name = tender type): amount_fen = the counted orders' posted payments of that type;
 * kind ``category`` (name = line category, "part" for parts): amount_fen = line totals (net),
   list_fen = the same lines at list price;
 * kind ``refund`` (name = the local day the order had been settled, YYYY-MM-DD; ``day`` is the
   refund's local day): work_orders, amount_fen (totals), paid_fen.
"""

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.members.models import Member
from app.wallet.models import PointsLot, WalletEntry
from app.workorders.models import WorkOrder, WorkOrderPayment

WORK_ORDERS_STATS = Index(
    "ix_work_orders_stats",
    WorkOrder.status,
    WorkOrder.settled_at,
    WorkOrder.store_id,
    WorkOrder.member_id,
    WorkOrder.vehicle_id,
    WorkOrder.total_fen,
    WorkOrder.paid_fen,
)

# The overview's members (0016): the current members' value class, tier, last paid visit and
# registration time, so the counts by lifecycle, tier and value class read this index (about 40 MB
# at a million members) instead of every member's row.
MEMBERS_OVERVIEW = Index(
    "ix_members_overview",
    Member.value_class,
    Member.tier_id,
    Member.last_paid_visit_at,
    Member.created_at,
    sqlite_where=text("merged_into_id IS NULL"),
    postgresql_where=text("merged_into_id IS NULL"),
)

# The overview's top-ups in a period (0016): their day, payment method and amounts, read from the
# index alone instead of every wallet entry.
WALLET_TOPUPS = Index(
    "ix_wallet_entries_topups",
    WalletEntry.created_at,
    WalletEntry.paid_via,
    WalletEntry.principal_fen,
    WalletEntry.bonus_fen,
    sqlite_where=text("kind = 'topup'"),
    postgresql_where=text("kind = 'topup'"),
)

# Campaign results (0016): the posted coupon tenders by coupon, with their order, so a campaign's
# used coupons find the orders they paid in this small index (the coupon tenders only) instead of
# the index of every payment's coupon, which holds every tender of every order.
COUPON_TENDERS = Index(
    "ix_work_order_payments_posted_coupon",
    WorkOrderPayment.member_coupon_id,
    postgresql_include=["work_order_id"],
    sqlite_where=text("type = 'coupon' AND status = 'posted'"),
    postgresql_where=text("type = 'coupon' AND status = 'posted'"),
)

# The lots no expiry has closed yet, by day (0016): the points outstanding are the balances less
# the lots whose day has come among these (app/stats/services.py), a handful between two expiry
# runs, found without reading the years of lots that expired before.
POINTS_LOTS_UNEXPIRED = Index(
    "ix_points_lots_unexpired",
    PointsLot.expires_at,
    sqlite_where=text("expired_at IS NULL"),
    postgresql_where=text("expired_at IS NULL"),
)


class DailySales(db.Model):
    __tablename__ = "stats_daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    work_orders: Mapped[int] = mapped_column(Integer, default=0)
    member_work_orders: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    list_fen: Mapped[int] = mapped_column(BigInteger, default=0)


# The amounts an upsert adds to an existing row.
AMOUNTS = ("work_orders", "member_work_orders", "amount_fen", "paid_fen", "list_fen")


class RecentVisits(db.Model):
    """A member's or car's two latest counted orders (their local days), at every store (scope 0)
    and at each store: the return rate and the distinct members and cars of a period that reaches
    today are counted from the histogram of these days (``VisitDays``) instead of grouping a year
    of orders (see app/stats/rollup.py). A row whose orders were all refunded keeps NULL days."""

    __tablename__ = "stats_recent_visits"

    subject: Mapped[str] = mapped_column(String(8), primary_key=True)  # "member" or "vehicle"
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: every store; else a store id
    last_day: Mapped[date | None] = mapped_column(Date)
    prev_day: Mapped[date | None] = mapped_column(Date)


class VisitDays(db.Model):
    """How many members (or cars) have their latest counted order (last_count) and their second
    latest (prev_count) on each local day, at every store (scope 0) and at each store."""

    __tablename__ = "stats_visit_days"

    subject: Mapped[str] = mapped_column(String(8), primary_key=True)
    scope: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_count: Mapped[int] = mapped_column(Integer, default=0)
    prev_count: Mapped[int] = mapped_column(Integer, default=0)
