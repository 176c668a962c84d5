"""Amounts per currency (issue 15 item 1): a check's tolerance and low_limit, a fix policy's
wallet_limit and run_limit, recon.fix()'s limits and the CLI's --wallet-limit/--run-limit are
maps {"<currency>": amount, "*": amount}. Each finding and repair step is judged in its own
currency (its wallet's currency column, else the check's currency). "*" applies only where
given, and a step that uses it says so; a currency with no limit is never LOW and never
repaired automatically. One amount for a check whose wallets each carry a currency, a
negative or non-numeric amount: one error with its SQLSTATE and a HINT, nothing changed.
An upgrade keeps what a check had: its amounts become its currency's (or "*")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, fix, open_findings, reconcile, rows, run, run_cli, schema_dump

# BTC (8 places), JPY (0), USD (2) and EUR wallets in one table; a signed ledger whose entries
# carry their currency, with a journal. Severity thresholds so high that each finding is judged
# on its amount alone (no HIGH for several wallets, no one-hour pattern).
SCHEMA = """
CREATE SCHEMA ml;
CREATE TABLE ml.wallet (id text PRIMARY KEY, currency text, balance numeric NOT NULL);
CREATE TABLE ml.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       wallet_id text NOT NULL, amount numeric NOT NULL, currency text,
                       journal text, posted_at timestamptz NOT NULL DEFAULT now());
INSERT INTO ml.wallet
SELECT c || i, c, 0 FROM unnest(ARRAY['BTC', 'JPY', 'USD', 'EUR']) AS c,
                         generate_series(1, 4) AS i;
SELECT recon.register_wallet_source('ml_wallets', 'ml.wallet', 'id', ARRAY['balance'],
                                    '{"currency": "currency"}');
SELECT recon.register_ledger_source('ml_ledger', 'ml_wallets', 'ml.entry', 'wallet_id', 'amount',
    '{"entry_id": "id", "posted_at": "posted_at", "currency": "currency",
      "journal": "journal", "order_by": "id"}');
SELECT recon.register_check('ml_balance', 'balance', '{
    "ledger": "ml_ledger", "high_wallets": 100, "critical_wallets": 200,
    "pattern_wallets": 100,
    "low_limit": {"BTC": 0.001, "JPY": 1000, "USD": 10},
    "tolerance": {"USD": 0.01}}');
