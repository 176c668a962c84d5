"""The check-kind registry (issue 14): _recon.check_kind, read as recon.kinds, holds one row
per kind (options, compiler, repair strategies, cause roles); recon.register_check(), the
upgrade's recompile, recon.fix()'s strategies and reconcile's causes read it. A new kind is one
compiler function and one row. Everything through plain psycopg connections."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, load_fixture, open_findings, reconcile, rows, run, run_cli

KINDS = ["balance", "chain", "coverage", "currency", "custom", "derived", "duplicate", "journal",
         "lifecycle", "orphan", "total"]

# main at migration 0008 (0.1 with its drift guard writers, before reversals, repairs that
# conserve, ledger shapes and the registry): the database an upgrade starts from
BEFORE_REGISTRY = "4596e07^"

# A kind of one's own, as docs/CHECKS.md ("Adding a check kind") shows it, run as written: wallets
# whose stored balance is below a floor. One compiler function and one row.
ADDING = re.search(r"### Adding a check kind\n(.*?)\n---\n",
                   (ROOT / "docs" / "CHECKS.md").read_text(), re.S).group(1)
COMPILER, ROW, REGISTER = re.findall(r"```sql\n(.*?)```", ADDING, re.S)


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("seed000.sql", "seed000_register.sql"))


def state(dsn: str) -> list:
    """What a failed registration must leave as it was: checks, kinds, recon's views."""
    return [
        rows(dsn, "SELECT name, kind, options, compiled_sql FROM _recon.check_def ORDER BY name"),
        rows(dsn, "SELECT * FROM _recon.check_kind ORDER BY kind"),
        rows(dsn, "SELECT c.relname, pg_get_viewdef(c.oid) AS def FROM pg_class AS c"
                  " WHERE c.relnamespace = 'recon'::regnamespace AND c.relkind = 'v'"
                  " ORDER BY c.relname"),
    ]


