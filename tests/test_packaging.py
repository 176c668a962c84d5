"""The wheel carries its SQL, the demo's data and the report template: a non-editable install
works from any directory. (The demo itself: tests/test_demo.py.)"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import sql_rel

from conftest import ROOT, run_cli


@pytest.mark.slow
def test_wheel_installs_and_runs_from_anywhere(tmp_path: Path, empty_db: str) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("wallet_recon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for sql in ("migrator/sql/migrations/0001.base_schema.sql",
                "migrator/sql/migrations/0001.base_schema.rollback.sql",
                "migrator/sql/" + sql_rel("version.sql"), "migrator/sql/views/install_history.sql",
                "migrator/bootstrap.sql", "migrator/sql/demo/runbook.sql",
                "migrator/sql/demo/drop.sql", "migrator/templates/report.html.j2"):
        assert sql in names, sql

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exe = str(venv / "bin" / "wallet-recon")
    proc = run_cli("install", dsn=empty_db, cwd=elsewhere, exe=exe)
    assert proc.returncode == 0, proc.stderr
    assert "applied migration 0001.base_schema" in proc.stdout
    assert run_cli("status", dsn=empty_db, cwd=elsewhere, exe=exe).returncode == 0
