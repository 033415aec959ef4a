"""Daily scan, job by job: every daily job run through ``run_job`` as the scheduler would, for a
few consecutive days, printing the seconds each job took each day.

    DATABASE_URL=postgresql+psycopg://... python bench/bench_scan.py [--offset 1] [--days 2]
    python bench/bench_scan.py --job member_metrics --offset 5       # one job only

Days are counted from the merchant's local today (``--offset 1`` is tomorrow). Jobs are idempotent:
a day already run on this database measures (almost) nothing, so pick days not run before. As in
bench/bench_scale.py the first day after seeding also catches up the seeded backlog; the days after
it are normal days, the ones the "daily scan" target is about.

Beside each job's wall time the CPU seconds it cost are printed: this process's and, when the
database server runs on this machine, its backend's (from /proc). On a shared machine the wall time
grows with the load; the CPU seconds much less, so they tell a job's own cost.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def backend_cpu_seconds(pid):
    """CPU seconds used so far by a local PostgreSQL backend (0 when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=1, help="first day, in days from today (default 1)")
    parser.add_argument("--days", type=int, default=2, help="how many consecutive days (default 2)")
    parser.add_argument("--job", action="append", help="only this daily job (repeatable)")
    args = parser.parse_args()

    from app import create_app
    from app.common import clock
    from app.common.jobs import registered_jobs, run_job
    from app.extensions import db
    from app.merchant.services import get_settings

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        today = clock.local_today(get_settings().timezone)
        jobs = sorted(
            (job for job in registered_jobs().values() if job.daily and (not args.job or job.name in args.job)),
            key=lambda job: (job.hour, job.minute, job.name),
        )
        backend = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        db.session.commit()
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        for offset in range(args.offset, args.offset + args.days):
            day = today + timedelta(days=offset)
            totals = [0.0, 0.0, 0.0]
            print(f"-- {day.isoformat()} (today + {offset})")
            print(f"{'job':32s} {'wall':>8s}   {'CPU: py':>8s} {'db':>7s}")
            for job in jobs:
                started, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu_seconds(backend)
                result = run_job(job.name, day=day)
                spent = [
                    time.perf_counter() - started,
                    time.process_time() - cpu,
                    backend_cpu_seconds(backend) - db_cpu,
                ]
                totals = [total + part for total, part in zip(totals, spent, strict=True)]
                print(f"{job.name:32s} {spent[0]:8.2f} s {spent[1]:8.2f} {spent[2]:7.2f}  {result}", flush=True)
            print(
                f"{'total':32s} {totals[0]:8.2f} s {totals[1]:8.2f} {totals[2]:7.2f}"
                f"  load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
