"""Without PITSTOP_ENV the service runs production rules: no published development key, no
development endpoints, and it refuses to start without SECRET_KEY (32 bytes at least) and
DATABASE_URL. Before, a deployment that forgot PITSTOP_ENV ran the development settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigurationError, load_config

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 32


def _start(env, then=""):
    """Import the WSGI module as gunicorn does, with exactly ``env`` as the environment (and run
    ``then`` after it)."""
    return subprocess.run(
        [sys.executable, "-c", f"import wsgi\n{then}"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bare_environment_refuses_to_start_and_says_what_to_set():
    result = _start({})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_short_secret_key_refuses_to_start(tmp_path):
    result = _start({"SECRET_KEY": "short", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode != 0
    assert "at least 32 bytes" in result.stderr


def test_production_starts_with_a_key_and_a_database(tmp_path):
    result = _start({"SECRET_KEY": STRONG_KEY, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 0, result.stderr


def test_a_worker_keeps_what_start_up_built_out_of_the_collectors_walks(tmp_path):
    result = _start(
        {"SECRET_KEY": STRONG_KEY, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        then="import gc; print(gc.get_freeze_count())",
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 100_000  # the app's routes, schemas and models


def test_without_pitstop_env_the_production_rules_apply(monkeypatch):
    monkeypatch.delenv("PITSTOP_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    config = load_config()
    assert config.SECRET_KEY == STRONG_KEY
    assert config.DEV_ENDPOINTS is False
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config()


def test_development_is_asked_for_by_name(monkeypatch):
    monkeypatch.setenv("PITSTOP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert load_config().DEV_ENDPOINTS is True


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("PITSTOP_ENV", "prod")
    with pytest.raises(ConfigurationError, match="prod"):
        load_config()
