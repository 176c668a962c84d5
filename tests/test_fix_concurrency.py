"""recon.fix() under concurrency (issue 4, item 6).

1. A fix applied while 8 connections keep posting to the same wallets, the way a well-behaved
   application does (lock the wallets in key order, post, commit), loses nothing, duplicates
   nothing and raises no deadlock: with resync (the default) and with adjust (the fix posts
   into the ledger while the workers post).
2. Two concurrent applications of one plan apply it once.
3. The same applied fix run again changes nothing.

Fixture: tests/fixtures/concurrency.sql (50 wallets, a signed ledger, check c_balance, an
INSERT writer). Run with -s to see the one-line summary test 1 prints.
"""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from conftest import load_fixture, open_findings, reconcile

WORKERS = 8
WORKLOAD_BEFORE_FIX = 1.0   # seconds the workers post before the fix starts
WORKLOAD_AFTER_FIX = 1.5    # and after it returned
DRIFTED = sorted(random.Random(4_6).sample(range(1, 51), 20))
TIMEOUT = "-c statement_timeout=30000 -c lock_timeout=20000"


def drift_of(wallet: int) -> Decimal:
    """The drift injected into a wallet: stored balance minus ledger sum, both signs."""
    amount = Decimal(wallet * 37 % 90 + 1) + Decimal("0.50")
    return amount if wallet % 2 else -amount


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True, options=TIMEOUT)


def setup_drift(dsn: str) -> dict:
    """The fixture, drift in DRIFTED (stored balance moved without a ledger entry), a run."""
    load_fixture(dsn, "concurrency.sql")
    with connect(dsn) as c:
        for w in DRIFTED:
            c.execute("UPDATE conc.wallet SET balance = balance + %s WHERE id = %s",
                      (drift_of(w), w))
    summary = reconcile(dsn)
    found = {int(f["wallet_key"]): f["difference"] for f in open_findings(dsn, "c_balance")}
    assert found == {w: drift_of(w) for w in DRIFTED}, summary
    return summary


def figures(dsn: str) -> dict:
    """Totals of the wallets and the ledger, and the wallets whose balance != their ledger."""
    with connect(dsn) as c, c.cursor(row_factory=dict_row) as cur:
        return cur.execute("""
            SELECT (SELECT sum(balance) FROM conc.wallet) AS stored,
                   (SELECT sum(amount) FROM conc.entry) AS ledger,
                   (SELECT count(*) FROM conc.entry) AS entries,
                   (SELECT count(*) FROM _recon.repair) AS repairs,
                   ARRAY(SELECT w.id FROM conc.wallet AS w
                         WHERE w.balance IS DISTINCT FROM (
                             SELECT COALESCE(sum(e.amount), 0) FROM conc.entry AS e
                             WHERE e.wallet_id = w.id)
                         ORDER BY w.id) AS inconsistent""").fetchone()


def apply_fix(dsn: str, **args: object) -> list[dict]:
    """recon.fix(dry_run => false, ...) from its own connection, with timeouts."""
    args = {"dry_run": False, "ticket": "INC-46", "reason": "issue 4 item 6", **args}
    named = ", ".join(f"{k} => %({k})s" for k in args)
    with connect(dsn) as c, c.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT * FROM recon.fix({named})", args).fetchall()


def repairs_made(dsn: str) -> dict:
    """What the fixes did according to their audit, recon.repairs."""
    with connect(dsn) as c, c.cursor(row_factory=dict_row) as cur:
        return cur.execute("""
            SELECT count(*) AS repairs,
                   COALESCE(sum((r.moves ->> 'balance')::numeric), 0) AS moved,
                   COALESCE(sum((SELECT count(*) FROM jsonb_array_elements(r.entries))), 0)
                       AS entries,
                   COALESCE(sum((SELECT sum((e -> 'deltas' ->> 'balance')::numeric)
                                 FROM jsonb_array_elements(r.entries) AS e)), 0) AS posted
            FROM recon.repairs AS r""").fetchone()


