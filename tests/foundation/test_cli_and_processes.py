"""The CLI of API.md, the scheduler process and the OpenAPI document."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member
from app.stores.models import Staff, Store

ROOT = Path(__file__).resolve().parents[2]


def test_store_and_staff_commands(app, runner):
    result = runner.invoke(args=["store", "create", "--name", "南山店"])
    assert result.exit_code == 0, result.output
    store_id = int(result.output.strip())
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--username",
            "amy",
            "--password",
            "secret-pass",
            "--role",
            "cashier",
            "--store",
            str(store_id),
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["staff", "create", "--username", "amy", "--password", "secret-pass", "--role", "cashier"]
    )
    assert result.exit_code != 0 and "taken" in result.output
    result = runner.invoke(
        args=["staff", "create", "--username", "bo", "--password", "secret-pass", "--role", "janitor"]
    )
    assert result.exit_code != 0
    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.username == "amy"))
        assert staff.store_ids == [store_id] and staff.role == "cashier"
        assert staff.password_hash != "secret-pass"


def test_seed_demo_is_idempotent_and_its_logins_work(app, runner, api):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        counts = (db.session.scalar(select(func.count(Store.id))), db.session.scalar(select(func.count(Member.id))))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert counts == (
            db.session.scalar(select(func.count(Store.id))),
            db.session.scalar(select(func.count(Member.id))),
        )
    for username in ("owner", "marketing", "cashier1", "cashier2"):
        assert username in first.output
        response = api.post("/auth/staff/login", json={"username": username, "password": "pitstop-demo"})
        assert response.status_code == 200


def test_openapi_describes_every_endpoint(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = "/" + rule.rule.lstrip("/")
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
            path = path.replace(f"<string:{arg}>", f"{{{arg}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append((path, method))
    assert missing == []
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_scheduler_process_starts_logs_its_jobs_and_stops_on_sigterm(database_url):
    env = dict(os.environ, DATABASE_URL=database_url, PITSTOP_ENV="development", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Scheduler started" in line:
                break
        assert any("scheduler starting" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "scheduler stopped" in output
