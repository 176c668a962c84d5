"""More bugs a read-only tester found on main through the public API (the second round), each
kept here as the smallest schema that shows it, through SQL from plain connections:

- a wallet source whose key is not unique (Formance-like volumes keyed by account and asset)
  was accepted; a run then failed with a raw 23505, or, over a view, summed the currencies;
- two same-sign postings of one reference with different amounts (partial captures) were
  called a duplicate, and the default repair reversed one;
- an orphan payment in JPY was posted into a USD wallet as USD;
- a resync finer than a per-row scale's unit was planned, and the apply failed (RC321);
- the offset wallet's balance would overflow its column: a raw 22003 at the apply;
- a ticket or reason of tabs or newlines counted as given;
- a writer over a GENERATED ALWAYS amount (or identity column mapped in "columns") was
  registered, and failed only at posting.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from helpers import one, q, row_snapshot

from conftest import fix, open_findings, reconcile, run, run_cli


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    """A fresh clone of the installed template."""
    return make_db(template_db)


def sqlstate(dsn: str, *statements: str) -> str | None:
    """The SQLSTATE the last statement fails with (None when all run)."""
    try:
        run(dsn, *statements)
    except psycopg.Error as e:
        return e.sqlstate
    return None


# -- a wallet key on two rows -------------------------------------------------------------------

VOLUMES = (
    "CREATE TABLE volumes (account text NOT NULL, asset text NOT NULL,"
    " balance numeric NOT NULL, PRIMARY KEY (account, asset))",
    "CREATE TABLE postings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " source text NOT NULL, destination text NOT NULL, asset text NOT NULL,"
    " amount numeric NOT NULL)",
    "INSERT INTO volumes VALUES ('world', 'USD/2', -100), ('world', 'EUR/2', -50),"
    " ('alice', 'USD/2', 100), ('alice', 'EUR/2', 50)",
    "INSERT INTO postings (source, destination, asset, amount) VALUES"
    " ('world', 'alice', 'USD/2', 100), ('world', 'alice', 'EUR/2', 50)",
)
LEDGER = ("SELECT recon.register_ledger_source('pl', 'vw', 'postings', NULL, 'amount',"
          " '{\"debit_wallet\": \"source\", \"credit_wallet\": \"destination\","
          " \"entry_id\": \"id\", \"order_by\": \"id\", \"currency\": \"asset\"}')",
          "SELECT recon.register_check('pb', 'balance', '{\"ledger\": \"pl\"}')")


def test_a_wallet_table_whose_key_is_not_unique_is_refused(fresh: str) -> None:
    """Volumes keyed by (account, asset) registered by account alone: refused (RC106, as a
    parent key that is not unique), with a HINT naming a view of one row per wallet; a unique
    index on the key alone makes the table acceptable."""
    run(fresh, *VOLUMES)
    with pytest.raises(psycopg.Error) as err:
        run(fresh, "SELECT recon.register_wallet_source('vw', 'volumes', 'account',"
            " ARRAY['balance'], '{\"currency\": \"asset\"}')")
    assert err.value.sqlstate == "RC106"
    assert "not a unique key" in err.value.diag.message_primary
    assert "view with one row per wallet" in err.value.diag.message_hint
    run(fresh, "CREATE TABLE one_row (account text NOT NULL, balance numeric)",
        "CREATE UNIQUE INDEX ON one_row (account)",
        "SELECT recon.register_wallet_source('ok', 'one_row', 'account', ARRAY['balance'])")


def test_a_view_repeating_a_wallet_key_fails_the_run_not_the_books(fresh: str) -> None:
    """A view over the volumes is accepted (a view has no index), but a run counts its keys:
    RC203, nothing recorded, instead of findings summing USD and EUR. A view with one row per
    account and asset is in sync."""
    run(fresh, *VOLUMES, "CREATE VIEW v AS SELECT account, asset, balance FROM volumes",
        "SELECT recon.register_wallet_source('vw', 'v', 'account', ARRAY['balance'],"
        " '{\"currency\": \"asset\"}')", *LEDGER)
    for mode in ("full", "incremental"):
        with pytest.raises(psycopg.Error) as err:
            reconcile(fresh, None, mode)
        assert err.value.sqlstate == "RC203"
        assert "one row per wallet" in err.value.diag.message_hint
    assert one(fresh, "SELECT count(*) FROM recon.runs") == 0
    assert open_findings(fresh) == []
    run(fresh, "CREATE OR REPLACE VIEW v AS SELECT account || ':' || asset AS account, asset,"
        " balance FROM volumes",
        "UPDATE postings SET source = source || ':' || asset,"
        " destination = destination || ':' || asset")
    assert reconcile(fresh)["status"] == "synced"


# -- a duplicate of another amount --------------------------------------------------------------

def test_a_duplicate_of_different_amounts_is_not_reversed(fresh: str) -> None:
    """Two partial captures of order-9 (30 and 70) under one reference: the duplicate check
    shows them, but different amounts are evidence against a retry, so its repair is manual,
    and applying changes nothing (it used to reverse the 70 and debit a consistent wallet).
    A true retry (order-7 posted twice, 20 each) is still reversed."""
    run(fresh,
        "CREATE TABLE w (id int PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
        "CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " wallet_id int NOT NULL, amount numeric(14, 2) NOT NULL, reference text,"
        " type text NOT NULL DEFAULT 'TX')",
        "INSERT INTO w VALUES (1, 150), (2, 20)",
        "INSERT INTO e (wallet_id, amount, reference) VALUES (1, 50, 'topup-1'),"
        " (1, 30, 'order-9'), (1, 70, 'order-9'), (2, 20, 'order-7'), (2, 20.00, 'order-7')",
        "SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('e', 'w', 'e', 'wallet_id', 'amount',"
        " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"reference\": \"reference\"}')",
        "SELECT recon.register_check('d', 'duplicate', '{\"ledger\": \"e\"}')",
        "SELECT recon.register_writer('e', '{\"columns\": {\"type\": \"ADJUSTMENT\"}}')")
    reconcile(fresh)
    plan = {s["wallet_key"]: s for s in fix(fresh, checks=["d"], wallet_limit=100)}
    assert plan["1"]["status"] == "manual"
    assert "order-9 moved different amounts" in plan["1"]["note"]
    assert plan["2"]["status"] == "planned"
    before = row_snapshot(fresh, "w")
    applied = {s["wallet_key"]: s["status"] for s in fix(
        fresh, checks=["d"], wallet_limit=100, dry_run=False, ticket="T", reason="dup")}
    assert applied == {"1": "manual", "2": "applied"}
    # wallet 2 was credited once: its retry reversed in the ledger, the balance kept
    assert row_snapshot(fresh, "w") == before
    assert q(fresh, "SELECT wallet_id, count(*), sum(amount) FROM e GROUP BY 1 ORDER BY 1") == [
        (1, 3, 150), (2, 3, 20)]


# -- a payment in another currency --------------------------------------------------------------

CHARGES = (
    "CREATE TABLE w (id text PRIMARY KEY, currency text NOT NULL, balance numeric(14, 2) NOT NULL)",
    "CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text NOT NULL,"
    " amount numeric(14, 2) NOT NULL, currency text NOT NULL DEFAULT 'USD', reference text)",
    "CREATE TABLE charge (id text PRIMARY KEY, wallet_id text NOT NULL, amount bigint NOT NULL,"
    " currency text NOT NULL)",
    "INSERT INTO w VALUES ('w_usd', 'USD', 0), ('w_eur', 'EUR', 0)",
    "INSERT INTO charge VALUES ('ch_2', 'w_usd', 5000, 'JPY'), ('ch_3', 'w_eur', 700, 'eur')",
    "SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['balance'],"
    " '{\"currency\": \"currency\"}')",
    "SELECT recon.register_ledger_source('e', 'w', 'e', 'wallet_id', 'amount',"
    " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"reference\": \"reference\","
    " \"currency\": \"currency\"}')",
    "SELECT recon.register_writer('e', '{\"columns\": {}}')",
)


def test_a_payment_in_another_currency_is_not_posted_into_its_wallet(fresh: str) -> None:
    """With "currency_column" the JPY charge's finding is in JPY, and its post_missing into a
    USD wallet is manual (it used to be posted as USD 50.00); an eur charge into the EUR
    wallet is posted. Without the option, on wallets of several currencies, the payment's
    currency is unknown: manual."""
    run(fresh, *CHARGES,
        "SELECT recon.register_check('o', 'orphan', '{\"ledger\": \"e\", \"table\": \"charge\","
        " \"id_column\": \"id\", \"amount_column\": \"amount\", \"wallet_column\": \"wallet_id\","
        " \"scale\": 2, \"currency_column\": \"currency\"}')",
        "SELECT recon.register_check('u', 'orphan', '{\"ledger\": \"e\", \"table\": \"charge\","
        " \"id_column\": \"id\", \"amount_column\": \"amount\", \"wallet_column\": \"wallet_id\","
        " \"scale\": 2}')")
    reconcile(fresh)
    assert sorted((f["check_name"], f["wallet_key"], f["currency"]) for f in open_findings(
        fresh)) == [("o", "w_eur", "eur"), ("o", "w_usd", "JPY"), ("u", "w_eur", "EUR"),
                    ("u", "w_usd", "USD")]
    plan = {s["wallet_key"]: s for s in fix(fresh, checks=["o"], wallet_limits='{"*": 100}')}
    assert plan["w_usd"]["status"] == "manual"
    assert plan["w_usd"]["note"].startswith("payment ch_2 is in JPY, its wallet w_usd in USD")
    assert plan["w_eur"]["status"] == "planned"
    assert {s["status"] for s in fix(fresh, checks=["u"], wallet_limits='{"*": 100}')} == {
        "manual"}
    applied = {s["wallet_key"]: s["status"] for s in fix(
        fresh, checks=["o"], wallet_limits='{"*": 100}', dry_run=False, ticket="T",
        reason="missing charge")}
    assert applied == {"w_usd": "manual", "w_eur": "applied"}
    assert q(fresh, "SELECT id, balance FROM w ORDER BY id") == [("w_eur", 7), ("w_usd", 0)]


# -- what a column cannot hold ------------------------------------------------------------------

def test_a_resync_finer_than_a_per_row_scale_is_skipped_in_the_dry_run(fresh: str) -> None:
    """Blnk-like balances with a precision per row: alice's entry of 0.001 USD is finer than her
    wallet's precision (100), so her resync cannot be written: skipped in the dry run (it was
    planned, and the apply failed whole with RC321), and bob's +5.00 drift is repaired."""
    run(fresh,
        "CREATE TABLE b (balance_id text PRIMARY KEY, currency text NOT NULL,"
        " precision bigint NOT NULL, balance bigint NOT NULL)",
        "CREATE TABLE en (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " balance_id text NOT NULL, amount bigint NOT NULL, precision bigint NOT NULL)",
        "INSERT INTO b VALUES ('alice', 'USD', 100, 1000), ('bob', 'USD', 100, 1000)",
        "INSERT INTO en (balance_id, amount, precision) VALUES ('alice', 1000, 100),"
        " ('bob', 1000, 100), ('alice', 1, 1000)",
        "UPDATE b SET balance = balance + 500 WHERE balance_id = 'bob'",
        "SELECT recon.register_wallet_source('bw', 'b', 'balance_id', ARRAY['balance'],"
        " '{\"currency\": \"currency\", \"scale\": {\"column\": \"precision\","
        " \"as\": \"multiplier\"}}')",
        "SELECT recon.register_ledger_source('bl', 'bw', 'en', 'balance_id', 'amount',"
        " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"scale\": {\"column\": \"precision\","
        " \"as\": \"multiplier\"}}')",
        "SELECT recon.register_check('bb', 'balance', '{\"ledger\": \"bl\"}')")
    reconcile(fresh)
    plan = {s["wallet_key"]: s for s in fix(fresh, wallet_limits='{"*": 100}')}
    assert plan["alice"]["status"] == "skipped"
    assert plan["alice"]["note"] == ("would not fit balance (whole minor units at precision"
                                     " = 100): 10.00 -> 10.001")
    assert plan["bob"]["status"] == "planned"
    applied = {s["wallet_key"]: s["status"] for s in fix(
        fresh, wallet_limits='{"*": 100}', dry_run=False, ticket="T", reason="r")}
    assert applied == {"alice": "skipped", "bob": "applied"}
    assert q(fresh, "SELECT balance_id, balance FROM b ORDER BY 1") == [
        ("alice", 1000), ("bob", 1000)]


