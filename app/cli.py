"""Command-line tools: `flask store create`, `flask staff create|update|disable`, `flask seed-demo`,
`flask seed-bench`, `flask openapi errors-doc`, `flask jobs list|run|run-day`, `flask import`, `flask export`."""

import click
from flask.cli import AppGroup, with_appcontext
from flask_smorest.spec import openapi_cli  # `flask openapi print|write`, and errors-doc below

from app.common.auth import STAFF_ROLES
from app.extensions import db

store_cli = AppGroup("store", help="Manage stores.")
staff_cli = AppGroup("staff", help="Manage staff accounts.")


@store_cli.command("create")
@click.option("--name", required=True)
@click.option("--address", default=None)
def create_store_command(name, address):
    """Create a store and print its id (the owner opens later ones in the console or the API)."""
    from app.common.errors import AppError
    from app.stores.services import open_store

    try:
        store = open_store(fields={"name": name, "address": address})
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(store.id)


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--store", "store_ids", multiple=True, type=int, help="Store id (repeatable).")
def create_staff_command(username, password, role, store_ids):
    """Create a staff account (the first owner; the owner manages the rest in the console or the API)."""
    from app.common.errors import AppError
    from app.stores.services import create_staff

    try:
        staff = create_staff(username=username, password=password, role=role, store_ids=store_ids)
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(f"staff {staff.id} {staff.username} ({staff.role}) stores={staff.store_ids}")


@staff_cli.command("disable")
@click.option("--username", required=True)
def disable_staff_command(username):
    """Disable a staff account and revoke its tokens (never the last active owner)."""
    from sqlalchemy import select

    from app.common.errors import AppError
    from app.stores.models import Staff
    from app.stores.services import disable_staff

    staff_id = db.session.scalar(select(Staff.id).where(Staff.username == username))
    if staff_id is None:
        raise click.ClickException(f"no staff account {username!r}")
    try:
        disable_staff(staff_id=staff_id)
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(f"disabled {username}")


@staff_cli.command("update")
@click.option("--username", required=True)
@click.option("--role", default=None, type=click.Choice(STAFF_ROLES))
@click.option("--store", "store_ids", multiple=True, type=int, help="Store id (repeatable); replaces the stores.")
def update_staff_command(username, role, store_ids):
    """Change a staff account's role and/or stores (its tokens are revoked)."""
    from sqlalchemy import select

    from app.common.errors import AppError
    from app.stores.models import Staff
    from app.stores.services import update_staff

    staff_id = db.session.scalar(select(Staff.id).where(Staff.username == username))
    if staff_id is None:
        raise click.ClickException(f"no staff account {username!r}")
    try:
        staff = update_staff(staff_id=staff_id, role=role, store_ids=store_ids or None)
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(f"staff {staff.id} {staff.username} ({staff.role}) stores={staff.store_ids}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create (or top up) the demo merchant: stores, staff of each role, catalog, members."""
    from app.demo import seed_demo

    logins = seed_demo()
    db.session.commit()
    click.echo("Demo merchant ready. Logins:")
    for line in logins:
        click.echo(f"  {line}")


@click.command("seed-bench")
@click.option("--members", type=click.IntRange(1, 40_000_000), required=True, help="How many members to create.")
@click.option("--stores", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed (same seed, same data).")
@with_appcontext
def seed_bench_command(members, stores, seed):
    """Fill an empty database with a chain of N members and two years of history, for benchmarks."""
    # The seeder is tooling kept in bench/seed (run from a checkout), never loaded by the service.
    from bench.seed import DatabaseNotEmpty, seed_bench

    try:
        with click.progressbar(length=members, label="members", show_pos=True, show_eta=True) as bar:
            summary = seed_bench(members=members, stores=stores, seed=seed, progress=bar.update)
    except DatabaseNotEmpty as error:
        raise click.ClickException(str(error))
    for table, count in sorted(summary["rows"].items()):
        click.echo(f"  {table:<32} {count:>12,}")
    click.echo("  " + ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in summary["phases"].items()))
    click.echo(f"Seeded {members:,} members in {summary['seconds']:.0f} s. Logins:")
    for line in summary["logins"]:
        click.echo(f"  {line}")


jobs_cli = AppGroup(
    "jobs",
    help=(
        "Scheduled jobs, run as the scheduler would. A daily job run for a date stands for its own time "
        "of day; a frequent one (send_outbox, payment_refunds, ...) for the end of that day (23:59:59), "
        "so it sees what the day's jobs queued. All in the merchant's timezone."
    ),
)
DATE = click.DateTime(formats=["%Y-%m-%d"])


@jobs_cli.command("list")
def list_jobs_command():
    """Print one job name per line."""
    from app.common.jobs import registered_jobs

    for name in registered_jobs():
        click.echo(name)


@jobs_cli.command("run")
@click.argument("name")
@click.option(
    "--date",
    "day",
    type=DATE,
    default=None,
    help="Run as the scheduler would on this day (YYYY-MM-DD): a daily job at its time of day, a frequent "
    "one at 23:59:59. Default: now.",
)
def run_job_command(name, day):
    """Run one job for one day."""
    from app.common.jobs import registered_jobs, run_job

    if name not in registered_jobs():
        raise click.ClickException(f"unknown job {name!r}; see `flask jobs list`")
    result = run_job(name, day=day.date() if day else None)
    click.echo(f"{name}: {result}")


@openapi_cli.command("errors-doc")
@click.option("--output", default=None, help="Where to write (default: docs/errors.md in the repository).")
@with_appcontext
def errors_doc_command(output):
    """Write the error catalogue (every code, status and meaning) as Markdown."""
    from pathlib import Path

    from app.common.error_codes import render_markdown

    path = Path(output) if output else Path(__file__).resolve().parent.parent / "docs" / "errors.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown())
    click.echo(f"wrote {path}")


@jobs_cli.command("run-day")
@click.argument("day", type=DATE)
def run_day_command(day):
    """Replay a whole day DAY (YYYY-MM-DD): every daily job at its time of day, in the scheduler's
    order, then every frequent job once at the end of the day (the every-minute senders last), each in
    its own transaction. A failing job is reported and the rest still run; the exit status is then 1."""
    from app.common.jobs import jobs_in_day_order, run_job

    failed = []
    for job in jobs_in_day_order():
        try:
            result = run_job(job.name, day=day.date())
        except Exception as error:  # logged with its traceback by run_job
            failed.append(job.name)
            result = f"FAILED ({type(error).__name__}: {error})"
        click.echo(f"{job.time_of_day:%H:%M:%S} {job.name}: {result}")
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)}")


def register_cli(app):
    app.cli.add_command(store_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(seed_bench_command)
    app.cli.add_command(jobs_cli)
    from app.transfer import cli as transfer_cli

    transfer_cli.register(app)
