"""The database a benchmark runs on, shared by every script under bench/.

DATABASE_URL when it is set (PostgreSQL: postgresql+psycopg://...), else a SQLite file that is
recreated on every run. A PostgreSQL database that already holds members is only wiped with
``reset`` (it drops the public schema); ``reuse`` keeps whatever is there (time again, no reseed).
"""

import os
from pathlib import Path

from sqlalchemy import create_engine, text


def prepare_database(sqlite_path: Path, *, reset, reuse=False):
    url = os.environ.get("DATABASE_URL")
    if reuse:
        return url or f"sqlite:///{sqlite_path}"
    if not url or url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{sqlite_path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        has_members = conn.execute(text("SELECT to_regclass('public.members') IS NOT NULL")).scalar()
        populated = has_members and conn.execute(text("SELECT EXISTS (SELECT 1 FROM members)")).scalar()
        if populated and not reset:
            raise SystemExit("DATABASE_URL already holds members; run with --reset to wipe it (drops schema public)")
        if reset:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url
