"""Seed 001 (midaz balances: available / on_hold, ON_HOLD / RELEASE / DEBIT / CREDIT operations
with running values and versions) repaired by recon.fix() through a posting function
(tests/fixtures/seed001_writer.sql): a stored balance that drifted from the operations is
resynced, or the operations catch up with a CREDIT (force_strategy adjust) whose running values
keep the chain check clean; a RELEASE posted twice is reversed by an ON_HOLD in its own
transaction (the lifecycle repair, tests/test_lifecycle_repair.py has the rest); a lifecycle
finding the transaction's status does not settle needs a human, or an audited acknowledgement. Each repair: a dry run changes nothing, the ledger changes by exactly
the planned entries, and a following reconcile finds nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

import psycopg
import pytest
import test_seed001 as seed001_app
from helpers import snapshot
from test_seed001 import at, bal, key, one

from conftest import fix, open_findings, reconcile

D = Decimal
LIMITS = {"wallet_limit": 100, "run_limit": 1000}
APPLY = {"dry_run": False, "ticket": "INC-1", "reason": "seed 001 repair test"}
SEED_TABLES = ["seed001.balance", "seed001.transaction", "seed001.operation"]
AUDIT_TABLES = ["_recon.fix", "_recon.repair", "_recon.repair_entry", "_recon.finding"]


def rows(dsn: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(sql, args).fetchall()


SNAPSHOT_TABLES = (*SEED_TABLES, *AUDIT_TABLES)
"""What a dry run must leave as it was: the seed's tables, the repair audit, the findings."""


def ledger(dsn: str) -> tuple[int, Decimal, int]:
    """Operations (count, sum of amounts) and transactions (count)."""
    return rows(dsn, "SELECT count(*), sum(amount), (SELECT count(*) FROM seed001.transaction)"
                     " FROM seed001.operation")[0]


def new_operations(dsn: str, after_seq: int) -> list[tuple]:
    """Operations written after seq `after_seq`, with their transaction."""
    return rows(dsn, """
        SELECT o.id::text, o.balance_id::text, o.account_alias, o.type, o.amount,
               o.available_after, o.on_hold_after, o.balance_version_after, o.status,
               t.status, t.pending, t.amount, t.description, t.parent_transaction_id::text
        FROM seed001.operation AS o JOIN seed001.transaction AS t ON t.id = o.transaction_id
        WHERE o.seq > %s ORDER BY o.seq""", after_seq)


def last_seq(dsn: str) -> int:
    return one(dsn, "SELECT max(seq) FROM seed001.operation")


def balance(dsn: str, i: int) -> tuple[Decimal, Decimal, int]:
    return rows(dsn, "SELECT available, on_hold, version FROM seed001.balance WHERE id = %s",
                bal(i))[0]


def found(dsn: str) -> list[tuple]:
    return sorted(((f["check_name"], f["wallet_key"], f["details"].get("column"),
                    f["difference"], f["cause"]) for f in open_findings(dsn)), key=str)


def step(plan: list[dict]) -> list[tuple]:
    return [(r["step"], r["check_name"], r["wallet_key"], r["strategy"], r["amount"],
             r["status"], r["note"]) for r in plan]


