"""Faults: a backend terminated mid-fix, mid-reconcile and mid-migration, and the server stopped
(immediate) mid-reconcile. Nothing is half-applied; an interrupted run is marked as such by the
next one, which completes; a fix retried with the same ticket applies once."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from helpers import one
from test_fix import WRITER

from conftest import WALLET_RECON, load_fixture, run_cli

SLEEPY = ("SELECT recon.register_check('z_sleepy', 'custom', jsonb_build_object('query', "
          "'select null::text as wallet_key, 0 as stored, 0 as expected, 0 as difference, "
          "''{}''::jsonb as details from pg_sleep(%s) where random() < 0'))")


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def in_thread(dsn: str, query: str, params: tuple | None = None) -> tuple[threading.Thread, dict]:
    """Run a statement on its own connection in a thread; the result or error lands in a dict."""
    out: dict = {}

    def work() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                out["pid"] = c.info.backend_pid
                out["rows"] = c.execute(query, params).fetchall()
        except psycopg.Error as exc:
            out["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    wait_for(lambda: "pid" in out or "error" in out, "the connection")
    return t, out


def seeded(db: str) -> str:
    load_fixture(db, "seed000.sql", "seed000_register.sql")
    with psycopg.connect(db, autocommit=True) as c:
        c.execute(WRITER)
    return db


def state(dsn: str) -> tuple:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(
            "SELECT (SELECT md5(string_agg(w::text, ',' ORDER BY id)) FROM seed000.wallet_account"
            " w), (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM "
            "seed000.wallet_transaction t), (SELECT count(*) FROM _recon.repair), "
            "(SELECT count(*) FROM _recon.fix)").fetchone()


def test_reconcile_terminated_is_marked_interrupted_and_the_next_run_completes(db: str) -> None:
    seeded(db)
    one(db, "UPDATE seed000.wallet_account SET balance = balance + 50 WHERE id = "
            "(SELECT min(wallet_id::text)::uuid FROM seed000.wallet_transaction)")
    one(db, SLEEPY % 30)
    before = one(db, "SELECT count(*) FROM _recon.observation")
    t, out = in_thread(db, "CALL recon.reconcile_run(NULL, 'full', NULL)")
    run = wait_for(lambda: one(db, "SELECT id FROM recon.runs WHERE status = 'running'"),
                   "the started run")
    wait_for(lambda: one(db, "SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE pid = %s",
                         (out["pid"],)), "the sleeping check")
    assert one(db, "SELECT pg_terminate_backend(%s)", (out["pid"],))
    t.join(30)
    assert isinstance(out.get("error"), psycopg.OperationalError), out
    # nothing of it was recorded but its row, still 'running' until the next run looks
    assert one(db, "SELECT status FROM recon.runs WHERE id = %s", (run,)) == "running"
    assert one(db, "SELECT count(*) FROM _recon.observation") == before
    one(db, "SELECT recon.drop_check('z_sleepy')")
    proc = run_cli("check", "--format", "json", dsn=db)
    assert proc.returncode == 1, proc.stderr  # the drift, found by the next run
    with psycopg.connect(db, autocommit=True) as c:
        rows = c.execute("SELECT id, status, summary ->> 'marked_by_run' FROM recon.runs "
                         "ORDER BY id").fetchall()
    assert rows[-2][:2] == (run, "interrupted") and rows[-1][1] == "discrepancy"
    assert rows[-2][2] == str(rows[-1][0])
    assert one(db, "SELECT count(*) FROM recon.run_findings WHERE run_id = %s", (run,)) == 0
    assert one(db, "SELECT count(*) FROM recon.open_findings") == 1


def test_a_failed_reconcile_in_the_same_session_is_marked_by_the_next(db: str) -> None:
    seeded(db)
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("SELECT recon.register_check('z_bad', 'custom', jsonb_build_object('query', "
                  "'select null::text as wallet_key, 1 / 0 as stored, 0 as expected, "
                  "0 as difference, ''{}''::jsonb as details'))")
        try:
            c.execute("CALL recon.reconcile_run(NULL, 'full', NULL)")
        except psycopg.errors.DivisionByZero:
            pass
        else:
            raise AssertionError("the check should have failed")
        failed = c.execute("SELECT max(id) FROM recon.runs").fetchone()[0]
        assert c.execute("SELECT status FROM recon.runs WHERE id = %s", (failed,)
                         ).fetchone()[0] == "running"
        c.execute("SELECT recon.drop_check('z_bad')")
        summary = c.execute("CALL recon.reconcile_run(NULL, 'full', NULL)").fetchone()[0]
        assert summary["status"] == "synced"
        assert c.execute("SELECT status FROM recon.runs WHERE id = %s", (failed,)
                         ).fetchone()[0] == "interrupted"
        # no advisory lock of a run is left behind in this session
        assert c.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                         "pg_backend_pid()").fetchone()[0] == 0


def test_fix_terminated_applies_nothing_and_the_retry_applies_once(db: str) -> None:
    seeded(db)
    keys = [r[0] for r in psycopg.connect(db, autocommit=True).execute(
        "UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id IN (SELECT DISTINCT "
        "wallet_id FROM seed000.wallet_transaction ORDER BY wallet_id LIMIT 3) RETURNING id::text"
    ).fetchall()]
    assert one(db, "SELECT recon.reconcile() ->> 'findings'") == "3"
    before = state(db)
    fix = ("SELECT status FROM recon.fix(dry_run => false, ticket => 'INC-9', "
           "reason => 'terminated mid-fix')")
    with psycopg.connect(db) as blocker:  # holds the last wallet: the fix waits under its locks
        blocker.execute("SELECT 1 FROM seed000.wallet_account WHERE id = %s FOR UPDATE",
                        (max(keys),))
        t, out = in_thread(db, fix)
        wait_for(lambda: one(db, "SELECT wait_event_type = 'Lock' FROM pg_stat_activity "
                                 "WHERE pid = %s", (out["pid"],)), "the fix to wait")
        assert one(db, "SELECT pg_terminate_backend(%s)", (out["pid"],))
        t.join(30)
        blocker.rollback()
    assert isinstance(out.get("error"), psycopg.OperationalError), out
    assert state(db) == before  # nothing half-applied: no balance, entry, repair or fix row

    with psycopg.connect(db, autocommit=True) as c:
        assert [r[0] for r in c.execute(fix).fetchall()] == ["applied"] * 3
        again = [r[0] for r in c.execute(fix).fetchall()]
        assert "applied" not in again
        assert c.execute("SELECT count(*) FROM recon.repairs WHERE ticket = 'INC-9'"
                         ).fetchone()[0] == 3
    assert one(db, "SELECT recon.reconcile() ->> 'status'") == "synced"


def test_migration_terminated_then_rerun(make_db, sql_copy: Path) -> None:
    dsn = make_db()
    slow = sql_copy / "migrations" / "9001.test_slow.sql"
    slow.write_text("CREATE TABLE _recon.test_slow (id int PRIMARY KEY);\n"
                    "COMMENT ON TABLE _recon.test_slow IS 'test';\n"
                    "SELECT pg_sleep(60);\n")
    (sql_copy / "migrations" / "9001.test_slow.rollback.sql").write_text(
        "DROP TABLE _recon.test_slow;\n")
    env = {**os.environ, "DATABASE_URL": dsn}
    proc = subprocess.Popen([WALLET_RECON, "install", "--sql-dir", str(sql_copy)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    pid = wait_for(lambda: one(dsn, "SELECT pid FROM pg_stat_activity WHERE wait_event = "
                                    "'PgSleep' AND datname = current_database()"),
                   "the migration to run")
    assert one(dsn, "SELECT pg_terminate_backend(%s)", (pid,))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert len(err.strip().splitlines()) == 1, err
    assert one(dsn, "SELECT to_regclass('_recon.test_slow')") is None  # nothing half-applied
    applied = one(dsn, "SELECT count(*) FROM _recon._yoyo_migration WHERE migration_id = "
                       "'9001.test_slow'")
    assert applied == 0

    slow.write_text(slow.read_text().replace("SELECT pg_sleep(60);\n", ""))
    rerun = run_cli("install", "--sql-dir", str(sql_copy), dsn=dsn)
    assert rerun.returncode == 0, rerun.stderr
    assert "applied migration 9001.test_slow" in rerun.stdout
    assert run_cli("status", "--sql-dir", str(sql_copy), dsn=dsn).returncode == 0
    assert run_cli("install", "--sql-dir", str(sql_copy), dsn=dsn).stdout.startswith(
        "nothing to do")


def test_server_stopped_mid_reconcile(tmp_path: Path) -> None:
    from migrator.cluster import ThrowawayCluster

    # durable like a real server: the throwaway default (synchronous_commit and fsync off) may
    # lose a committed transaction in an immediate stop, which is not what this is about
    with ThrowawayCluster({"synchronous_commit": "on", "fsync": "on"}) as cluster:
        dsn = cluster.dsn
        assert run_cli("install", dsn=dsn).returncode == 0
        seeded(dsn)
        one(dsn, "UPDATE seed000.wallet_account SET balance = balance + 50 WHERE id = "
                 "(SELECT min(wallet_id::text)::uuid FROM seed000.wallet_transaction)")
        one(dsn, SLEEPY % 30)
        t, out = in_thread(dsn, "CALL recon.reconcile_run(NULL, 'full', NULL)")
        run = wait_for(lambda: one(dsn, "SELECT id FROM recon.runs WHERE status = 'running'"),
                       "the started run")
        wait_for(lambda: one(dsn, "SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE "
                                  "pid = %s", (out["pid"],)), "the sleeping check")
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-m", "immediate", "-w", "stop")
        t.join(30)
        assert isinstance(out.get("error"), psycopg.OperationalError), out
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-l", str(cluster.tmp / "server.log"),
                     "-w", "-t", "60", "start")
        assert one(dsn, "SELECT status FROM recon.runs WHERE id = %s", (run,)) == "running"
        assert one(dsn, "SELECT count(*) FROM _recon.observation") == 0
        one(dsn, "SELECT recon.drop_check('z_sleepy')")
        proc = run_cli("check", dsn=dsn)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert one(dsn, "SELECT status FROM recon.runs WHERE id = %s", (run,)) == "interrupted"
        assert one(dsn, "SELECT status FROM recon.runs ORDER BY id DESC LIMIT 1") == "discrepancy"
        assert one(dsn, "SELECT count(*) FROM recon.open_findings") == 1
