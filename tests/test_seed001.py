"""Seed 001 (midaz handoff "Balance Discrepancy Bug Fixes"): balances with `available` and
`on_hold`, two-phase transfers (ON_HOLD, then RELEASE or DEBIT + CREDIT) and operations that keep
each balance's running `available` and version. Every failure mode of the handoff is injected by
playing the application's write path with its bug, and found with the right check, wallet,
amount, severity and cause."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from conftest import open_findings, reconcile

D = Decimal
CHECKS = {"s1_balance", "s1_holds", "s1_duplicates", "s1_chain"}
# What each operation type does to (available, on_hold): the handoff's state machine.
EFFECTS = {"ON_HOLD": (-1, 1), "RELEASE": (1, -1), "DEBIT": (0, -1), "CREDIT": (1, 0)}
STATUS_OF = {"ON_HOLD": "PENDING", "RELEASE": "CANCELED", "DEBIT": "APPROVED",
             "CREDIT": "APPROVED"}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # after the dataset's last operation


def key(text: str) -> str:
    """md5(text)::uuid, as the fixture makes its ids."""
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def bal(i: int) -> str:
    return key(f"s1-balance-{i}")


def transfer(t: int) -> tuple[int, int, Decimal, str]:
    """Transfer t of the fixture: source, destination, amount, status."""
    status = "PENDING" if t > 275 else "CANCELED" if t % 8 == 3 else "APPROVED"
    return (1 + 7 * t % 100, 1 + (13 * t + 5) % 100,
            3 + D("2.5") * (t % 17) + D("0.1") * (t % 3), status)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A fresh database with the toolkit and seed 001 loaded and registered (a clone)."""
    return make_db(fixture_template("seed001.sql", "seed001_register.sql"))