"""

BOUNDS = {"BTC": (Decimal("0.001"), Decimal("0.00000001")),
          "JPY": (Decimal("1000"), Decimal("1")),
          "USD": (Decimal("10"), Decimal("0.01"))}


@pytest.fixture
def ml(make_db: Callable[..., str], template_db: str) -> str:
    dsn = make_db(template_db)
    run(dsn, SCHEMA)
    return dsn


def drift(dsn: str, **by_wallet: Decimal | str) -> None:
    run(dsn, *[f"UPDATE ml.wallet SET balance = balance + {v} WHERE id = '{k}'"
               for k, v in by_wallet.items()])


def severities(dsn: str) -> dict[str, tuple[str, str | None]]:
    return {f["wallet_key"]: (f["severity"], f["currency"])
            for f in open_findings(dsn, "ml_balance")}


def test_low_and_medium_at_each_currencys_own_limit(ml: str) -> None:
    # at the limit: LOW; one minor unit above: MEDIUM; the same amounts in the other
    # currencies are judged by their own limits
    for cur, (limit, unit) in BOUNDS.items():
        drift(ml, **{f"{cur}1": limit, f"{cur}2": -(limit + unit)})
    drift(ml, EUR1="0.01")  # no low_limit for EUR and no "*": never LOW
    reconcile(ml)
    got = severities(ml)
    assert got == {"BTC1": ("LOW", "BTC"), "BTC2": ("MEDIUM", "BTC"),
                   "JPY1": ("LOW", "JPY"), "JPY2": ("MEDIUM", "JPY"),
                   "USD1": ("LOW", "USD"), "USD2": ("MEDIUM", "USD"),
                   "EUR1": ("MEDIUM", "EUR")}, got


def test_tolerance_per_currency(ml: str) -> None:
    # USD's tolerance 0.01 hides a cent; JPY has none, so one yen is a finding
    drift(ml, USD1="0.01", USD2="0.02", JPY1="1", BTC1="0.00000001")
    summary = reconcile(ml)
    assert sorted(severities(ml)) == ["BTC1", "JPY1", "USD2"], summary
    sql = rows(ml, "SELECT compiled_sql FROM _recon.check_def WHERE name = 'ml_balance'")
    assert "WHEN 'USD' THEN 0.01" in sql[0]["compiled_sql"]


def test_the_btc_drift_is_not_low_nor_auto_fixed_beside_a_jpy_limit(ml: str) -> None:
    # the case: 9.5 BTC on the same check as JPY wallets whose limit is 1000
    run(ml, "SELECT recon.drop_check('ml_balance')",
        "SELECT recon.register_check('ml_balance', 'balance', '{\"ledger\": \"ml_ledger\", "
        "\"high_wallets\": 100, \"critical_wallets\": 200, \"pattern_wallets\": 100, "
        "\"low_limit\": {\"JPY\": 1000}}')")
    drift(ml, BTC1="9.5", JPY1="9")
    reconcile(ml)
    assert severities(ml) == {"BTC1": ("MEDIUM", "BTC"), "JPY1": ("LOW", "JPY")}
    plan = {s["wallet_key"]: s for s in fix(ml)}
    assert plan["BTC1"]["status"] == "skipped"
    assert plan["BTC1"]["note"] == (
        'above the auto-fix limit: no wallet_limit for BTC (none given for it, no "*" and no '
        "low_limit): not repaired automatically")
    assert plan["JPY1"]["status"] == "planned"
    assert plan["JPY1"]["evidence"]["limits"] == {
        "currency": "JPY", "wallet_limit": 1000, "wallet_limit_from": "the check's low_limit",
        "run_limit": 10000, "run_limit_from": "10 x wallet_limit (the check's low_limit)"}
    assert plan["JPY1"]["note"] is None


def test_auto_fix_limit_per_currency_boundaries(ml: str) -> None:
    for cur, (limit, unit) in BOUNDS.items():
        drift(ml, **{f"{cur}1": limit, f"{cur}2": limit + unit})
    reconcile(ml)
    # exact JSON numbers, as the CLI sends them
    limits = "{" + ", ".join(f'"{c}": {v[0]}' for c, v in BOUNDS.items()) + "}"
    plan = {s["wallet_key"]: s for s in fix(ml, wallet_limits=limits)}
    for cur, (limit, unit) in BOUNDS.items():
        assert plan[f"{cur}1"]["status"] == "planned", plan[f"{cur}1"]
        assert plan[f"{cur}1"]["evidence"]["limits"]["wallet_limit_from"] == (
            "the call's wallet_limit")
        assert plan[f"{cur}2"]["status"] == "skipped"
        assert plan[f"{cur}2"]["note"].startswith(
            f"above the auto-fix limit: {limit + unit} > wallet_limit {limit} {cur} "
            "(the call's wallet_limit;")
    # applied: exactly the wallets within their currency's limit, and they are now synced
    done = fix(ml, dry_run=False, ticket="T-1", reason="per-currency limits",
               wallet_limits=limits)
    assert sorted(s["wallet_key"] for s in done if s["status"] == "applied") == [
        "BTC1", "JPY1", "USD1"]
    reconcile(ml)
    assert sorted(severities(ml)) == ["BTC2", "JPY2", "USD2"]


def test_a_star_default_applies_only_where_given_and_says_so(ml: str) -> None:
    drift(ml, EUR1="3", USD1="3")
    reconcile(ml)
    # without "*": EUR has no limit anywhere
    plan = {s["wallet_key"]: s for s in fix(ml, wallet_limits='{"USD": 5}')}
    assert plan["EUR1"]["status"] == "skipped" and "no wallet_limit for EUR" in plan["EUR1"]["note"]
    assert plan["USD1"]["status"] == "planned" and plan["USD1"]["note"] is None
    # with "*": EUR takes it, and its step says so (evidence "limits"); USD keeps its own
    plan = {s["wallet_key"]: s for s in fix(ml, wallet_limits='{"USD": 5, "*": 4}')}
    assert plan["EUR1"]["status"] == "planned"
    assert plan["EUR1"]["evidence"]["limits"] == {
        "currency": "EUR", "wallet_limit": 4, "wallet_limit_from": 'the call\'s "*" wallet_limit',
        "run_limit": 40, "run_limit_from": '10 x wallet_limit (the call\'s "*" wallet_limit)'}
    assert plan["USD1"]["evidence"]["limits"]["wallet_limit_from"] == "the call's wallet_limit"
    # "*" for every currency, given as such, is said on each step it limits
    plan = {s["wallet_key"]: s for s in fix(ml, wallet_limits='{"*": 4}')}
    assert all(s["status"] == "planned"
               and s["evidence"]["limits"]["wallet_limit_from"] == 'the call\'s "*" wallet_limit'
               for s in plan.values())
    # one amount is no "*": this check's wallets each carry a currency and it names none
    with psycopg.connect(ml, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(wallet_limit => 4)")
    assert err.value.sqlstate == "RC302"
    assert err.value.diag.message_primary == "wallet_limit 4 names no currency"
    assert "wallet_limits => '{\"USD\": 4" in err.value.diag.message_hint
    proc = run_cli("fix", "--wallet-limit", "4", dsn=ml)
    assert proc.returncode == 2 and "RC302" in proc.stderr, proc.stderr


def test_one_amount_is_the_checks_own_currency(ml: str) -> None:
    # a check naming its currency reads one amount in it, and only in it
    run(ml, "SELECT recon.register_check('ml_usd', 'balance', '{\"ledger\": \"ml_ledger\", "
            "\"currency\": \"USD\", \"high_wallets\": 100, \"critical_wallets\": 200, "
            "\"pattern_wallets\": 100}')")
    drift(ml, USD1="3", EUR1="3")
    reconcile(ml)
    plan = {s["wallet_key"]: s for s in fix(ml, checks=["ml_usd"], wallet_limit=Decimal(5))}
    assert plan["USD1"]["status"] == "planned"
    assert plan["USD1"]["evidence"]["limits"]["wallet_limit_from"] == "the call's wallet_limit"
    # EUR1 is in EUR: no call limit for it, and the check's low_limit is USD's (10) only
    assert plan["EUR1"]["status"] == "skipped"
    assert "no wallet_limit for EUR" in plan["EUR1"]["note"]


def test_policy_maps_and_the_call_over_the_policy(ml: str) -> None:
    drift(ml, JPY1="900", JPY2="900", USD1="8")
    reconcile(ml)
    out = rows(ml, "SELECT recon.set_fix_policy('ml_balance', "
                   "'{\"wallet_limit\": {\"JPY\": 1000, \"*\": 1}, \"run_limit\": {\"JPY\": 1500}}')"
                   " AS p")[0]["p"]
    assert out["wallet_limit"] == {"JPY": 1000, "*": 1}
    plan = {s["wallet_key"]: s for s in fix(ml)}
    # JPY: the run limit is JPY's own (1500): the second wallet goes over it
    assert [plan[k]["status"] for k in ("JPY1", "JPY2")] == ["planned", "skipped"]
    assert plan["JPY2"]["note"] == ("over the run limit: 1800 > run_limit 1500 JPY for check "
                                    "ml_balance (the policy's run_limit)")
    # USD: the policy's "*" (1), said so
    assert plan["USD1"]["status"] == "skipped"
    assert "8 > wallet_limit 1 USD (the policy's \"*\" wallet_limit;" in plan["USD1"]["note"]
    # the call's own map comes first, currency by currency
    plan = {s["wallet_key"]: s for s in fix(ml, wallet_limits='{"USD": 10}',
                                            run_limits='{"JPY": 2000}')}
    assert [plan[k]["status"] for k in ("JPY1", "JPY2", "USD1")] == ["planned"] * 3


def test_journals_balance_per_currency(ml: str) -> None:
    # an FX journal: 100 USD out of USD1 into USD2, 92 EUR out of EUR2 into EUR1 (balanced per
    # currency; its sums across currencies differ); then one whose EUR side is short
    run(ml, "SELECT recon.register_check('ml_journal', 'journal', "
            "'{\"ledger\": \"ml_ledger\", \"tolerance\": {\"EUR\": 0.5}}')",
        "INSERT INTO ml.entry (wallet_id, amount, currency, journal) VALUES "
        "('USD1', -100, 'USD', 'fx1'), ('USD2', 100, 'USD', 'fx1'), "
        "('EUR2', -92, 'EUR', 'fx1'), ('EUR1', 92, 'EUR', 'fx1'), "
        "('USD1', -50, 'USD', 'fx2'), ('USD2', 50, 'USD', 'fx2'), "
        "('EUR2', -46, 'EUR', 'fx2'), ('EUR1', 45, 'EUR', 'fx2'), "
        "('JPY1', -5, 'JPY', 'fx3'), ('JPY2', 4.6, 'JPY', 'fx3')",
        "UPDATE ml.wallet AS w SET balance = (SELECT COALESCE(sum(e.amount), 0) "
        "FROM ml.entry AS e WHERE e.wallet_id = w.id)")
    reconcile(ml)
    got = sorted((f["details"]["item"], f["currency"], Decimal(str(f["difference"])))
                 for f in open_findings(ml, "ml_journal"))
    # EUR 1 short is over EUR's tolerance 0.5; JPY's 0.4 is found (no tolerance for JPY)
    # a journal moving one currency keeps its own name; one moving several, one per currency
    assert got == [("fx2/EUR", "EUR", Decimal("-1")), ("fx3", "JPY", Decimal("-0.4"))]


BAD = [
    # one amount where each wallet carries its currency and the check names none
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"low_limit\": 10}')", "RC106", "low_limit must name its currencies"),
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"tolerance\": 0.01}')", "RC106", "tolerance must name its currencies"),
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"low_limit\": {\"USD\": -1}}')", "RC106", "bad low_limit"),
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"low_limit\": {\"USD\": \"ten\"}}')", "RC106", "bad low_limit"),
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"low_limit\": [10]}')", "RC106", "low_limit must be an amount or a map"),
    ("SELECT recon.register_check('bad', 'balance', '{\"ledger\": \"ml_ledger\", "
     "\"tolerance\": {\"\": 1}}')", "RC106", "bad tolerance"),
    ("SELECT recon.set_fix_policy('ml_balance', '{\"wallet_limit\": 10}')", "RC302",
     "wallet_limit must name its currencies"),
    ("SELECT recon.set_fix_policy('ml_balance', '{\"run_limit\": {\"JPY\": -5}}')", "RC302",
     "bad run_limit"),
    ("SELECT * FROM recon.fix(wallet_limits => '{\"USD\": \"5\"}')", "RC302",
     "bad wallet_limits"),
    ("SELECT * FROM recon.fix(wallet_limit => 5, wallet_limits => '{\"USD\": 5}')", "RC302",
     "a limit given twice"),
]


@pytest.mark.parametrize(("statement", "code", "message"), BAD)
def test_bad_amounts_fail_with_a_hint_and_change_nothing(ml: str, statement: str, code: str,
                                                         message: str) -> None:
    reconcile(ml)
    before = schema_dump(ml), rows(ml, "SELECT * FROM _recon.fix_policy"), rows(
        ml, "SELECT name, options FROM _recon.check_def ORDER BY name")
    with psycopg.connect(ml, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute(statement)
    assert err.value.sqlstate == code
    assert message in err.value.diag.message_primary
    assert err.value.diag.message_hint
    assert (schema_dump(ml), rows(ml, "SELECT * FROM _recon.fix_policy"), rows(
        ml, "SELECT name, options FROM _recon.check_def ORDER BY name")) == before


def test_cli_limits_per_currency(ml: str) -> None:
    drift(ml, JPY1="900", USD1="8", EUR1="2")
    reconcile(ml)
    proc = run_cli("fix", "--format", "json", "--wallet-limit", "JPY=1000,USD=5", dsn=ml)
    steps = {s["wallet_key"]: s for s in json.loads(proc.stdout)}
    assert [steps[k]["status"] for k in ("JPY1", "USD1", "EUR1")] == ["planned", "skipped",
                                                                     "skipped"]
    assert "no wallet_limit for EUR" in steps["EUR1"]["note"]
    proc = run_cli("fix", "--wallet-limit", "USD=5,*=1000", dsn=ml)
    assert 'limits for EUR from "*"' in proc.stdout, proc.stdout
    assert "--wallet-limit CUR=AMOUNT" in proc.stdout  # USD1 skipped: the hint names the form
    for bad in ("USD=ten", "USD=-1", "=5", "USD=1,USD=2"):
        proc = run_cli("fix", "--wallet-limit", bad, dsn=ml)
        assert proc.returncode == 2, (bad, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_upgrade_keeps_each_checks_amounts_in_its_currency(empty_db: str, tmp_path: Path) -> None:
    # the toolkit as it was before per-currency amounts (main at migration 0017)
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "7262994", "migrations",
                              "functions", "views", "triggers"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    run(empty_db, SCHEMA.split("SELECT recon.register_check")[0],
        "SELECT recon.register_check('zar', 'balance', "
        "'{\"ledger\": \"ml_ledger\", \"currency\": \"ZAR\", \"low_limit\": 7, "
        "\"tolerance\": 0.5}')",
        "SELECT recon.register_check('plain', 'balance', '{\"ledger\": \"ml_ledger\"}')",
        "SELECT recon.set_fix_policy('zar', '{\"wallet_limit\": 50, \"run_limit\": 60}')")
    up = run_cli("upgrade", dsn=empty_db)
    assert up.returncode == 0, up.stderr
    got = {r["name"]: (r["low_limit"], r["tolerance"]) for r in rows(
        empty_db, "SELECT name, low_limit, tolerance FROM recon.checks")}
    # "plain" names no currency and its wallets each carry one: its one low_limit is gone
    assert got == {"zar": ({"ZAR": 7}, {"ZAR": 0.5}), "plain": ({}, {})}
    assert rows(empty_db, "SELECT wallet_limit, run_limit FROM _recon.fix_policy") == [
        {"wallet_limit": {"ZAR": 50}, "run_limit": {"ZAR": 60}}]
    assert rows(empty_db, "SELECT recon.reconcile() ->> 'status' AS s")[0]["s"] == "synced"
