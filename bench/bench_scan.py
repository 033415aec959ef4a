"""Daily scan, job by job: every daily job run through ``run_job`` as the scheduler would, for a
few consecutive days, printing the seconds each job took each day.

    DATABASE_URL=postgresql+psycopg://... python bench/bench_scan.py [--offset 1] [--days 2]
    python bench/bench_scan.py --job member_metrics --offset 5       # one job only

Days are counted from the merchant's local today (``--offset 1`` is tomorrow). Jobs are idempotent:
a day already run on this database measures (almost) nothing, so pick days not run before. As in
bench/bench_scale.py the first day after seeding also catches up the seeded backlog; the days after
it are normal days, the ones the "daily scan" target is about.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=1, help="first day, in days from today (default 1)")
    parser.add_argument("--days", type=int, default=2, help="how many consecutive days (default 2)")
    parser.add_argument("--job", action="append", help="only this daily job (repeatable)")
    args = parser.parse_args()

    from app import create_app
    from app.common import clock
    from app.common.jobs import registered_jobs, run_job
    from app.merchant.services import get_settings

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        today = clock.local_today(get_settings().timezone)
        jobs = sorted(
            (job for job in registered_jobs().values() if job.daily and (not args.job or job.name in args.job)),
            key=lambda job: (job.hour, job.minute, job.name),
        )
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        for offset in range(args.offset, args.offset + args.days):
            day = today + timedelta(days=offset)
            total = 0.0
            print(f"-- {day.isoformat()} (today + {offset})")
            for job in jobs:
                started = time.perf_counter()
                result = run_job(job.name, day=day)
                elapsed = time.perf_counter() - started
                total += elapsed
                print(f"{job.name:32s} {elapsed:8.2f} s  {result}", flush=True)
            print(f"{'total':32s} {total:8.2f} s   load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
