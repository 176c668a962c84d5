"""Seed 002 (wallet-activation synchronization) end to end: a workspace wallet's balance and
locked_balance against its ledger (operation types with effects on both columns), the
locked_balance against the open commitments of its activations (a derived check), and
duplicate payment releases. A clean dataset is synced; each failure mode is injected alone into
a fresh database and must produce exactly its findings, with the runbook's severity."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import open_findings, reconcile

CHECKS = ["s2_balance", "s2_duplicate", "s2_locked"]


def md5_uuid(text: str) -> str:
    """What PostgreSQL's md5(text)::uuid gives: how the fixture names its rows."""
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def ws(i: int) -> str:
    """The workspace_id (wallet key) of workspace i of the fixture."""
    return md5_uuid(f"ws{i}")


def activation(i: int, k: int) -> str:
    return md5_uuid(f"act{i}-{k}")


def participant(i: int, k: int, p: int) -> str:
    return md5_uuid(f"part{i}-{k}-{p}")


def payment_txn(i: int, k: int, p: int) -> str:
    return md5_uuid(f"txn-payment-{participant(i, k, p)}")


def sql(dsn: str, *statements: str | tuple[str, tuple]) -> list[tuple]:
    """Run statements in one transaction; the rows of the last one (if it returns rows)."""
    rows: list[tuple] = []
    with psycopg.connect(dsn) as c:
        for st in statements:
            query, params = st if isinstance(st, tuple) else (st, ())
            cur = c.execute(query, params)
            rows = cur.fetchall() if cur.description else []
    return rows


def one(dsn: str, query: str, *params: object) -> object:
    return sql(dsn, (query, params))[0][0]


def brief(findings: list[dict]) -> list[tuple]:
    """The identifying part of each finding, sorted."""
    return sorted(
        (f["check_name"], f["wallet_key"], f["stored"], f["expected"], f["difference"],
         f["severity"], f["cause"])
        for f in findings
    )


def wallet(dsn: str, i: int) -> tuple[Decimal, Decimal]:
    return sql(dsn, ("SELECT balance, locked_balance FROM seed002.workspace_wallets"
                     " WHERE workspace_id = %s", (ws(i),)))[0]


def open_commitments(dsn: str, i: int) -> Decimal:
    """Expected locked_balance of workspace i, computed here without the toolkit."""
    return one(dsn, "SELECT COALESCE(sum(total_budget - spent_amount), 0)"
                    " FROM seed002.activations WHERE workspace_id = %s"
                    " AND status IN ('live', 'paused')", ws(i))


