"""Running an import's commit and an export in the background.

The batch (or export) row is the job: the API marks it ``queued`` in the request's transaction and,
once that has committed, starts a worker thread in its own process that claims the row (``queued`` →
``running`` in one UPDATE, so only one runner ever takes it) and runs it in its own transaction. The
scheduler's ``transfer_jobs`` (every minute) claims any row still queued after two minutes, so a row
whose API worker stopped before its thread ran is done all the same. The status is polled with
``GET /imports/{id}`` and ``GET /exports/{id}``. In tests (``TRANSFER_INLINE``) the work runs in the
request right after its commit, so a test sees the finished row.

Progress of a long commit is written through a second connection (PostgreSQL), so a poll sees it
while the commit's own transaction is still open.
"""

import logging
import os
import secrets
import threading
from datetime import timedelta

from flask import after_this_request, current_app
from sqlalchemy import select, update

from app.audit.services import record_change
from app.common import clock
from app.common.db import is_sqlite
from app.extensions import db
from app.transfer import exports, imports
from app.transfer.models import ExportJob, ImportBatch

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)


def _claim(model, row_id):
    claimed = db.session.execute(
        update(model).where(model.id == row_id, model.status == "queued").values(status="running")
    ).rowcount
    db.session.commit()
    return claimed == 1


class _Progress:
    """Writes rows_done through its own connection every few thousand rows (not on SQLite)."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.done = 0
        self.written = 0
        self.enabled = not is_sqlite(db.session)

    def __call__(self, rows):
        self.done += rows
        if self.enabled and self.done - self.written >= 5000:
            with db.engine.begin() as connection:
                connection.execute(
                    update(ImportBatch).where(ImportBatch.id == self.batch_id).values(rows_done=self.done)
                )
            self.written = self.done


def run_import(batch_id, actor=None):
    if not _claim(ImportBatch, batch_id):
        return
    try:
        imports.run_commit(batch_id, actor=actor, progress=_Progress(batch_id))
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("import %s failed", batch_id)
        db.session.execute(
            update(ImportBatch).where(ImportBatch.id == batch_id).values(status="failed", failure=str(error)[:500])
        )
        db.session.commit()


def run_export(export_id, actor=None):
    if not _claim(ExportJob, export_id):
        return
    job = db.session.get(ExportJob, export_id)
    path = os.path.join(exports.export_dir(), f"export-{job.id}-{secrets.token_hex(8)}.{job.format}")
    try:
        count = exports.write_file(job.kind, job.format, path)
        job.status, job.file_path, job.row_count, job.finished_at = "ready", path, count, clock.now()
        record_change(
            actor=actor,
            kind="data_export",
            entity_type="export",
            entity_id=job.id,
            before=None,
            after={"kind": job.kind, "format": job.format, "rows": count},
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("export %s failed", export_id)
        db.session.execute(
            update(ExportJob).where(ExportJob.id == export_id).values(status="failed", failure=str(error)[:500])
        )
        db.session.commit()


def start_after_commit(function, row_id, actor=None):
    """Run ``function(row_id)`` once the request's transaction has committed: in a thread, or inline in tests."""
    app = current_app._get_current_object()

    @after_this_request
    def _start(response):
        if response.status_code >= 400:
            return response
        if app.config.get("TRANSFER_INLINE"):
            function(row_id, actor)
            return response

        def work():
            with app.app_context():
                try:
                    function(row_id, actor)
                finally:
                    db.session.remove()

        threading.Thread(target=work, name=f"transfer-{function.__name__}-{row_id}", daemon=True).start()
        return response


def run_stale(now):
    """Queued rows no thread took (the scheduler's safety net)."""
    before = now - STALE_AFTER
    ran = 0
    for batch_id in list(
        db.session.scalars(
            select(ImportBatch.id).where(ImportBatch.status == "queued", ImportBatch.queued_at <= before)
        )
    ):
        run_import(batch_id)
        ran += 1
    for export_id in list(
        db.session.scalars(select(ExportJob.id).where(ExportJob.status == "queued", ExportJob.created_at <= before))
    ):
        run_export(export_id)
        ran += 1
    return ran
