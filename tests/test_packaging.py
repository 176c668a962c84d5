"""The wheel carries its SQL: a non-editable install works from any directory; and the
README's first command (``wallet-recon demo``) runs end to end on a throwaway server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

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
                "migrator/sql/functions/version.sql", "migrator/sql/views/install_history.sql",
                "migrator/bootstrap.sql"):
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


def test_demo_starts_its_own_server_installs_and_cleans_up(tmp_path: Path) -> None:
    # Its own TMPDIR, traversable by the unprivileged cluster owner when run as root, so that
    # other clusters (another test session) cannot confuse the clean-up check.
    tmpdir = Path(tempfile.mkdtemp(prefix="wallet-recon-demo-test-"))
    tmpdir.chmod(0o755)
    try:
        proc = run_cli("demo", cwd=tmp_path, timeout=180, env={"TMPDIR": str(tmpdir)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "applied migration 0001.base_schema" in proc.stdout
        assert "\ncurrent\n" in proc.stdout
        assert "throwaway server stopped and removed" in proc.stdout
        assert list(tmpdir.iterdir()) == []  # the cluster's directory is gone
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def test_demo_uses_a_given_database(empty_db: str) -> None:
    proc = run_cli("demo", dsn=empty_db)
    assert proc.returncode == 0, proc.stderr
    assert "throwaway" not in proc.stdout
    assert run_cli("status", dsn=empty_db).returncode == 0