@pytest.fixture
def seeded(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A fresh database with the toolkit, seed 002's data and its registration (a clone)."""
    return make_db(fixture_template("seed002.sql", "seed002_register.sql"))


# --- injections: what the application got wrong, one at a time --------------------------

def complete_without_release(dsn: str, activation_id: str) -> None:
    """finalize_sm_panel_activation set the status but never refunded the unused budget."""
    sql(dsn, ("UPDATE seed002.activations SET status = 'completed',"
              " closed_at = timestamptz '2026-03-01 12:00:00+01' WHERE id = %s",
              (activation_id,)))


def publish_without_lock(dsn: str, i: int, budget: str, k: int = 9) -> str:
    """activation-publish set the activation live, but the lock never happened."""
    act = activation(i, k)
    sql(dsn, ("INSERT INTO seed002.activations (id, workspace_id, type, title, status,"
              " total_budget, created_at, published_at) VALUES (%s, %s, 'sm_panel', %s, 'live',"
              " %s, timestamptz '2026-03-01 09:00:00+01', timestamptz '2026-03-01 10:00:00+01')",
              (act, ws(i), f"Campaign {i}-{k}", Decimal(budget))))
    return act


def topup_without_transaction(dsn: str, i: int, amount: str) -> None:
    """The Paystack webhook credited the wallet; the topup transaction was never written."""
    sql(dsn, ("UPDATE seed002.workspace_wallets SET balance = balance + %s WHERE workspace_id = %s",
              (Decimal(amount), ws(i))))


def release_payment_again(dsn: str, i: int, k: int, p: int, *, move_wallet: bool = True) -> str:
    """release_sm_panel_payment ran twice for one participant: a second payment transaction
    (and, when the whole RPC ran twice, a second debit of locked_balance)."""
    dup = md5_uuid(f"txn-payment-dup-{i}-{k}-{p}")
    statements: list[str | tuple[str, tuple]] = [(
        "INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount, reference_type,"
        " reference_id, description, created_at)"
        " SELECT %s, workspace_id, type, amount, reference_type, reference_id, description,"
        " created_at + interval '2 seconds' FROM seed002.wallet_transactions WHERE id = %s",
        (dup, payment_txn(i, k, p)))]
    if move_wallet:
        statements.append((
            "UPDATE seed002.workspace_wallets SET locked_balance = locked_balance -"
            " (SELECT amount FROM seed002.wallet_transactions WHERE id = %s)"
            " WHERE workspace_id = %s", (dup, ws(i))))
    sql(dsn, *statements)
    return dup


# --- (a) the clean dataset -----------------------------------------------------------------

@pytest.mark.core
def test_clean_dataset_is_consistent_and_synced(seeded: str) -> None:
    # The dataset is what the tests assume, checked here without the toolkit.
    wallets, empty, with_locked = sql(seeded, """
        SELECT count(*),
               count(*) FILTER (WHERE balance = 0 AND locked_balance = 0 AND NOT EXISTS (
                   SELECT FROM seed002.wallet_transactions AS t
                   WHERE t.workspace_id = w.workspace_id)),
               count(*) FILTER (WHERE locked_balance > 0)
        FROM seed002.workspace_wallets AS w""")[0]
    assert 50 <= wallets <= 200
    assert empty == 20  # 101-120: no money, no ledger
    assert with_locked >= 20
    statuses = dict(sql(seeded, "SELECT status, count(*) FROM seed002.activations GROUP BY 1"))
    assert set(statuses) == {"draft", "live", "paused", "completed", "cancelled"}
    assert min(statuses.values()) >= 20
    # Drafts carry budgets that were never locked: the filter must leave them out.
    assert one(seeded, "SELECT sum(total_budget) FROM seed002.activations"
                       " WHERE status = 'draft'") > 0
    # locked_balance = open commitments, and balances = their transactions' effects.
    assert one(seeded, """
        SELECT count(*) FROM seed002.workspace_wallets AS w
        WHERE w.locked_balance <> (
                SELECT COALESCE(sum(a.total_budget - a.spent_amount), 0)
                FROM seed002.activations AS a
                WHERE a.workspace_id = w.workspace_id AND a.status IN ('live', 'paused'))
           OR w.balance <> (
                SELECT COALESCE(sum(CASE t.type WHEN 'topup' THEN t.amount
                                                WHEN 'release' THEN t.amount
                                                WHEN 'lock' THEN -t.amount
                                                WHEN 'withdrawal' THEN -t.amount ELSE 0 END), 0)
                FROM seed002.wallet_transactions AS t WHERE t.workspace_id = w.workspace_id)""") == 0
    assert one(seeded, "SELECT count(*) FROM seed002.activations"
                       " WHERE spent_amount <> (SELECT COALESCE(sum(p.payout_amount), 0)"
                       " FROM seed002.activation_participants AS p"
                       " WHERE p.activation_id = activations.id)") == 0

    summary = reconcile(seeded)
    assert summary["status"] == "synced"
    assert summary["findings"] == 0
    assert summary["new"] == 0 and summary["resolved"] == 0
    assert summary["checks"] == CHECKS
    assert summary["by_check"] == {
        name: {"findings": 0, "max_severity": None, "by_currency": []} for name in CHECKS}
    assert summary["by_currency"] == []
    assert open_findings(seeded) == []
    checks = sql(seeded, "SELECT name, kind, currency, tolerance FROM recon.checks ORDER BY name")
    # amounts per currency: the check's 0.01 is NGN's
    assert checks == [("s2_balance", "balance", "NGN", {"NGN": 0.01}),
                      ("s2_duplicate", "duplicate", "NGN", {"NGN": 0.01}),
                      ("s2_locked", "derived", "NGN", {"NGN": 0.01})]


def test_rounding_within_tolerance_is_absorbed_and_beyond_it_is_low(seeded: str) -> None:
    balance, locked = wallet(seeded, 5)
    sql(seeded, ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance + 0.005,"
                 " balance = balance - 0.005 WHERE workspace_id = %s", (ws(5),)))
    # The drift is really there ...
    assert wallet(seeded, 5) == (balance - Decimal("0.005"), locked + Decimal("0.005"))
    assert wallet(seeded, 5)[1] - open_commitments(seeded, 5) == Decimal("0.005")
    # ... and the 0.01 NGN tolerance absorbs it.
    summary = reconcile(seeded)
    assert summary["status"] == "synced", summary
    assert summary["findings"] == 0
    assert open_findings(seeded) == []

    # 0.02 NGN is beyond the tolerance: a LOW finding on each check that sees locked_balance.
    sql(seeded, ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance + 0.015"
                 " WHERE workspace_id = %s", (ws(5),)))
    summary = reconcile(seeded)
    assert summary["status"] == "discrepancy"
    stored = locked + Decimal("0.02")
    assert brief(open_findings(seeded)) == [
        ("s2_balance", ws(5), stored, locked, Decimal("0.02"), "LOW", None),
        ("s2_locked", ws(5), stored, locked, Decimal("0.02"), "LOW", None),
    ]
    by_check = {f["check_name"]: f for f in open_findings(seeded)}
    assert by_check["s2_balance"]["details"]["column"] == "locked_balance"
    assert by_check["s2_locked"]["details"]["direction"] == "over"


