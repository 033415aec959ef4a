"""The staff console as the service serves it: /console/ with a strict policy and history fallback."""

import json
from pathlib import Path

import pytest

from app.console import CONTENT_SECURITY_POLICY

REPO = Path(__file__).resolve().parents[2]


def get(client, path):
    """GET and close (a served file stays open until its response is closed)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def dist(app, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>', encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    app.config["CONSOLE_DIST"] = str(tmp_path)
    return tmp_path


def test_index_is_served_with_a_strict_policy(client, dist):
    response = get(client, "/console/")
    assert response.status_code == 200
    assert b'<div id="app">' in response.data
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/console/counter", "/console/work-orders/12/checkout", "/console"])
def test_a_screen_reloaded_by_its_address_gets_the_application(client, dist, path):
    response = get(client, path)
    assert response.status_code == 200
    assert b'<div id="app">' in response.data
    assert "Content-Security-Policy" in response.headers


def test_hashed_assets_are_cached_for_good(client, dist):
    response = get(client, "/console/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.data == b"console.log(1)"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_paths_outside_the_build_are_not_served(client, dist, tmp_path):
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    response = get(client, "/console/../secret.txt")
    assert b"no" != response.data
    response = get(client, "/console/%2e%2e/secret.txt")
    assert response.data != b"no"


def test_an_unbuilt_console_answers_a_json_error(client, app, tmp_path):
    app.config["CONSOLE_DIST"] = str(tmp_path / "missing")
    response = get(client, "/console/counter")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "console_not_built"


def test_the_consoles_copy_of_the_document_is_the_services(client):
    """console/openapi.json is what the API client is generated from: it must be current.

    After an API change: `flask openapi write console/openapi.json`, then `npm run gen:api` in console/
    (whose `check:api` fails when src/api/schema.d.ts is older than openapi.json).
    """
    live = client.get("/api/v1/openapi.json").get_json()
    committed = json.loads((REPO / "console" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == live, "console/openapi.json is stale: run `flask openapi write console/openapi.json`"