class Worker(threading.Thread):
    """An application connection posting random transactions until told to stop: single
    postings (UPDATE the wallet, then INSERT its entry) and two-wallet transfers (lock both
    FOR UPDATE in key order, UPDATE, INSERT two entries), each in one transaction."""

    def __init__(self, n: int, dsn: str, stop: threading.Event) -> None:
        super().__init__(name=f"worker-{n}", daemon=True)
        self.dsn, self.stop, self.rng = dsn, stop, random.Random(n)
        self.committed = self.inserted = 0
        self.net = Decimal(0)
        self.errors: list[str] = []

    def wallet(self) -> int:
        # most traffic on the drifted wallets, which the fix locks
        return self.rng.choice(DRIFTED) if self.rng.random() < 0.6 else self.rng.randint(1, 50)

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                while not self.stop.is_set():
                    amount = Decimal(self.rng.randint(-5000, 5000)) / 100
                    try:
                        if self.rng.random() < 0.5:
                            w = self.wallet()
                            with c.transaction():
                                c.execute("UPDATE conc.wallet SET balance = balance + %s "
                                          "WHERE id = %s", (amount, w))
                                c.execute("INSERT INTO conc.entry (wallet_id, amount, kind) "
                                          "VALUES (%s, %s, 'APP')", (w, amount))
                            net, rows = amount, 1
                        else:
                            a, b = self.wallet(), self.wallet()
                            while b == a:
                                b = self.rng.randint(1, 50)
                            amount = abs(amount) or Decimal(1)
                            with c.transaction():
                                c.execute("SELECT id FROM conc.wallet WHERE id = ANY (%s) "
                                          "ORDER BY id FOR UPDATE", ([a, b],))
                                c.execute("UPDATE conc.wallet SET balance = balance - %s "
                                          "WHERE id = %s", (amount, a))
                                c.execute("UPDATE conc.wallet SET balance = balance + %s "
                                          "WHERE id = %s", (amount, b))
                                c.execute("INSERT INTO conc.entry (wallet_id, amount, kind) "
                                          "VALUES (%s, %s, 'TRANSFER'), (%s, %s, 'TRANSFER')",
                                          (a, -amount, b, amount))
                            net, rows = Decimal(0), 2
                    except psycopg.Error as e:
                        self.errors.append(f"{self.name}: {e.sqlstate} {e}")
                        continue
                    self.committed += 1
                    self.inserted += rows
                    self.net += net
        except Exception as e:  # any failure of the worker fails the test
            self.errors.append(f"{self.name}: {type(e).__name__} {e}")


@pytest.mark.parametrize("strategy", ["resync", "adjust"])
def test_fix_while_eight_connections_post(db: str, strategy: str) -> None:
    setup_drift(db)
    before = figures(db)
    assert before["inconsistent"] == DRIFTED

    stop = threading.Event()
    workers = [Worker(n, db, stop) for n in range(WORKERS)]
    started = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(WORKLOAD_BEFORE_FIX)
    committed_at_fix = sum(w.committed for w in workers)
    fix_started = time.monotonic()
    try:
        steps = apply_fix(db, force_strategy=strategy)
    finally:
        fix_seconds = time.monotonic() - fix_started
        committed_after_fix = sum(w.committed for w in workers)
        time.sleep(WORKLOAD_AFTER_FIX)
        stop.set()
        for w in workers:
            w.join(timeout=30)
    workload_seconds = time.monotonic() - started
    assert not any(w.is_alive() for w in workers), "a worker hung"

    errors = [e for w in workers for e in w.errors]
    committed = sum(w.committed for w in workers)
    inserted = sum(w.inserted for w in workers)
    net = sum((w.net for w in workers), Decimal(0))
    made = repairs_made(db)
    after = figures(db)
    applied = [s for s in steps if s["status"] == "applied"]
    print(f"\nfix-concurrency[{strategy}]: {WORKERS} workers committed {committed} transactions "
          f"({inserted} entries, {committed_after_fix - committed_at_fix} during the fix) in "
          f"{workload_seconds:.1f} s; fix applied {len(applied)}/{len(steps)} steps, "
          f"{made['repairs']} repairs, {made['entries']} entries posted, stored moved "
          f"{made['moved']}, in {fix_seconds:.2f} s; worker errors {len(errors)}")

    # no thread saw an error: no deadlock (40P01), no serialization failure, nothing
    assert errors == []
    assert committed_at_fix > 0 and committed > committed_after_fix, "no concurrent workload"
    # every finding re-verified and repaired under the lock: the workers never change a
    # wallet's drift, so nothing is skipped as changed
    assert sorted((int(s["wallet_key"]), s["status"], s["strategy"]) for s in steps) == [
        (w, "applied", strategy) for w in DRIFTED], [s["note"] for s in steps]
    assert made["repairs"] == len(DRIFTED)
    total_drift = sum(drift_of(w) for w in DRIFTED)
    if strategy == "resync":
        assert (made["moved"], made["entries"], made["posted"]) == (-total_drift, 0, 0)
    else:
        assert (made["moved"], made["entries"], made["posted"]) == (0, len(DRIFTED), total_drift)
    # every wallet's stored balance equals the sum of its ledger entries
    assert after["inconsistent"] == []
    # the stored total moved by exactly the workers' net postings plus what the fix moved,
    # the ledger by the workers' postings plus what the fix posted
    assert after["stored"] == before["stored"] + net + made["moved"]
    assert after["ledger"] == before["ledger"] + net + made["posted"]
    # no entry lost or duplicated
    assert after["entries"] == before["entries"] + inserted + made["entries"]
    # and the next run finds nothing
    summary = reconcile(db)
    assert open_findings(db) == [], summary