# --- (b) one failure mode at a time --------------------------------------------------------

def test_over_locked_activation_completed_without_release(seeded: str) -> None:
    # Workspace 3: activation 3-4 is live with 12150.0 budget, 2606.0 spent.
    assert open_commitments(seeded, 3) == wallet(seeded, 3)[1] == Decimal("29566.5")
    complete_without_release(seeded, activation(3, 4))

    summary = reconcile(seeded)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 1 and summary["wallets"] == 1 and summary["new"] == 1
    assert summary["max_severity"] == "MEDIUM"
    assert summary["by_check"]["s2_locked"] == {
        "findings": 1, "max_severity": "MEDIUM",
        "by_currency": [{"currency": "NGN", "findings": 1, "explained": 0, "amount": 9544.0}]}
    assert summary["by_check"]["s2_balance"]["findings"] == 0  # the ledger agrees with itself

    findings = open_findings(seeded)
    assert brief(findings) == [("s2_locked", ws(3), Decimal("29566.5"), Decimal("20022.5"),
                                Decimal("9544.0"), "MEDIUM", None)]
    f = findings[0]
    assert f["kind"] == "derived" and f["currency"] == "NGN"
    assert f["details"]["direction"] == "over"
    assert f["details"]["column"] == "locked_balance"
    assert f["details"]["rows"] == 2  # 3-2 live and 3-3 paused are still open


def test_over_locked_creator_joined_but_payment_never_released(seeded: str) -> None:
    # join_sm_panel_atomic moved spent_amount; release_sm_panel_payment never ran.
    sql(seeded,
        ("INSERT INTO seed002.activation_participants (id, activation_id, creator_id,"
         " payout_amount, status, joined_at) VALUES (%s, %s, %s, 1325.75, 'joined',"
         " timestamptz '2026-03-02 10:00:00+01')",
         (participant(7, 2, 9), activation(7, 2), md5_uuid("creator-new"))),
        ("UPDATE seed002.activations SET spent_amount = spent_amount + 1325.75 WHERE id = %s",
         (activation(7, 2),)))
    summary = reconcile(seeded)
    assert summary["findings"] == 1
    findings = open_findings(seeded)
    assert brief(findings) == [("s2_locked", ws(7), Decimal("11003.0"), Decimal("9677.25"),
                                Decimal("1325.75"), "MEDIUM", None)]
    assert findings[0]["details"]["direction"] == "over"


def test_under_locked_activation_published_without_lock(seeded: str) -> None:
    # Workspace 100 has money and no activations.
    assert wallet(seeded, 100) == (Decimal("234900.00"), 0)
    publish_without_lock(seeded, 100, "25000.00")

    summary = reconcile(seeded)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 1 and summary["max_severity"] == "MEDIUM"
    findings = open_findings(seeded)
    assert brief(findings) == [("s2_locked", ws(100), Decimal(0), Decimal("25000.00"),
                                Decimal("-25000.00"), "MEDIUM", None)]
    assert findings[0]["details"]["direction"] == "under"
    assert findings[0]["details"]["rows"] == 1


