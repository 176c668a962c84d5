"""An orphaned payment holds money the stored balance has and the ledger lacks: no balance
repair may take it back from the customer while it is open (tester findings adv5-02/03).

- A wallet's first top-up, credited and never posted: its balance finding's cause was
  `no_ledger_entries`, so the orphan was not linked (the run counted the money twice) and
  `recon.fix(checks => '{bal}')` resynced the wallet to its empty ledger, wiping the payment.
- A payment id on two rows of the payment table (a webhook stored twice): the re-check under the
  lock never found the `#1`/`#2` findings again ("already consistent"), and the balance step
  resynced the wallet.
Now the orphan explains the drift of a wallet without entries; a wallet with an open orphan the
plan leaves out, or one left to a person, gets no balance repair; and a payment id on several
rows is for a person. Plain connections against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from helpers import row_snapshot

from conftest import fix, open_findings, reconcile, rows, run

SHOP = """
CREATE SCHEMA shop;
CREATE TABLE shop.wallet (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE shop.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                         wallet_id text NOT NULL, amount numeric(14, 2) NOT NULL,
                         type text NOT NULL DEFAULT 'TOPUP', reference text, description text);
CREATE TABLE shop.payment_event (event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                 payment_id text NOT NULL, wallet_id text NOT NULL,
                                 amount numeric(14, 2) NOT NULL, status text NOT NULL);
INSERT INTO shop.wallet VALUES ('a', 100), ('b', 0);
INSERT INTO shop.entry (wallet_id, amount, reference) VALUES ('a', 100, 'pi_1');
INSERT INTO shop.payment_event (payment_id, wallet_id, amount, status)
VALUES ('pi_1', 'a', 100, 'COMPLETED');
SELECT recon.register_wallet_source('w', 'shop.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('l', 'w', 'shop.entry', 'wallet_id', 'amount',
  '{"entry_id": "id", "order_by": "id", "reference": "reference"}');
SELECT recon.register_check('bal', 'balance', '{"ledger": "l", "currency": "USD"}');
SELECT recon.register_check('orph', 'orphan', '{"ledger": "l", "currency": "USD",
  "table": "shop.payment_event", "id_column": "payment_id", "amount_column": "amount",
  "wallet_column": "wallet_id", "filters": {"status": ["COMPLETED"]}}');
SELECT recon.register_writer('l', '{"columns": {"type": "ADJUSTMENT",
                                                "description": "{description}"}}');