def error(dsn: str, sql: str, params: object = None) -> psycopg.Error:
    with psycopg.connect(dsn, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute(sql, params)
    return err.value


def test_the_registry_lists_the_eleven_kinds(seed: str) -> None:
    kinds = rows(seed, "SELECT * FROM recon.kinds ORDER BY kind")
    assert [k["kind"] for k in kinds] == KINDS
    by_kind = {k["kind"]: k for k in kinds}
    # the repairs of each kind as _fix_strategies listed them, default first
    assert {k: v["strategies"] for k, v in by_kind.items()} == {
        "balance": ["resync", "adjust", "acknowledge", "none"],
        "derived": ["move", "acknowledge", "none"],
        "orphan": ["post_missing", "acknowledge", "none"],
        "duplicate": ["reverse", "acknowledge", "none"],
        "currency": ["acknowledge", "none"],
        "lifecycle": ["resolve", "none", "acknowledge"],
        **{k: ["none", "acknowledge"] for k in ("chain", "coverage", "custom", "journal",
                                                "total")}}
    assert rows(seed, "SELECT _recon.fix_strategies('balance') AS s") == [
        {"s": ["resync", "adjust", "acknowledge", "none"]}]
    assert by_kind["balance"]["options"] == ["ledger", "columns"]
    assert by_kind["balance"]["required"] == ["ledger"]
    assert [k for k, v in by_kind.items() if v["user_query"]] == ["custom"]
    # every compiler exists with the signature the registry promises
    for k in kinds:
        assert rows(seed, "SELECT to_regprocedure(%s || '(text, jsonb)') IS NOT NULL AS ok",
                    (k["compiler"],)) == [{"ok": True}], k["kind"]
    # a check's kind is a registered kind: a kind in use cannot be deleted
    err = error(seed, "DELETE FROM _recon.check_kind WHERE kind = 'chain'")
    assert err.sqlstate == "23503"
    # the auditor reads the registry
    with psycopg.connect(seed, autocommit=True) as c, c.transaction():
        c.execute("SET LOCAL ROLE recon_auditor")
        assert c.execute("SELECT count(*) FROM recon.kinds").fetchone()[0] == 11


def test_an_unknown_kind_is_rc106_listing_the_kinds_and_changes_nothing(seed: str) -> None:
    before = state(seed)
    for kind in ("balanse", None, "BALANCE", ""):
        err = error(seed, "SELECT recon.register_check('s0_typo', %s, '{\"ledger\": "
                          "\"s0_ledger\"}')", (kind,))
        assert err.sqlstate == "RC106", kind
        assert err.diag.message_detail == "Kinds: " + ", ".join(KINDS) + "."
        assert "recon.kinds" in err.diag.message_hint
    assert state(seed) == before
    assert reconcile(seed)["status"] == "synced"


def test_a_new_kind_is_one_function_and_one_row(seed: str) -> None:
    run(seed, COMPILER, ROW)
    # known at once: in the registry's view, in the unknown-kind error, its options checked
    assert "below_floor" in [k["kind"] for k in rows(seed, "SELECT kind FROM recon.kinds")]
    assert "below_floor" in error(seed, "SELECT recon.register_check('x', 'nope')"
                                  ).diag.message_detail
    before = state(seed)
    err = error(seed, "SELECT recon.register_check('s0_floor', 'below_floor', '{}')")
    assert err.sqlstate == "RC106" and "wallet" in err.diag.message_detail
    err = error(seed, "SELECT recon.register_check('s0_floor', 'below_floor',"
                      " '{\"wallet\": \"s0_wallets\", \"flor\": 5}')")
    assert err.sqlstate == "RC106"
    assert err.diag.message_detail.startswith("Known options: wallet, column, floor, tolerance")
    err = error(seed, "SELECT recon.register_check('s0_floor', 'below_floor',"
                      " '{\"wallet\": \"s0_wallets\", \"column\": \"currency\"}')")
    assert err.sqlstate == "RC102"  # the compiler's own validation
    assert state(seed) == before

    run(seed, REGISTER)  # the docs' registration, as written
    described = rows(seed, "SELECT recon.describe_check('s0_floor') AS d")[0]["d"]
    assert described["kind"] == "below_floor" and described["wallet_source"] == "s0_wallets"
    assert reconcile(seed)["status"] == "synced"  # no wallet below 0

    run(seed, "UPDATE seed000.wallet_account SET balance = -5 WHERE member_id = 1001")
    summary = reconcile(seed)
    assert summary["by_check"]["s0_floor"]["findings"] == 1
    (finding,) = open_findings(seed, "s0_floor")
    assert (finding["stored"], finding["expected"], finding["difference"]) == (
        D("-5.00"), D("0"), D("-5.00"))
    assert finding["cause"] == "below_floor" and finding["severity"] == "LOW"
    # the balance finding on the same wallet is not explained by it: no cause role
    (bal,) = open_findings(seed, "s0_balance")
    assert bal["wallet_key"] == finding["wallet_key"] and bal["cause"] is None

    # its repairs are the registry's default: a human, or an audited acknowledgement
    err = error(seed, "SELECT recon.set_fix_policy('s0_floor', '{\"strategy\": \"resync\"}')")
    assert err.sqlstate == "RC304" and err.diag.message_detail == (
        "For below_floor checks: none, acknowledge.")
    steps = rows(seed, "SELECT strategy, status FROM recon.fix(checks => ARRAY['s0_floor'])")
    assert steps == [{"strategy": "none", "status": "manual"}]

    # compiled again by an upgrade's recompile like any registered kind
    run(seed, "CREATE OR REPLACE FUNCTION my_kinds.compile_below_floor(p_name text,"
              " p_options jsonb) RETURNS text LANGUAGE sql AS $$ SELECT format("
              "'SELECT %L::text AS check_name, NULL::text AS wallet_key, NULL::numeric AS stored,"
              " NULL::numeric AS expected, NULL::numeric AS difference, NULL::jsonb AS details"
              " WHERE FALSE', p_name) $$")
    assert rows(seed, "SELECT _recon.recompile_checks(ARRAY(SELECT kind FROM"
                      " _recon.check_kind WHERE NOT user_query)) AS n") == [{"n": 1}]
    assert reconcile(seed)["by_check"]["s0_floor"]["findings"] == 0

    # a kind whose compiler is gone cannot register: RC106, nothing registered
    run(seed, "DROP FUNCTION my_kinds.compile_below_floor(text, jsonb)")
    before = state(seed)
    err = error(seed, "SELECT recon.register_check('s0_floor2', 'below_floor',"
                      " '{\"wallet\": \"s0_wallets\"}')")
    assert err.sqlstate == "RC106" and "compile_below_floor" in err.diag.message_primary
    assert state(seed) == before


def test_upgrade_from_0008_keeps_checks_working(empty_db: str, tmp_path: Path) -> None:
    """A database at migration 0008 holding all four seeds, a check of every kind, enabled
    guards and a recorded run with findings: after the upgrade the ledger checks read the legs
    relation (0011), kinds are registry rows (0012), the guards are as they were, and
    reconcile gives identical findings. Rolling back to 0011 and upgrading again does too."""
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE_REGISTRY, "migrations",
                              "functions", "views", "triggers"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    assert sorted(p.name for p in (old / "migrations").glob("0*.sql"))[-1] == (
        "0008.drift_guard_writers.sql")
    load_fixture(empty_db, "seed000.sql", "seed001.sql", "seed002.sql", "seed003.sql")
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    load_fixture(empty_db, "seed000_register.sql", "seed001_register.sql",
                 "seed002_register.sql", "seed003_register.sql")
    run(empty_db,
        "SELECT recon.register_check('s0_custom', 'custom', '{\"query\": \"SELECT id AS "
        "wallet_key, balance AS stored, 0 AS expected, balance AS difference, "
        "jsonb_build_object(''item'', ''negative'') AS details FROM seed000.wallet_account "
        "WHERE balance < 0\"}')",
        "SELECT recon.enable_guard('drift', 's0_ledger')",
        "SELECT recon.enable_guard('append_only', 's0_ledger')",
        # drift on three wallets, a negative one among them (the guard warns)
        "UPDATE seed000.wallet_account SET balance = balance - 1"
        " WHERE member_id BETWEEN 1011 AND 1012",
        "UPDATE seed000.wallet_account SET balance = -3 WHERE member_id = 1013")
    # every kind 0008 had (the currency kind came with 0017)
    assert {c["kind"] for c in rows(empty_db, "SELECT kind FROM recon.checks")} \
        == set(KINDS) - {"currency"}
    reconcile(empty_db)

    def findings() -> list[tuple]:
        return [(f["check_name"], f["wallet_key"], f["details"].get("item"), f["difference"],
                 f["cause"], f["severity"]) for f in open_findings(empty_db)]

    def compiled() -> list[dict]:
        return rows(empty_db, "SELECT name, kind, compiled_sql FROM _recon.check_def ORDER BY name")

    found, sql, guards = findings(), compiled(), rows(empty_db, "SELECT * FROM recon.guards")
    assert {f[0] for f in found} >= {"s0_balance", "s0_custom"}

    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    assert "applied migration 0011.ledger_shapes" in up.stdout
    assert "applied migration 0012.check_kinds" in up.stdout
    assert "not compiled again" not in up.stdout + up.stderr
    assert rows(empty_db, "SELECT count(*) AS n FROM _recon.check_def AS c"
                          " JOIN _recon.check_kind AS k USING (kind)") == [{"n": len(sql)}]
    upgraded = compiled()
    assert [(c["name"], c["kind"]) for c in upgraded] == [(c["name"], c["kind"]) for c in sql]
    # every check over a ledger now reads its legs (the raw table aliased r inside them)
    assert all(" AS r" in c["compiled_sql"] for c in upgraded
               if c["kind"] in ("balance", "duplicate", "orphan", "chain", "journal",
                                "lifecycle")), upgraded
    # the guards are enabled again by the upgrade (issue 18): the same ids, kinds, targets,
    # modes and enabled_at; their triggers are the installed generator's
    kept = ("id", "kind", "target", "mode", "tolerance", "enabled_at", "enabled_by")
    assert [{k: g[k] for k in kept} for g in rows(empty_db, "SELECT * FROM recon.guards")] == [
        {k: g[k] for k in kept} for g in guards]
    summary = reconcile(empty_db)
    assert summary["new"] == 0 and summary["resolved"] == 0
    assert findings() == found

    # 0013 and 0012 rolled back (the kinds a CHECK constraint again; a rollback wants the guards
    # disabled first), then upgraded again
    run(empty_db, "SELECT recon.disable_guard('drift', 's0_ledger')",
        "SELECT recon.disable_guard('append_only', 's0_ledger')")
    back = run_cli("rollback", "--to", "0011", "--yes", dsn=empty_db)
    assert back.returncode == 0, back.stderr
    assert rows(empty_db, "SELECT to_regclass('_recon.check_kind') IS NULL AS gone") == [
        {"gone": True}]
    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    assert compiled() == upgraded
    summary = reconcile(empty_db)
    assert summary["new"] == 0 and summary["resolved"] == 0
    assert findings() == found
