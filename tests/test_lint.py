"""Static checks that are part of the suite: sqlfluff over all SQL, ruff over Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SQL_PATHS = ["migrations", "functions", "views", "triggers", "migrator/bootstrap.sql", "demo"]


def test_sqlfluff_is_clean() -> None:
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", *SQL_PATHS], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean() -> None:
    proc = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