def test_under_locked_payment_released_but_spent_amount_not_moved(seeded: str) -> None:
    # A creator was paid (payment posted, locked_balance debited), but the join never
    # incremented the activation's spent_amount: more is committed than is locked.
    _, locked = wallet(seeded, 5)
    part = participant(5, 2, 9)
    sql(seeded,
        ("INSERT INTO seed002.activation_participants (id, activation_id, creator_id,"
         " payout_amount, status, joined_at, paid_at) VALUES (%s, %s, %s, 8.40, 'paid',"
         " timestamptz '2026-03-02 10:00:00+01', timestamptz '2026-03-02 10:30:00+01')",
         (part, activation(5, 2), md5_uuid("creator-new"))),
        ("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount, reference_type,"
         " reference_id, created_at) VALUES (%s, %s, 'payment', 8.40, 'activation_participant',"
         " %s, timestamptz '2026-03-02 10:30:00+01')", (md5_uuid(f"txn-payment-{part}"), ws(5), part)),
        ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance - 8.40"
         " WHERE workspace_id = %s", (ws(5),)))
    summary = reconcile(seeded)
    assert summary["findings"] == 1 and summary["max_severity"] == "LOW"
    findings = open_findings(seeded)
    assert brief(findings) == [("s2_locked", ws(5), locked - Decimal("8.40"), locked,
                                Decimal("-8.40"), "LOW", None)]
    assert findings[0]["details"]["direction"] == "under"


def test_missing_topup_credit(seeded: str) -> None:
    balance, _ = wallet(seeded, 8)
    assert balance == Decimal("102084.00")
    topup_without_transaction(seeded, 8, "15000.00")

    summary = reconcile(seeded)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 1
    assert summary["by_check"]["s2_balance"] == {
        "findings": 1, "max_severity": "MEDIUM",
        "by_currency": [{"currency": "NGN", "findings": 1, "explained": 0, "amount": 15000.00}]}
    findings = open_findings(seeded)
    assert brief(findings) == [("s2_balance", ws(8), Decimal("117084.00"), Decimal("102084.00"),
                                Decimal("15000.00"), "MEDIUM", None)]
    details = findings[0]["details"]
    assert details["column"] == "balance"
    assert details["entries"] == 8
    assert "direction" not in details


def test_missing_credit_on_a_wallet_with_no_ledger(seeded: str) -> None:
    assert wallet(seeded, 115) == (0, 0)
    topup_without_transaction(seeded, 115, "5000")
    summary = reconcile(seeded)
    assert summary["findings"] == 1
    findings = open_findings(seeded)
    assert brief(findings) == [("s2_balance", ws(115), Decimal(5000), Decimal(0), Decimal(5000),
                                "MEDIUM", "no_ledger_entries")]
    assert findings[0]["details"]["entries"] == 0


def test_duplicate_payment_release(seeded: str) -> None:
    # Seed item 6: release_sm_panel_payment had no idempotency check and ran twice for the
    # first creator of activation 3-4 (1302.5 NGN): a second payment row, a second debit.
    dup = release_payment_again(seeded, 3, 4, 1)
    first = payment_txn(3, 4, 1)

    summary = reconcile(seeded)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 2 and summary["wallets"] == 1
    assert summary["by_check"]["s2_balance"]["findings"] == 0
    findings = open_findings(seeded)
    assert brief(findings) == [
        ("s2_duplicate", ws(3), Decimal("2605.0"), Decimal("1302.5"), Decimal("1302.5"),
         "MEDIUM", "duplicate_reference"),
        # locked_balance is short by exactly the duplicate: that is its shown cause
        ("s2_locked", ws(3), Decimal("28264.0"), Decimal("29566.5"), Decimal("-1302.5"),
         "MEDIUM", "duplicate_reference"),
    ]
    by_check = {f["check_name"]: f for f in findings}
    d = by_check["s2_duplicate"]["details"]
    assert d["reference"] == participant(3, 4, 1)
    assert d["item"] == f"{participant(3, 4, 1)}/payment"
    assert d["postings"] == 2 and d["wallets"] == 1
    assert d["entries"] == [first, dup]
    assert by_check["s2_locked"]["details"]["direction"] == "under"


