"""With REDIS_URL set, every process counts login attempts together (before, each gunicorn worker
counted alone: 38 wrong passwords before the first 429 with two workers). The two app instances
here are two processes, as two workers or hosts are; they share the Redis at 127.0.0.1:6379 under
a key prefix of their own. Without REDIS_URL, production says in the log that limits are per process."""

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from app import create_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"

# One app instance: a few wrong staff logins from the same address; prints each status.
INSTANCE = """
import sys
from app import create_app
app = create_app("testing", {
    "SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": sys.argv[2], "RATELIMIT_STORAGE_URI": sys.argv[2],
    "RATELIMIT_KEY_PREFIX": sys.argv[3], "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
})
client = app.test_client()
for _ in range(int(sys.argv[4])):
    response = client.post("/api/v1/auth/staff/login", json={"username": "nobody", "password": "wrong-password"})
    print(response.status_code)
"""


@pytest.fixture
def redis_prefix():
    connection = redis.Redis.from_url(REDIS_URL)
    prefix = f"pitstop-test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def _attempts(database_url, prefix, count):
    result = subprocess.run(
        [sys.executable, "-c", INSTANCE, database_url, REDIS_URL, prefix, str(count)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [int(line) for line in result.stdout.split()]


def test_two_app_instances_count_login_attempts_together(database_url, redis_prefix):
    assert _attempts(database_url, redis_prefix, 2) == [401, 401]
    # The second instance has seen no attempt of its own, yet the third overall is the last allowed.
    assert _attempts(database_url, redis_prefix, 2) == [401, 429]


def test_production_without_redis_warns_that_limits_are_per_process(database_url, monkeypatch, caplog):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with caplog.at_level(logging.WARNING, logger="app.common.ratelimit"):
        app = create_app("production")
    assert any("per process" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.common.ratelimit"):
        create_app("production", {"REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL})
    assert not any("per process" in record.getMessage() for record in caplog.records)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
