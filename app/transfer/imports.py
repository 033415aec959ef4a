"""Importing a shop's members, cars, balances and history: dry run, commit and undo.

``check`` reads the file and classifies every row without writing: an error (row, column, code,
Chinese message), ``create`` (a new member), ``merge`` (adds to the member with the same phone or
plate) or ``skip`` (the same row was imported before: its key, a hash of the kind and the row's
values, is held). ``commit`` runs the same check against the database as it is then and writes the
rows in bulk (executemany, not one ORM object per row). Opening balances are ledger entries of
kind ``opening`` whose reference is the batch (``ref_type='import_batch'``), so each wallet still
equals the sum of its entries and the owner sees which balance came from which import.

``undo`` takes a committed batch back while nothing from it has been used: no wallet or points
entry after the batch's own, no work order of a member it created. Members it created are deleted
with their opening entries (nothing else refers to them); on members it merged into, the opening
entries are reversed (the ledgers stay append-only) and the fields it filled are put back.

This module holds the batch's steps; the work is in reading.py (cells into rows), checking.py (rows
against the database), writing.py (the bulk writes) and undo.py.
"""

import hashlib

from sqlalchemy import select

from app.audit.services import record_change
from app.common import clock
from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.members import metrics
from app.transfer import bulk, cells
from app.transfer.bulk import chunks
from app.transfer.checking import resolve
from app.transfer.columns import KINDS
from app.transfer.models import ImportBatch, ImportRowKey
from app.transfer.reading import parse
from app.transfer.writing import Writer

# --- dry run ----------------------------------------------------------------------------------------


def dry_run(*, kind, content, filename, actor_key=None):
    """Check the file and keep it with its report as a new batch (status ``validated``)."""
    if kind not in KINDS:
        raise NotFound("import_kind_not_found", f"No import kind {kind!r}.")
    try:
        check = resolve(parse(kind, content, filename))
    except cells.CellError as error:
        raise Unprocessable("import_file_unreadable", error.message) from error
    file_hash = hashlib.sha256(content).hexdigest()
    earlier = db.session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.kind == kind, ImportBatch.file_hash == file_hash, ImportBatch.status == "committed"
        )
    )
    report = check.report() | {"same_file_committed_in": earlier}
    batch = ImportBatch(
        kind=kind,
        filename=filename[:200],
        file_hash=file_hash,
        content=content,
        status="validated",
        row_count=len(check.rows),
        error_count=len(check.errors),
        report=report,
        created_by=actor_key,
        created_at=clock.now(),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def get_batch(batch_id) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("import_not_found", f"No import {batch_id}.")
    return batch


def list_batches(limit=50):
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def queue_commit(*, batch_id, actor=None):
    """Mark a checked batch for its commit (the job runs it). Refused when the check found errors."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound("import_not_found", f"No import {batch_id}.")
    if batch.status in ("queued", "running", "committed"):
        return batch
    if batch.status != "validated":
        raise Conflict("import_not_committable", f"The import is {batch.status}; upload the file again.")
    if batch.error_count:
        raise Unprocessable(
            "import_has_errors",
            "The file has errors; fix them and upload it again.",
            details={"errors": batch.error_count},
        )
    batch.status = "queued"
    batch.queued_at = clock.now()
    batch.created_by = batch.created_by or (actor.key if actor else None)
    db.session.flush()
    return batch


# --- commit ------------------------------------------------------------------------------------------


def run_commit(batch_id, *, actor=None, progress=None):
    """Write a queued batch (in the caller's transaction). Rows whose check now fails stop the commit."""
    # Not locked: the runner claimed the row, and progress is written to it through another
    # connection (runner.py) while this transaction runs; the batch row is written only at the end.
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status not in ("queued", "running"):
        return batch
    now = clock.now()
    check = resolve(parse(batch.kind, batch.content, batch.filename))
    if check.errors:
        batch.status = "failed"
        batch.failure = "数据在检查后发生了变化，请重新上传检查"
        batch.report = check.report()
        batch.error_count = len(check.errors)
        return batch
    writer = Writer(batch, now)
    rows = [row for row in check.rows if row.action != "skip"]
    creates = [row for row in rows if row.action == "create"]
    if batch.kind in ("package_cards", "coupons"):
        write = writer.card if batch.kind == "package_cards" else writer.coupon
        for row in rows:
            write(row)
            if progress:
                progress(1)
        creates = []
    for chunk in chunks(creates):
        writer.create(chunk)
        if progress:
            progress(len(chunk))
    for row in rows:
        if row.action == "merge":
            writer.merge(row)
            if progress:
                progress(1)
    keys = [{"kind": batch.kind, "row_key": row.key, "batch_id": batch.id} for row in rows]
    for chunk in chunks(keys):
        bulk.insert_rows(ImportRowKey, chunk)
    if any("last_visit" in row.values for row in rows):
        metrics.recompute_member_metrics(now=now)
    batch.status = "committed"
    batch.committed_at = now
    batch.rows_done = batch.row_count
    batch.result = writer.counts | {"skipped": len(check.rows) - len(rows)}
    batch.content = batch.content  # kept: the owner may download what was imported
    record_change(
        actor=actor,
        kind="data_import",
        entity_type="import_batch",
        entity_id=batch.id,
        before=None,
        after={"kind": batch.kind, "filename": batch.filename, "file_hash": batch.file_hash, **batch.result},
        now=now,
    )
    db.session.flush()
    return batch