def test_duplicate_payment_posted_twice_wallet_debited_once(seeded: str) -> None:
    # The transaction insert was retried, the wallet update was not: the stored
    # locked_balance is right, the ledger is not, and the duplicate is the shown cause.
    release_payment_again(seeded, 3, 4, 1, move_wallet=False)
    summary = reconcile(seeded)
    assert summary["findings"] == 2
    findings = open_findings(seeded)
    assert brief(findings) == [
        ("s2_balance", ws(3), Decimal("29566.5"), Decimal("28264.0"), Decimal("1302.5"),
         "MEDIUM", "duplicate_reference"),
        ("s2_duplicate", ws(3), Decimal("2605.0"), Decimal("1302.5"), Decimal("1302.5"),
         "MEDIUM", "duplicate_reference"),
    ]
    evidence = next(f for f in findings if f["check_name"] == "s2_balance")["details"]["evidence"]
    assert evidence["check"] == "s2_duplicate"
    assert evidence["finding"] == f"{ws(3)}/{participant(3, 4, 1)}/payment"
    assert summary["by_check"]["s2_locked"]["findings"] == 0


def test_severity_low_up_to_the_limit_then_medium(seeded: str) -> None:
    act = publish_without_lock(seeded, 100, "7.50")
    assert reconcile(seeded)["max_severity"] == "LOW"
    [first] = open_findings(seeded)
    assert (first["difference"], first["severity"]) == (Decimal("-7.50"), "LOW")

    sql(seeded, ("UPDATE seed002.activations SET total_budget = 10.00 WHERE id = %s", (act,)))
    reconcile(seeded)
    [f] = open_findings(seeded)
    assert (f["difference"], f["severity"]) == (Decimal("-10.00"), "LOW")

    sql(seeded, ("UPDATE seed002.activations SET total_budget = 10.01 WHERE id = %s", (act,)))
    summary = reconcile(seeded)
    assert summary["max_severity"] == "MEDIUM"
    assert summary["new"] == 0 and summary["resolved"] == 0
    [f] = open_findings(seeded)
    assert (f["difference"], f["severity"]) == (Decimal("-10.01"), "MEDIUM")
    assert f["id"] == first["id"] and f["first_seen_run"] == first["first_seen_run"]


def test_severity_high_for_several_wallets_critical_for_ten(seeded: str) -> None:
    # The first live activation with unspent budget of each of the first ten such workspaces.
    targets = sql(seeded, """
        SELECT DISTINCT ON (a.workspace_id) a.workspace_id::text, a.id::text,
               a.total_budget - a.spent_amount, w.locked_balance
        FROM seed002.activations AS a
        JOIN seed002.workspace_wallets AS w ON w.workspace_id = a.workspace_id
        WHERE a.status = 'live' AND a.total_budget > a.spent_amount
        ORDER BY a.workspace_id, a.created_at
        LIMIT 10""")
    assert len(targets) == 10

    def expected(n: int, severity: str) -> list[tuple]:
        return sorted(("s2_locked", key, locked, locked - rem, rem, severity, None)
                      for key, _, rem, locked in targets[:n])

    for _, act, _, _ in targets[:2]:
        complete_without_release(seeded, act)
    summary = reconcile(seeded)
    assert summary["max_severity"] == "HIGH"
    assert brief(open_findings(seeded)) == expected(2, "HIGH")

    for _, act, _, _ in targets[2:9]:
        complete_without_release(seeded, act)
    summary = reconcile(seeded)
    assert summary["findings"] == 9 and summary["max_severity"] == "HIGH"
    assert brief(open_findings(seeded)) == expected(9, "HIGH")

    complete_without_release(seeded, targets[9][1])
    summary = reconcile(seeded)
    assert summary["findings"] == 10 and summary["new"] == 1
    assert summary["max_severity"] == "CRITICAL"
    assert summary["by_severity"] == {"CRITICAL": {"findings": 10}}
    assert [(c["currency"], c["by_severity"]) for c in summary["by_currency"]] == [
        ("NGN", {"CRITICAL": {"findings": 10, "explained": 0,
                              "amount": float(sum(t[2] for t in targets))}})]
    findings = open_findings(seeded)
    assert brief(findings) == expected(10, "CRITICAL")
    assert {f["details"]["direction"] for f in findings} == {"over"}


# --- (c) several at once, repaired by hand -------------------------------------------------

