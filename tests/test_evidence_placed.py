"""A lost update is not "restored" into an unrelated journal that happens to lack the same
amount (a tester's finding): wallet a lost an update (its entries all there, its stored balance
30 too high), while journal j9, a payment a never took part in, lacks a 30.00 leg. The plan
restored +30 on a inside j9, created 30 and the books said synced. A restore goes only into a
journal with a leg where the wallet's running balance breaks (and in the wallet's currency);
a journal elsewhere lacking the same amount leaves the step to a person: it may be another
wallet's lost leg and this one's a lost update, or the other way round (a resync would then
create money). Through SQL from a plain connection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers import row_snapshot

from conftest import fix, open_findings, reconcile, run


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    return make_db(template_db)


def ledger(currency_per_row: bool) -> tuple[str, ...]:
    cur = ", currency text NOT NULL DEFAULT 'USD'"
    return (
        f"CREATE TABLE wallet (id text PRIMARY KEY, balance numeric(12,2) NOT NULL{cur})",
        "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text"
        " NOT NULL, amount numeric(12,2) NOT NULL, balance_after numeric(12,2) NOT NULL,"
        f" journal text NOT NULL{cur})",
        "INSERT INTO wallet (id, balance) VALUES ('world', -300), ('a', 100), ('c', 100),"
        " ('shop', 100)",
        "INSERT INTO entry (wallet_id, amount, balance_after, journal) VALUES"
        " ('world', -100, -100, 'j1'), ('a', 100, 100, 'j1'), ('world', -100, -200, 'j2'),"
        " ('c', 100, 100, 'j2'), ('world', -100, -300, 'j3'), ('shop', 100, 100, 'j3')",
        "SELECT recon.register_wallet_source('w', 'wallet', 'id', ARRAY['balance']"
        + (", '{\"currency\": \"currency\"}')" if currency_per_row else ")"),
        "SELECT recon.register_ledger_source('l', 'w', 'entry', 'wallet_id', 'amount',"
        " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"balance_after\": \"balance_after\","
        " \"journal\": \"journal\"" + (", \"currency\": \"currency\"" if currency_per_row else "")
        + "}')",
        "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\""
        + ("" if currency_per_row else ", \"currency\": \"USD\"") + "}')",
        "SELECT recon.register_check('jr', 'journal', '{\"ledger\": \"l\""
        + ("" if currency_per_row else ", \"currency\": \"USD\"") + "}')",
        "SELECT recon.register_writer('l', '{\"offset_wallet\": \"world\", \"journal\":"
        " \"recon-{fix}-{step}\"}')",
    )


# a: two purchases (j10: -30, j11: -20) both computed from 100: the stored 80 lost an update
LOST_UPDATE = (
    "INSERT INTO entry (wallet_id, amount, balance_after, journal) VALUES"
    " ('a', -30, 70, 'j10'), ('shop', 30, 130, 'j10')",
    "INSERT INTO entry (wallet_id, amount, balance_after, journal) VALUES"
    " ('a', -20, 80, 'j11'), ('shop', 20, 150, 'j11')",
    "UPDATE wallet SET balance = 80 WHERE id = 'a'",
    "UPDATE wallet SET balance = 150 WHERE id = 'shop'",
)


@pytest.mark.parametrize("currency_per_row", [False, True])
def test_a_lost_update_is_not_restored_into_an_unrelated_journal(
        fresh: str, currency_per_row: bool) -> None:
    # c pays the shop 30 (j9) before; the shop's leg is deleted later and its balance lowered
    # by hand: j9 lacks +30 and no wallet drifts by it (in EUR, with a currency per row)
    cur = ", currency" if currency_per_row else ""
    eur = ", 'EUR'" if currency_per_row else ""
    setup = [*ledger(currency_per_row)]
    if currency_per_row:
        setup.append("INSERT INTO wallet VALUES ('ec', 100, 'EUR'), ('eshop', 0, 'EUR'),"
                     " ('eworld', -100, 'EUR')")
        setup.append("INSERT INTO entry (wallet_id, amount, balance_after, journal, currency)"
                     " VALUES ('eworld', -100, -100, 'e1', 'EUR'), ('ec', 100, 100, 'e1', 'EUR')")
    payer = "ec" if currency_per_row else "c"
    run(fresh, *setup,
        f"INSERT INTO entry (wallet_id, amount, balance_after, journal{cur}) VALUES"
        f" ('{payer}', -30, 70, 'j9'{eur})",
        f"UPDATE wallet SET balance = 70 WHERE id = '{payer}'",
        *LOST_UPDATE)
    reconcile(fresh)
    assert {(f["check_name"], f["wallet_key"]) for f in open_findings(fresh)} == {
        ("bal", "a"), ("jr", None)}
    (step,) = [s for s in fix(fresh, wallet_limits="{\"*\": 100}") if s["wallet_key"] == "a"]
    assert (step["strategy"], step["status"]) == ("resync", "manual"), step
    assert step["evidence"]["verdict"] == "lost_entry", step["evidence"]
    assert step["evidence"]["breaks"][0]["journals_at_gap"] == []
    assert "journal j9 lacks exactly that amount, but none of its legs lies where the gap is" \
        in step["note"]
    before = row_snapshot(fresh, "wallet", "entry")
    fix(fresh, wallet_limits="{\"*\": 100}", dry_run=False, ticket="T", reason="r")
    assert row_snapshot(fresh, "wallet", "entry") == before


def test_a_leg_lost_where_the_gap_is_is_still_restored(fresh: str) -> None:
    """The case restores exist for: a's credit leg of j12 is lost between its entries, j12's
    other leg sits there; the plan restores it into j12."""
    run(fresh, *ledger(False),
        "INSERT INTO entry (wallet_id, amount, balance_after, journal) VALUES"
        " ('a', -30, 70, 'j10'), ('shop', 30, 130, 'j10'), ('shop', -5, 125, 'j12'),"
        " ('a', -20, 55, 'j11'), ('shop', 20, 145, 'j11')",
        "UPDATE wallet SET balance = 55 WHERE id = 'a'",
        "UPDATE wallet SET balance = 145 WHERE id = 'shop'")
    reconcile(fresh)
    (step,) = [s for s in fix(fresh, wallet_limits="{\"*\": 100}") if s["wallet_key"] == "a"]
    assert (step["strategy"], step["status"]) == ("restore", "planned"), step
    assert step["evidence"]["restore_journal"] == "j12"
    assert step["evidence"]["breaks"][0]["journals_at_gap"] == ["j12"]
