"""Import batches, the row keys each committed, what each created, and export files.

An ``ImportBatch`` is also the job row of its commit: ``status`` goes validated → queued → running →
committed (or failed), and undone after an undo. The uploaded file is kept with the batch so the
commit reads exactly what the dry run checked. ``ImportRowKey`` makes a row imported once: the same
row in a second file (or the same file again) is skipped. ``ImportedRow`` names every row a batch
created or changed, which is what an undo takes back.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

IMPORT_KINDS = ("members", "stored_value", "points", "visits", "package_cards", "coupons")
IMPORT_STATUSES = ("validated", "queued", "running", "committed", "failed", "undone")
EXPORT_KINDS = ("members", "vehicles", "balances", "cards", "coupons", "points", "work_orders")
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_STATUSES = ("queued", "running", "ready", "failed", "expired")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(_in("kind", IMPORT_KINDS), name="kind_known"),
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status_known"),
        Index("ix_import_batches_kind_file_hash", "kind", "file_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    file_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # read only by the commit
    status: Mapped[str] = mapped_column(String(16), default="validated")
    row_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # What the dry run found: counts (create, merge, skip), the errors (row, column, code, message).
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    # Progress of the commit: rows done out of row_count.
    rows_done: Mapped[int] = mapped_column(default=0)
    # What the commit wrote (counts by what), and why it failed when it did.
    result: Mapped[dict | None] = mapped_column(JSON)
    failure: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRowKey(db.Model):
    """A row imported once: (kind, key) is the row's identity and content, held by the batch that wrote it."""

    __tablename__ = "import_row_keys"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)


class ImportedRow(db.Model):
    """A member a batch created (``created``) or added to (``merged``), and the car it created."""

    __tablename__ = "imported_rows"
    __table_args__ = (CheckConstraint("action IN ('created', 'merged')", name="action_known"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    action: Mapped[str] = mapped_column(String(8))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    # What a merge changed on the member, to put back on undo (field -> value before).
    before: Mapped[dict | None] = mapped_column(JSON)


class ExportJob(db.Model):
    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", EXPORT_KINDS), name="kind_known"),
        CheckConstraint(_in("format", EXPORT_FORMATS), name="format_known"),
        CheckConstraint(_in("status", EXPORT_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    row_count: Mapped[int] = mapped_column(default=0)
    file_path: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