@pytest.mark.core
def test_combined_failures_then_manual_repair_resolves_all(seeded: str) -> None:
    complete_without_release(seeded, activation(3, 4))          # over-locked 9544.0
    publish_without_lock(seeded, 100, "25000.00")               # under-locked 25000.00
    topup_without_transaction(seeded, 8, "15000.00")            # missing credit 15000.00
    dup = release_payment_again(seeded, 5, 1, 1)                # payment released twice 1226.0

    first = reconcile(seeded)
    assert first["status"] == "discrepancy"
    assert first["findings"] == 5 and first["new"] == 5 and first["wallets"] == 4
    assert first["max_severity"] == "HIGH"
    assert first["by_severity"] == {"HIGH": {"findings": 3}, "MEDIUM": {"findings": 2}}
    assert [(c["currency"], c["by_severity"]) for c in first["by_currency"]] == [
        # the locked drift of the payment released twice (1226) is the duplicate's money:
        # counted once, under the duplicate (MEDIUM), not again under HIGH
        ("NGN", {"HIGH": {"findings": 3, "explained": 1, "amount": 34544.0},
                 "MEDIUM": {"findings": 2, "explained": 0, "amount": 16226.0}})]
    # one scale for the currency: 16226.00 (15000.00 + 1226), never 16226.0
    with psycopg.connect(seeded, autocommit=True) as c:
        assert c.execute("SELECT by_currency::text FROM recon.runs WHERE id = %s",
                         (first["run_id"],)).fetchone()[0].count("16226.00") == 1
    assert {k: v["findings"] for k, v in first["by_check"].items()} == {
        "s2_balance": 1, "s2_duplicate": 1, "s2_locked": 3}
    assert brief(open_findings(seeded)) == sorted([
        ("s2_balance", ws(8), Decimal("117084.00"), Decimal("102084.00"), Decimal("15000.00"),
         "MEDIUM", None),
        ("s2_duplicate", ws(5), Decimal("2452.0"), Decimal("1226.0"), Decimal("1226.0"),
         "MEDIUM", "duplicate_reference"),
        ("s2_locked", ws(3), Decimal("29566.5"), Decimal("20022.5"), Decimal("9544.0"),
         "HIGH", None),
        ("s2_locked", ws(5), Decimal("14547.0"), Decimal("15773.0"), Decimal("-1226.0"),
         "HIGH", "duplicate_reference"),
        ("s2_locked", ws(100), Decimal(0), Decimal("25000.00"), Decimal("-25000.00"),
         "HIGH", None),
    ])

    # Repair by hand, the way the runbook would: post what is missing, move what was not moved.
    sql(seeded,
        ("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount, reference_type,"
         " reference_id, description, created_at) VALUES (%s, %s, 'release', 9544.0, 'activation',"
         " %s, 'Unused budget released (repair)', now())",
         (md5_uuid("repair-release-3-4"), ws(3), activation(3, 4))),
        ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance - 9544.0,"
         " balance = balance + 9544.0 WHERE workspace_id = %s", (ws(3),)),
        ("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount, reference_type,"
         " reference_id, description, created_at) VALUES (%s, %s, 'lock', 25000.00, 'activation',"
         " %s, 'Budget locked (repair)', now())",
         (md5_uuid("repair-lock-100-9"), ws(100), activation(100, 9))),
        ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance + 25000.00,"
         " balance = balance - 25000.00 WHERE workspace_id = %s", (ws(100),)),
        ("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount, reference_type,"
         " reference_id, description, created_at) VALUES (%s, %s, 'topup', 15000.00, 'paystack',"
         " 'PSK-008-9', 'Wallet top-up (posted late)', now())", (md5_uuid("repair-topup-8"), ws(8))),
        ("DELETE FROM seed002.wallet_transactions WHERE id = %s", (dup,)),
        ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance + 1226.0"
         " WHERE workspace_id = %s", (ws(5),)))

    second = reconcile(seeded)
    assert second["status"] == "synced"
    assert second["findings"] == 0 and second["new"] == 0
    assert second["resolved"] == first["findings"] == 5
    assert open_findings(seeded) == []
    runs = sql(seeded, "SELECT id, status, findings, new_findings, resolved_findings, max_severity"
                       " FROM recon.runs ORDER BY id")
    assert runs == [(first["run_id"], "discrepancy", 5, 5, 0, "HIGH"),
                    (second["run_id"], "synced", 0, 0, 5, None)]
    resolved = sql(seeded, "SELECT count(*), min(resolved_run), max(resolved_run)"
                           " FROM _recon.finding")
    assert resolved == [(5, second["run_id"], second["run_id"])]

    # And nothing comes back.
    third = reconcile(seeded)
    assert (third["status"], third["findings"], third["resolved"]) == ("synced", 0, 0)