@pytest.mark.parametrize("strategy", ["resync", "adjust"])
@pytest.mark.parametrize("start", ["lock", "barrier"])
def test_two_concurrent_applications_apply_once(db: str, strategy: str, start: str) -> None:
    setup_drift(db)
    before = figures(db)
    results: dict[str, list[dict]] = {}
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def call(name: str) -> None:
        try:
            if start == "barrier":
                barrier.wait(timeout=10)
            results[name] = apply_fix(db, ticket="INC-2", force_strategy=strategy)
        except Exception as e:  # recorded, asserted below
            errors.append(f"{name}: {getattr(e, 'sqlstate', None)} {e}")

    calls = [threading.Thread(target=call, args=(n,), daemon=True) for n in ("a", "b")]
    with connect(db) as holder, connect(db) as watcher:
        if start == "lock":
            # a third connection holds one drifted wallet, so both calls block on it
            holder.execute("BEGIN")
            holder.execute("SELECT 1 FROM conc.wallet WHERE id = %s FOR UPDATE", (DRIFTED[5],))
        for t in calls:
            t.start()
        if start == "lock":
            deadline = time.monotonic() + 15
            while True:
                # (from a connection outside a transaction: pg_stat_activity is read once
                # per transaction)
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE %s", ("%recon.fix(%",)).fetchone()[0]
                if waiting == 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert waiting == 2, "both calls should be waiting for the held wallet"
            holder.execute("ROLLBACK")
        for t in calls:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in calls), "a fix call hung"
    assert errors == []

    # one call applied every step, the other skipped every step as already done
    statuses = {n: {s["status"] for s in r} for n, r in results.items()}
    assert sorted(map(sorted, statuses.values())) == [["applied"], ["skipped"]], results
    winner = next(n for n, st in statuses.items() if st == {"applied"})
    loser = "b" if winner == "a" else "a"
    assert sorted(int(s["wallet_key"]) for s in results[winner]) == DRIFTED
    assert statuses[loser] == {"skipped"}, results[loser]
    assert all(s["note"].startswith("already") for s in results[loser]), \
        [s["note"] for s in results[loser]]
    print(f"\ntwo applications [{start}, {strategy}]: {winner} applied {len(results[winner])}, "
          f"{loser} skipped: {sorted({s['note'] for s in results[loser]})}")

    with connect(db) as c:
        keys = c.execute("SELECT repair_key, count(*) FROM _recon.repair GROUP BY 1").fetchall()
        repaired = c.execute("SELECT wallet_key::int FROM _recon.repair ORDER BY 1").fetchall()
    assert all(n == 1 for _, n in keys) and len(keys) == len(DRIFTED)
    assert [w for (w,) in repaired] == DRIFTED
    # each drifted wallet repaired exactly once: not over-corrected
    after = figures(db)
    assert after["inconsistent"] == []
    total_drift = sum(drift_of(w) for w in DRIFTED)
    if strategy == "resync":
        assert after["stored"] == before["stored"] - total_drift
        assert (after["ledger"], after["entries"]) == (before["ledger"], before["entries"])
    else:
        assert after["stored"] == before["stored"]
        assert after["ledger"] == before["ledger"] + total_drift
        assert after["entries"] == before["entries"] + len(DRIFTED)
    reconcile(db)
    assert open_findings(db) == []


@pytest.mark.parametrize("strategy", ["resync", "adjust"])
def test_applied_fix_again_changes_nothing(db: str, strategy: str) -> None:
    run_id = setup_drift(db)["run_id"]
    first = apply_fix(db, run_id=run_id, force_strategy=strategy)
    assert {s["status"] for s in first} == {"applied"}
    after_first = figures(db)

    # the same fix again, before any new run: every step skipped, nothing moves
    again = apply_fix(db, run_id=run_id, force_strategy=strategy)
    assert [s["wallet_key"] for s in again] == [s["wallet_key"] for s in first]
    assert {s["status"] for s in again} == {"skipped"}
    assert all(s["note"].startswith("already") for s in again), [s["note"] for s in again]
    assert figures(db) == after_first

    # after a run that finds the wallets synced, there is nothing left to do
    reconcile(db)
    assert open_findings(db) == []
    assert apply_fix(db, force_strategy=strategy) == []
    assert figures(db) == after_first