def test_an_offset_wallet_that_would_overflow_skips_the_step(fresh: str) -> None:
    """bob's stored balance is taken as right (adjust): -50 to bob, +50 to the offset wallet
    world, whose numeric(14,2) balance cannot hold it. Skipped in the dry run, naming the
    offset wallet (it was planned, and the apply failed with a raw 22003)."""
    run(fresh,
        "CREATE TABLE a (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
        "CREATE TABLE en (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " account_id text NOT NULL, amount numeric(16, 2) NOT NULL, txn text NOT NULL,"
        " reference text)",
        "INSERT INTO a VALUES ('world', 999999999990.00), ('alice', -999999999990.00),"
        " ('bob', -50)",
        "INSERT INTO en (account_id, amount, txn) VALUES ('world', 999999999990.00, 't1'),"
        " ('alice', -999999999990.00, 't1')",
        "SELECT recon.register_wallet_source('aw', 'a', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('al', 'aw', 'en', 'account_id', 'amount',"
        " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"journal\": \"txn\","
        " \"reference\": \"reference\"}')",
        "SELECT recon.register_check('ab', 'balance', '{\"ledger\": \"al\", \"currency\": \"EUR\"}')",
        "SELECT recon.register_writer('al', '{\"offset_wallet\": \"world\","
        " \"journal\": \"recon-{fix}-{step}\"}')",
        "SELECT recon.allow_overdraft('aw', reason => 'test')",
        "SELECT recon.set_fix_policy('ab', '{\"strategy\": \"adjust\","
        " \"wallet_limit\": {\"*\": 100}}')")
    reconcile(fresh)
    [step] = fix(fresh, checks=["ab"])
    assert (step["wallet_key"], step["status"]) == ("bob", "skipped")
    assert step["note"] == ("would not fit balance (numeric(14,2)) of the offset wallet world:"
                            " 999999999990.00 -> 1000000000040.00")
    before = row_snapshot(fresh, "a", "en")
    [step] = fix(fresh, checks=["ab"], dry_run=False, ticket="T", reason="r")
    assert step["status"] == "skipped"
    assert row_snapshot(fresh, "a", "en") == before


