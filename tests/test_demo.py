"""``wallet-recon demo`` end to end, as a subprocess: on its own throwaway server (removed after,
also on Ctrl-C; kept with --keep) and in a given database (its own schemas, removed after)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import WALLET_RECON, run_cli

STEPS = ("four applications side by side", "reconcile: what drifted",
         "the repair plan (a dry run writes nothing)", "apply it under ticket DEMO-1",
         "reconcile: back to zero", "explore the same data in psql")


@pytest.fixture
def tmpdir_for_cluster() -> Iterator[Path]:
    """A TMPDIR of our own, traversable by the unprivileged cluster owner when run as root, so
    that the clean-up check sees only this demo's cluster."""
    tmpdir = Path(tempfile.mkdtemp(prefix="wallet-recon-demo-test-"))
    tmpdir.chmod(0o755)
    yield tmpdir
    shutil.rmtree(tmpdir, ignore_errors=True)


def sql(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute(query)
        return cur.fetchall() if cur.description else []


def demo_schemas(dsn: str) -> list[str]:
    return [r[0] for r in sql(dsn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE "
                                   "'recon\\_demo\\_%' ORDER BY 1")]


def assert_whole_story(out: str) -> None:
    for i, step in enumerate(STEPS):
        assert step in out, (step, out)
        if i:
            assert out.index(STEPS[i - 1]) < out.index(step)
    # findings at first, of several severities, and zero at the end
    first = out[out.index("reconcile: what drifted"):out.index("the repair plan")]
    assert "discrepancy:" in first and "CRITICAL ·" in first and "LOW ·" in first
    last = out[out.index("reconcile: back to zero"):]
    assert "synced: nothing found by" in last
    assert re.search(r"demo finished in [0-9.]+ s: [1-9][0-9]* findings, now 0", out), out


def test_demo_on_its_own_server_tells_the_whole_story_and_cleans_up(
        tmp_path: Path, tmpdir_for_cluster: Path) -> None:
    t0 = time.monotonic()
    proc = run_cli("demo", cwd=tmp_path, timeout=300, env={"TMPDIR": str(tmpdir_for_cluster)})
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "starting a throwaway PostgreSQL owned by" in out
    assert re.search(r"installed wallet-recon \S+ into .*: \d+ migration\(s\)", out)
    assert_whole_story(out)
    for schema in ("recon_demo_runbook", "recon_demo_holds", "recon_demo_activations",
                   "recon_demo_coins"):
        assert schema in out
    assert out.rstrip().endswith("throwaway server stopped and removed")
    assert list(tmpdir_for_cluster.iterdir()) == []  # the cluster's directory is gone
    assert_transcript_shows(out)  # docs/DEMO.md's transcript is this run's
    print(f"\ndemo (throwaway server) ran in {elapsed:.1f} s")


def test_demo_interrupted_cleans_up(tmp_path: Path, tmpdir_for_cluster: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TMPDIR"] = str(tmpdir_for_cluster)
    # (SIGINT back to its default in the demo: pytest may have been started where it is
    # ignored, as in a background job of a shell without job control, and the child inherits
    # that)
    proc = subprocess.Popen([WALLET_RECON, "demo"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    seen = ""
    for line in proc.stdout:  # wait until the server runs and the data is being loaded
        seen += line
        if "four applications side by side" in line:
            break
    assert list(tmpdir_for_cluster.iterdir()), seen  # the cluster exists now
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, seen + out + err
    assert "wallet-recon: interrupted" in err
    assert "throwaway server stopped and removed" in out
    assert list(tmpdir_for_cluster.iterdir()) == []


def test_demo_keep_leaves_the_server_running(tmp_path: Path, tmpdir_for_cluster: Path) -> None:
    """--keep: the server runs on with the demo's data; the printed stop command, run as pasted
    (by a shell whose PATH lacks pg_ctl, as on stock Debian), stops it and removes it."""
    proc = run_cli("demo", "--keep", cwd=tmp_path, timeout=300,
                   env={"TMPDIR": str(tmpdir_for_cluster)})
    stop = re.search(r"^stop it with: (.+)$", proc.stdout, re.M)
    stopped = False
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        dsn = re.search(r"the server keeps running: psql '([^']+)'", proc.stdout)
        assert dsn and stop
        # the same data the demo showed, ready to explore
        assert demo_schemas(dsn.group(1)) == ["recon_demo_activations", "recon_demo_coins",
                                              "recon_demo_holds", "recon_demo_runbook"]
        assert sql(dsn.group(1), "SELECT status FROM recon.runs ORDER BY id DESC LIMIT 1") == [
            ("synced",)]
        assert sql(dsn.group(1), "SELECT count(*) > 0 FROM recon.repairs") == [(True,)]
        # the PATH line, for this checkout's (or this installation's) wallet-recon
        path_line = f'export PATH="{Path(WALLET_RECON).parent}:$PATH"'
        assert path_line in proc.stdout.splitlines()
        # the fix commands it printed, pasted after the PATH line: the plans, now (run 1's
        # repaired, run 2's left for a person and acknowledged)
        fixes = re.findall(r"`(wallet-recon fix \d+ --database \S+)` plans", proc.stdout)
        assert len(fixes) == 2, proc.stdout
        for command in fixes:
            done = subprocess.run(["bash", "-c", f"{path_line}\n{command}"], capture_output=True,
                                  text=True, timeout=120, cwd="/",
                                  env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
            assert done.returncode in (0, 1), done.stderr
            assert done.stdout.startswith("repair plan for run "), done.stdout

        command = stop.group(1)
        assert "/pg_ctl " in command and command.split()[0] != "pg_ctl"
        if os.geteuid() == 0:
            assert command.startswith("su -s /bin/sh ")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": "/root"},
                              cwd="/")
        assert done.returncode == 0, done.stdout + done.stderr
        stopped = True
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn.group(1), connect_timeout=5).close()
        assert list(tmpdir_for_cluster.iterdir()) == []  # removed
    finally:
        if stop and not stopped:  # the command failed: stop the server the test started
            data = re.search(r" -D (\S+)", stop.group(1))
            pg_ctl = re.search(r"(/\S+/pg_ctl)", stop.group(1))
            if data and pg_ctl:
                cmd = [pg_ctl.group(1), "-D", data.group(1).strip("'"), "-m", "immediate",
                       "-w", "stop"]
                if os.geteuid() == 0:
                    cmd = ["runuser", "-u", proc.stdout.split("owned by ")[1].split()[0],
                           "--", *cmd]
                subprocess.run(cmd, capture_output=True, timeout=60)


@pytest.mark.core
def test_demo_in_a_given_database_uses_its_own_schemas(db: str) -> None:
    # db: the toolkit installed (by `wallet-recon install`, cloned), nothing else
    sql(db, "CREATE SCHEMA app; CREATE TABLE app.mine (id int); INSERT INTO app.mine VALUES (1)")
    # the database's own check, which always finds something: the demo leaves it alone
    sql(db, """SELECT recon.register_check('mine', 'custom', '{"query": "select ''w1'' as \
wallet_key, 1 as stored, 0 as expected, 1 as difference, ''{}''::jsonb as details"}')""")
    proc = run_cli("demo", "--keep", dsn=db, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "throwaway" not in proc.stdout
    assert_whole_story(proc.stdout)
    assert len(demo_schemas(db)) == 4  # kept

    # again, without --keep: the earlier demo is replaced, and everything removed at the end
    proc = run_cli("demo", dsn=db, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "removed the schemas and registrations of an earlier demo run" in proc.stdout
    assert_whole_story(proc.stdout)
    assert "removed the demo's schemas and registrations" in proc.stdout
    assert demo_schemas(db) == []
    assert sql(db, "SELECT count(*) FROM recon.sources") == [(0,)]
    assert sql(db, "SELECT name FROM recon.checks") == [("mine",)]
    assert sql(db, "SELECT count(*) FROM recon.run_findings WHERE check_name = 'mine'") \
        == [(0,)]  # never run by the demo
    assert sql(db, "SELECT DISTINCT ticket FROM recon.repairs") == [("DEMO-1",)]
    assert sql(db, "SELECT * FROM app.mine") == [(1,)]  # the user's own data untouched
    assert run_cli("status", dsn=db).returncode == 0  # the toolkit stays installed


def test_demo_refuses_a_schema_that_is_not_its_own(empty_db: str) -> None:
    sql(empty_db, "CREATE SCHEMA recon_demo_runbook; CREATE TABLE recon_demo_runbook.t (x int)")
    proc = run_cli("demo", dsn=empty_db, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "recon_demo_runbook exists and was not created by" in lines[0]
    assert sql(empty_db, "SELECT count(*) FROM recon_demo_runbook.t") == [(0,)]


def _normal(line: str) -> str:
    """A demo line without what changes from run to run: timings, the port, the cluster's owner
    (postgres as root, else the user running it), the checkout's path, column padding."""
    line = re.sub(r"\d+(\.\d+)? (ms|s)\b", "<t>", line)
    line = re.sub(r"owned by \S+ \.\.\.", "owned by <owner> ...", line)
    line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", line)
    line = re.sub(r"/tmp/\S+", "<tmp>", line)
    line = re.sub(r'"\S*/\.venv/bin:', '"<checkout>/.venv/bin:', line)  # where it was cloned
    return " ".join(line.split())


def transcript_lines() -> list[str]:
    """The demo's transcript in docs/DEMO.md: the text block under "What it prints"."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "DEMO.md").read_text()
    block = doc.split("## What it prints", 1)[1]
    block = block.split("```text\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def assert_transcript_shows(out: str) -> None:
    """Every line of docs/DEMO.md's transcript (but its `...` cuts) is in the real output, in
    order."""
    real = [_normal(line) for line in out.splitlines()]
    at = 0
    lines = transcript_lines()
    assert len(lines) > 100 and lines.count("...") < 10  # a transcript, not a stub
    for line in lines:
        if line == "...":
            continue
        want = _normal(line)
        try:
            at = real.index(want, at) + 1
        except ValueError:
            raise AssertionError(f"docs/DEMO.md line not in the demo's output (in order): {line!r}"
                                 ) from None
