"""docs/architecture.md shows the import graph the code has (drawn by scripts/depgraph)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_architecture_picture_matches_the_imports():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "depgraph"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