# -- a ticket of tabs ---------------------------------------------------------------------------

def test_a_ticket_or_reason_of_tabs_and_newlines_is_blank(fresh: str) -> None:
    """Spaces were refused (RC303), a tab ticket and a newline reason applied the repair and
    went into the audit as blanks. Any whitespace only is blank now, in recon.fix (and
    reverse_fix, backfill: one caller check), allow_overdraft and acknowledge_alert."""
    run(fresh,
        "CREATE TABLE w (id int PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
        "CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " wallet_id int NOT NULL, amount numeric(14, 2))",
        "INSERT INTO w VALUES (1, 107), (2, 9)",
        "INSERT INTO e (wallet_id, amount) VALUES (1, 100), (2, 1)",
        "SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('e', 'w', 'e', 'wallet_id', 'amount')",
        "SELECT recon.register_check('b', 'balance', '{\"ledger\": \"e\", \"currency\": \"USD\"}')")
    reconcile(fresh)
    for ticket, reason in (("\t", "r"), ("T", "\n"), ("\r\n", "\f\v "), ("T", " \t")):
        with pytest.raises(psycopg.Error) as err:
            fix(fresh, dry_run=False, ticket=ticket, reason=reason, wallet_limit=100)
        assert err.value.sqlstate == "RC303"
    assert one(fresh, "SELECT count(*) FROM recon.repairs") == 0
    assert sqlstate(fresh, "SELECT recon.allow_overdraft('w', reason => E'\\n\\t')") == "RC303"
    # two wallets drifted: a HIGH run, an alert
    alert = one(fresh, "SELECT id FROM recon.open_alerts")
    assert sqlstate(fresh, f"SELECT recon.acknowledge_alert(ARRAY[{alert}]::bigint[], E'\\t\\n')"
                    ) == "RC303"
    assert [s["status"] for s in fix(fresh, dry_run=False, ticket="T-1", reason="drift",
                                      wallet_limit=100)] == ["applied", "applied"]