"""
TABLES = ("shop.wallet", "shop.entry")


@pytest.fixture
def shop(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(SHOP,)))


def paid(dsn: str, wallet: str, amount: str, rows_: int = 1, extra: str = "0") -> None:
    """A payment of amount completed rows_ times in the payment table, credited to the wallet
    once (plus extra drift), never posted."""
    run(dsn, *[f"INSERT INTO shop.payment_event (payment_id, wallet_id, amount, status)"
               f" VALUES ('pi_2', '{wallet}', {amount}, 'COMPLETED')"] * rows_,
        f"UPDATE shop.wallet SET balance = balance + {amount} + {extra} WHERE id = '{wallet}'")


def test_a_first_top_up_never_posted_explains_the_drift_and_no_resync_takes_it_back(
        shop: str) -> None:
    paid(shop, "b", "50")
    summary = reconcile(shop)
    bal = open_findings(shop, "bal")
    assert [(f["wallet_key"], f["cause"], f["difference"]) for f in bal] == [
        ("b", "orphaned_payment", Decimal("50.00"))], bal
    assert bal[0]["details"]["no_ledger_entries"] is True
    assert bal[0]["explained_by"] == [f["id"] for f in open_findings(shop, "orph")]
    # the money once, explained
    assert [(c["amount"], c["explained"]) for c in summary["by_currency"]] == [(50, 1)], summary
    before = row_snapshot(shop, *TABLES)
    steps = fix(shop, checks=["bal"], dry_run=False, ticket="INC-1", reason="balance drift",
                wallet_limit=100)
    assert [(s["wallet_key"], s["status"]) for s in steps] == [("b", "manual")], steps
    assert steps[0]["note"].startswith("explained by orph finding b/pi_2"), steps
    assert row_snapshot(shop, *TABLES) == before
    # the whole plan posts the payment and covers the balance
    steps = fix(shop, dry_run=False, ticket="INC-1", reason="payment never posted",
                wallet_limit=100)
    assert sorted((s["check_name"], s["status"]) for s in steps) == [
        ("bal", "covered"), ("orph", "applied")], steps
    assert rows(shop, "SELECT balance FROM shop.wallet WHERE id = 'b'")[0]["balance"] == 50
    assert reconcile(shop)["status"] == "synced"


def test_an_open_orphan_the_plan_leaves_out_holds_the_wallets_balance_repair(shop: str) -> None:
    # a wallet with entries: 53 = the payment of 50 and 3 more; not linked (no equal amount)
    paid(shop, "a", "50", extra="3")
    reconcile(shop)
    assert [f["cause"] for f in open_findings(shop, "bal")] == [None]
    before = row_snapshot(shop, *TABLES)
    for dry_run in (True, False):
        steps = fix(shop, checks=["bal"], dry_run=dry_run, ticket="INC-2", reason="drift",
                    wallet_limit=100)
        assert [(s["wallet_key"], s["status"]) for s in steps] == [("a", "manual")], steps
        assert "open orphaned payment this plan leaves out" in steps[0]["note"], steps
    assert row_snapshot(shop, *TABLES) == before


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_payment_id_on_two_rows_is_for_a_person_and_so_is_its_wallets_balance(
        shop: str, dry_run: bool) -> None:
    paid(shop, "b", "50", rows_=2)
    reconcile(shop)
    assert sorted(f["details"]["item"] for f in open_findings(shop, "orph")) == ["pi_2", "pi_2"]
    before = row_snapshot(shop, *TABLES)
    steps = fix(shop, dry_run=dry_run, ticket="INC-3", reason="webhook twice",
                wallet_limit=100)
    got = {(s["check_name"], s["status"]) for s in steps}
    assert got == {("orph", "manual"), ("bal", "manual")}, steps
    assert all("payment pi_2 is on 2 rows" in s["note"] for s in steps
               if s["check_name"] == "orph"), steps
    assert row_snapshot(shop, *TABLES) == before
    # never "already consistent": the re-check finds both findings again
    assert not any("already consistent" in (s["note"] or "") for s in steps), steps


def test_an_open_duplicate_a_balance_only_run_does_not_see_holds_the_balance_repair(
        shop: str) -> None:
    """Tester finding adv5-13: a top-up posted twice, credited once. After a run of the
    balance check alone (its finding has no cause), a plain fix resynced the wallet to the
    ledger: the customer was paid the duplicate."""
    run(shop, "SELECT recon.register_check('dups', 'duplicate', '{\"ledger\": \"l\","
              " \"currency\": \"USD\"}')",
        "INSERT INTO shop.entry (wallet_id, amount, reference) VALUES ('a', 100, 'pi_1')")
    reconcile(shop)
    reconcile(shop, ["bal"])
    assert [(f["check_name"], f["cause"]) for f in open_findings(shop)] == [
        ("bal", None), ("dups", "duplicate_reference")]
    before = row_snapshot(shop, *TABLES)
    steps = fix(shop, dry_run=False, ticket="INC-13", reason="hourly", wallet_limit=200)
    assert [(s["check_name"], s["status"]) for s in steps] == [("bal", "manual")], steps
    assert "open duplicate finding this plan leaves out" in steps[0]["note"], steps
    assert row_snapshot(shop, *TABLES) == before
    # a full run: the duplicate is reversed and the balance covered
    reconcile(shop)
    steps = fix(shop, dry_run=False, ticket="INC-13", reason="duplicate", wallet_limit=200)
    assert sorted((s["check_name"], s["status"]) for s in steps) == [
        ("bal", "covered"), ("dups", "applied")], steps
    assert reconcile(shop)["status"] == "synced"
    assert rows(shop, "SELECT balance FROM shop.wallet WHERE id = 'a'")[0]["balance"] == 100
