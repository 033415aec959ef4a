"""Bulk work on a database filled by `flask seed-bench`: a campaign launched to about half the
members, and an export of every member streamed to a file with the process's memory watched.

    python bench/bench_bulk.py [--skip-launch] [--skip-export] [--import-database URL] [--json-out PATH]

DATABASE_URL names the seeded database. Measured:
- campaign launch: a segment of the members whose total paid reaches the median (about half of
  them: 500,000 at a million members) and a campaign to it, launched as the ``campaign_sends`` job
  does (``campaigns.launch``: the audience snapshotted into the outbox with one INSERT ... SELECT),
  timed until its transaction has committed with every message queued. Afterwards the campaign, its
  messages and the segment are deleted again (and the outbox vacuumed), so the database stays as
  seeded for the other benchmarks and the daily scan sends nothing of it: also when the run fails
  or is stopped (Ctrl-C, SIGTERM), and a campaign a run killed harder left behind is removed before
  the next launch;
- export of all members: ``exports.write_file("members", "csv", ...)`` as the export job runs it,
  rows streamed from the database into the file; the resident memory of this process is sampled
  every 50 ms throughout, and its value before the export, its peak during it and its value at the
  end are printed (flat: the peak stays within a few tens of MB of the start, whatever the number
  of members);
- with ``--import-database URL`` (an empty or scratch PostgreSQL database: it is wiped), the import
  benchmark bench/bench_import.py runs there (100,000 members from one CSV, dry run then commit)
  and its times join the others.
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, select, text  # noqa: E402


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch:
    """Samples this process's resident memory on a thread while the ``with`` block runs."""

    def __init__(self, every=0.05):
        self.every, self.samples, self._stop = every, [], threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(rss_mb())
            self._stop.wait(self.every)

    def __enter__(self):
        self.before = rss_mb()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()
        self.after = rss_mb()
        self.peak = max([self.before, self.after, *self.samples])


BENCH_NAME = "bench bulk"


def remove_launches(app):
    """Delete every campaign this benchmark launched (this run's, or one a stopped run left behind),
    their messages and segments; vacuum the outbox if there were any. Answers the messages removed."""
    from app.extensions import db
    from app.marketing.models import Campaign, Message, Segment

    with app.app_context():
        db.session.rollback()
        launched = select(Campaign.id).where(Campaign.name.like(f"{BENCH_NAME} %")).scalar_subquery()
        if db.engine.dialect.name == "postgresql":
            # No follow-up refers to these fresh messages, and the follow-ups' message_id has no
            # index: the foreign-key check would scan them once per deleted message.
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        # Not synchronized with the session: it would fetch every deleted message's id.
        unsynchronized = {"synchronize_session": False}
        removed = db.session.execute(
            delete(Message).where(Message.campaign_id.in_(launched)), execution_options=unsynchronized
        ).rowcount
        for model in (Campaign, Segment):
            db.session.execute(
                delete(model).where(model.name.like(f"{BENCH_NAME} %")), execution_options=unsynchronized
            )
        db.session.commit()
        if removed and db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (ANALYZE) marketing_messages"))
    return removed


def measure_launch(app):
    from app.common import clock
    from app.extensions import db
    from app.marketing import campaigns, segments
    from app.marketing.models import Campaign, Message
    from app.members.models import Member

    left = remove_launches(app)
    if left:
        print(f"removed {left:,} messages an earlier stopped run had queued", file=sys.stderr)
    try:
        with app.app_context():
            median = db.session.scalar(
                select(func.percentile_disc(0.5).within_group(Member.total_paid_fen)).where(
                    Member.merged_into_id.is_(None), Member.paid_visit_count > 0
                )
            )
            now = clock.now()
            segment = segments.create_segment(
                name=f"{BENCH_NAME} {os.getpid()}",
                rules={"all": [{"field": "total_paid", "op": "gte", "value": int(median)}]},
            )
            campaign = campaigns.create_campaign(
                name=f"{BENCH_NAME} {os.getpid()}",
                segment_id=segment.id,
                message={
                    "template_key": "campaign",
                    "fields": {"thing1": "{nickname}的爱车{plate}", "thing2": "您有一项车主权益待查看"},
                },
                send_at=now,
            )
            db.session.commit()
            campaign_id = campaign.id
            started = time.perf_counter()
            assert campaigns.launch(campaign_id=campaign_id, now=now)
            db.session.commit()
            seconds = time.perf_counter() - started
            queued = db.session.scalar(
                select(func.count()).where(Message.campaign_id == campaign_id, Message.status == "queued")
            )
            audience = db.session.get(Campaign, campaign_id).audience
    finally:
        # Whatever happened (an error, Ctrl-C, a kill: see main), the database is left as seeded.
        remove_launches(app)
    if queued != audience:
        raise SystemExit(f"the launch queued {queued} messages for an audience of {audience}")
    return {"launch seconds": seconds, "launch audience": audience}


def measure_export(app):
    from app.extensions import db
    from app.transfer import exports

    with app.app_context(), tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "members.csv")
        with MemoryWatch() as memory:
            started = time.perf_counter()
            rows = exports.write_file("members", "csv", path)
            seconds = time.perf_counter() - started
        size = os.path.getsize(path)
        db.engine.dispose()
    return {
        "export seconds": seconds,
        "export rows": rows,
        "export MB": size / 1e6,
        "export rss before": memory.before,
        "export rss peak": memory.peak,
        "export rss after": memory.after,
    }


def measure_import(url):
    import re
    import subprocess

    finished = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "bench_import.py"), "--reset"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {}
    for name, pattern in (
        ("import dry run seconds", r"^dry run: ([\d.]+) s"),
        ("import commit seconds", r"^commit: ([\d.]+) s"),
        ("import seconds", r"^total: ([\d.]+) s"),
    ):
        found = re.search(pattern, finished, re.MULTILINE)
        if found is None:
            raise SystemExit(f"bench_import.py printed no {name}:\n{finished}")
        figures[name] = float(found.group(1))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-launch", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--import-database", metavar="URL", help="run bench_import.py on this (wiped) database")
    parser.add_argument("--json-out", help="write the figures as JSON here (bench_scale.py reads them)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a database filled by `flask seed-bench`")

    from app import create_app

    # A kill (SIGTERM) unwinds like Ctrl-C, so the launch's clean-up runs (measure_launch); a run
    # killed harder leaves its campaign behind for the next run to remove first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    results = {}
    if not args.skip_launch:
        results.update(measure_launch(app))
    if not args.skip_export:
        results.update(measure_export(app))
    if args.import_database:
        results.update(measure_import(args.import_database))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results))
    for name, value in results.items():
        print(f"{name}: {value:,.1f}" if isinstance(value, float) else f"{name}: {value:,}")


if __name__ == "__main__":
    main()
