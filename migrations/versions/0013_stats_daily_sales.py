"""daily sales rollup and members' and cars' latest visits for the owner's statistics

Revision ID: 0013
Revises: 0012
"""

from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # The counted orders' additive figures per store and merchant-local day (app/stats/models.py),
    # so the overview does not match millions of lines and payments against a period's orders.
    op.create_table(
        "stats_daily_sales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("work_orders", sa.Integer(), nullable=False),
        sa.Column("member_work_orders", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("list_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_stats_daily_sales_store_id_stores")),
        sa.PrimaryKeyConstraint("day", "store_id", "kind", "name", name=op.f("pk_stats_daily_sales")),
    )
    # The two latest counted orders' local days of each member and car (at every store: scope 0,
    # and at each store) and their histogram: the return rate and the distinct members and cars
    # of a period reaching today, without grouping a year of orders.
    op.create_table(
        "stats_recent_visits",
        sa.Column("subject", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("prev_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("subject", "subject_id", "scope", name=op.f("pk_stats_recent_visits")),
    )
    op.create_table(
        "stats_visit_days",
        sa.Column("subject", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_count", sa.Integer(), nullable=False),
        sa.Column("prev_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "scope", "day", name=op.f("pk_stats_visit_days")),
    )
    # Fill them from the existing orders, as app/stats/rollup.py's rebuild would (days in the
    # merchant's timezone; counted orders by settle day, refunds by refund day and settle day).
    bind = op.get_bind()
    zone = (
        bind.execute(sa.text("SELECT timezone FROM merchant_settings ORDER BY id LIMIT 1")).scalar() or "Asia/Shanghai"
    )
    if bind.dialect.name == "postgresql":
        for statement in BACKFILL + tuple(
            _recent_visits_sql(column, per_store)
            for column in ("member_id", "vehicle_id")
            for per_store in (False, True)
        ):
            op.execute(sa.text(statement).bindparams(zone=zone))
        op.execute(VISIT_DAYS_SQL)
    else:
        _backfill_in_python(bind, zone)


SETTLED_DAY = "(timezone(:zone, w.settled_at))::date"
BACKFILL = (
    f"""INSERT INTO stats_daily_sales SELECT {SETTLED_DAY}, w.store_id, 'orders', '', count(*), count(w.member_id),
        sum(w.total_fen), sum(w.paid_fen), 0 FROM work_orders w WHERE w.status = 'settled' GROUP BY 1, 2""",
    f"""INSERT INTO stats_daily_sales SELECT {SETTLED_DAY}, w.store_id, 'tender', p.type, 0, 0, sum(p.amount_fen), 0, 0
        FROM work_order_payments p JOIN work_orders w ON w.id = p.work_order_id
        WHERE w.status = 'settled' AND p.status = 'posted' GROUP BY 1, 2, 4""",
    f"""INSERT INTO stats_daily_sales SELECT {SETTLED_DAY}, w.store_id, 'category', l.category, 0, 0,
        sum(l.unit_net_fen * l.quantity), 0, sum(l.unit_price_fen * l.quantity)
        FROM work_order_lines l JOIN work_orders w ON w.id = l.work_order_id
        WHERE w.status = 'settled' GROUP BY 1, 2, 4""",
    f"""INSERT INTO stats_daily_sales SELECT (timezone(:zone, w.refunded_at))::date, w.store_id, 'refund',
        ({SETTLED_DAY})::text, count(*), 0, sum(w.total_fen), sum(w.paid_fen), 0
        FROM work_orders w WHERE w.status = 'refunded' GROUP BY 1, 2, 4""",
)


def _recent_visits_sql(column, per_store):
    subject = column.split("_")[0]
    partition = f"w.{column}, w.store_id" if per_store else f"w.{column}"
    scope = "w.store_id" if per_store else "0"
    return f"""INSERT INTO stats_recent_visits
        SELECT '{subject}', subject_id, scope, max(CASE WHEN rank = 1 THEN day END), max(CASE WHEN rank = 2 THEN day END)
        FROM (SELECT w.{column} AS subject_id, {scope} AS scope, {SETTLED_DAY} AS day,
                     row_number() OVER (PARTITION BY {partition} ORDER BY w.settled_at DESC, w.id DESC) AS rank
              FROM work_orders w WHERE w.status = 'settled' AND w.{column} IS NOT NULL) ranked
        WHERE rank <= 2 GROUP BY subject_id, scope"""


VISIT_DAYS_SQL = """INSERT INTO stats_visit_days
    SELECT subject, scope, day, sum(last_count), sum(prev_count) FROM (
        SELECT subject, scope, last_day AS day, 1 AS last_count, 0 AS prev_count FROM stats_recent_visits
        WHERE last_day IS NOT NULL
        UNION ALL
        SELECT subject, scope, prev_day, 0, 1 FROM stats_recent_visits WHERE prev_day IS NOT NULL) days
    GROUP BY subject, scope, day"""


def _backfill_in_python(bind, zone):
    # SQLite knows no timezones: the local days are worked out here (SQLite databases are small).
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)

    def day(text):
        instant = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
        return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(tz).date()

    rows = {}

    def add(key, *amounts):
        old = rows.get(key, (0, 0, 0, 0, 0))
        rows[key] = tuple(a + b for a, b in zip(old, amounts, strict=False))

    orders, latest = {}, {}
    for order_id, store_id, member_id, vehicle_id, status, total, paid, settled_at, refunded_at in bind.execute(
        sa.text(
            "SELECT id, store_id, member_id, vehicle_id, status, total_fen, paid_fen, settled_at, refunded_at "
            "FROM work_orders WHERE status IN ('settled', 'refunded') ORDER BY settled_at DESC, id DESC"
        )
    ):
        settled_on = day(settled_at)
        if status == "settled":
            for subject, subject_id in (("member", member_id), ("vehicle", vehicle_id)):
                for scope in (0, store_id) if subject_id is not None else ():
                    days = latest.setdefault((subject, subject_id, scope), [])
                    if len(days) < 2:
                        days.append(settled_on)
            orders[order_id] = (settled_on, store_id)
            add((settled_on, store_id, "orders", ""), 1, int(member_id is not None), total, paid, 0)
        else:
            add((day(refunded_at), store_id, "refund", settled_on.isoformat()), 1, 0, total, paid, 0)
    for order_id, tender, amount in bind.execute(
        sa.text("SELECT work_order_id, type, amount_fen FROM work_order_payments WHERE status = 'posted'")
    ):
        if order_id in orders:
            add((*orders[order_id], "tender", tender), 0, 0, amount, 0, 0)
    for order_id, category, net, gross in bind.execute(
        sa.text(
            "SELECT work_order_id, category, unit_net_fen * quantity, unit_price_fen * quantity FROM work_order_lines"
        )
    ):
        if order_id in orders:
            add((*orders[order_id], "category", category), 0, 0, net, 0, gross)
    columns = (
        "day",
        "store_id",
        "kind",
        "name",
        "work_orders",
        "member_work_orders",
        "amount_fen",
        "paid_fen",
        "list_fen",
    )
    table = sa.table("stats_daily_sales", *(sa.column(name) for name in columns))
    if rows:
        op.bulk_insert(
            table,
            [
                dict(zip(columns, (key[0].isoformat(), *key[1:], *amounts), strict=False))
                for key, amounts in rows.items()
            ],
        )
    if latest:
        recent = sa.table(
            "stats_recent_visits",
            *(sa.column(name) for name in ("subject", "subject_id", "scope", "last_day", "prev_day")),
        )
        op.bulk_insert(
            recent,
            [
                {
                    "subject": subject,
                    "subject_id": subject_id,
                    "scope": scope,
                    "last_day": days[0].isoformat(),
                    "prev_day": days[1].isoformat() if len(days) > 1 else None,
                }
                for (subject, subject_id, scope), days in latest.items()
            ],
        )
        op.execute(VISIT_DAYS_SQL)


def downgrade():
    op.drop_table("stats_visit_days")
    op.drop_table("stats_recent_visits")
    op.drop_table("stats_daily_sales")
