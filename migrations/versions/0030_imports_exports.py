"""moving a shop in and out: import batches (with the row keys they hold and the members they
wrote), export jobs, and the ledgers' opening entries

Revision ID: 0030
Revises: 0029
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

WALLET_OLD = "kind IN ('topup', 'spend', 'refund', 'reversal', 'adjustment')"
WALLET_NEW = "kind IN ('topup', 'spend', 'refund', 'reversal', 'adjustment', 'opening')"
POINTS_OLD = "kind IN ('earn', 'redeem', 'reversal', 'expiry', 'adjustment')"
POINTS_NEW = "kind IN ('earn', 'redeem', 'reversal', 'expiry', 'adjustment', 'opening')"


@contextmanager
def _sqlite_foreign_keys_off(bind):
    """On SQLite, batch mode rebuilds a table by copying it and dropping the old one; with rows that
    refer to ledger entries (points lot uses, reversals), the drop fails the foreign-key check. SQLite
    lets the check be switched off only between transactions (as in 0022)."""
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


def _kinds(table, expression):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", expression)


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('members', 'stored_value', 'points', 'visits', 'package_cards', 'coupons')",
            name=op.f("ck_import_batches_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('validated', 'queued', 'running', 'committed', 'failed', 'undone')",
            name=op.f("ck_import_batches_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_index("ix_import_batches_kind_file_hash", "import_batches", ["kind", "file_hash"])
    op.create_table(
        "import_row_keys",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_import_row_keys_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("kind", "row_key", name=op.f("pk_import_row_keys")),
    )
    op.create_index(op.f("ix_import_row_keys_batch_id"), "import_row_keys", ["batch_id"])
    op.create_table(
        "imported_rows",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.CheckConstraint("action IN ('created', 'merged')", name=op.f("ck_imported_rows_action_known")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_imported_rows_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_imported_rows_member_id_members")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_imported_rows_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("batch_id", "member_id", name=op.f("pk_imported_rows")),
    )
    op.create_index(op.f("ix_imported_rows_member_id"), "imported_rows", ["member_id"])
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('members', 'vehicles', 'balances', 'cards', 'coupons', 'points', 'work_orders')",
            name=op.f("ck_export_jobs_kind_known"),
        ),
        sa.CheckConstraint("format IN ('csv', 'xlsx')", name=op.f("ck_export_jobs_format_known")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed')", name=op.f("ck_export_jobs_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    with _sqlite_foreign_keys_off(op.get_bind()):
        _kinds("wallet_entries", WALLET_NEW)
        _kinds("points_entries", POINTS_NEW)


def downgrade():
    op.execute("DELETE FROM wallet_entries WHERE kind = 'opening' OR ref_type = 'import_batch'")
    op.execute("DELETE FROM points_entries WHERE kind = 'opening' OR ref_type = 'import_batch'")
    with _sqlite_foreign_keys_off(op.get_bind()):
        _kinds("points_entries", POINTS_OLD)
        _kinds("wallet_entries", WALLET_OLD)
    op.drop_table("export_jobs")
    op.drop_index(op.f("ix_imported_rows_member_id"), table_name="imported_rows")
    op.drop_table("imported_rows")
    op.drop_index(op.f("ix_import_row_keys_batch_id"), table_name="import_row_keys")
    op.drop_table("import_row_keys")
    op.drop_index("ix_import_batches_kind_file_hash", table_name="import_batches")
    op.drop_table("import_batches")
