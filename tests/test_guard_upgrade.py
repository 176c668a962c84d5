"""Upgrading with guards enabled (issue 14's upgrade bug, issue 18): every enabled guard is
enabled again with the installed generator after the repeatable layer changed, so that none
runs trigger functions calling what the package removed, and a block-mode drift guard enabled
before 0023 gets the sealed sums (docs/GUARDS.md "Block mode")."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg

from conftest import ROOT, run, run_cli

#: The last commit before 0020.ledger_first (at 0019): its parent-row drift guards call
#: _recon.guard_parent_isolation and _recon.guard_parent_reborn, which 0020-0022 removed.
BEFORE_0020 = subprocess.run(
    ["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--",
     "migrations/0020.ledger_first.sql"], capture_output=True, text=True,
    check=True).stdout.split()[-1] + "^"
REMOVED = ("guard_parent_isolation", "guard_parent_reborn")


def generated(dsn: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT string_agg(pg_get_functiondef(p.oid), E'\\n')"
                         " FROM pg_proc AS p WHERE p.pronamespace = '_recon'::regnamespace"
                         " AND p.proname LIKE 'tg\\_drift\\_%'").fetchone()[0] or ""


def test_upgrade_enables_every_guard_again(empty_db: str, tmp_path: Path) -> None:
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE_0020, "migrations",
                              "functions", "views", "triggers", "tests/fixtures/shapes"],
                             capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    run(empty_db, (old / "tests/fixtures/shapes/operation.sql").read_text(),
        "SELECT recon.enable_guard('drift', 'mz_operations', '{\"mode\": \"block\"}')")
    before = generated(empty_db)
    assert any(f in before for f in REMOVED)
    assert "wallet_recon.drift_" in before  # the forgeable setting

    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    assert "enabled 1 guard(s) again with the installed generator" in up.stdout, up.stdout
    after = generated(empty_db)
    assert not any(f in after for f in REMOVED)
    assert "_recon.guard_spill" in after and "SECURITY DEFINER" in after
    with psycopg.connect(empty_db, autocommit=True) as c:
        assert c.execute("SELECT kind, target, mode FROM recon.guards").fetchall() == [
            ("drift", "mz_operations", "block")]
    # a parent update runs the regenerated functions: a status flip that changes no leg passes
    run(empty_db, "UPDATE mz.transaction SET description = coalesce(description, '') || '.'")
    again = run_cli("upgrade", dsn=empty_db)
    assert again.returncode == 0 and again.stdout.startswith("nothing to do"), again.stdout


def test_recompile_keeps_ids_names_and_alerts(make_db: Callable[..., str],
                                              fixture_template: Callable[..., str]) -> None:
    """_recon.recompile_guards(): every guard enabled again with its id, trigger names,
    enabled_at and alerts; a guard enabled later still gets a new id."""
    dsn = make_db(fixture_template("seed000.sql", "seed000_register.sql"))
    run(dsn, "SELECT recon.enable_guard('append_only', 's0_ledger')",
        "SELECT recon.enable_guard('drift', 's0_ledger', '{\"mode\": \"warn\"}')",
        "UPDATE seed000.wallet_account SET balance = balance + 1"
        " WHERE id = (SELECT min(id::text)::uuid FROM seed000.wallet_account)")
    query = ("SELECT id, kind, mode, triggers, enabled_at,"
             " (SELECT count(*) FROM _recon.alert AS a WHERE a.guard_id = g.id)"
             " FROM recon.guards AS g ORDER BY id")
    with psycopg.connect(dsn, autocommit=True) as c:
        before = c.execute(query).fetchall()
        assert [r[5] for r in before] == [0, 1]
        assert c.execute("SELECT _recon.recompile_guards()").fetchone()[0] == {
            "recompiled": 2, "failed": []}
        assert c.execute(query).fetchall() == before
        # another mode replaces the drift guard: a new id, after the ones in use
        assert c.execute("SELECT recon.enable_guard('drift', 's0_ledger', '{\"mode\": \"block\"}')"
                         " ->> 'guard'").fetchone()[0] == "3"


def test_a_block_guard_that_cannot_be_enabled_again_says_it_is_not_sealed(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A block-mode drift guard enabled before 0023 (its functions not SECURITY DEFINER,
    simulated here) over a wallet key of a type a user made (a composite: RC406 since 0023)
    cannot be enabled again at upgrade: the upgrade's message says that it keeps its old
    functions and is not sealed, and recon.guards.triggers_off flags it "not sealed"."""
    dsn = make_db(fixture_template(sql=("""
CREATE SCHEMA up;
CREATE TYPE up.k AS (code text);
CREATE TABLE up.wallet (acct up.k PRIMARY KEY, balance numeric NOT NULL);
CREATE TABLE up.entry (id int PRIMARY KEY, acct up.k NOT NULL, amount numeric NOT NULL);
SELECT recon.register_wallet_source('up_w', 'up.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('up_l', 'up_w', 'up.entry', 'acct', 'amount');
""",)))
    with psycopg.connect(dsn, autocommit=True) as c:
        # enabled in warn mode, then marked block with its functions as before 0023 (not
        # SECURITY DEFINER): what a guard enabled in block mode before 0023 looks like
        c.execute("SELECT recon.enable_guard('drift', 'up_l', '{\"mode\": \"warn\"}')")
        c.execute("UPDATE _recon.guard SET mode = 'block'")
        off = c.execute("SELECT triggers_off FROM recon.guards").fetchone()[0]
        assert "not sealed" in {o["state"] for o in off}, off
        result = c.execute("SELECT _recon.recompile_guards()").fetchone()[0]
        assert result["recompiled"] == 0 and len(result["failed"]) == 1, result
        error = result["failed"][0]["error"]
        assert "cannot read up.wallet.acct (up.k)" in error, error
        assert "NOT SEALED" in error and "keeps the trigger functions" in error, error
        off = c.execute("SELECT triggers_off FROM recon.guards").fetchone()[0]
        assert {o["state"] for o in off} >= {"not sealed"}, off
        # once the cause is fixed, enabled again: sealed, nothing flagged "not sealed"
        for t in ("up.wallet", "up.entry"):
            c.execute(f"ALTER TABLE {t} ALTER COLUMN acct TYPE text USING (acct).code")
        assert c.execute("SELECT _recon.recompile_guards() -> 'recompiled'").fetchone()[0] == 1
        off = c.execute("SELECT triggers_off FROM recon.guards").fetchone()[0]
        assert "not sealed" not in {o["state"] for o in off}, off
