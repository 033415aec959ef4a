"""The shape of the code base: what the running service loads and which way its packages depend."""

import subprocess
import sys
from pathlib import Path

from app import domain_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_seeder_is_tooling_the_service_never_loads():
    assert "bench_seed" not in domain_packages()
    probe = (
        "import sys\n"
        "from app import create_app\n"
        "create_app('testing', {'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(sorted(name for name in sys.modules if name == 'bench' or name.startswith(('bench.', 'app.bench'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
