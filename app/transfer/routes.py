"""Imports and exports (owner): templates, dry run, commit, progress, undo; exports and their files."""

import functools
import io
import os
from urllib.parse import quote

from flask import Response, request, send_file
from flask_smorest import Blueprint

from app.common.auth import current_actor, owner_only
from app.common.errors import AppError, Conflict, NotFound, Unprocessable
from app.common.schemas import QuerySchema, fields, validate
from app.common.transaction import unit_of_work
from app.extensions import db
from app.transfer import imports, runner, templates, undo
from app.transfer.columns import KIND_LABELS, KINDS
from app.transfer.exports import FILE_NAMES
from app.transfer.models import ExportJob
from app.transfer.schemas import ExportCreate, ExportRead, ImportList, ImportRead, ImportUpload

blp = Blueprint(
    "transfer", __name__, description="Moving a shop in and out: imports from its old system, and exports (owner)"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"schema": {"type": "string", "format": "binary"}}
TEMPLATE_RESPONSE = {
    "200": {
        "description": "The blank template: XLSX (a 说明 sheet explains the columns) or CSV (# rows explain)",
        "content": {XLSX: BINARY, "text/csv": BINARY},
    }
}
EXPORT_FILE_RESPONSE = {
    "200": {
        "description": "The export: CSV (UTF-8 with BOM) or XLSX, as asked.",
        "content": {XLSX: BINARY, "text/csv": BINARY},
    }
}
UPLOAD_ENDPOINT = "transfer.import_upload"


@blp.before_request
def _large_uploads():
    """An import file may be far larger than the 64 KiB a JSON body may be."""
    if request.endpoint in (UPLOAD_ENDPOINT, f"api-docs.{UPLOAD_ENDPOINT}"):
        from flask import current_app

        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


class ImportKindQuery(QuerySchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(tuple(KINDS)),
        metadata={"description": "members, stored_value, points, visits, package_cards or coupons"},
    )


def _attachment(content, mimetype, filename):
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)


@blp.route(
    "/imports/templates/<kind>.<file_format>",
    parameters=[
        {"in": "path", "name": "kind", "required": True, "schema": {"type": "string", "enum": list(KINDS)}},
        {"in": "path", "name": "file_format", "required": True, "schema": {"type": "string", "enum": ["xlsx", "csv"]}},
    ],
)
@owner_only
@blp.doc(responses=TEMPLATE_RESPONSE)
def import_template(kind, file_format):
    """The blank template of an import kind, as .xlsx or .csv"""
    if kind not in KINDS or file_format not in ("xlsx", "csv"):
        raise NotFound(
            "import_template_not_found", "No such template: see the kinds of POST /imports, as .xlsx or .csv."
        )
    name = f"{KIND_LABELS[kind]}导入模板.{file_format}"
    if file_format == "csv":
        return _attachment(templates.template_csv(kind), "text/csv", name)
    return _attachment(templates.template_xlsx(kind), XLSX, name)


def multipart_only(view):
    """Only a multipart/form-data body can carry the file: any other is 415 before the form is read."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.mimetype != "multipart/form-data":
            raise AppError("unsupported_media_type", "Send the file as multipart/form-data.", status=415)
        return view(*args, **kwargs)

    return wrapper


@blp.route("/imports", methods=["POST"])
@owner_only
@unit_of_work()
@multipart_only
@blp.arguments(ImportKindQuery, location="query")
@blp.arguments(ImportUpload, location="files")
@blp.response(201, ImportRead)
def import_upload(query, files):
    """Upload a filled-in template: every row is checked, nothing is written (the dry run)"""
    upload = files["file"]
    content = upload.read()
    if not content:
        raise Unprocessable("import_file_unreadable", "The file is empty, or not an XLSX or a CSV in UTF-8 or GBK.")
    return imports.dry_run(
        kind=query["kind"], content=content, filename=upload.filename or "import", actor_key=current_actor().key
    )


@blp.route("/imports")
@owner_only
@blp.response(200, ImportList)
def import_list():
    """The latest imports, newest first"""
    return {"items": imports.list_batches()}


@blp.route("/imports/<int:import_id>")
@owner_only
@blp.response(200, ImportRead)
def import_read(import_id):
    """An import: its dry-run report, and its commit's status and progress (poll this)"""
    return imports.get_batch(import_id)


@blp.route("/imports/<int:import_id>/commit", methods=["POST"])
@owner_only
@unit_of_work()
@blp.response(202, ImportRead)
def import_commit(import_id):
    """Write what the dry run showed, as a background job; poll GET /imports/{id} (asking again changes nothing)"""
    batch = imports.queue_commit(batch_id=import_id, actor=current_actor())
    if batch.status == "queued":
        runner.start_after_commit(runner.run_import, batch.id, current_actor())
    return batch


@blp.route("/imports/<int:import_id>/undo", methods=["POST"])
@owner_only
@unit_of_work()
@blp.response(200, ImportRead)
def import_undo(import_id):
    """Take a committed import back while nothing from it was used (else 409 with the reason)"""
    return undo.undo(batch_id=import_id, actor=current_actor())


@blp.route("/exports", methods=["POST"])
@owner_only
@unit_of_work()
@blp.arguments(ExportCreate)
@blp.response(202, ExportRead)
def export_start(body):
    """Start an export of members, cars, balances, cards, coupons, points or work orders; poll GET /exports/{id}"""
    job = ExportJob(kind=body["kind"], format=body["format"], status="queued", created_by=current_actor().key)
    db.session.add(job)
    db.session.flush()
    runner.start_after_commit(runner.run_export, job.id, current_actor())
    return job


def _export(export_id) -> ExportJob:
    job = db.session.get(ExportJob, export_id)
    if job is None:
        raise NotFound("export_not_found", f"No export {export_id}.")
    return job


@blp.route("/exports/<int:export_id>")
@owner_only
@blp.response(200, ExportRead)
def export_read(export_id):
    """An export's status (queued, running, ready, failed)"""
    return _export(export_id)


@blp.route("/exports/<int:export_id>/file")
@owner_only
@blp.doc(responses=EXPORT_FILE_RESPONSE)
def export_file(export_id):
    """Download a ready export"""
    job = _export(export_id)
    if job.status == "expired":
        raise Conflict("export_expired", "The export's file was removed after its retention days; export again.")
    if job.status != "ready" or not job.file_path or not os.path.exists(job.file_path):
        raise Conflict("export_not_ready", "The export is not ready yet (or failed); poll GET /exports/{id}.")
    mimetype = "text/csv" if job.format == "csv" else XLSX
    name = f"{FILE_NAMES[job.kind]}-{job.id}.{job.format}"
    response = Response(_read_in_chunks(job.file_path), mimetype=mimetype)
    response.headers["Content-Length"] = str(os.path.getsize(job.file_path))
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"export-{job.id}.{job.format}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def _read_in_chunks(path):
    """The file as it is sent: opened when the first chunk is asked for, closed after the last."""
    with open(path, "rb") as handle:
        while chunk := handle.read(64 * 1024):
            yield chunk