def run(dsn: str, *sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        for stmt in sql:
            c.execute(stmt)


def one(dsn: str, sql: str, *args: object) -> object:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(sql, args).fetchone()[0]


def norm(x: Decimal | None) -> Decimal | str | None:
    return "NaN" if x is not None and x.is_nan() else x


def found(dsn: str) -> list[tuple]:
    """(check, wallet, balance column, difference, severity, cause) of every open finding."""
    return sorted(((f["check_name"], f["wallet_key"], f["details"].get("column"),
                    norm(f["difference"]), f["severity"], f["cause"])
                   for f in open_findings(dsn)), key=str)


# --- the application's write path, as it behaved -------------------------------------------

def read(c: psycopg.Connection, i: int) -> tuple[Decimal, Decimal, int]:
    """The app reads the balance it is about to move (no lock: that is the race)."""
    return c.execute("SELECT available, on_hold, version FROM seed001.balance WHERE id = %s",
                     (bal(i),)).fetchone()


def write(c: psycopg.Connection, tx: str, i: int, op_type: str, amount: Decimal,
          when: datetime, state: tuple[Decimal, Decimal, int], *, name: str,
          record: bool = True, apply_amount: bool = True) -> None:
    """Post one operation from the balance state the app read: the operation row with the
    balance after it (unless `record` is off: Bug #1), and the balance row (without the amount
    when `apply_amount` is off: Bug #2, the cache refresh that lost it)."""
    available, on_hold, version = state
    da, dh = EFFECTS[op_type.upper()]
    after = (available + da * amount, on_hold + dh * amount, version + 1)
    if record:
        c.execute("""INSERT INTO seed001.operation
                         (id, transaction_id, balance_id, account_alias, type, amount,
                          available_after, on_hold_after, balance_version_after, status,
                          description, created_at)
                     VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                  (key(f"s1-test-op-{name}"), tx, bal(i), f"@customer-{i:03d}", op_type, amount,
                   *after, STATUS_OF[op_type.upper()], name, when))
    stored = after if apply_amount else (available, on_hold, version + 1)
    c.execute("UPDATE seed001.balance SET available = %s, on_hold = %s, version = %s,"
              " updated_at = %s WHERE id = %s", (*stored, when, bal(i)))


class App:
    """The application on one autocommit connection."""

    def __init__(self, dsn: str) -> None:
        self.c = psycopg.connect(dsn, autocommit=True)

    def close(self) -> None:
        self.c.close()

    def transaction(self, name: str, status: str, amount: Decimal, when: datetime,
                    pending: bool = True) -> str:
        tx = key(f"s1-test-tx-{name}")
        self.c.execute("INSERT INTO seed001.transaction (id, description, status, pending,"
                       " amount, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                       (tx, name, status, pending, amount, when, when))
        return tx

    def post(self, tx: str, i: int, op_type: str, amount: Decimal, when: datetime, *,
             name: str, record: bool = True, apply_amount: bool = True) -> None:
        with self.c.transaction():
            write(self.c, tx, i, op_type, amount, when, read(self.c, i), name=name,
                  record=record, apply_amount=apply_amount)

    def set_status(self, tx: str, status: str, when: datetime) -> None:
        self.c.execute("UPDATE seed001.transaction SET status = %s, updated_at = %s"
                       " WHERE id = %s", (status, when, tx))

    def hold(self, name: str, src: int, amount: Decimal, when: datetime) -> str:
        """Phase one of a transfer: PENDING, the amount held on the source."""
        tx = self.transaction(name, "PENDING", amount, when)
        self.post(tx, src, "ON_HOLD", amount, when, name=f"{name}-hold")
        return tx

    def approve(self, tx: str, name: str, src: int, dst: int, amount: Decimal, when: datetime,
                *, record_debit: bool = True) -> None:
        """Phase two, approved: DEBIT the source's hold, CREDIT the destination. Without
        `record_debit`, Bug #1: the balance moves but no DEBIT operation is written."""
        self.set_status(tx, "APPROVED", when)
        self.post(tx, src, "DEBIT", amount, when, name=f"{name}-debit", record=record_debit)
        self.post(tx, dst, "CREDIT", amount, when, name=f"{name}-credit")

    def cancel(self, tx: str, name: str, src: int, amount: Decimal, when: datetime, *,
               record_release: bool = True) -> None:
        """Phase two, canceled: RELEASE the hold. Without `record_release`, Bug #1."""
        self.set_status(tx, "CANCELED", when)
        self.post(tx, src, "RELEASE", amount, when, name=f"{name}-release",
                  record=record_release)

    def deposit(self, name: str, dst: int, amount: Decimal, when: datetime, *,
                op_type: str = "CREDIT", apply_amount: bool = True) -> str:
        """A deposit from the external account: one CREDIT. Without `apply_amount`, Bug #2."""
        tx = self.transaction(name, "APPROVED", amount, when, pending=False)
        self.post(tx, dst, op_type, amount, when, name=f"{name}-credit",
                  apply_amount=apply_amount)
        return tx


@pytest.fixture
def app(seed: str) -> Iterator[App]:
    a = App(seed)
    yield a
    a.close()


def race(dsn: str, app: App, i: int, first: Decimal, second: Decimal, when: datetime,
         name: str) -> None:
    """Two deposits to balance i at once, each in its own transaction: both read the balance
    before either writes, so the second write overwrites the first (a lost update)."""
    txs = [app.transaction(f"{name}-{n}", "APPROVED", a, when, pending=False)
           for n, a in ((1, first), (2, second))]
    with psycopg.connect(dsn) as ca, psycopg.connect(dsn) as cb:
        sa, sb = read(ca, i), read(cb, i)
        write(ca, txs[0], i, "CREDIT", first, when, sa, name=f"{name}-1")
        ca.commit()
        write(cb, txs[1], i, "CREDIT", second, when, sb, name=f"{name}-2")
        cb.commit()


# --- the clean dataset ------------------------------------------------------------------------

@pytest.mark.core
def test_clean_dataset_is_synced_with_open_holds_and_unused_balances(seed: str) -> None:
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"], summary["new"]) == ("synced", 0, 0)
    assert set(summary["by_check"]) == CHECKS
    assert open_findings(seed) == []
    assert one(seed, "SELECT count(*) FROM recon.discrepancies") == 0
    # what makes it a real test: 20 balances never used ("missing is not a mismatch"), 25
    # transfers still PENDING with their holds open, canceled and approved ones resolved
    assert one(seed, "SELECT count(*) FROM seed001.balance b WHERE available = 0 AND on_hold = 0"
                     " AND NOT EXISTS (SELECT FROM seed001.operation o"
                     "                 WHERE o.balance_id = b.id)") == 20
    assert one(seed, "SELECT count(*) FROM seed001.balance WHERE on_hold > 0") == 25
    assert one(seed, "SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n"
                     " FROM seed001.transaction GROUP BY status) x") == {
        "APPROVED": 340, "CANCELED": 35, "PENDING": 25}
    assert one(seed, "SELECT count(*) FROM seed001.operation") == 915


def test_an_unused_balance_that_holds_money_is_a_finding(seed: str) -> None:
    run(seed, f"UPDATE seed001.balance SET available = 25 WHERE id = '{bal(101)}'")
    reconcile(seed)
    assert found(seed) == [("s1_balance", bal(101), "available", D(25), "MEDIUM",
                            "no_ledger_entries")]


# --- one failure mode at a time -------------------------------------------------------------

def test_hold_released_twice(seed: str, app: App) -> None:
    # a pending transfer is canceled, and the cancellation is retried: RELEASE posted (and
    # applied) twice, so the running values agree and only the lifecycle shows it
    tx = app.hold("t1", 30, D("8.00"), at(0))
    app.cancel(tx, "t1", 30, D("8.00"), at(5))
    app.post(tx, 30, "RELEASE", D("8.00"), at(6), name="t1-release-retry")
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"]) == ("discrepancy", 2)
    assert found(seed) == [
        ("s1_duplicates", bal(30), None, D("8.00"), "LOW", "duplicate_reference"),
        ("s1_holds", bal(30), "on_hold", D("8.00"), "LOW", "hold_resolved_twice"),
    ]
    (f,) = open_findings(seed, "s1_holds")
    assert (f["stored"], f["expected"]) == (D("16.00"), D("8.00"))
    assert f["details"]["transaction"] == tx
    assert (f["details"]["holds"], f["details"]["resolutions"]) == (1, 2)
    assert f["details"]["status"] == "CANCELED"


def test_bug1_approved_without_debit_operation(seed: str, app: App) -> None:
    # Bug #1: the transfer is approved and the balances move, but the source's DEBIT operation
    # is never written: the hold stays open in the ledger, and the stored on_hold is 60 below
    # what the operations imply
    tx = app.hold("t2", 40, D("60.00"), at(0))
    app.approve(tx, "t2", 40, 41, D("60.00"), at(10), record_debit=False)
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"]) == ("discrepancy", 2)
    assert found(seed) == [
        ("s1_balance", bal(40), "on_hold", D("-60.00"), "MEDIUM", None),
        ("s1_holds", bal(40), "on_hold", D("-60.00"), "MEDIUM", "hold_not_resolved"),
    ]
    (f,) = open_findings(seed, "s1_holds")
    assert (f["stored"], f["expected"]) == (0, D("60.00"))
    assert f["details"]["status"] == "APPROVED" and f["details"]["transaction"] == tx
    assert (f["details"]["holds"], f["details"]["resolutions"]) == (1, 0)


def test_bug1_canceled_without_release_operation_then_life_goes_on(seed: str, app: App) -> None:
    # Bug #1 on a cancellation: available and on_hold move back, no RELEASE is written. The
    # next deposit is posted from the stored balance, so its running balance jumps by 12 and
    # its version skips one: the chain shows where, and that becomes the balance's cause
    tx = app.hold("t3", 50, D("12.00"), at(0))
    app.cancel(tx, "t3", 50, D("12.00"), at(10), record_release=False)
    app.deposit("t3-next", 50, D("100.00"), at(60))
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"]) == ("discrepancy", 4)
    assert found(seed) == [
        ("s1_balance", bal(50), "available", D("12.00"), "MEDIUM", "chain_break"),
        ("s1_balance", bal(50), "on_hold", D("-12.00"), "MEDIUM", "chain_break"),
        ("s1_chain", bal(50), "available", D("12.00"), "MEDIUM", "chain_break"),
        ("s1_holds", bal(50), "on_hold", D("-12.00"), "MEDIUM", "hold_not_resolved"),
    ]
    (f,) = open_findings(seed, "s1_holds")
    assert f["details"]["status"] == "CANCELED"
    (c,) = open_findings(seed, "s1_chain")
    assert c["details"]["entry"] == key("s1-test-op-t3-next-credit")
    assert c["details"]["version"] == c["details"]["previous_version"] + 2
    (b, _) = open_findings(seed, "s1_balance")
    assert b["details"]["evidence"]["check"] == "s1_chain"


@pytest.mark.parametrize(("amounts", "severity"), [
    ([D("7.50")], "LOW"),
    ([D("10.00")], "LOW"),
    ([D("10.01")], "MEDIUM"),
    ([D("7.50"), D("250.00")], "HIGH"),
    ([D("1.00")] * 10, "CRITICAL"),
], ids=["low", "low-at-limit", "medium", "high-two-wallets", "critical-ten-wallets"])
def test_bug2_amount_lost_in_cache_refresh(seed: str, app: App, amounts: list[Decimal],
                                           severity: str) -> None:
    # Bug #2: the deposit's operation is written (with the running values the cache had), but
    # the refresh writes the balance back without the amount
    for n, amount in enumerate(amounts, start=1):
        app.deposit(f"t4-{n}", n, amount, at(n), apply_amount=False)
    summary = reconcile(seed)
    assert summary["findings"] == len(amounts)
    assert found(seed) == sorted(
        (("s1_balance", bal(n), "available", -amount, severity, None)
         for n, amount in enumerate(amounts, start=1)), key=str)
    assert summary["by_severity"] == {severity: {"findings": len(amounts)}}
    assert [(c["currency"], c["by_severity"]) for c in summary["by_currency"]] == [
        ("BRL", {severity: {"findings": len(amounts), "explained": 0,
                            "amount": float(sum(amounts))}})]


def test_race_lost_update(seed: str, app: App) -> None:
    race(seed, app, 60, D("40.00"), D("15.00"), at(0), "t5")
    reconcile(seed)
    assert found(seed) == [
        ("s1_balance", bal(60), "available", D("-40.00"), "MEDIUM", "chain_break"),
        ("s1_chain", bal(60), "available", D("-40.00"), "MEDIUM", "chain_break"),
    ]
    (c,) = open_findings(seed, "s1_chain")
    assert c["details"]["entry"] == key("s1-test-op-t5-2")
    assert c["details"]["version"] == c["details"]["previous_version"]  # both wrote N + 1


def test_five_race_lost_updates_share_a_cause_and_are_critical(seed: str, app: App) -> None:
    for n in range(5):  # two hours apart: no one-hour pattern, five wallets, one cause
        race(seed, app, 61 + n, D("40.00"), D("15.00"), at(120 * n), f"t6-{n}")
    reconcile(seed)
    assert {(f["check_name"], f["severity"], f["cause"]) for f in open_findings(seed)} == {
        ("s1_balance", "CRITICAL", "chain_break"), ("s1_chain", "HIGH", "chain_break")}
    assert len(open_findings(seed, "s1_balance")) == len(open_findings(seed, "s1_chain")) == 5


@pytest.mark.parametrize(("spacing", "holds_severity"), [(5, "CRITICAL"), (120, "HIGH")],
                         ids=["one-hour", "spread"])
def test_bug1_incident_in_one_hour_is_critical(seed: str, app: App, spacing: int,
                                               holds_severity: str) -> None:
    # five transfers held within one hour (or two hours apart), all approved without DEBIT
    txs = [app.hold(f"t7-{n}", 85 + n, D(20 + n), at(spacing * n)) for n in range(5)]
    for n, tx in enumerate(txs):
        app.approve(tx, f"t7-{n}", 85 + n, 90 + n, D(20 + n), at(spacing * 5 + n),
                    record_debit=False)
    reconcile(seed)
    assert found(seed) == sorted(
        [("s1_balance", bal(85 + n), "on_hold", -D(20 + n), "HIGH", None) for n in range(5)]
        + [("s1_holds", bal(85 + n), "on_hold", -D(20 + n), holds_severity, "hold_not_resolved")
           for n in range(5)], key=str)


# transfer 28 (approved) credited balance 70 with 30.60, its second operation of ten
CREDIT_28 = key("s1-op-credit-28")


@pytest.mark.parametrize(("sql", "expected"), [
    (("ALTER TABLE seed001.operation ALTER COLUMN amount DROP NOT NULL",
      f"UPDATE seed001.operation SET amount = NULL WHERE id = '{CREDIT_28}'"),
     [("s1_balance", bal(70), "available", D("30.6"), "HIGH", "invalid_amount"),
      ("s1_balance", bal(70), "on_hold", 0, "HIGH", "invalid_amount"),
      ("s1_chain", bal(70), "available", None, "HIGH", "invalid_amount")]),
    ((f"UPDATE seed001.operation SET amount = 'NaN' WHERE id = '{CREDIT_28}'",),
     [("s1_balance", bal(70), "available", "NaN", "HIGH", "invalid_amount"),
      ("s1_chain", bal(70), "available", "NaN", "HIGH", "invalid_amount")]),
    ((f"UPDATE seed001.balance SET available = 'NaN' WHERE id = '{bal(72)}'",),
     [("s1_balance", bal(72), "available", "NaN", "HIGH", "invalid_balance")]),
    (("ALTER TABLE seed001.balance ALTER COLUMN on_hold DROP NOT NULL",
      f"UPDATE seed001.balance SET on_hold = NULL WHERE id = '{bal(73)}'"),
     [("s1_balance", bal(73), "on_hold", None, "HIGH", "invalid_balance")]),
], ids=["null-amount", "nan-amount", "nan-balance", "null-balance"])
def test_null_and_nan_are_high_findings_never_summed_away(seed: str, sql: tuple[str, ...],
                                                          expected: list[tuple]) -> None:
    assert transfer(28)[1:] == (70, D("30.6"), "APPROVED")
    run(seed, *sql)
    summary = reconcile(seed)
    assert summary["status"] == "discrepancy"
    assert found(seed) == sorted(expected, key=str)


def test_null_amount_is_counted(seed: str) -> None:
    run(seed, "ALTER TABLE seed001.operation ALTER COLUMN amount DROP NOT NULL",
        f"UPDATE seed001.operation SET amount = NULL WHERE id = '{CREDIT_28}'")
    reconcile(seed)
    (f, _) = open_findings(seed, "s1_balance")
    assert (f["details"]["null_amounts"], f["details"]["entries"]) == (1, 10)


def test_unmapped_operation_type(seed: str, app: App) -> None:
    # a deposit written by a new app release as 'credit': the app applied it, the ledger's
    # effects do not know it, so it is never silently counted as zero
    app.deposit("t8", 80, D("30.00"), at(0), op_type="credit")
    reconcile(seed)
    assert found(seed) == [
        ("s1_balance", bal(80), "available", D("30.00"), "HIGH", "unmapped_entry_type"),
        ("s1_balance", bal(80), "on_hold", 0, "HIGH", "unmapped_entry_type"),
        ("s1_chain", bal(80), "available", D("30.00"), "MEDIUM", "chain_break"),
    ]
    assert {f["details"]["unmapped_entries"] for f in open_findings(seed, "s1_balance")} == {1}


def test_running_balance_wrong_at_a_wallets_first_operation(seed: str) -> None:
    # the deposit that opened balance 12 recorded available_after 5 too high; the next
    # operation follows the true value, so the break is at position 1 and only there
    run(seed, "UPDATE seed001.operation SET available_after = available_after + 5"
              f" WHERE id = '{key('s1-op-deposit-12')}'")
    reconcile(seed)
    assert found(seed) == [("s1_chain", bal(12), "available", D(5), "LOW", "chain_break")]
    (c,) = open_findings(seed)
    assert (c["details"]["position"], c["details"]["entry"]) == (1, key("s1-op-deposit-12"))


@pytest.mark.parametrize(("ledger_options", "kind", "check_options"), [
    # the lifecycle check takes the status from the transaction table: the ledger itself
    # need not have a status column
    ('{"journal": "transaction_id", "posted_at": "created_at"}', "lifecycle",
     '{"hold": "ON_HOLD", "terminal": ["RELEASE", "DEBIT"], "status_table":'
     ' "seed001.transaction", "status_key": "id", "status_column": "status",'
     ' "pending": ["PENDING"]}'),
    ('{"journal": "transaction_id"}', "lifecycle",
     '{"hold": "ON_HOLD", "terminal": ["RELEASE", "DEBIT"], "status_table":'
     ' "seed001.transaction", "status_key": "id", "status_column": "status",'
     ' "pending": ["PENDING"]}'),
    # posting time is optional for a chain (ordered by seq) and for duplicates
    ('{"order_by": "seq", "balance_after": "available_after"}', "chain", '{}'),
    ('{"reference": "transaction_id"}', "duplicate", '{}'),
], ids=["lifecycle-no-status", "lifecycle-no-status-no-time", "chain-no-time",
        "duplicate-no-time"])
def test_checks_need_only_the_ledger_columns_they_use(seed: str, ledger_options: str,
                                                      kind: str, check_options: str) -> None:
    opts = ('{"operation": "type", "effects": {"ON_HOLD": {"available": -1, "on_hold": 1},'
            ' "RELEASE": {"available": 1, "on_hold": -1}, "DEBIT": {"on_hold": -1},'
            ' "CREDIT": {"available": 1}}, ' + ledger_options[1:])
    with psycopg.connect(seed, autocommit=True) as c:
        c.execute("SELECT recon.register_ledger_source('s1_ops_lean', 's1_balances',"
                  " 'seed001.operation', 'balance_id', 'amount', %s)", (opts,))
        c.execute("SELECT recon.register_check('s1_lean', %s, %s::jsonb"
                  " || '{\"ledger\": \"s1_ops_lean\"}')", (kind, check_options))
    assert reconcile(seed, ["s1_lean"])["status"] == "synced"
    # and it finds what it is for: a release posted twice (a hold resolved twice, a duplicate)
    # with a running balance off by one (a chain break)
    app = App(seed)
    try:
        tx = app.hold("t9", 33, D("9.00"), at(0))
        app.cancel(tx, "t9", 33, D("9.00"), at(5))
        app.post(tx, 33, "RELEASE", D("9.00"), at(6), name="t9-retry")
    finally:
        app.close()
    run(seed, "UPDATE seed001.operation SET available_after = available_after + 1"
              f" WHERE id = '{key('s1-test-op-t9-retry')}'")
    reconcile(seed, ["s1_lean"])
    (f,) = open_findings(seed, "s1_lean")
    assert (f["wallet_key"], f["cause"]) == (bal(33), {
        "lifecycle": "hold_resolved_twice", "chain": "chain_break",
        "duplicate": "duplicate_reference"}[kind])


# --- everything at once, then the repair ------------------------------------------------------

@pytest.mark.core
def test_every_failure_at_once_then_repaired_by_hand(seed: str, app: App) -> None:
    tx30 = app.hold("c1", 30, D("8.00"), at(0))  # released twice
    app.cancel(tx30, "c1", 30, D("8.00"), at(5))
    app.post(tx30, 30, "RELEASE", D("8.00"), at(6), name="c1-release-retry")
    tx40 = app.hold("c2", 40, D("60.00"), at(10))  # Bug #1: approved without DEBIT
    app.approve(tx40, "c2", 40, 41, D("60.00"), at(20), record_debit=False)
    app.deposit("c3", 45, D("7.50"), at(30), apply_amount=False)  # Bug #2
    race(seed, app, 60, D("40.00"), D("15.00"), at(40), "c4")  # lost update
    run(seed, f"UPDATE seed001.balance SET available = 'NaN' WHERE id = '{bal(72)}'")
    app.deposit("c6", 80, D("30.00"), at(50), op_type="credit")  # unmapped type

    first = reconcile(seed)
    by_check = {k: (v["findings"], v["max_severity"]) for k, v in first["by_check"].items()}
    assert by_check == {
        "s1_balance": (6, "HIGH"),  # 40 on_hold, 45, 60, 72, 80 (both columns): five wallets
        "s1_holds": (2, "HIGH"),  # 30 released twice, 40 never resolved
        "s1_duplicates": (1, "LOW"),  # 30's second RELEASE (8.00)
        "s1_chain": (2, "HIGH"),  # 60's lost update, 80's unmapped credit
    }
    assert (first["status"], first["findings"], first["wallets"]) == ("discrepancy", 11, 6)
    assert first["max_severity"] == "HIGH"
    assert {f["cause"] for f in open_findings(seed, "s1_balance")} == {
        None, "chain_break", "invalid_balance", "unmapped_entry_type"}
    assert len(open_findings(seed)) == 11

    # the repair, by hand: what each finding pointed at
    run(seed,
        # 30: take the retried RELEASE back out, and its effect off the balance
        f"DELETE FROM seed001.operation WHERE id = '{key('s1-test-op-c1-release-retry')}'",
        "UPDATE seed001.balance SET available = available - 8, on_hold = on_hold + 8"
        f" WHERE id = '{bal(30)}'",
        # 40: write the DEBIT that was applied but never recorded
        f"""INSERT INTO seed001.operation
                (id, transaction_id, balance_id, account_alias, type, amount, available_after,
                 on_hold_after, balance_version_after, status, description, created_at)
            SELECT md5('c2-debit-repair')::uuid, '{tx40}', id, alias, 'DEBIT', 60, available,
                   on_hold, version, 'APPROVED', 'recorded by hand', '{at(20).isoformat()}'
            FROM seed001.balance WHERE id = '{bal(40)}'""",
        # 45 and 60: the stored balance lost an amount; 60's second entry also ran from it
        f"UPDATE seed001.balance SET available = available + 7.50 WHERE id = '{bal(45)}'",
        f"UPDATE seed001.balance SET available = available + 40 WHERE id = '{bal(60)}'",
        "UPDATE seed001.operation SET available_after = available_after + 40,"
        " balance_version_after = balance_version_after + 1"
        f" WHERE id = '{key('s1-test-op-c4-2')}'",
        # 72: the NaN balance back to its last running value
        f"""UPDATE seed001.balance b SET available = (
                SELECT available_after FROM seed001.operation o WHERE o.balance_id = b.id
                ORDER BY seq DESC LIMIT 1) WHERE id = '{bal(72)}'""",
        # 80: the type the ledger knows
        "UPDATE seed001.operation SET type = 'CREDIT' WHERE type = 'credit'")
    second = reconcile(seed)
    assert (second["status"], second["findings"], second["new"]) == ("synced", 0, 0)
    assert second["resolved"] == first["findings"] == 11
    assert open_findings(seed) == []
