"""stock per store, as a ledger: on hand per (store, part), receipts, stocktakes, transfers

Revision ID: 0022
Revises: 0021

Until now a part had one stock figure (parts.stock) and its movements carried no store. Here every
movement gets a store and each (store, part) its own on-hand row. What a part held moves to the
FIRST store (lowest id) as an "opening" movement: the stock was one pool, which one shop held in
practice, and putting it in one place keeps the chain's totals and every existing movement exact
(their stock_after figures stay right, a refund of an old order gives its parts back where they
were taken); the owner then moves stock to the other stores by transfer or stocktake. The opening
is the part's initial stock (parts.stock minus its movements' sum), dated when the part was created.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

NEW_KINDS = "kind IN ('opening', 'receive', 'settle', 'refund', 'stocktake', 'transfer_out', 'transfer_in')"
OLD_KINDS = "kind IN ('out', 'return', 'receive', 'adjust')"
# Old kind -> new kind ("adjust" was never written by the service; it is a stocktake difference).
RENAMES = {"out": "settle", "return": "refund", "adjust": "stocktake"}


@contextmanager
def _sqlite_foreign_keys_off(bind):
    """On SQLite, batch mode rebuilds a table by copying it and dropping the old one; with rows that
    reference parts or movements, the drop fails the foreign-key check. SQLite only lets the check be
    switched off between transactions, so this closes the migration's transaction around the
    rebuilds, and checks every reference before switching it back on."""
    if bind.dialect.name != "sqlite":
        yield
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the rebuild: {broken[:5]}")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        raise
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def _first_store_id(bind):
    return bind.execute(sa.text("SELECT MIN(id) FROM stores")).scalar()


def upgrade():
    bind = op.get_bind()
    # Plain ALTERs on stores: a batch copy would turn its column CHECKs into table CHECKs, which
    # SQLite's DROP COLUMN in older downgrades then refuses.
    op.add_column(
        "stores", sa.Column("allow_negative_stock", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )

    op.create_table(
        "store_part_stocks",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_store_part_stocks_part_id_parts")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_store_part_stocks_store_id_stores")),
        sa.PrimaryKeyConstraint("store_id", "part_id", name=op.f("pk_store_part_stocks")),
    )
    with op.batch_alter_table("store_part_stocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_part_stocks_part_id"), ["part_id"], unique=False)

    op.create_table(
        "stock_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_stock_receipts_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_stock_receipts_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_receipts")),
    )
    with op.batch_alter_table("stock_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_receipts_store_id"), ["store_id"], unique=False)

    op.create_table(
        "stocktakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_stocktakes_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_stocktakes_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktakes")),
    )
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktakes_store_id"), ["store_id"], unique=False)

    op.create_table(
        "stocktake_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.CheckConstraint("counted >= 0", name=op.f("ck_stocktake_lines_counted_non_negative")),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_stocktake_lines_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["stocktake_id"], ["stocktakes.id"], name=op.f("fk_stocktake_lines_stocktake_id_stocktakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_lines")),
        sa.UniqueConstraint("stocktake_id", "part_id", name=op.f("uq_stocktake_lines_stocktake_id_part_id")),
    )

    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_store_id", sa.Integer(), nullable=False),
        sa.Column("to_store_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("from_store_id <> to_store_id", name=op.f("ck_stock_transfers_stores_differ")),
        sa.ForeignKeyConstraint(["from_store_id"], ["stores.id"], name=op.f("fk_stock_transfers_from_store_id_stores")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_stock_transfers_staff_id_staff")),
        sa.ForeignKeyConstraint(["to_store_id"], ["stores.id"], name=op.f("fk_stock_transfers_to_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_transfers")),
    )
    with op.batch_alter_table("stock_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_transfers_from_store_id"), ["from_store_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_transfers_to_store_id"), ["to_store_id"], unique=False)

    with _sqlite_foreign_keys_off(bind):
        _rebuild_for_stores(bind)


def _rebuild_for_stores(bind):
    # The movements: a store each, longer kind names, a unit cost; below zero is now a store's choice.
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_part_stock_movements_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_part_stock_movements_stock_after_non_negative"), type_="check")
        batch_op.alter_column("kind", existing_type=sa.String(length=8), type_=sa.String(length=16))
        batch_op.add_column(sa.Column("store_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unit_cost_fen", sa.Integer(), nullable=True))
    with op.batch_alter_table("part_low_stock_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_id", sa.Integer(), nullable=True))

    _move_stock_to_the_first_store(bind)

    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.alter_column("store_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_part_stock_movements_store_id_stores"), "stores", ["store_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_part_stock_movements_kind_known"), NEW_KINDS)
        batch_op.create_check_constraint(op.f("ck_part_stock_movements_unit_cost_non_negative"), "unit_cost_fen >= 0")
        batch_op.drop_index("ix_part_stock_movements_part_id")
        batch_op.create_index("ix_part_stock_movements_part_store", ["part_id", "store_id", "id"], unique=False)
    with op.batch_alter_table("part_low_stock_alerts", schema=None) as batch_op:
        batch_op.alter_column("store_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_part_low_stock_alerts_store_id_stores"), "stores", ["store_id"], ["id"]
        )
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_parts_stock_non_negative"), type_="check")
        batch_op.drop_column("stock")


def _move_stock_to_the_first_store(bind):
    """Opening movements at the first store, every movement and alert there, the on-hand rows."""
    for old, new in RENAMES.items():
        bind.execute(sa.text("UPDATE part_stock_movements SET kind = :new WHERE kind = :old"), {"old": old, "new": new})
    openings = bind.execute(
        sa.text(
            "SELECT p.id, p.stock - COALESCE((SELECT SUM(m.delta) FROM part_stock_movements m "
            "WHERE m.part_id = p.id), 0), p.created_at FROM parts p ORDER BY p.id"
        )
    ).all()
    openings = [(part_id, quantity, created_at) for part_id, quantity, created_at in openings if quantity != 0]
    has_movements = bind.execute(sa.text("SELECT COUNT(*) FROM part_stock_movements")).scalar()
    store_id = _first_store_id(bind)
    if store_id is None:
        if openings or has_movements:
            raise RuntimeError("Parts hold stock but there is no store to keep it: create a store first.")
        return
    for part_id, quantity, created_at in openings:
        bind.execute(
            sa.text(
                "INSERT INTO part_stock_movements (store_id, part_id, kind, delta, stock_after, created_at) "
                "VALUES (:store_id, :part_id, 'opening', :quantity, :quantity, :created_at)"
            ),
            {"store_id": store_id, "part_id": part_id, "quantity": quantity, "created_at": created_at},
        )
    bind.execute(sa.text("UPDATE part_stock_movements SET store_id = :s"), {"s": store_id})
    bind.execute(sa.text("UPDATE part_low_stock_alerts SET store_id = :s"), {"s": store_id})
    bind.execute(
        sa.text(
            "INSERT INTO store_part_stocks (store_id, part_id, on_hand) "
            "SELECT store_id, part_id, SUM(delta) FROM part_stock_movements GROUP BY store_id, part_id"
        )
    )


def downgrade():
    """Back to one figure per part: the chain's total (movements keep their history; transfers, whose
    two halves cancel out, and the openings, which the figure now holds, are removed)."""
    bind = op.get_bind()
    with _sqlite_foreign_keys_off(bind):
        _rebuild_without_stores(bind)
    op.drop_table("stock_transfers")
    op.drop_table("stocktake_lines")
    op.drop_table("stocktakes")
    op.drop_table("stock_receipts")
    op.drop_table("store_part_stocks")
    op.drop_column("stores", "allow_negative_stock")


def _rebuild_without_stores(bind):
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock", sa.Integer(), server_default="0", nullable=False))
    bind.execute(
        sa.text(
            "UPDATE parts SET stock = COALESCE((SELECT SUM(s.on_hand) FROM store_part_stocks s "
            "WHERE s.part_id = parts.id), 0)"
        )
    )
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.alter_column("stock", existing_type=sa.Integer(), server_default=None)
        batch_op.create_check_constraint(op.f("ck_parts_stock_non_negative"), "stock >= 0")

    with op.batch_alter_table("part_low_stock_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_part_low_stock_alerts_store_id_stores"), type_="foreignkey")
        batch_op.drop_column("store_id")
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_part_stock_movements_part_store")
        batch_op.create_index("ix_part_stock_movements_part_id", ["part_id"], unique=False)
        batch_op.drop_constraint(op.f("ck_part_stock_movements_unit_cost_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_part_stock_movements_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("fk_part_stock_movements_store_id_stores"), type_="foreignkey")
        batch_op.drop_column("unit_cost_fen")
        batch_op.drop_column("store_id")
    dropped = "SELECT id FROM part_stock_movements WHERE kind IN ('opening', 'transfer_out', 'transfer_in')"
    bind.execute(sa.text(f"UPDATE part_low_stock_alerts SET movement_id = NULL WHERE movement_id IN ({dropped})"))
    bind.execute(sa.text("DELETE FROM part_stock_movements WHERE kind IN ('opening', 'transfer_out', 'transfer_in')"))
    for old, new in RENAMES.items():
        bind.execute(sa.text("UPDATE part_stock_movements SET kind = :old WHERE kind = :new"), {"old": old, "new": new})
    with op.batch_alter_table("part_stock_movements", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=8))
        batch_op.create_check_constraint(op.f("ck_part_stock_movements_kind_known"), OLD_KINDS)
        batch_op.create_check_constraint(op.f("ck_part_stock_movements_stock_after_non_negative"), "stock_after >= 0")
