"""Old export files leave the export folder: the transfer job removes files of exports finished more
than EXPORT_RETENTION_DAYS ago (on the injectable clock); their download then answers 409."""

import os
from datetime import UTC, datetime, timedelta

from app.common import clock
from app.common.jobs import run_job
from app.extensions import db
from app.transfer.models import ExportJob
from tests.helpers import error_code

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _export(api, token):
    started = api.post("/exports", token, json={"kind": "members", "format": "csv"})
    assert started.status_code == 202, started.json
    job = api.get(f"/exports/{started.json['id']}", token).json
    assert job["status"] == "ready", job
    return job


def _path(app, job_id):
    with app.app_context():
        return db.session.get(ExportJob, job_id).file_path


def _transfer_job(app, at):
    clock.set_now(at)
    with app.app_context():
        return run_job("transfer_jobs")  # "now" is the clock's


def test_export_files_are_removed_after_the_retention_days(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    app.config["EXPORT_RETENTION_DAYS"] = 7
    clock.set_now(START)
    old = _export(api, owner)
    clock.set_now(START + timedelta(days=3))
    recent = _export(api, owner)
    old_path, recent_path = _path(app, old["id"]), _path(app, recent["id"])
    assert os.path.exists(old_path) and os.path.exists(recent_path)

    _transfer_job(app, START + timedelta(days=7) - timedelta(minutes=1))  # not yet seven days
    assert os.path.exists(old_path)

    _transfer_job(app, START + timedelta(days=7, minutes=1))
    assert not os.path.exists(old_path) and os.path.exists(recent_path)
    assert api.get(f"/exports/{old['id']}", owner).json["status"] == "expired"
    assert _path(app, old["id"]) is None
    response = api.get(f"/exports/{old['id']}/file", owner)
    assert response.status_code == 409 and error_code(response) == "export_expired"
    assert api.get(f"/exports/{recent['id']}/file", owner).status_code == 200

    _transfer_job(app, START + timedelta(days=7, minutes=3))  # again: nothing more to do
    assert api.get(f"/exports/{old['id']}", owner).json["status"] == "expired"
    _transfer_job(app, START + timedelta(days=10, minutes=1))
    assert not os.path.exists(recent_path)
    assert api.get(f"/exports/{recent['id']}", owner).json["status"] == "expired"
