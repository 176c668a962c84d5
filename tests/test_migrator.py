"""The migrator through its CLI: install, upgrade, status, rollback, uninstall."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from helpers import scalar, sql_file, sql_rel

from conftest import ROOT, load_fixture, run_cli, schema_dump

MIGRATIONS = sorted(p.name[:-4] for p in (Path(__file__).parent.parent / "migrations").glob("*.sql")
                    if not p.name.endswith(".rollback.sql"))

VERSION_SQL = sql_rel("version.sql")  # where recon.version() is defined


def status_json(dsn: str, *extra: str) -> dict:
    proc = run_cli("status", "--json", *extra, dsn=dsn)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def object_states(dsn: str, *extra: str) -> dict[str, str]:
    return {o["path"]: o["state"] for o in status_json(dsn, *extra)["objects"]}


def add_migration(sql_dir: Path, name: str, apply: str, rollback: str) -> None:
    (sql_dir / "migrations" / f"{name}.sql").write_text(apply)
    (sql_dir / "migrations" / f"{name}.rollback.sql").write_text(rollback)


@pytest.mark.core
def test_install_twice_changes_nothing(empty_db: str) -> None:
    first = run_cli("install", dsn=empty_db)
    assert first.returncode == 0, first.stderr
    assert "applied migration 0001" in first.stdout
    dump = schema_dump(empty_db)

    second = run_cli("install", dsn=empty_db)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("nothing to do")
    assert schema_dump(empty_db) == dump
    # one history row per migration and one for the repeatable layer, none for the second run
    assert scalar(empty_db, "SELECT count(*) FROM recon.install_history") == len(MIGRATIONS) + 1
    assert status_json(empty_db)["current"] is True


def test_upgrade_from_every_earlier_state_equals_fresh_install(make_db, sql_copy: Path) -> None:
    # The shipped migrations plus one more, so that there is always an intermediate state.
    add_migration(sql_copy, "9001.test_extra",
                  "CREATE TABLE _recon.test_extra (id int PRIMARY KEY);\n"
                  "COMMENT ON TABLE _recon.test_extra IS 'test';\n",
                  "DROP TABLE _recon.test_extra;\n")
    ids = [*MIGRATIONS, "9001.test_extra"]
    fresh = make_db()
    assert run_cli("install", "--sql-dir", str(sql_copy), dsn=fresh).returncode == 0
    expected = schema_dump(fresh)

    for k in range(len(ids)):  # k migrations applied before the upgrade
        dsn = make_db()
        if k:
            step = run_cli("upgrade", "--to", ids[k - 1], "--sql-dir", str(sql_copy), dsn=dsn)
            assert step.returncode == 0, step.stderr
            applied = [m["id"] for m in status_json(dsn, "--sql-dir", str(sql_copy))["migrations"]
                       if m["state"] == "applied"]
            assert applied == ids[:k]
        up = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=dsn)
        assert up.returncode == 0, up.stderr
        assert schema_dump(dsn) == expected, f"upgrade from {k} migrations differs"


def test_rollback_to_zero_leaves_only_the_users_objects(empty_db: str) -> None:
    with psycopg.connect(empty_db, autocommit=True) as c:
        c.execute("CREATE TABLE public.wallet_account (id int PRIMARY KEY, balance numeric)")
        c.execute("CREATE SCHEMA app; CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        c.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
    before = schema_dump(empty_db)
    assert run_cli("install", dsn=empty_db).returncode == 0
    assert schema_dump(empty_db) != before

    proc = run_cli("rollback", "--to", "0", "--yes", dsn=empty_db)
    assert proc.returncode == 0, proc.stderr
    assert "uninstalled" in proc.stdout
    assert schema_dump(empty_db) == before


@pytest.mark.core
def test_uninstall_removes_everything_and_is_repeatable(db: str) -> None:
    proc = run_cli("uninstall", "--yes", dsn=db)
    assert proc.returncode == 0, proc.stderr
    assert scalar(db, "SELECT count(*) FROM pg_namespace"
                      " WHERE nspname IN ('recon', '_recon', '_recon_guard')") == 0
    again = run_cli("uninstall", "--yes", dsn=db)
    assert again.returncode == 0 and "not installed" in again.stdout


def test_uninstall_with_registered_checks_and_a_guard(empty_db: str) -> None:
    """Compiled check views and guard triggers live beside the toolkit: uninstall takes the
    views along, and refuses (naming it) while a guard's trigger is on a user's table."""
    load_fixture(empty_db, "seed000.sql")
    before = schema_dump(empty_db)
    assert run_cli("install", dsn=empty_db).returncode == 0
    load_fixture(empty_db, "seed000_register.sql")
    with psycopg.connect(empty_db, autocommit=True) as c:
        c.execute("SELECT recon.enable_guard('drift', 's0_ledger')")
    refused = run_cli("uninstall", "--yes", dsn=empty_db)
    assert refused.returncode == 2, refused.stderr
    assert "SELECT recon.disable_guard('drift', 's0_ledger');" in refused.stderr
    with psycopg.connect(empty_db, autocommit=True) as c:
        c.execute("SELECT recon.disable_guard('drift', 's0_ledger')")
    proc = run_cli("uninstall", "--yes", dsn=empty_db)
    assert proc.returncode == 0, proc.stderr
    assert schema_dump(empty_db) == before  # the seed's tables, as they were


@pytest.mark.core
def test_upgrade_from_the_first_release_with_registered_checks(empty_db: str,
                                                                tmp_path: Path) -> None:
    """0.1 (commit c7b34e8) compiled balance checks calling _recon.serial_plan(); the upgrade
    rewrites those views, drops the function, and uninstall works afterwards."""
    old = tmp_path / "release"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "c7b34e8", "migrations",
                              "functions", "views", "triggers"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    load_fixture(empty_db, "seed000.sql")
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    load_fixture(empty_db, "seed000_register.sql")
    assert scalar(empty_db, "SELECT count(*) FROM _recon.check_def"
                            " WHERE compiled_sql LIKE '%serial_plan%'") == 1
    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    assert status_json(empty_db)["current"] is True
    assert scalar(empty_db, "SELECT count(*) FROM _recon.check_def"
                            " WHERE compiled_sql LIKE '%serial_plan%'") == 0
    assert scalar(empty_db, "SELECT count(*) FROM pg_proc WHERE proname = 'serial_plan'") == 0
    assert scalar(empty_db, "SELECT recon.reconcile() ->> 'status'") == "synced"
    # 0024 put its trigger on the registered ledger; uninstall takes it off again
    trigger = "SELECT count(*) FROM pg_trigger WHERE tgname = 'recon_ledger_write'"
    assert scalar(empty_db, trigger) == 1
    assert run_cli("uninstall", "--yes", dsn=empty_db).returncode == 0
    assert scalar(empty_db, trigger) == 0


def test_uninstall_refuses_to_take_a_users_object_along(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("CREATE VIEW public.my_report AS SELECT * FROM recon.install_history")
    dump = schema_dump(db)
    proc = run_cli("uninstall", "--yes", dsn=db)
    assert proc.returncode == 2
    assert "my_report" in proc.stderr and "SQLSTATE 2BP01" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert schema_dump(db) == dump  # one transaction: nothing was dropped
    assert status_json(db)["current"] is True


def test_rollback_needs_yes_without_a_terminal(db: str) -> None:
    proc = run_cli("rollback", dsn=db)
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert status_json(db)["current"] is True


def test_rollback_one_step_then_upgrade(make_db, sql_copy: Path) -> None:
    add_migration(sql_copy, "9001.test_extra",
                  "CREATE TABLE _recon.test_extra (id int PRIMARY KEY);\n",
                  "DROP TABLE _recon.test_extra;\n")
    dsn = make_db()
    assert run_cli("install", "--sql-dir", str(sql_copy), dsn=dsn).returncode == 0
    full = schema_dump(dsn)
    proc = run_cli("rollback", "--yes", "--sql-dir", str(sql_copy), dsn=dsn)
    assert proc.returncode == 0, proc.stderr
    assert "rolled back migration 9001.test_extra" in proc.stdout
    assert scalar(dsn, "SELECT to_regclass('_recon.test_extra')") is None
    st = status_json(dsn, "--sql-dir", str(sql_copy))
    assert [m["state"] for m in st["migrations"]][-1] == "pending"
    assert set(object_states(dsn, "--sql-dir", str(sql_copy)).values()) == {"missing"}
    assert run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=dsn).returncode == 0
    assert schema_dump(dsn) == full


def test_newer_installed_version_is_refused(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("UPDATE _recon.migrator_meta SET toolkit_version = '99.0.0'")
    dump = schema_dump(db)
    for args in (["upgrade"], ["install"], ["rollback", "--yes"], ["uninstall", "--yes"]):
        proc = run_cli(*args, dsn=db)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "newer than this package" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert schema_dump(db) == dump
    assert status_json(db)["newer_than_package"] == "it was installed by wallet-recon 99.0.0"


def test_unknown_applied_migration_is_refused(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("INSERT INTO _recon._yoyo_migration (migration_hash, migration_id, applied_at_utc)"
                  " VALUES ('x', '9999.from_the_future', now())")
    proc = run_cli("upgrade", dsn=db)
    assert proc.returncode == 2
    assert "9999.from_the_future" in proc.stderr
    assert "unknown to this package" in [m["state"] for m in status_json(db)["migrations"]]


def test_edited_applied_migration_is_refused(db: str, sql_copy: Path) -> None:
    path = sql_copy / "migrations" / f"{MIGRATIONS[0]}.sql"
    path.write_text(path.read_text() + "\n-- edited after the fact\n")
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert proc.returncode == 2 and "edited after it was applied" in proc.stderr
    states = [m["state"] for m in status_json(db, "--sql-dir", str(sql_copy))["migrations"]]
    assert states[0] == "edited since applied"


def test_changed_function_file_is_reapplied(db: str, sql_copy: Path) -> None:
    path = sql_file(sql_copy, "version.sql")
    path.write_text(path.read_text().replace("Version of the wallet-recon package",
                                             "Version (changed) of the wallet-recon package"))
    assert object_states(db, "--sql-dir", str(sql_copy))[VERSION_SQL] == \
        "changed on disk"
    assert run_cli("status", "--sql-dir", str(sql_copy), dsn=db).returncode == 1

    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert proc.returncode == 0, proc.stderr
    assert f"applied {VERSION_SQL} (changed on disk)" in proc.stdout
    assert "views/" not in proc.stdout  # only the changed file
    assert "(changed)" in scalar(db, "SELECT obj_description('recon.version()'::regprocedure)")
    assert set(object_states(db, "--sql-dir", str(sql_copy)).values()) == {"current"}


def test_a_changed_compiler_reaches_the_checks_registered_before(db: str,
                                                                  sql_copy: Path) -> None:
    """upgrade compiles the registered checks again when the repeatable layer changed: a check
    registered under the old compiler gets the new SQL (docs/MIGRATOR.md); a second upgrade
    with nothing to apply compiles nothing."""
    load_fixture(db, "seed000.sql", "seed000_register.sql")
    path = sql_file(sql_copy, "_compile_balance.sql")
    path.write_text(path.read_text().replace("    SELECT _recon.balance_findings_sql(",
                                             "    SELECT '-- recompiled' || chr(10) ||"
                                             " _recon.balance_findings_sql(", 1))
    before = scalar(db, "SELECT compiled_sql FROM _recon.check_def WHERE kind = 'balance'")
    assert "-- recompiled" not in before
    up = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert up.returncode == 0, up.stderr
    assert "compiled 1 check(s) again with the installed compilers" in up.stdout
    after = scalar(db, "SELECT compiled_sql FROM _recon.check_def WHERE kind = 'balance'")
    assert after == "-- recompiled\n" + before
    again = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert again.returncode == 0 and "compiled" not in again.stdout, again.stdout
    assert scalar(db, "SELECT recon.reconcile() ->> 'status'") == "synced"


def test_changed_signature_leaves_no_stale_overload(db: str, sql_copy: Path) -> None:
    """A file whose function gains a parameter: the upgrade replaces the old signature, it
    does not leave it next to the new one (calls with the old arity would be ambiguous)."""
    path = sql_file(sql_copy, "_fail.sql")
    text = path.read_text()
    path.write_text(text.replace("p_code text, p_message text, p_detail text, p_hint text",
                                 "p_code text, p_message text, p_detail text, p_hint text,"
                                 " p_extra text DEFAULT NULL")
                        .replace("_recon.fail(text, text, text, text)",
                                 "_recon.fail(text, text, text, text, text)"))
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert proc.returncode == 0, proc.stderr
    assert scalar(db, "SELECT array_agg(oid::regprocedure::text) FROM pg_proc"
                      " WHERE proname = 'fail' AND pronamespace = '_recon'::regnamespace") == \
        ["_recon.fail(text,text,text,text,text)"]
    assert set(object_states(db, "--sql-dir", str(sql_copy)).values()) == {"current"}
    with psycopg.connect(db) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT recon.reconcile(NULL, 'nope')")  # a caller of the 4-argument form
    assert err.value.sqlstate == "RC201"


def test_function_modified_by_hand_is_reported_and_restored(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("CREATE OR REPLACE FUNCTION recon.version() RETURNS text LANGUAGE sql STABLE"
                  " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ SELECT 'x' $$")
    assert object_states(db)[VERSION_SQL] == "modified in database"
    proc = run_cli("status", dsn=db)
    assert proc.returncode == 1 and "modified in database" in proc.stdout

    up = run_cli("upgrade", dsn=db)
    assert up.returncode == 0 and f"restored {VERSION_SQL}" in up.stdout
    assert scalar(db, "SELECT recon.version()") == "0.2.0"


@pytest.mark.parametrize("change", ["grant", "drop"])
def test_other_hand_changes_are_seen(db: str, change: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        if change == "grant":  # a privilege change is a modification too
            c.execute("GRANT SELECT ON recon.install_history TO PUBLIC")
        else:
            c.execute("DROP VIEW recon.install_history")
    expected = "modified in database" if change == "grant" else "missing"
    assert object_states(db)["views/install_history.sql"] == expected
    assert run_cli("upgrade", dsn=db).returncode == 0
    assert object_states(db)["views/install_history.sql"] == "current"
    assert scalar(db, "SELECT has_table_privilege('public', 'recon.install_history', 'SELECT')") \
        is False


def test_file_removed_from_package_is_dropped(db: str, sql_copy: Path) -> None:
    (sql_copy / "views" / "install_history.sql").unlink()
    assert object_states(db, "--sql-dir", str(sql_copy))["views/install_history.sql"] == \
        "removed from package"
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert proc.returncode == 0 and "dropped views/install_history.sql" in proc.stdout
    assert scalar(db, "SELECT to_regclass('recon.install_history')") is None


@pytest.mark.parametrize("holder", ["view", "table"])
def test_lock_timeout_fails_cleanly_and_rerun_succeeds(db: str, sql_copy: Path,
                                                      holder: str) -> None:
    if holder == "view":  # a long report reading a toolkit view blocks CREATE OR REPLACE VIEW
        target, hold = "views/install_history.sql", "SELECT count(*) FROM recon.install_history"
    else:  # a long transaction reading a table blocks DROP/CREATE TRIGGER on it
        target, hold = ("triggers/migrator_log_append_only.sql",
                        "SELECT count(*) FROM _recon.migrator_log")
    path = sql_copy / target
    path.write_text(path.read_text() + "\n-- a change\n")
    dump = schema_dump(db)
    with psycopg.connect(db) as blocker:
        blocker.execute(hold)  # transaction stays open, holding ACCESS SHARE
        proc = run_cli("upgrade", "--lock-timeout", "300ms", "--sql-dir", str(sql_copy),
                       dsn=db, timeout=30)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "lock_timeout (300ms) expired" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert schema_dump(db) == dump
        blocker.rollback()
    assert object_states(db, "--sql-dir", str(sql_copy))[target] == "changed on disk"
    again = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert again.returncode == 0, again.stderr
    assert object_states(db, "--sql-dir", str(sql_copy))[target] == "current"


def test_stale_yoyo_lock_row_does_not_block(db: str) -> None:
    # What a migrator killed while holding yoyo's own lock leaves behind.
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("INSERT INTO _recon.yoyo_lock (locked, ctime, pid) VALUES (1, now(), 424242)")
        c.execute("DROP FUNCTION recon.version()")
    proc = run_cli("upgrade", dsn=db, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "cleared a stale yoyo lock left by process 424242" in proc.stdout
    assert scalar(db, "SELECT count(*) FROM _recon.yoyo_lock") == 0


def test_install_history_is_append_only(conn: psycopg.Connection) -> None:
    rows = conn.execute("SELECT count(*) FROM recon.install_history").fetchone()[0]
    for stmt in ("UPDATE _recon.migrator_log SET action = 'x'",
                 "DELETE FROM _recon.migrator_log",
                 "TRUNCATE _recon.migrator_log"):
        with pytest.raises(psycopg.Error) as err:
            conn.execute(stmt)
        assert err.value.sqlstate == "RC001"
    assert conn.execute("SELECT count(*) FROM recon.install_history").fetchone()[0] == rows > 0


def test_errors_are_one_line_with_exit_2(empty_db: str) -> None:
    cases = [
        (run_cli("status"), "no database"),
        (run_cli("status", "--database", "postgresql://nobody@127.0.0.1:1/nowhere"),
         "cannot connect"),
        (run_cli("status", "--database", "not a dsn"), "is not a libpq URL"),
        (run_cli("upgrade", "--to", "0042", dsn=empty_db), "unknown migration"),
        (run_cli("upgrade", "--lock-timeout", "soon", dsn=empty_db), "invalid --lock-timeout"),
        (run_cli("frobnicate"), "invalid choice"),
    ]
    for proc, text in cases:
        assert proc.returncode == 2, (text, proc.stdout, proc.stderr)
        assert text in proc.stderr, (text, proc.stderr)
        assert "Traceback" not in proc.stderr
    verbose = run_cli("status", "--verbose", "--database", "postgresql://nobody@127.0.0.1:1/x")
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr
    assert scalar(empty_db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%recon'") == 0


# -- regressions from review ------------------------------------------------------------------

def test_restore_resets_hand_made_grants_and_owner(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("DROP ROLE IF EXISTS recon_test_mallory")
        c.execute("CREATE ROLE recon_test_mallory NOLOGIN")
        try:
            c.execute("GRANT EXECUTE ON FUNCTION recon.version() TO recon_test_mallory")
            c.execute("GRANT SELECT ON recon.install_history TO recon_test_mallory")
            c.execute("GRANT SELECT (detail) ON recon.install_history TO PUBLIC")
            c.execute("ALTER FUNCTION recon.version() OWNER TO recon_test_mallory")
            states = object_states(db)
            assert states[VERSION_SQL] == "modified in database"
            assert states["views/install_history.sql"] == "modified in database"
            up = run_cli("upgrade", dsn=db)
            assert up.returncode == 0, up.stderr
            assert set(object_states(db).values()) == {"current"}
            assert c.execute("SELECT pg_get_userbyid(proowner) FROM pg_proc"
                             " WHERE oid = 'recon.version()'::regprocedure").fetchone()[0] != \
                "recon_test_mallory"
            for check in ("has_function_privilege('recon_test_mallory', 'recon.version()', 'EXECUTE')",
                          "has_table_privilege('recon_test_mallory', 'recon.install_history', 'SELECT')",
                          "has_column_privilege('public', 'recon.install_history', 'detail', 'SELECT')"):
                assert c.execute(f"SELECT {check}").fetchone()[0] is False, check
        finally:
            c.execute("DROP OWNED BY recon_test_mallory")
            c.execute("DROP ROLE recon_test_mallory")


def test_rollback_keeps_cluster_wide_role_membership(db: str) -> None:
    assert run_cli("uninstall", "--yes", dsn=db).returncode == 0
    assert scalar(db, "SELECT pg_has_role('recon_operator', 'recon_auditor', 'MEMBER')") is True


def test_plain_rollback_of_the_only_migration_refuses(db: str, sql_copy: Path) -> None:
    if len(MIGRATIONS) > 1:  # make the database hold exactly one migration
        assert run_cli("rollback", "--to", MIGRATIONS[0], "--yes", dsn=db).returncode == 0
    proc = run_cli("rollback", "--yes", dsn=db)
    assert proc.returncode == 2 and "uninstall" in proc.stderr
    assert scalar(db, "SELECT count(*) FROM _recon._yoyo_migration") == 1


def test_migrations_are_logged_even_when_the_repeatable_layer_fails(empty_db: str,
                                                                   sql_copy: Path) -> None:
    (sql_copy / "views" / "zz_broken.sql").write_text(
        "CREATE VIEW recon.zz_broken AS SELECT no_such_column FROM _recon.migrator_log;\n")
    proc = run_cli("install", "--sql-dir", str(sql_copy), dsn=empty_db)
    assert proc.returncode == 2
    assert "views/zz_broken.sql" in proc.stderr and "SQLSTATE 42703" in proc.stderr
    logged = scalar(empty_db, "SELECT jsonb_agg(m) FROM _recon.migrator_log,"
                              " jsonb_array_elements_text(detail->'migrations') m")
    assert logged == MIGRATIONS
    assert scalar(empty_db, "SELECT count(*) FROM _recon.migrator_object") == 0  # rolled back


def test_upgrade_errors_name_the_users_dependent_object(db: str, sql_copy: Path) -> None:
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("CREATE VIEW public.my_report AS SELECT * FROM recon.install_history")
    (sql_copy / "views" / "install_history.sql").unlink()
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=db)
    assert proc.returncode == 2
    assert "my_report" in proc.stderr and "2BP01" in proc.stderr
    assert object_states(db)["views/install_history.sql"] == "current"