# -- a writer over columns PostgreSQL computes --------------------------------------------------

def test_a_writer_over_a_generated_amount_or_identity_is_refused(fresh: str) -> None:
    """Stripe-like net = amount - fee as the ledger's amount, and an identity GENERATED ALWAYS
    mapped in "columns": both fail at every posting (428C9), so registration refuses them
    (RC305, naming the column); the same ledger on the gross amount takes a writer."""
    run(fresh,
        "CREATE TABLE bt (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " account bigint NOT NULL, amount numeric NOT NULL, fee numeric NOT NULL DEFAULT 0,"
        " net numeric GENERATED ALWAYS AS (amount - fee) STORED)",
        "CREATE TABLE acct (id bigint PRIMARY KEY, available numeric NOT NULL)",
        "SELECT recon.register_wallet_source('s', 'acct', 'id', ARRAY['available'])",
        "SELECT recon.register_ledger_source('n', 's', 'bt', 'account', 'net')",
        "SELECT recon.register_ledger_source('g', 's', 'bt', 'account', 'amount')")
    with pytest.raises(psycopg.Error) as err:
        run(fresh, "SELECT recon.register_writer('n', '{\"columns\": {\"amount\": \"0\"}}')")
    assert err.value.sqlstate == "RC305"
    assert err.value.diag.message_primary == (
        "writer for n would write column(s) PostgreSQL computes:"
        " net (GENERATED ALWAYS AS (amount - fee))")
    with pytest.raises(psycopg.Error) as err:
        run(fresh, "SELECT recon.register_writer('g', '{\"columns\": {\"id\": \"7\"}}')")
    assert err.value.sqlstate == "RC305"
    assert "id (GENERATED ALWAYS AS IDENTITY)" in err.value.diag.message_primary
    run(fresh, "SELECT recon.register_writer('g')")
    assert one(fresh, "SELECT count(*) FROM _recon.writer") == 1


# -- the CLI ------------------------------------------------------------------------------------

def test_fix_finding_says_finding_id_not_run_number() -> None:
    """`wallet-recon fix --finding x` said "'x' is not a run number"."""
    for value, says in (("x", "'x' is not a finding id (an id of recon.open_findings)"),
                        ("0", "'0' is not a finding id")):
        proc = run_cli("fix", "--finding", value)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert proc.stderr.strip().splitlines() == [
            f"wallet-recon fix: error: argument --finding: {says} (see wallet-recon fix --help)"]
