"""`flask import KIND FILE [--dry-run]` and `flask export KIND FILE`: the same import and export as the
API, from the shop's server, with a progress bar."""

import os

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.transfer import exports, imports
from app.transfer.columns import KINDS
from app.transfer.models import EXPORT_KINDS


def _print_report(batch):
    counts = batch.report["counts"]
    click.echo(
        f"import #{batch.id} ({batch.kind}, {batch.row_count} rows): "
        f"create {counts['create']}, merge {counts['merge']}, skip {counts['skip']}, errors {batch.error_count}"
    )
    for error in batch.report["errors"]:
        click.echo(f"  row {error['row']} {error['column'] or ''}: {error['code']} {error['message']}")


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and print the report; write nothing.")
@with_appcontext
def import_command(kind, path, dry_run):
    """Import a filled-in template (XLSX, or CSV in UTF-8 or GBK)."""
    with open(path, "rb") as handle:
        content = handle.read()
    batch = imports.dry_run(kind=kind, content=content, filename=os.path.basename(path), actor_key="command line")
    _print_report(batch)
    if dry_run or batch.error_count:
        db.session.rollback()
        raise SystemExit(1 if batch.error_count else 0)
    imports.queue_commit(batch_id=batch.id)
    batch.status = "running"
    todo = batch.report["counts"]["create"] + batch.report["counts"]["merge"]
    with click.progressbar(length=todo, label="importing") as bar:
        imports.run_commit(batch.id, progress=bar.update)
    db.session.commit()
    click.echo(f"import #{batch.id} {batch.status}: {batch.result or batch.failure}")
    raise SystemExit(0 if batch.status == "committed" else 1)


@click.command("export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS))
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(kind, path):
    """Export to PATH (.csv: UTF-8 with BOM; .xlsx)."""
    file_format = "xlsx" if path.lower().endswith(".xlsx") else "csv"
    rows = exports.write_file(kind, file_format, path)
    click.echo(f"{rows} rows written to {path}")


def register(app):
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