def assert_synced(dsn: str) -> dict:
    summary = reconcile(dsn)
    assert (summary["status"], summary["findings"], summary["new"]) == ("synced", 0, 0), \
        found(dsn)
    assert open_findings(dsn) == []
    return summary


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 001 loaded and registered, with its writer (a clone)."""
    return make_db(fixture_template("seed001.sql", "seed001_register.sql", "seed001_writer.sql"))


# --- the application's write path, as tests/test_seed001.py plays it ----------------------

class App(seed001_app.App):
    """The application as tests/test_seed001.py plays it, plus a deposit whose operation
    row is never written (Bug #1 on a deposit)."""

    def deposit(self, name: str, dst: int, amount: Decimal, when: datetime, *,
                record: bool = True, apply_amount: bool = True) -> str:
        tx = self.transaction(name, "APPROVED", amount, when, pending=False)
        self.post(tx, dst, "CREDIT", amount, when, name=f"{name}-credit", record=record,
                  apply_amount=apply_amount)
        return tx


@pytest.fixture
def app(seed: str) -> Iterator[App]:
    a = App(seed)
    yield a
    a.close()


# --- balance drift: resync, or adjust ------------------------------------------------------

def test_writer_is_registered_as_a_posting_function(seed: str) -> None:
    assert rows(seed, "SELECT kind, posting_function::text FROM _recon.writer"
                      " WHERE ledger_source = 's1_operations'") == [
        ("function", "seed001.post_recon_operation(jsonb)")]
    assert_synced(seed)


def test_cache_drift_of_available_is_resynced(seed: str, app: App) -> None:
    # Bug #2: the deposit's operation is written, the cache refresh writes the balance back
    # without its 7.50. The operations are the book of record: available goes back up to them.
    app.deposit("r1", 45, D("7.50"), at(0), apply_amount=False)
    run_id = reconcile(seed)["run_id"]
    assert found(seed) == [("s1_balance", bal(45), "available", D("-7.50"), None)]
    assert balance(seed, 45)[:2] == (D("684.05"), D("10.6"))

    before, count = snapshot(seed, *SNAPSHOT_TABLES), ledger(seed)
    plan = fix(seed, **LIMITS)
    assert snapshot(seed, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s1_balance", bal(45), "resync", D("7.50"), "planned", None)]
    assert plan[0]["entries"] == []
    assert (plan[0]["stored_before"], plan[0]["stored_after"]) == (
        {"available": D("684.05"), "on_hold": D("10.6")},
        {"available": D("691.55"), "on_hold": D("10.6")})

    done = fix(seed, **LIMITS, **APPLY)
    assert step(done) == [(1, "s1_balance", bal(45), "resync", D("7.50"), "applied", None)]
    assert done[0]["entries"] == []
    assert ledger(seed) == count
    assert {t: v for t, v in snapshot(seed, *SNAPSHOT_TABLES).items() if t != "seed001.balance"
            and not t.startswith("_recon")} == {
        t: v for t, v in before.items() if t != "seed001.balance" and not t.startswith("_recon")}
    assert balance(seed, 45)[:2] == (D("691.55"), D("10.6"))
    assert rows(seed, "SELECT run_id, check_name, wallet_key, strategy, amount, difference,"
                      " entries FROM recon.repairs") == [
        (run_id, "s1_balance", bal(45), "resync", D("7.50"), D("-7.50"), [])]
    assert assert_synced(seed)["resolved"] == 1


def test_drift_repaired_by_adjust_posts_a_credit(seed: str, app: App) -> None:
    # Balance 46 was credited 25.00 (and its version moved) but the CREDIT operation was never
    # written: the stored balance is right, the operations catch up. Balance 45 lost 7.50 in
    # a cache refresh: no operation type lowers `available` alone, so it cannot be adjusted and
    # is resynced instead.
    app.deposit("r2", 46, D("25.00"), at(0), record=False)
    app.deposit("r3", 45, D("7.50"), at(1), apply_amount=False)
    reconcile(seed)
    assert found(seed) == sorted([("s1_balance", bal(46), "available", D("25.00"), None),
                                  ("s1_balance", bal(45), "available", D("-7.50"), None)],
                                 key=str)
    assert balance(seed, 46) == (D("773.70"), D("0.0"), 10)
    no_type = ('no entry type of ledger s1_operations moves {"available": -7.50}: register '
               'one, or use another strategy')

    before = snapshot(seed, *SNAPSHOT_TABLES)
    plan = fix(seed, force_strategy="adjust", **LIMITS)
    assert snapshot(seed, *SNAPSHOT_TABLES) == before
    assert step(plan) == [
        (1, "s1_balance", bal(46), "adjust", D("25.00"), "planned", None),
        (2, "s1_balance", bal(45), "adjust", D("7.50"), "skipped", no_type)]
    assert [(e["wallet"], e["deltas"], e["purpose"]) for e in plan[0]["entries"]] == [
        (bal(46), {"available": D("25.00")}, "adjustment")]
    # the stored balance is right: it does not move
    assert plan[0]["stored_before"] == plan[0]["stored_after"] == {
        "available": D("773.70"), "on_hold": D("0.0")}

    seq, (count, total, txs) = last_seq(seed), ledger(seed)
    done = fix(seed, force_strategy="adjust", **LIMITS, **APPLY)
    assert step(done) == [
        (1, "s1_balance", bal(46), "adjust", D("25.00"), "applied", None),
        (2, "s1_balance", bal(45), "adjust", D("7.50"), "skipped", no_type)]
    (entry,) = done[0]["entries"]
    reference = "RECON-{}-INC-1-{}.1".format(one(seed, "SELECT to_char(now(), 'YYYYMMDD')"),
                                             one(seed, "SELECT max(id) FROM _recon.fix"))
    assert (entry["entry_type"], entry["amount"], entry["balance_after"], entry["reference"],
            entry["purpose"]) == ("CREDIT", D("25.00"), D("773.70"), reference, "adjustment")
    # exactly one operation (in its own transaction), with running values that continue the
    # chain: available 748.70 + 25.00, on_hold 0, version 9 + 1
    assert new_operations(seed, seq) == [(
        entry["entry_id"], bal(46), "@customer-046", "CREDIT", D("25.00"), D("773.70"),
        D("0.0"), 10, "APPROVED", "APPROVED", False, D("25.00"),
        f"wallet-recon adjust (INC-1): seed 001 repair test [{reference}]", None)]
    assert ledger(seed) == (count + 1, total + D("25.00"), txs + 1)
    assert balance(seed, 46) == (D("773.70"), D("0.0"), 10)
    assert balance(seed, 45)[:2] == (D("684.05"), D("10.6"))

    # 45 is still there; its default repair (resync) finishes the job
    summary = reconcile(seed)
    assert (summary["findings"], summary["resolved"]) == (1, 1)
    assert found(seed) == [("s1_balance", bal(45), "available", D("-7.50"), None)]
    assert [r["status"] for r in fix(seed, **LIMITS, **APPLY)] == ["applied"]
    assert_synced(seed)  # s1_chain included: the adjustment's running values are right


# --- a RELEASE posted twice ------------------------------------------------------------------

def release_twice(app: App) -> tuple[str, str]:
    """Transfer 'd1' holds 8.00 on balance 30 and is canceled; the cancellation is retried, so
    RELEASE is posted (and applied) twice."""
    tx = app.hold("d1", 30, D("8.00"), at(0))
    app.cancel(tx, "d1", 30, D("8.00"), at(5))
    app.post(tx, 30, "RELEASE", D("8.00"), at(6), name="d1-release-retry")
    return tx, key("s1-test-op-d1-release-retry")


def test_release_posted_twice_is_reversed_in_its_transaction(seed: str, app: App) -> None:
    """The second RELEASE is reversed by an ON_HOLD in the same transaction (strategy resolve of
    the lifecycle check, docs/REPAIRS.md "Lifecycle repairs"): the pair is recorded as
    compensated (_recon.reversal), so the duplicate finding is covered by the same step, and
    the transaction holds once and releases once again."""
    _, retry = release_twice(app)
    reconcile(seed)
    assert found(seed) == [
        ("s1_duplicates", bal(30), None, D("8.00"), "duplicate_reference"),
        ("s1_holds", bal(30), "on_hold", D("8.00"), "hold_resolved_twice")]
    assert balance(seed, 30)[:2] == (D("696.5"), D("-8.00"))

    before = snapshot(seed, *SNAPSHOT_TABLES)
    plan = fix(seed, **LIMITS)
    assert snapshot(seed, *SNAPSHOT_TABLES) == before
    assert step(plan) == [
        (1, "s1_duplicates", bal(30), "reverse", D("8.00"), "covered",
         "repaired by step 2 (resolve of s1_holds)"),
        (2, "s1_holds", bal(30), "resolve", D("8.00"), "planned", None)]
    assert [e["entry"] for e in plan[1]["entries"]] == [retry]

    count = ledger(seed)
    assert [r["status"] for r in fix(seed, **LIMITS, **APPLY)] == ["covered", "applied"]
    assert ledger(seed)[0] == count[0] + 1  # one ON_HOLD, in the same transaction
    assert balance(seed, 30)[:2] == (D("688.5"), D("0.00"))
    assert_synced(seed)


# --- a lifecycle finding: manual, or acknowledged ----------------------------------------

MANUAL_HOLDS = ("transaction {} is CREATED: neither approved (APPROVED) nor canceled (CANCELED);"
                " whether the hold is committed or released needs a person")


def test_lifecycle_finding_is_manual_then_acknowledged(seed: str) -> None:
    # Transfer 280 (23.1 held on balance 61, still PENDING) is marked CREATED, which says
    # neither approved nor canceled: the hold is never resolved, and which way is a person's.
    one(seed, "UPDATE seed001.transaction SET status = 'CREATED' WHERE id = %s"
              " RETURNING id", key("s1-transfer-280"))
    reconcile(seed)
    (f,) = open_findings(seed)
    assert (f["check_name"], f["wallet_key"], f["stored"], f["expected"], f["difference"],
            f["severity"], f["cause"]) == ("s1_holds", bal(61), 0, D("23.1"), D("-23.1"),
                                           "MEDIUM", "hold_not_resolved")
    assert f["details"]["transaction"] == key("s1-transfer-280")
    manual = MANUAL_HOLDS.format(key("s1-transfer-280"))

    before = snapshot(seed, *SNAPSHOT_TABLES)
    plan = fix(seed, **LIMITS)
    assert step(plan) == [(1, "s1_holds", bal(61), "resolve", D("23.1"), "manual", manual)]
    # a manual step is applied as nothing at all
    done = fix(seed, **LIMITS, **APPLY)
    assert step(done) == step(plan)
    assert {t: v for t, v in snapshot(seed, *SNAPSHOT_TABLES).items() if t != "_recon.fix"} == {
        t: v for t, v in before.items() if t != "_recon.fix"}
    assert reconcile(seed)["findings"] == 1

    assert one(seed, "SELECT recon.set_fix_policy('s1_holds',"
                     " '{\"strategy\": \"acknowledge\"}')") == {
        "check": "s1_holds", "strategy": "acknowledge"}
    before = snapshot(seed, *SNAPSHOT_TABLES)
    plan = fix(seed)  # no limits apply to an acknowledgement (23.1 > low_limit 10)
    assert snapshot(seed, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s1_holds", bal(61), "acknowledge", D("23.1"), "planned", None)]
    count = ledger(seed)
    done = fix(seed, **APPLY)
    assert step(done) == [(1, "s1_holds", bal(61), "acknowledge", D("23.1"), "applied", None)]
    assert done[0]["entries"] == []
    assert ledger(seed) == count
    assert {t: v for t, v in snapshot(seed, *SNAPSHOT_TABLES).items() if t.startswith("seed001.")} == {
        t: v for t, v in before.items() if t.startswith("seed001.")}
    assert rows(seed, "SELECT check_name, wallet_key, strategy, amount, moves, ticket, reason"
                      " FROM recon.repairs") == [
        ("s1_holds", bal(61), "acknowledge", D("23.1"), {}, "INC-1", "seed 001 repair test")]
    summary = assert_synced(seed)
    assert summary["acknowledged"] == 1
    assert assert_synced(seed)["acknowledged"] == 1  # and it stays out
