"""Bugs a tester found by registering ledgers shaped like real ones (Blnk, Stripe, plain apps)
through the public API only, each kept here as the smallest schema that shows it, through SQL
from plain connections:

- an entry without a wallet key (NULL) broke every run of a ledger registered with `order_by`
  (the per-wallet state cannot hold a NULL key): now a finding, full and incremental alike;
- a GENERATED balance column was accepted, and a resync planned that cannot be applied;
- wallet keys whose equality is not their text's (citext, a nondeterministic collation) gave
  incremental findings a full run does not, and a block guard refused a correct write;
- an entry in another currency than its wallet's was summed into the wallet's balance, and a
  resync booked it into the stored balance: the books then said "synced";
- an orphan payment in minor units was posted as major units (a $77 payment posted as $7,700).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from helpers import row_snapshot

from conftest import fix, open_findings, reconcile, run


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    """A fresh clone of the installed template."""
    return make_db(template_db)


def found(dsn: str) -> list[tuple]:
    """The open findings, as (check, wallet, cause, difference), sorted."""
    return sorted(((f["check_name"], f["wallet_key"], f["details"].get("cause"),
                    None if f["difference"] is None else Decimal(str(f["difference"])))
                   for f in open_findings(dsn)), key=str)


# -- entries without a wallet key ---------------------------------------------------------------

NULL_KEY_LEDGER = (
    "CREATE TABLE w (id int PRIMARY KEY, balance numeric NOT NULL)",
    "CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id int,"
    " amount numeric NOT NULL)",
    "INSERT INTO w VALUES (1, 10), (2, 99), (3, 0)",
    "SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('e', 'w', 'e', 'wallet_id', 'amount',"
    " '{\"order_by\": \"id\"}')",
    "SELECT recon.register_check('b', 'balance', '{\"ledger\": \"e\"}')",
)


def test_an_entry_without_a_wallet_key_is_a_finding_not_a_failed_run(fresh: str) -> None:
    """Wallet 2 drifted by 99 and one entry lost its wallet: the full run used to fail with a
    raw 23502 (no run, no finding at all). Now both are found, in full and in incremental
    mode, which runs in full and says why."""
    run(fresh, *NULL_KEY_LEDGER, "INSERT INTO e (wallet_id, amount) VALUES (1, 10), (NULL, 5)")
    summary = reconcile(fresh)
    assert summary["runs"]["b"]["watermark"].startswith(
        "the ledger has entries without a wallet key (NULL)"), summary["runs"]
    full = found(fresh)
    assert full == [("b", "2", "no_ledger_entries", Decimal("99")),
                    ("b", None, "unknown_wallet", None)]
    incremental = reconcile(fresh, None, "incremental")
    assert incremental["runs"]["b"]["mode"] == "full"
    assert found(fresh) == full


def test_a_null_key_entry_after_the_watermark_makes_the_run_full(fresh: str) -> None:
    """A clean full run sets a watermark; an entry without a wallet key posted after it (and
    wallet 3's balance moved) is what the next incremental run must find, exactly as a full
    run does: it runs in full and says why."""
    run(fresh, *NULL_KEY_LEDGER, "INSERT INTO e (wallet_id, amount) VALUES (1, 10), (2, 99)")
    assert reconcile(fresh)["runs"]["b"].get("watermark") == "set"
    run(fresh, "INSERT INTO e (wallet_id, amount) VALUES (NULL, 7)",
        "UPDATE w SET balance = balance + 7 WHERE id = 3")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["b"]["mode"] == "full"
    assert summary["runs"]["b"]["why_full"] == (
        "an entry without a wallet key (NULL) was added since the watermark")
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [
        ("b", "3", "no_ledger_entries", Decimal("7")), ("b", None, "unknown_wallet", None)]


def test_a_transfer_row_without_a_source_wallet_is_found(fresh: str) -> None:
    """Transfer rows (Blnk-like source/destination): a row whose source wallet is NULL
    credited b. Full and incremental find b's drift and the keyless leg alike."""
    run(fresh,
        "CREATE TABLE wt (id text PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE tr (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, src text,"
        " dst text, amount numeric NOT NULL)",
        "INSERT INTO wt VALUES ('world', -300), ('a', 200), ('b', 100)",
        "INSERT INTO tr (src, dst, amount) VALUES ('world', 'a', 200), ('world', 'b', 100)",
        "SELECT recon.register_wallet_source('wt', 'wt', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('tr', 'wt', 'tr', NULL, 'amount',"
        " '{\"debit_wallet\": \"src\", \"credit_wallet\": \"dst\", \"order_by\": \"id\"}')",
        "SELECT recon.register_check('tb', 'balance', '{\"ledger\": \"tr\"}')")
    assert reconcile(fresh)["findings"] == 0
    run(fresh, "INSERT INTO tr (src, dst, amount) VALUES (NULL, 'b', 7)",
        "UPDATE wt SET balance = balance + 7 WHERE id = 'b'")
    reconcile(fresh, None, "incremental")
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [("tb", None, "unknown_wallet", None)]


# -- a balance column PostgreSQL computes -------------------------------------------------------

def test_a_generated_balance_column_is_checked_and_its_repair_skipped(fresh: str) -> None:
    """TigerBeetle-like accounts keep balance GENERATED ALWAYS AS (credits - debits): the
    checks read it, but no repair can write it. The plan used to say "resync planned" and the
    apply failed with a raw 428C9; the step is now skipped in the dry run already, naming the
    column and its expression, and applying changes nothing."""
    run(fresh,
        "CREATE TABLE acct (id int PRIMARY KEY, credits numeric NOT NULL,"
        " debits numeric NOT NULL,"
        " balance numeric GENERATED ALWAYS AS (credits - debits) STORED)",
        "CREATE TABLE ent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " account_id int NOT NULL, amount numeric NOT NULL)",
        "INSERT INTO acct VALUES (1, 100, 0), (2, 50, 10)",
        "INSERT INTO ent (account_id, amount) VALUES (1, 100), (2, 40)",
        "SELECT recon.register_wallet_source('gw', 'acct', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('ge', 'gw', 'ent', 'account_id', 'amount')",
        "SELECT recon.register_check('gb', 'balance', '{\"ledger\": \"ge\"}')",
        "UPDATE acct SET credits = credits + 5 WHERE id = 1")
    assert found(fresh) == [] and reconcile(fresh)["findings"] == 1
    [step] = fix(fresh, wallet_limit=100)
    assert (step["wallet_key"], step["status"]) == ("1", "skipped")
    assert step["note"] == ("cannot write balance of public.acct: it is GENERATED ALWAYS AS"
                            " (credits - debits); repair the columns it is computed from by"
                            " hand, or acknowledge")
    before = row_snapshot(fresh, "acct", "ent")
    [step] = fix(fresh, wallet_limit=100, dry_run=False, ticket="T", reason="generated")
    assert step["status"] == "skipped"
    assert row_snapshot(fresh, "acct", "ent") == before
