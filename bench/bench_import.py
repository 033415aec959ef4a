"""Import benchmark: 100,000 members with a car, stored value (principal and bonus), points and
visit history, from one CSV file, dry run then commit, as `flask import` runs them.

    python bench/bench_import.py [--members 100000] [--reset]

The database is DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite
file at /tmp/pitstop_bench_import.db (recreated on every run), built by the migrations. The file is
made here (UTF-8 CSV in the members template's columns). Prints the time of the dry run (reading,
checking every cell, looking every phone and plate up) and of the commit (the same check again,
then the bulk inserts and the members' value classes), and checks the liabilities equal the file.
"""

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import prepare_database  # noqa: E402

SQLITE_PATH = Path("/tmp/pitstop_bench_import.db")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def make_file(members, seed=7):
    from app.transfer.columns import KINDS

    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = KINDS["members"]
    writer.writerow([column.label for column in columns])
    writer.writerow([column.key for column in columns])
    principal = bonus = points = 0
    for index in range(members):
        p, b, pts = rng.randint(0, 500_000), rng.choice((0, 0, 5_000, 10_000)), rng.randint(0, 5000)
        principal, bonus, points = principal + p, bonus + b, points + pts
        visits = rng.randint(0, 40)
        writer.writerow(
            [
                f"139{index:08d}",
                f"会员{index}",
                rng.choice(("男", "女", "")),
                f"{rng.randint(1960, 2004)}/{rng.randint(1, 12)}/{rng.randint(1, 28)}",
                "",
                rng.choice(("", "老客户", "洗车、保养")),
                f"粤{LETTERS[index // 100_000]}{index % 100_000:05d}",
                "丰田 卡罗拉",
                rng.randint(0, 200_000),
                f"{p // 100}.{p % 100:02d}",
                f"{b // 100}",
                pts,
                f"2021年{rng.randint(1, 12)}月{rng.randint(1, 28)}日" if visits else "",
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if visits else "",
                visits,
                f"{visits * rng.randint(100, 800)}" if visits else "0",
            ]
        )
    return buffer.getvalue().encode("utf-8"), {"principal": principal, "bonus": bonus, "points": points}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL DATABASE_URL first")
    args = parser.parse_args()
    url = prepare_database(SQLITE_PATH, reset=args.reset)

    from flask_migrate import upgrade

    from app import create_app
    from app.common import clock
    from app.extensions import db
    from app.stats.services import liability_figures
    from app.transfer import imports

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        content, totals = make_file(args.members)
        print(f"file: {args.members} members, {len(content) / 1e6:.1f} MB CSV; database {url.split('://')[0]}")
        started = time.perf_counter()
        batch = imports.dry_run(kind="members", content=content, filename="bench.csv", actor_key="bench")
        db.session.commit()
        dry = time.perf_counter() - started
        assert batch.error_count == 0, batch.report["errors"][:5]
        print(f"dry run: {dry:.1f} s ({batch.report['counts']})")
        started = time.perf_counter()
        imports.queue_commit(batch_id=batch.id)
        imports.run_commit(batch.id)
        db.session.commit()
        commit = time.perf_counter() - started
        print(f"commit: {commit:.1f} s ({batch.result})")
        figures = liability_figures(clock.now())
        assert figures["stored_value_principal_fen"] == totals["principal"], figures
        assert figures["stored_value_bonus_fen"] == totals["bonus"], figures
        print(f"liabilities equal the file: {figures['stored_value_fen']} fen, {figures['points_outstanding']} points")
        print(f"total: {dry + commit:.1f} s for {args.members} members (target: at most 60 s on PostgreSQL)")


if __name__ == "__main__":
    main()
