"""Several migrators at once, and migrators killed with SIGKILL at awkward moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable

import psycopg

from conftest import WALLET_RECON, run_cli, schema_dump


def _spawn(dsn: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": dsn}
    return subprocess.Popen([WALLET_RECON, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(predicate, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_four_concurrent_migrators_apply_each_migration_once(make_db,
                                                             installed_schema: str) -> None:
    dsn = make_db()
    procs = [_spawn(dsn, "install") for _ in range(4)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [rc for rc, _, _ in results] == [0, 0, 0, 0], results
    # exactly one did the work; the others waited for the lock and found nothing to do
    did_work = [out for _, out, _ in results if "applied migration" in out]
    assert len(did_work) == 1, results
    assert sum(out.startswith("nothing to do") or "waiting for another" in out
               for _, out, _ in results) == 3
    with psycopg.connect(dsn, autocommit=True) as c:
        per_migration = c.execute(
            "SELECT migration_id, count(*) FROM _recon._yoyo_log WHERE operation = 'apply'"
            " GROUP BY migration_id").fetchall()
        assert per_migration and all(n == 1 for _, n in per_migration), per_migration
        logged = c.execute("SELECT detail->'migrations' FROM recon.install_history"
                           " WHERE detail ? 'migrations'").fetchall()
        assert sorted(m for (ms,) in logged for m in ms) == sorted(m for m, _ in per_migration)
    assert schema_dump(dsn) == installed_schema


def test_kill_9_mid_migration_then_rerun(make_db, installed_schema: str) -> None:
    expected = installed_schema

    dsn = make_db()
    with psycopg.connect(dsn) as blocker:
        # Another transaction creating the same schema makes the migrator wait inside
        # migration 0001, after its first statements ran in the migration's transaction.
        blocker.execute("CREATE SCHEMA recon")
        proc = _spawn(dsn, "install", "--lock-timeout", "60s")
        with psycopg.connect(dsn, autocommit=True) as watch:
            def waiting() -> bool:
                return watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = 'wallet-recon-migrator' AND wait_event_type = 'Lock'"
                    " AND query LIKE 'CREATE SCHEMA recon%%'").fetchone()[0] == 1
            _wait_for(waiting, what="the migrator to block inside migration 0001")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        blocker.rollback()

    with psycopg.connect(dsn, autocommit=True) as c:
        # the killed migrator's backend finishes its statement, finds its client gone, aborts
        _wait_for(lambda: c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                    " current_database() AND application_name ="
                                    " 'wallet-recon-migrator'")
                  .fetchone()[0] == 0, what="the orphaned backend to go away")
        assert c.execute("SELECT to_regnamespace('recon')").fetchone()[0] is None
        assert c.execute("SELECT count(*) FROM _recon._yoyo_migration").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM _recon.migrator_migration").fetchone()[0] == 0

    rerun = run_cli("install", dsn=dsn, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert schema_dump(dsn) == expected


def test_kill_9_at_random_moments_never_needs_manual_repair(make_db,
                                                           installed_schema: str) -> None:
    expected = installed_schema
    rng = random.Random(20261121)
    dsn = make_db()
    for _ in range(6):
        proc = _spawn(dsn, "install")
        time.sleep(rng.uniform(0.05, 0.9))  # anywhere from start-up to the last file
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        st = run_cli("status", "--json", dsn=dsn)
        assert st.returncode in (0, 1), st.stderr  # the database stays readable
    rerun = run_cli("install", dsn=dsn, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert schema_dump(dsn) == expected
    assert run_cli("status", dsn=dsn).returncode == 0


def test_idle_session_timeout_cannot_release_the_lock_mid_run(db: str, sql_copy) -> None:
    # The lock lives on the session that does the work, which no idle timeout may end.
    dsn = db  # installed by `wallet-recon install` (a clone)
    path = sql_copy / "triggers" / "migrator_log_append_only.sql"
    path.write_text(path.read_text() + "\n-- a change\n")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"ALTER DATABASE {c.info.dbname} SET idle_session_timeout = '1s'")
        last = c.execute("SELECT max(id) FROM recon.install_history").fetchone()[0]
    with psycopg.connect(dsn) as blocker, psycopg.connect(
            dsn, autocommit=True, options="-c idle_session_timeout=0") as watch:
        def blocked(wait_event: str) -> Callable[[], bool]:
            return lambda: watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'wallet-recon-migrator' AND wait_event_type = 'Lock'"
                " AND wait_event = %s",
                (wait_event,)).fetchone()[0] == 1

        blocker.execute("LOCK TABLE _recon.migrator_log IN ROW EXCLUSIVE MODE")
        first = _spawn(dsn, "upgrade", "--lock-timeout", "20s", "--sql-dir", str(sql_copy))
        _wait_for(blocked("relation"), what="the first migrator to block on the trigger file")
        time.sleep(2.5)  # longer than idle_session_timeout
        second = _spawn(dsn, "upgrade", "--lock-timeout", "20s", "--sql-dir", str(sql_copy))
        _wait_for(blocked("advisory"), what="the second migrator to wait for the first")
        time.sleep(2.5)
        blocker.rollback()
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert "waiting for another wallet-recon migrator" in out2
    assert "applied triggers/" in out1 and "nothing to do" in out2
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM recon.install_history"
                         " WHERE detail->'objects' ? 'triggers/migrator_log_append_only.sql'"
                         " AND id > %s", (last,)).fetchone()[0] == 1


def test_object_created_concurrently_is_not_adopted(db: str, sql_copy) -> None:
    dsn = db  # installed by `wallet-recon install` (a clone)
    path = sql_copy / "triggers" / "migrator_log_append_only.sql"
    path.write_text(path.read_text() + "\n-- a change\n")
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE _recon.migrator_log IN ROW EXCLUSIVE MODE")
        proc = _spawn(dsn, "upgrade", "--lock-timeout", "20s", "--sql-dir", str(sql_copy))
        with psycopg.connect(dsn, autocommit=True) as watch:
            _wait_for(lambda: watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'wallet-recon-migrator' AND wait_event_type = 'Lock'"
                ).fetchone()[0] == 1,
                what="the migrator to block inside the trigger file")
            # the migrator has taken its "before" picture of the catalog; a user adds a function
            watch.execute("CREATE FUNCTION recon.user_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        blocker.rollback()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    with psycopg.connect(dsn, autocommit=True) as c:
        owned = c.execute("SELECT array_agg(o) FROM _recon.migrator_object, unnest(objects) o"
                          ).fetchone()[0]
        assert not any("user_fn" in o for o in owned), owned
    proc = run_cli("uninstall", "--yes", dsn=dsn)
    assert proc.returncode == 2 and "user_fn" in proc.stderr  # never dropped along
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT to_regprocedure('recon.user_fn()') IS NOT NULL").fetchone()[0]
