"""Seed 000 (runbook "Balance Discrepancy"): every failure mode it describes, found with the
right check, wallet, amount, severity and cause; and findings kept as issues across runs."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import open_findings, reconcile, rows, run


def wallet(i: int) -> str:
    """Wallet i's key as the fixture makes it: md5('wallet' || i)::uuid."""
    return str(uuid.UUID(hashlib.md5(f"wallet{i}".encode()).hexdigest()))


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A fresh database with the toolkit and seed 000 loaded and registered (a clone)."""
    return make_db(fixture_template("seed000.sql", "seed000_register.sql"))


def found(dsn: str) -> list[tuple]:
    """(check, wallet, difference, severity, cause) of every open finding, sorted."""
    return sorted((f["check_name"], f["wallet_key"], f["difference"], f["severity"], f["cause"])
                  for f in open_findings(dsn))


MISSING_CREDIT = (
    "INSERT INTO seed000.payment_intent VALUES"
    " ('pi_missing', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')",
    "UPDATE seed000.wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid",
)


@pytest.mark.core
def test_clean_dataset_is_synced_and_empty_wallets_are_clean(seed: str) -> None:
    summary = reconcile(seed)
    assert summary["status"] == "synced"
    assert summary["findings"] == 0
    assert set(summary["by_check"]) == {"s0_balance", "s0_chain", "s0_duplicates", "s0_orphans"}
    with psycopg.connect(seed) as c:  # wallets 51-60 have no entries and a zero balance
        assert c.execute("SELECT count(*) FROM seed000.wallet_account w WHERE NOT EXISTS"
                         " (SELECT FROM seed000.wallet_transaction t WHERE t.wallet_id = w.id)"
                         ).fetchone()[0] == 10
        assert c.execute("SELECT count(*) FROM recon.discrepancies").fetchone()[0] == 0


def test_missing_credit_is_an_orphaned_payment_behind_the_drift(seed: str) -> None:
    run(seed, *MISSING_CREDIT)
    summary = reconcile(seed)
    assert summary["status"] == "discrepancy" and summary["findings"] == 2
    assert found(seed) == [
        ("s0_balance", wallet(3), Decimal("77.00"), "MEDIUM", "orphaned_payment"),
        ("s0_orphans", wallet(3), Decimal("-77.00"), "MEDIUM", "orphaned_payment"),
    ]
    (balance,) = open_findings(seed, "s0_balance")
    assert balance["details"]["evidence"]["source_id"] == "pi_missing"


def test_orphaned_payment_alone(seed: str) -> None:
    run(seed, "INSERT INTO seed000.payment_intent VALUES"
              " ('pi_orphan', md5('wallet4')::uuid, 40.00, 'COMPLETED', 'wallet-4')",
        # neither a failed payment nor a card payment is expected in the wallet ledger
        "INSERT INTO seed000.payment_intent VALUES"
        " ('pi_f', md5('wallet4')::uuid, 9, 'FAILED', 'wallet-4'),"
        " ('pi_c', md5('wallet4')::uuid, 9, 'COMPLETED', 'card-4')")
    reconcile(seed)
    assert found(seed) == [("s0_orphans", wallet(4), Decimal("-40.00"), "MEDIUM",
                            "orphaned_payment")]


def test_duplicate_posting(seed: str) -> None:
    # the top-up pi_5_1 (105.00) posted a second time; the balance was credited once
    run(seed, """
        INSERT INTO seed000.wallet_transaction
            (id, wallet_id, type, amount, balance_after, reference, posted_at)
        SELECT md5('dup')::uuid, t.wallet_id, 'CREDIT', t.amount, w.balance + t.amount,
               t.reference, timestamptz '2026-01-06 00:00:00+00'
        FROM seed000.wallet_transaction t JOIN seed000.wallet_account w ON w.id = t.wallet_id
        WHERE t.reference = 'pi_5_1'""")
    reconcile(seed)
    assert found(seed) == [
        ("s0_balance", wallet(5), Decimal("-105.00"), "MEDIUM", "duplicate_reference"),
        ("s0_duplicates", wallet(5), Decimal("105.00"), "MEDIUM", "duplicate_reference"),
    ]
    (dup,) = open_findings(seed, "s0_duplicates")
    assert dup["details"]["postings"] == 2 and dup["details"]["reference"] == "pi_5_1"


@pytest.mark.parametrize(("amount", "severity"), [("13.50", "MEDIUM"), ("5.00", "LOW"),
                                                  ("10.00", "LOW")])
def test_erroneous_debit_severity_follows_the_runbook(seed: str, amount: str,
                                                      severity: str) -> None:
    run(seed, f"UPDATE seed000.wallet_account SET balance = balance - {amount}"
              " WHERE id = md5('wallet6')::uuid")
    reconcile(seed)
    assert found(seed) == [("s0_balance", wallet(6), -Decimal(amount), severity, None)]


def test_chain_break_is_reported_once_at_its_entry(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_transaction SET balance_after = balance_after + 1"
              " WHERE reference = 'pi_7_2'")
    reconcile(seed)
    assert found(seed) == [("s0_chain", wallet(7), Decimal("1.00"), "LOW", "chain_break")]
    (brk,) = open_findings(seed)
    assert brk["details"]["position"] == 2


def test_race_lost_update(seed: str) -> None:
    # Two concurrent top-ups both read the same balance: both entries are posted, each with a
    # running balance computed from the stale value, and the last write wins the balance.
    run(seed, """
        WITH w AS (SELECT balance FROM seed000.wallet_account WHERE id = md5('wallet8')::uuid)
        INSERT INTO seed000.wallet_transaction
            (id, wallet_id, type, amount, balance_after, reference, posted_at)
        SELECT md5('race' || n)::uuid, md5('wallet8')::uuid, 'CREDIT', a, w.balance + a,
               'race_' || n, timestamptz '2026-01-07 00:00:00+00'
        FROM w, (VALUES (1, 10.00), (2, 20.00)) AS v (n, a)""",
        "UPDATE seed000.wallet_account SET balance = balance + 20 WHERE id = md5('wallet8')::uuid")
    reconcile(seed)
    assert found(seed) == [
        ("s0_balance", wallet(8), Decimal("-10.00"), "LOW", "chain_break"),
        ("s0_chain", wallet(8), Decimal("-10.00"), "LOW", "chain_break"),
    ]


def test_nan_and_null_are_findings_never_summed_away(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_account SET balance = 'NaN' WHERE id = md5('wallet9')::uuid",
        "ALTER TABLE seed000.wallet_transaction ALTER COLUMN amount DROP NOT NULL",
        "UPDATE seed000.wallet_transaction SET amount = NULL WHERE reference = 'pi_10_1'")
    reconcile(seed)
    balance = {f["wallet_key"]: f for f in open_findings(seed, "s0_balance")}
    assert set(balance) == {wallet(9), wallet(10)}
    assert balance[wallet(9)]["cause"] == "invalid_balance"
    assert balance[wallet(10)]["cause"] == "invalid_amount"
    assert balance[wallet(10)]["details"]["null_amounts"] == 1
    assert {f["severity"] for f in balance.values()} == {"HIGH"}


def test_several_wallets_are_high_and_a_systematic_pattern_critical(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 1"
              " WHERE member_id BETWEEN 1011 AND 1013")
    reconcile(seed)
    assert {(f["severity"], f["cause"]) for f in open_findings(seed)} == {("HIGH", None)}
    assert len(open_findings(seed)) == 3

    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 1"
              " WHERE member_id BETWEEN 1014 AND 1022")
    summary = reconcile(seed)  # 12 wallets: many wallets, one check
    assert summary["max_severity"] == "CRITICAL"
    assert summary["by_severity"] == {"CRITICAL": {"findings": 12}}
    # the amount per currency only: ZAR (the wallets' currency column), at its 2 places
    assert [(c["currency"], c["by_severity"]) for c in summary["by_currency"]] == [
        ("ZAR", {"CRITICAL": {"findings": 12, "explained": 0, "amount": 12}})]
    assert rows(seed, "SELECT summary -> 'by_currency' -> 0 ->> 'amount' AS a, "
                      "by_currency -> 0 ->> 'amount' AS b FROM recon.runs WHERE id = %s",
                (summary["run_id"],)) == [{"a": "12.00", "b": "12.00"}]


def test_one_shown_cause_across_five_wallets_is_critical(seed: str) -> None:
    for i in range(21, 26):  # five missing credits: under critical_wallets, one cause
        run(seed, f"INSERT INTO seed000.payment_intent VALUES"
                  f" ('pi_m{i}', md5('wallet{i}')::uuid, 50, 'COMPLETED', 'wallet-{i}')",
            f"UPDATE seed000.wallet_account SET balance = balance + 50"
            f" WHERE id = md5('wallet{i}')::uuid")
    reconcile(seed)
    balance = open_findings(seed, "s0_balance")
    assert len(balance) == 5
    assert {(f["severity"], f["cause"]) for f in balance} == {("CRITICAL", "orphaned_payment")}


def test_findings_are_issues_across_runs(seed: str) -> None:
    run(seed, *MISSING_CREDIT)
    first = reconcile(seed)
    second = reconcile(seed)
    assert (first["new"], second["new"], second["resolved"]) == (2, 0, 0)
    (f,) = open_findings(seed, "s0_orphans")
    assert (f["first_seen_run"], f["last_seen_run"]) == (first["run_id"], second["run_id"])

    # the fix the runbook prescribes: post the missing credit
    run(seed, """INSERT INTO seed000.wallet_transaction
                     (id, wallet_id, type, amount, balance_after, reference, posted_at)
                 SELECT md5('fix')::uuid, id, 'ADJUSTMENT', 77, balance, 'pi_missing', now()
                 FROM seed000.wallet_account WHERE id = md5('wallet3')::uuid""")
    third = reconcile(seed)
    assert (third["status"], third["resolved"], third["findings"]) == ("synced", 2, 0)
    with psycopg.connect(seed) as c:
        assert c.execute("SELECT count(*) FROM _recon.finding WHERE resolved_run = %s",
                         (third["run_id"],)).fetchone()[0] == 2
        assert c.execute("SELECT count(*) FROM recon.runs").fetchone()[0] == 3
        # each finding was observed by the two runs that saw it
        assert c.execute("SELECT count(*) FROM _recon.observation").fetchone()[0] == 4


@pytest.mark.core
def test_every_injected_failure_at_once(seed: str) -> None:
    run(seed, *MISSING_CREDIT,
        "UPDATE seed000.wallet_account SET balance = balance - 13.50"
        " WHERE id = md5('wallet6')::uuid",
        "UPDATE seed000.wallet_transaction SET balance_after = balance_after + 1"
        " WHERE reference = 'pi_7_2'")
    summary = reconcile(seed)
    assert summary["by_check"]["s0_balance"]["findings"] == 2  # wallets 3 and 6: HIGH
    assert summary["by_check"]["s0_balance"]["max_severity"] == "HIGH"
    assert summary["by_check"]["s0_orphans"]["findings"] == 1
    assert summary["by_check"]["s0_chain"]["findings"] == 1
    assert summary["by_check"]["s0_duplicates"]["findings"] == 0
    assert summary["findings"] == 4 and summary["wallets"] == 3
