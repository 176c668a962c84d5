"""Seed 003 ("Wallet Backfill Execution Report"): users.total_coins is the legacy balance,
user_wallet the new one, coin_journal_entries a double-entry journal whose 'system' wallet is
the offset account of every opening balance.

Every test gets a fresh database holding the clean dataset (tests/fixtures/seed003.sql)
registered through the public API (seed003_register.sql), injects one failure from the report
with plain SQL, and checks what recon.reconcile() records for it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import psycopg
import pytest

from conftest import open_findings, reconcile

CHECKS = ["s3_balance", "s3_coverage", "s3_double_entry", "s3_treasury"]
USERS = 150  # real users in the fixture, the system user aside
TREASURY = 624_375  # sum(users.total_coins) == sum of the real users' wallet balances


def user_id(i: int) -> str:
    """The fixture's id of user i: md5('user' || i)::uuid::text."""
    return str(uuid.UUID(hashlib.md5(f"user{i}".encode()).hexdigest()))


def wallet_id(uid: str) -> str:
    """The fixture's wallet id of a user: md5('wallet-' || user_id)::uuid::text."""
    return str(uuid.UUID(hashlib.md5(f"wallet-{uid}".encode()).hexdigest()))


SYSTEM_WALLET = wallet_id("system")


@pytest.fixture
def db(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """This module's `db`: a fresh database with the toolkit and seed 003 loaded and registered
    (a clone of a template made once)."""
    return make_db(fixture_template("seed003.sql", "seed003_register.sql"))


def query(dsn: str, sql: str, params: tuple | dict | None = None) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute(sql, params)
        return cur.fetchall() if cur.description else []


def scalar(dsn: str, sql: str, params: tuple | dict | None = None) -> object:
    return query(dsn, sql, params)[0][0]


def coins(dsn: str, i: int) -> int:
    """User i's wallet balance (== their users.total_coins in the clean dataset)."""
    return scalar(dsn, "SELECT balance FROM seed003.user_wallet WHERE user_id = %s", (user_id(i),))


def add_user(c: psycopg.Connection, uid: str, name: str, total_coins: int) -> None:
    """A user as the legacy code path creates them: users row only, no wallet."""
    c.execute("INSERT INTO seed003.users (id, username, email, total_coins) VALUES (%s, %s, %s, %s)",
              (uid, name, f"{name}@example.com", total_coins))


def add_wallet(c: psycopg.Connection, uid: str, balance: int) -> str:
    wid = wallet_id(uid)
    c.execute("INSERT INTO seed003.user_wallet (wallet_id, user_id, balance) VALUES (%s, %s, %s)",
              (wid, uid, balance))
    return wid


def write_entries(c: psycopg.Connection, txn: str, kind: str | None,
                  entries: list[tuple[str, str, int, str]]) -> None:
    """Journal entries (user, direction, amount, memo) under ledger transaction txn; the
    transaction row is created when kind is given. Stored balances are not touched."""
    if kind is not None:
        c.execute("INSERT INTO seed003.coin_ledger_transactions (id, type, initiator_user_id)"
                  " VALUES (%s, %s, %s)", (txn, kind, entries[0][0]))
    for uid, direction, amount, memo in entries:
        c.execute("INSERT INTO seed003.coin_journal_entries"
                  " (transaction_id, wallet_id, direction, amount, memo) VALUES (%s, %s, %s, %s, %s)",
                  (txn, wallet_id(uid), direction, amount, memo))


def move_balance(c: psycopg.Connection, uid: str, delta: int, *, legacy: bool = True) -> None:
    """What the application's (dual) write does to the stored balances of one user."""
    c.execute("UPDATE seed003.user_wallet SET balance = balance + %s, updated_at = now()"
              " WHERE user_id = %s", (delta, uid))
    if legacy and uid != "system":
        c.execute("UPDATE seed003.users SET total_coins = total_coins + %s WHERE id = %s",
                  (delta, uid))


def open_balance(c: psycopg.Connection, uid: str, amount: int) -> None:
    """The report's repair: a balanced opening-balance transaction, credit the user and debit
    the system offset wallet, and both stored wallet balances moved by it."""
    write_entries(c, f"open-{uid}", "opening_balance", [
        (uid, "credit", amount, "Opening balance migration"),
        ("system", "debit", amount, "Opening balance offset"),
    ])
    move_balance(c, uid, amount, legacy=False)
    move_balance(c, "system", -amount)


def by_check(findings: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {name: [] for name in CHECKS}
    for f in findings:
        out[f["check_name"]].append(f)
    return out


def journal_totals(dsn: str) -> tuple[int, int]:
    return query(dsn, "SELECT sum(amount) FILTER (WHERE direction = 'credit'),"
                      " sum(amount) FILTER (WHERE direction = 'debit')"
                      " FROM seed003.coin_journal_entries")[0]


@pytest.mark.core
def test_clean_dataset_is_synced(db: str) -> None:
    # The dataset is what the report describes after its backfill, without the drift.
    assert scalar(db, "SELECT count(*) FROM seed003.users") == USERS + 1
    assert scalar(db, "SELECT count(*) FROM seed003.user_wallet") == USERS + 1
    assert scalar(db, "SELECT total_coins FROM seed003.users WHERE id = 'system'") == 0
    assert scalar(db, "SELECT sum(total_coins) FROM seed003.users") == TREASURY
    assert query(db, "SELECT count(*) FROM seed003.users AS u"
                     " JOIN seed003.user_wallet AS w ON w.user_id = u.id"
                     " WHERE u.id <> 'system' AND u.total_coins <> w.balance") == [(0,)]
    credits, debits = journal_totals(db)
    assert credits == debits
    openings = scalar(db, "SELECT sum(e.amount) FROM seed003.coin_journal_entries AS e"
                          " JOIN seed003.coin_ledger_transactions AS t ON t.id = e.transaction_id"
                          " WHERE t.type = 'opening_balance' AND e.direction = 'credit'")
    system = scalar(db, "SELECT balance FROM seed003.user_wallet WHERE user_id = 'system'")
    assert system == -openings == -TREASURY
    # some users never earned a coin: a wallet at 0 without entries is clean
    assert scalar(db, "SELECT count(*) FROM seed003.user_wallet AS w WHERE w.balance = 0"
                      " AND NOT EXISTS (SELECT FROM seed003.coin_journal_entries AS e"
                      " WHERE e.wallet_id = w.wallet_id)") == 15
    assert scalar(db, "SELECT count(*) FROM seed003.coin_ledger_transactions"
                      " WHERE type = 'transfer'") == 40

    summary = reconcile(db)
    assert summary["status"] == "synced"
    assert summary["findings"] == 0
    assert summary["checks"] == CHECKS
    assert {name: c["findings"] for name, c in summary["by_check"].items()} == dict.fromkeys(CHECKS, 0)
    assert summary["max_severity"] is None
    assert open_findings(db) == []


@pytest.mark.parametrize(("amounts", "coverage_severity", "treasury_severity"), [
    ([1200], "MEDIUM", "MEDIUM"),     # one wallet, over the low limit
    ([7], "LOW", "LOW"),              # one wallet, under it
    ([1200, 450, 75], "HIGH", "HIGH"),  # several wallets: HIGH, and the total they explain
])
def test_missing_wallets(db: str, amounts: list[int], coverage_severity: str,
                         treasury_severity: str) -> None:
    """Users with total_coins and no user_wallet row (backfillOpeningBalances never ran)."""
    late = [user_id(1000 + k) for k in range(len(amounts))]
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for k, (uid, amount) in enumerate(zip(late, amounts, strict=True)):
            add_user(c, uid, f"latecomer{k}", amount)

    summary = reconcile(db)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == len(amounts) + 1
    found = by_check(open_findings(db))
    assert found["s3_balance"] == [] and found["s3_double_entry"] == []

    coverage = sorted(found["s3_coverage"], key=lambda f: f["expected"], reverse=True)
    assert [f["wallet_key"] for f in coverage] == late
    for f, amount in zip(coverage, amounts, strict=True):
        assert (f["stored"], f["expected"], f["difference"]) == (0, amount, -amount)
        assert f["severity"] == coverage_severity
        assert f["cause"] == "missing_wallet"

    [total] = found["s3_treasury"]
    missing = sum(amounts)
    assert total["wallet_key"] is None
    assert (total["stored"], total["expected"]) == (TREASURY, TREASURY + missing)
    assert total["difference"] == -missing
    assert total["severity"] == treasury_severity
    assert total["cause"] == "missing_wallet"
    assert total["details"]["evidence"] == {
        "check": "s3_coverage", "missing_wallets": len(amounts), "amount": missing}


def test_many_missing_wallets_are_critical(db: str) -> None:
    """The report's initial state in small: a dozen users never got a wallet."""
    amounts = [101 * k for k in range(1, 13)]
    late = [user_id(2000 + k) for k in range(12)]
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for k, (uid, amount) in enumerate(zip(late, amounts, strict=True)):
            add_user(c, uid, f"unmigrated{k}", amount)

    summary = reconcile(db)
    assert summary["status"] == "discrepancy"
    assert summary["max_severity"] == "CRITICAL"
    assert summary["by_check"]["s3_coverage"] == {
        "findings": 12, "max_severity": "CRITICAL",
        "by_currency": [{"currency": "COIN", "findings": 12, "explained": 0,
                         "amount": sum(amounts)}]}
    found = by_check(open_findings(db))
    assert found["s3_balance"] == [] and found["s3_double_entry"] == []
    assert sorted((f["wallet_key"], f["difference"], f["severity"], f["cause"])
                  for f in found["s3_coverage"]) == sorted(
        (uid, -amount, "CRITICAL", "missing_wallet")
        for uid, amount in zip(late, amounts, strict=True))
    [total] = found["s3_treasury"]
    assert total["difference"] == -sum(amounts) == -7878
    assert total["cause"] == "missing_wallet"
    assert total["details"]["evidence"]["missing_wallets"] == 12
    # The total these missing wallets explain is as severe as they are.
    assert total["severity"] == "CRITICAL"


def test_wallet_without_journal_entries(db: str) -> None:
    """The report's step 3: a wallet created with a balance but no opening-balance entries."""
    uid = user_id(3000)
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        add_user(c, uid, "halfmigrated", 640)
        wid = add_wallet(c, uid, 640)

    summary = reconcile(db)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 1
    [f] = open_findings(db)
    assert f["check_name"] == "s3_balance"
    assert f["wallet_key"] == wid
    assert (f["stored"], f["expected"], f["difference"]) == (640, 0, 640)
    assert f["severity"] == "MEDIUM"
    assert f["cause"] == "no_ledger_entries"
    assert f["details"]["entries"] == 0


def test_zero_wallets_despite_total_coins(db: str) -> None:
    """The report's step 3 analysis: wallets created at 0, no journal entries, while
    users.total_coins > 0. Each wallet agrees with its (empty) journal and every user has a
    wallet, so only the treasury shows the drift: the sum of their legacy coins."""
    amounts = [300, 120, 45, 9, 2000, 61]
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for k, amount in enumerate(amounts):
            uid = user_id(5000 + k)
            add_user(c, uid, f"zeroed{k}", amount)
            add_wallet(c, uid, 0)

    summary = reconcile(db)
    assert summary["findings"] == 1
    [f] = open_findings(db)
    assert f["check_name"] == "s3_treasury"
    assert (f["stored"], f["expected"]) == (TREASURY, TREASURY + 2535)
    assert f["difference"] == -sum(amounts) == -2535
    assert f["severity"] == "MEDIUM"
    assert f["cause"] is None  # no missing wallet to show: the wallets exist


def test_unbalanced_journal_transaction(db: str) -> None:
    """A transfer whose debit entry was lost: the app moved both stored balances (and the
    legacy total_coins), but the journal holds the receiver's credit only. The journal check
    sees the unbalanced transaction; the balance check sees the sender's balance below its
    journal by the same amount. The treasury (a transfer moves no coins in or out) is clean."""
    sender, receiver = user_id(21), user_id(22)
    before = coins(db, 21)
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        write_entries(c, "xfer-lost-debit", "transfer",
                      [(receiver, "credit", 250, "Tip received")])
        move_balance(c, sender, -250)
        move_balance(c, receiver, 250)

    summary = reconcile(db)
    assert summary["status"] == "discrepancy"
    assert summary["findings"] == 2
    found = by_check(open_findings(db))
    assert found["s3_coverage"] == [] and found["s3_treasury"] == []

    [j] = found["s3_double_entry"]
    assert j["wallet_key"] is None
    assert (j["stored"], j["expected"], j["difference"]) == (250, 0, 250)
    assert j["severity"] == "MEDIUM"
    assert j["cause"] == "unbalanced_journal"
    assert j["details"]["journal"] == "xfer-lost-debit"
    assert j["details"]["wallets"] == [wallet_id(receiver)]
    assert j["details"]["entries"] == 1

    [b] = found["s3_balance"]
    assert b["wallet_key"] == wallet_id(sender)
    assert (b["stored"], b["expected"], b["difference"]) == (before - 250, before, -250)
    assert b["severity"] == "MEDIUM"
    assert b["cause"] is None


def test_three_users_small_drift(db: str) -> None:
    """The report's final state: three real users drift by 10, 8 and 3 coins. A bonus paid by
    the legacy code path moved users.total_coins and user_wallet.balance but posted no journal
    transaction, so the three stored balances run ahead of their journals."""
    drift = {33: 10, 58: 8, 91: 3}
    before = {i: coins(db, i) for i in drift}
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for i, amount in drift.items():
            move_balance(c, user_id(i), amount)

    summary = reconcile(db)
    assert summary["status"] == "discrepancy"
    assert summary["max_severity"] == "HIGH"
    assert summary["by_check"]["s3_balance"] == {
        "findings": 3, "max_severity": "HIGH",
        "by_currency": [{"currency": "COIN", "findings": 3, "explained": 0, "amount": 21}]}
    assert summary["findings"] == 3
    rows = {f["wallet_key"]: f for f in open_findings(db)}
    assert set(rows) == {wallet_id(user_id(i)) for i in drift}
    for i, amount in drift.items():
        f = rows[wallet_id(user_id(i))]
        assert f["check_name"] == "s3_balance"
        assert (f["stored"], f["expected"]) == (before[i] + amount, before[i])
        assert f["difference"] == amount
        assert f["severity"] == "HIGH"  # several wallets, even the 3-coin one (under low_limit)
        assert f["cause"] is None


def test_legacy_total_coins_ahead_of_synced_wallets(db: str) -> None:
    """The same 21 coins as the report literally measured them: wallets re-synced from the
    journal (step 5), users.total_coins still 10, 8 and 3 ahead. Only the treasury sees it."""
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for i, amount in {33: 10, 58: 8, 91: 3}.items():
            c.execute("UPDATE seed003.users SET total_coins = total_coins + %s WHERE id = %s",
                      (amount, user_id(i)))

    summary = reconcile(db)
    assert summary["findings"] == 1
    [f] = open_findings(db)
    assert f["check_name"] == "s3_treasury"
    assert (f["stored"], f["expected"], f["difference"]) == (TREASURY, TREASURY + 21, -21)
    assert f["severity"] == "MEDIUM"
    assert f["cause"] is None


@pytest.mark.core
def test_combined_failures_repaired_by_hand(db: str) -> None:
    """Several failures at once, repaired as the report did (system user, opening balances
    against it, the missing journal entries), then reconciled back to synced."""
    missing = {user_id(4000 + k): amount for k, amount in enumerate([900, 35, 1210])}
    unjournaled = user_id(4100)
    drift = {user_id(33): 10, user_id(58): 8, user_id(91): 3}
    sender, receiver = user_id(21), user_id(22)
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for k, (uid, amount) in enumerate(missing.items()):
            add_user(c, uid, f"latecomer{k}", amount)
        add_user(c, unjournaled, "halfmigrated", 640)
        add_wallet(c, unjournaled, 640)
        for uid, amount in drift.items():
            move_balance(c, uid, amount)
        write_entries(c, "xfer-lost-debit", "transfer",
                      [(receiver, "credit", 250, "Tip received")])
        move_balance(c, sender, -250)
        move_balance(c, receiver, 250)

    first = reconcile(db)
    assert first["status"] == "discrepancy"
    assert {name: c["findings"] for name, c in first["by_check"].items()} == {
        "s3_balance": 5, "s3_coverage": 3, "s3_double_entry": 1, "s3_treasury": 1}
    assert first["findings"] == first["new"] == 10
    found = by_check(open_findings(db))
    assert {f["wallet_key"] for f in found["s3_coverage"]} == set(missing)
    assert [(f["difference"], f["cause"]) for f in found["s3_treasury"]] == [
        (-sum(missing.values()), "missing_wallet")]
    assert sorted((f["wallet_key"], f["difference"], f["cause"]) for f in found["s3_balance"]) == \
        sorted([(wallet_id(unjournaled), 640, "no_ledger_entries"),
                (wallet_id(sender), -250, None)]
               + [(wallet_id(uid), amount, None) for uid, amount in drift.items()])
    assert {f["severity"] for f in found["s3_balance"]} == {"HIGH"}

    # Repair by hand.
    with psycopg.connect(db, autocommit=True) as c, c.transaction():
        for uid, amount in missing.items():  # missing wallets: wallet + opening balance
            add_wallet(c, uid, 0)
            open_balance(c, uid, amount)
        # a wallet without entries: its opening balance entries (the balance is already there)
        write_entries(c, f"open-{unjournaled}", "opening_balance", [
            (unjournaled, "credit", 640, "Opening balance migration"),
            ("system", "debit", 640, "Opening balance offset"),
        ])
        move_balance(c, "system", -640)
        for uid, amount in drift.items():  # the bonus the legacy path never journaled
            write_entries(c, f"bonus-{uid}", "bonus", [
                (uid, "credit", amount, "Bonus (journal backfill)"),
                ("system", "debit", amount, "Bonus offset"),
            ])
            move_balance(c, "system", -amount)
        write_entries(c, "xfer-lost-debit", None, [(sender, "debit", 250, "Tip sent")])

    second = reconcile(db)
    assert second["status"] == "synced"
    assert second["findings"] == 0
    assert second["new"] == 0
    assert second["resolved"] == first["findings"]
    assert open_findings(db) == []

    # The books: double entry holds, every user has a wallet, the system offsets them all.
    credits, debits = journal_totals(db)
    assert credits == debits
    assert scalar(db, "SELECT count(*) FROM seed003.users AS u WHERE NOT EXISTS"
                      " (SELECT FROM seed003.user_wallet AS w WHERE w.user_id = u.id)") == 0
    users_total = TREASURY + sum(missing.values()) + 640 + sum(drift.values())
    assert scalar(db, "SELECT sum(total_coins) FROM seed003.users") == users_total
    assert scalar(db, "SELECT balance FROM seed003.user_wallet WHERE wallet_id = %s",
                  (SYSTEM_WALLET,)) == -users_total
    assert query(db, "SELECT count(*) FROM seed003.user_wallet AS w WHERE w.balance <>"
                     " COALESCE((SELECT sum(CASE WHEN e.direction = 'credit' THEN e.amount"
                     " ELSE -e.amount END) FROM seed003.coin_journal_entries AS e"
                     " WHERE e.wallet_id = w.wallet_id), 0)") == [(0,)]
    assert reconcile(db)["resolved"] == 0  # nothing left to resolve
