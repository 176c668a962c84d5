"""Public functions take bare parameter names (issue 20, item 5): recon.register_check(name =>
..., kind => ..., options => ...), never p_name; a reserved word gets another name (table:
relation, check: check_name). tests/test_bad_input.py calls every public function with named
arguments; here, the names themselves, and the upgrade that renames them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
from helpers import q

from conftest import ROOT, load_fixture, run_cli

# The functions migrations 0025 and 0026 drop so that the repeatable layer creates them with
# bare names (0026: the run and guard entry points, a procedure among them).
RENAMED = {"acknowledge_alert", "allow_ledger_change", "describe_check", "drop_check",
           "drop_source", "register_check", "register_ledger_source", "register_wallet_source",
           "register_writer", "schedule_reconcile", "set_check_enabled", "set_fix_policy",
           "start_run", "unschedule_reconcile",
           "reconcile", "reconcile_run", "enable_guard", "disable_guard"}

# The last commit before 0025 (main as issue 20 began).
BEFORE = "27797ef"

ARGS = """
SELECT p.proname, a.name
FROM pg_proc AS p, unnest(p.proargnames) AS a (name)
WHERE p.pronamespace = 'recon'::regnamespace AND a.name <> ''
"""


def test_public_functions_take_bare_parameter_names(conn: psycopg.Connection) -> None:
    args = conn.execute(ARGS).fetchall()
    assert len({f for f, _ in args}) > 20
    prefixed = sorted({f for f, a in args if a.startswith(("p_", "v_"))})
    assert prefixed == [], prefixed
    reserved = {w for (w,) in conn.execute(
        "SELECT word FROM pg_get_keywords() WHERE catcode = 'R'").fetchall()}
    assert [(f, a) for f, a in args if a in reserved] == []
    names = dict(conn.execute(
        "SELECT p.proname, array_to_string(p.proargnames, ',') FROM pg_proc AS p"
        " WHERE p.pronamespace = 'recon'::regnamespace AND p.proname IN"
        " ('register_wallet_source', 'register_ledger_source', 'set_fix_policy', 'reconcile',"
        " 'reconcile_run', 'enable_guard', 'disable_guard')").fetchall())
    assert names == {
        "register_wallet_source": "name,relation,key_column,balance_columns,options",
        "register_ledger_source": "name,wallet_source,relation,wallet_column,amount_column,options",
        "set_fix_policy": "check_name,options", "reconcile": "checks,mode",
        "reconcile_run": "checks,mode,summary", "enable_guard": "kind,target,options",
        "disable_guard": "kind,target"}


def test_upgrade_recreates_only_the_renamed_functions(empty_db: str, tmp_path: Path) -> None:
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "migrations",
                              "functions", "views", "triggers"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    load_fixture(empty_db, "seed000.sql")
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    load_fixture(empty_db, "seed000_register.sql")
    oids = "SELECT p.proname, p.oid FROM pg_proc AS p WHERE p.pronamespace = 'recon'::regnamespace"
    before = dict(q(empty_db, oids))
    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    status = run_cli("status", dsn=empty_db)
    assert status.returncode == 0, status.stdout
    after = dict(q(empty_db, oids))
    # CREATE OR REPLACE keeps a function's oid; only a function dropped and created is new
    assert {f for f in before if after.get(f) != before[f]} == RENAMED
    assert q(empty_db, "SELECT recon.describe_check(name => 's0_balance') ->> 'kind'") == [
        ("balance",)]
    assert q(empty_db, "SELECT recon.reconcile(mode => 'full') ->> 'status'") == [("synced",)]
