"""Benchmark: the bank test (issue 7, item 5), after Jepsen's bank workload, 60 s.

The long run; tests/test_bank.py runs the same workload and verification for 12 s in CI.

Run from the repository root:

    .venv/bin/python bench/bank.py                 # 60 s, 16 connections, fsync on
    .venv/bin/python bench/bank.py --seconds 10    # smoke run
    .venv/bin/python bench/bank.py --ledger-first  # the ledger-first bank (issue 16)
    .venv/bin/python bench/bank.py --transfers     # the transfer-row bank (issue 16)

--ledger-first runs bench/bank_ledger_first.py's workload instead (its docstring says what it
does and verifies): a bank whose own posting routine moves the balances, running balances and
versions, repaired through a ledger-first writer against its issuer, with every snapshot
summing to 0 and no deadlock. --transfers runs bench/bank_transfers.py's: a Blnk-like bank,
one row per transfer (two legs), whose double-posted rows, deleted rows and mis-keyed amounts
are repaired by rows against its issuer, with every snapshot summing to 0 and no deadlock.

The bank is tests/fixtures/bank.sql: 100 wallets whose stored balances sum to 100,000.00 and a
signed ledger (amount, transfer id, posting time), registered with a balance check, an INSERT
writer and the bank's fix policy (adjust: the ledger catches up with the balances).

--clients connections make random transfers between random pairs of wallets: lock both
FOR UPDATE in key order, refuse the transfer (roll back, "declined") when the payer's balance
does not cover it, move both balances, post both entries under one transfer id, commit. No
wallet is ever overdrawn: the refusal happens under the lock, and bank.wallet has a CHECK
constraint that would turn a mistake into a 23514 the run does not expect.

Two phases, in this order, because under the drift guard nothing can drift (it compares each
transaction's stored changes with the ledger effects it wrote, and lets only the audited fix
path through), so the fix would have nothing to repair:

1. unguarded (the first --unguarded seconds, the incident): no guard. The first --faulty
   clients also, now and then (--fault-rate), commit a fault, each kind as likely:
   - a transfer that moves both balances right but writes the entries wrong: none
     (lost_entries), the payer's only (one_sided), both twice (double_posted), ten times the
     amount (wrong_amount), or the payee's on a third wallet (misrouted; all three locked in
     key order);
   - deleted_leg: in a transaction of its own, the client locks one wallet of a plain transfer
     it committed earlier (FOR UPDATE, as every writer here does) and deletes that transfer's
     entry on it; no balance moves. The ledger is short by that leg;
   - forged_reversal: a transfer that moves both balances right, posts its two entries twice,
     and posts a third entry on one of its wallets, 0.00, referenced REV-<id of that wallet's
     second copy>: a forged reversal meant to hide the duplicate (issue 13).
   Balances still sum to the total; the ledger drifts from them, and the fix repairs it while
   the transfers go on.
2. guarded (the rest): the drift guard in block mode, switched on live by the ops connection.
   The same faults are now rejected at COMMIT with RC401, deleted_leg too: a DELETE of a ledger
   row takes its effect back from the guard's sum, so a transaction that deletes a non-zero
   entry and moves no balance leaves a difference of that amount on the wallet (checked by
   hand: "balance moved by 0, its ledger entries by 7.00"). The guard lets through a DELETE of
   a 0.00 entry (it moves nothing; only the append_only guard refuses every DELETE) and sees
   nothing in a forged REV- entry (0.00): it rejects forged_reversal for its duplicate. The
   faulty clients also make read_modify_write transfers (balances read without a lock,
   "computed", written back as absolute values): when another transfer got in between, that
   is a lost update, and the guard must reject it (RC401); when none did, it commits and is
   right. And an unprivileged writer (Bypasser; --no-bypasses leaves it out) tries issue 18's
   bypasses (BYPASSES) in turn: each must be rejected with its SQLSTATE and keep nothing.

How the bank's registration repairs the faults. tests/fixtures/bank.sql keeps no running
balance and registers no journal or duplicate check (its transfer id is the ledger's journal
column, but nothing checks journals), so recon.fix() has no ledger evidence for any wallet
(evidence verdict no_evidence) and applies the bank's policy, adjust: the ledger catches up
with the stored balances, which only ever move in pairs. A deleted leg is repaired by an
ADJUSTMENT of exactly that leg on its wallet; a forged reversal's duplicate by ADJUSTMENTs
undoing the second copy on both wallets. The forged REV- entry is, to this registration, a
0.00 entry like any other: nothing is reversed (no duplicate check), skipped or left manual
for it, and the fix posts no REV- entry at all. (Tried by hand, not under load: with a journal
check, a deleted leg, like a one-sided transfer, is left manual, since without a running
balance to show the gap the only evidence is an unbalanced journal, verdict "inconsistent";
with a duplicate check, a wallet holding a duplicate and other drift in one cycle has its
reversal skipped, "cannot tell whether the stored balance holds it", and its balance step
manual, so continuous faults would leave wallets for a person. Neither is registered here.)

Throughout, the ops connection runs recon.reconcile() then recon.fix(dry_run => false, ticket,
reason) every --fix-every seconds, and a reader takes REPEATABLE READ snapshots: every balance,
then the stored-balance moves of the audited repairs (recon.repairs), in one transaction.

Switching the guard on: recon.enable_guard() alone (--switch plain, the default). It used to
create its triggers on the ledger, then on the wallets, which deadlocked an application that
writes wallets then ledger (40P01; found by this benchmark); it now takes both tables' locks
first, wallets before ledger. --switch locked takes them in the caller's transaction before
calling it, as the workaround did.

Verified at the end, or nothing is reported (the bench exits non-zero): every snapshot summed
to the total plus exactly the repairs' moves; every client error was an expected RC401 (a
fault or a racing read-modify-write under the guard: never a plain transfer, never without the
guard, no deadlock 40P01, no serialization failure 40001, nothing else); every fault under the
guard was rejected; every committed transaction has exactly the entries it wrote under its
transfer id, less the legs the committed deleted_legs removed (each of those tracked: the
transfer, the wallet, the amount), and a rejected one has none (a rejected deleted_leg's leg is
still there); each forged REV- entry is still there, 0.00, naming the second copy of its own
wallet's entry in its own transfer; every wallet's balance is its opening balance plus what the
committed transactions moved (no lost update) plus the repairs' moves; the ledger holds the
seeded entries, those, and the fix's own ADJUSTMENT entries, which are exactly the ones in
recon.repairs and add up, wallet by wallet, to the drift the faults made, deleted legs
included (each repaired once: no repair key twice); every repair is adjust, every applied step
was planned on no ledger evidence, no fix posted a REV- entry, and no step was left manual or
skipped except for a wallet that changed since the run (the next cycle repairs it); the
balances and the ledger both sum to 100,000.00; nothing is left staged for the guard; and a
final recon.reconcile(), run after the load without another fix, finds nothing (so no fault's
drift was left: none is left manual under this registration).

Without --database it starts a throwaway PostgreSQL (migrator.cluster.ThrowawayCluster) with
check_engine.py's settings and fsync, synchronous_commit and full_page_writes on, and removes it
at the end. A benchmark and a correctness run, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bank_common import CONCURRENT, TIMEOUTS, connect, first_line, pct

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "bank.sql"
WALLETS = 100
TOTAL = Decimal("100000.00")
TRANSFER_BASE = 10**9       # client transfer ids: (client + 1) * TRANSFER_BASE + n
FAULTS = ("lost_entries", "one_sided", "double_posted", "wrong_amount", "misrouted",
          "deleted_leg", "forged_reversal")
RMW = "read_modify_write"
RMW_THINK = 0.005           # seconds between a read-modify-write's read and its write
PHASES = ("unguarded", "switch", "guarded")
GUARD = '{"mode": "block"}'
# What a client may see, and when: RC401 from a fault or a read-modify-write once the guard is
# (being) switched on. Anything else, or RC401 from a plain transfer, is a finding.
# Why a step may be skipped while the transfers go on (bank_common.CONCURRENT): the wallet moved
# between the run and the fix's lock. Any other skipped or manual step is a finding.
EXPECTED = {("switch", k, "RC401") for k in (*FAULTS, RMW)} | {
    ("guarded", k, "RC401") for k in (*FAULTS, RMW)}


@dataclass(frozen=True)
class Config:
    seconds: float = 12.0       # the load, both phases (defaults: the CI variant's)
    unguarded: float = 5.0      # seconds of it before the guard is switched on
    clients: int = 16
    faulty: int = 4             # clients (the first ones) that also inject faults
    fault_rate: float = 0.05    # share of a faulty client's transactions that are faults
    rmw_rate: float = 0.05      # and, under the guard, read-modify-write transfers
    fix_every: float = 1.5      # seconds between reconcile + fix cycles
    snapshot_pause: float = 0.01
    switch: str = "plain"       # recon.enable_guard() alone; "locked": tables locked first
    bypasses: bool = True       # under the guard, a writer tries issue 18's bypasses (Bypasser)
    seed: int = 7


@dataclass
class Txn:
    """One client transaction: what it moves and the entries it writes."""
    kind: str
    tid: int
    src: int
    dst: int
    amount: Decimal
    # a third wallet: where a misrouted transfer posts the payee's entry; for a forged
    # reversal, the wallet (src or dst) whose second entry the forged REV- entry names
    other: int
    # deleted_leg: the client's own earlier transfer (kind "transfer") whose entry on src it
    # deletes; dst, amount are that transfer's other wallet and amount
    target: Txn | None = None

    @property
    def wallets(self) -> list[int]:
        """Every wallet it writes to, entries included."""
        if self.kind == "deleted_leg":
            return [self.src]
        return [self.src, self.dst, *([self.other] if self.kind == "misrouted" else [])]

    @property
    def moves(self) -> dict[int, Decimal]:
        if self.kind == "deleted_leg":
            return {}
        return {self.src: -self.amount, self.dst: self.amount}

    @property
    def entries(self) -> list[tuple[int, Decimal]]:
        """The entries it writes under its own transfer id."""
        a, s, d = self.amount, self.src, self.dst
        return {"lost_entries": [], "one_sided": [(s, -a)],
                "double_posted": [(s, -a), (d, a), (s, -a), (d, a)],
                "wrong_amount": [(s, -10 * a), (d, 10 * a)],
                "misrouted": [(s, -a), (self.other, a)],
                "deleted_leg": [],
                "forged_reversal": [(s, -a), (d, a), (s, -a), (d, a),
                                    (self.other, Decimal("0.00"))],
                }.get(self.kind, [(s, -a), (d, a)])

    @property
    def deleted(self) -> tuple[int, int, Decimal] | None:
        """deleted_leg: (the target's transfer id, the wallet, the amount) of the leg."""
        if self.kind != "deleted_leg" or self.target is None:
            return None
        leg = dict(self.target.entries)[self.src]
        return self.target.tid, self.src, leg


class Clock:
    """Which phase a transaction ran in: 0 unguarded, 1 the switch in progress, 2 guarded."""

    def __init__(self) -> None:
        self.gen = 0
        self.started = time.monotonic()

    def phase(self, start: int, end: int) -> str:
        return PHASES[start] if start == end else "switch"


class Client(threading.Thread):
    """An application connection: transfers (and, if faulty, faults) until told to stop."""

    LOCK = "SELECT id, balance FROM bank.wallet WHERE id = ANY (%s) ORDER BY id FOR UPDATE"
    READ = "SELECT id, balance FROM bank.wallet WHERE id = ANY (%s)"
    MOVE = ("UPDATE bank.wallet SET balance = balance + CASE WHEN id = %(src)s THEN -%(a)s "
            "ELSE %(a)s END WHERE id IN (%(src)s, %(dst)s)")
    SET = "UPDATE bank.wallet SET balance = %s WHERE id = %s"
    POST = ("INSERT INTO bank.entry (wallet_id, amount, transfer_id, kind, reference) "
            "SELECT e.w, e.a, %(tid)s, 'TRANSFER', 'T' || %(tid)s "
            "FROM unnest(%(w)s::integer[], %(a)s::numeric[]) AS e (w, a)")
    # forged_reversal: a 0.00 entry referenced REV-<the later of the wallet's two copies>
    FORGE = ("INSERT INTO bank.entry (wallet_id, amount, transfer_id, kind, reference) "
             "SELECT %(w)s, 0.00, %(tid)s, 'TRANSFER', 'REV-' || max(id) FROM bank.entry "
             "WHERE transfer_id = %(tid)s AND wallet_id = %(w)s")
    # deleted_leg: one entry of an earlier transfer, nothing else
    DELETE = "DELETE FROM bank.entry WHERE transfer_id = %s AND wallet_id = %s AND amount = %s"

    def __init__(self, n: int, dsn: str, cfg: Config, clock: Clock,
                 stop: threading.Event) -> None:
        super().__init__(name=f"client-{n}", daemon=True)
        self.n, self.dsn, self.cfg, self.clock, self.stop = n, dsn, cfg, clock, stop
        self.rng = random.Random(cfg.seed * 1000 + n)
        self.faulty = n < cfg.faulty
        self.count = 0
        self.committed: list[tuple[str, Txn]] = []
        self.intact: list[Txn] = []   # committed plain transfers with both legs (deleted_leg)
        self.rejected: list[tuple[str, Txn, str]] = []
        self.declined: Counter[tuple[str, str]] = Counter()
        self.errors: Counter[tuple[str, str, str]] = Counter()
        self.samples: dict[str, str] = {}
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.crash: str | None = None

    def next_txn(self, gen: int) -> Txn:
        kind = "transfer"
        if self.faulty:
            r = self.rng.random()
            if r < self.cfg.fault_rate:
                kind = self.rng.choice(FAULTS)
            elif gen == 2 and r < self.cfg.fault_rate + self.cfg.rmw_rate:
                kind = RMW
        if kind == "deleted_leg" and not self.intact:
            kind = "transfer"   # nothing of its own to delete a leg of yet
        src, dst, other = self.rng.sample(range(1, WALLETS + 1), 3)
        cents = self.rng.randint(1, 5000 if kind in FAULTS else 10000)
        amount = Decimal(cents) / 100
        target = None
        if kind == "forged_reversal":
            other = self.rng.choice((src, dst))
        elif kind == "deleted_leg":
            target = self.rng.choice(self.intact)
            src, dst = self.rng.sample((target.src, target.dst), 2)   # src: the leg's wallet
            amount, other = target.amount, 0
        self.count += 1
        return Txn(kind, (self.n + 1) * TRANSFER_BASE + self.count, src, dst, amount, other,
                   target)

    def execute(self, c: psycopg.Connection[Any], t: Txn) -> bool:
        """One transaction; False when declined (the payer cannot cover it)."""
        declined = False
        with c.transaction():
            if t.kind == "deleted_leg":
                # lock the wallet first, as every writer here does, then delete one leg of an
                # earlier transfer; the balances stay as they are
                c.execute(self.LOCK, (t.wallets,))
                tid, w, a = t.deleted  # type: ignore[misc]
                n = c.execute(self.DELETE, (tid, w, a)).rowcount
                if n != 1:
                    raise RuntimeError(f"deleted_leg: {n} entries ({tid}, {w}, {a}), not 1")
                return True
            if t.kind == RMW:
                # the bug: read, compute, write back absolute values, without a lock
                seen = dict(c.execute(self.READ, (t.wallets,)).fetchall())
                if seen[t.src] < t.amount:
                    declined = True
                    raise psycopg.Rollback()
                time.sleep(RMW_THINK)
                for w in sorted(seen):  # (the row locks are still taken in key order)
                    c.execute(self.SET, (seen[w] + t.moves[w], w))
            else:
                # every wallet it writes to, entries included (their foreign key takes a
                # KEY SHARE lock), in key order
                seen = dict(c.execute(self.LOCK, (t.wallets,)).fetchall())
                if seen[t.src] < t.amount:
                    declined = True
                    raise psycopg.Rollback()
                c.execute(self.MOVE, {"src": t.src, "dst": t.dst, "a": t.amount})
            posted = t.entries[:4] if t.kind == "forged_reversal" else t.entries
            if posted:
                c.execute(self.POST, {"tid": t.tid, "w": [w for w, _ in posted],
                                      "a": [a for _, a in posted]})
            if t.kind == "forged_reversal":
                c.execute(self.FORGE, {"tid": t.tid, "w": t.other})
        return not declined

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                while not self.stop.is_set():
                    start = self.clock.gen
                    t = self.next_txn(start)
                    t0 = time.perf_counter()
                    try:
                        ok = self.execute(c, t)
                    except psycopg.Error as e:
                        phase = self.clock.phase(start, self.clock.gen)
                        state = e.sqlstate or type(e).__name__
                        self.errors[(phase, t.kind, state)] += 1
                        self.samples.setdefault(state, f"{t.kind}: {first_line(e)}")
                        self.rejected.append((phase, t, state))
                        if c.closed or c.broken:
                            raise
                        continue
                    phase = self.clock.phase(start, self.clock.gen)
                    if ok:
                        self.committed.append((phase, t))
                        if t.kind == "transfer":
                            self.intact.append(t)
                        elif t.kind == "deleted_leg":
                            self.intact.remove(t.target)
                        self.latency[phase].append(time.perf_counter() - t0)
                    else:
                        self.declined[(phase, t.kind)] += 1
        except Exception as e:  # a client that dies fails the run
            self.crash = f"{self.name}: {type(e).__name__}: {first_line(e)}"


# Issue 18 item 1's bypasses, tried by an unprivileged writer while the drift guard blocks:
# (name, statements, the SQLSTATEs that reject it). {w} is the drifting wallet, {v} another,
# {gid} the guard's id. Each runs as one transaction and must be rejected, keeping nothing.
WRITER_ROLE = "bank_bypasser"
DRIFT = "UPDATE bank.wallet SET balance = balance + 1000 WHERE id = {w}"
BYPASSES: tuple[tuple[str, tuple[str, ...], frozenset[str]], ...] = tuple(
    (name, stmts, frozenset(states)) for name, stmts, states in (
        ("reset_all", (DRIFT, "RESET ALL"), {"RC401"}),
        ("set_config", (DRIFT, "SELECT set_config('wallet_recon.drift_{gid}', '', true)"),
         {"RC401"}),
        ("set_local", (DRIFT, "SET LOCAL wallet_recon.drift_{gid} = '*'"), {"RC401"}),
        ("discard_all", (DRIFT, "DISCARD ALL"), {"25001"}),
        ("forged_spill", (DRIFT, "SELECT _recon_guard.drift_spill({gid}, '*,{w}:1=-1000.00s,')"),
         {"RC410"}),
        ("forged_verdict",
         (DRIFT, "SELECT _recon_guard.drift_verdict({gid}, '*!,{w}:1=-1000.00s,')"), {"RC410"}),
        ("forged_tick", (DRIFT, "SELECT _recon_guard.drift_tick({gid})"), {"RC401"}),
        ("savepoint_entry", (DRIFT, "SAVEPOINT s", "INSERT INTO bank.entry (wallet_id, amount, "
                             "kind) VALUES ({w}, 1000, 'TRANSFER')", "ROLLBACK TO SAVEPOINT s"),
         {"RC401"}),
        ("savepoint_check", (DRIFT, "DO $$ BEGIN SET CONSTRAINTS ALL IMMEDIATE; EXCEPTION WHEN "
                             "OTHERS THEN NULL; END $$"), {"RC401"}),
        ("constraints_immediate", (DRIFT, "SET CONSTRAINTS ALL IMMEDIATE"), {"RC401"}),
        # an entry's wallet column re-keyed: {v} credited with {w}'s opening
        ("rekey_entry", ("UPDATE bank.entry SET wallet_id = {v} WHERE kind = 'OPENING' "
                         "AND wallet_id = {w}",), {"RC401"}),
        # a wallet's key re-keyed: its entries' foreign key refuses it (23503) before the
        # guard judges it (RC401 on a ledger without one: tests/test_guard_bypasses.py)
        ("rekey_wallet", ("UPDATE bank.wallet SET id = {w} + 1000 WHERE id = {w}",),
         {"23503", "RC401"}),
    ))


class Bypasser(threading.Thread):
    """Under the guard, an unprivileged writer (table rights only) tries each bypass in turn,
    over and over: every one must be rejected with its SQLSTATE and keep nothing (the reader's
    snapshots and verify()'s balances would see it). A deadlock or serialization failure
    against the transfers is retried, not counted."""

    def __init__(self, dsn: str, cfg: Config, clock: Clock, stop: threading.Event) -> None:
        super().__init__(name="bypasser", daemon=True)
        self.dsn, self.cfg, self.clock, self.stop = dsn, cfg, clock, stop
        self.rng = random.Random(cfg.seed * 1000 - 1)
        self.rejected: Counter[tuple[str, str]] = Counter()
        self.retried: Counter[str] = Counter()
        self.committed: list[str] = []
        self.unexpected: list[str] = []
        self.crash: str | None = None

    def attempt(self, c: psycopg.Connection[Any], name: str, stmts: tuple[str, ...],
                states: frozenset[str], gid: int) -> None:
        w, v = self.rng.sample(range(1, WALLETS + 1), 2)
        c.execute(f"SET ROLE {WRITER_ROLE}")
        c.commit()
        try:
            for stmt in stmts:
                c.execute(stmt.format(w=w, v=v, gid=gid))
            c.commit()
        except psycopg.Error as e:
            c.rollback()
            state = e.sqlstate or type(e).__name__
            if state in ("40P01", "40001"):
                self.retried[state] += 1
            elif state in states:
                self.rejected[(name, state)] += 1
            else:
                self.unexpected.append(f"{name}: {state} {first_line(e)}")
            return
        self.committed.append(f"{name} (wallet {w})")

    def run(self) -> None:
        try:
            while not self.stop.is_set() and self.clock.gen < 2:
                time.sleep(0.01)
            with psycopg.connect(self.dsn, options=TIMEOUTS) as c:
                gid = c.execute("SELECT id FROM recon.guards WHERE kind = 'drift'").fetchone()[0]
                c.commit()
                while not self.stop.is_set():
                    for name, stmts, states in BYPASSES:
                        if self.stop.is_set():
                            break
                        self.attempt(c, name, stmts, states, gid)
                        time.sleep(0.02)
        except Exception as e:  # a bypasser that dies fails the run
            self.crash = f"{self.name}: {type(e).__name__}: {first_line(e)}"


@dataclass
class Cycle:
    phase: str
    status: str
    findings: int
    reconcile_s: float
    steps: Counter[str] = field(default_factory=Counter)
    fix_s: float = 0.0


class Ops(threading.Thread):
    """The operator's connection: reconcile + fix every few seconds, and the guard's switch."""

    def __init__(self, dsn: str, cfg: Config, clock: Clock, stop: threading.Event) -> None:
        super().__init__(name="ops", daemon=True)
        self.dsn, self.cfg, self.clock, self.stop = dsn, cfg, clock, stop
        self.cycles: list[Cycle] = []
        self.notes: Counter[str] = Counter()
        # every step: (status, strategy, the evidence's verdict) and, if skipped or manual,
        # its note's first words
        self.verdicts: Counter[tuple[str, str, str]] = Counter()
        self.left: Counter[str] = Counter()
        self.errors: list[str] = []
        self.switch_at: float | None = None   # seconds into the load
        self.switch_s: float | None = None

    def switch(self, c: psycopg.Connection[Any]) -> None:
        self.clock.gen = 1
        self.switch_at = time.monotonic() - self.clock.started
        t0 = time.perf_counter()
        with c.transaction():
            if self.cfg.switch == "locked":
                # the application's order: wallets, then ledger
                c.execute("LOCK TABLE bank.wallet IN SHARE ROW EXCLUSIVE MODE")
                c.execute("LOCK TABLE bank.entry IN SHARE ROW EXCLUSIVE MODE")
            c.execute("SELECT recon.enable_guard('drift', 'bank_ledger', %s)", (GUARD,))
        self.switch_s = time.perf_counter() - t0
        self.clock.gen = 2

    def cycle(self, c: psycopg.Connection[Any], n: int) -> None:
        gen = self.clock.gen
        t0 = time.perf_counter()
        summary = c.execute("SELECT recon.reconcile()").fetchone()[0]
        t1 = time.perf_counter()
        cyc = Cycle(PHASES[gen], summary["status"], summary["findings"], t1 - t0)
        rows = c.execute(
            "SELECT status, note, strategy, evidence ->> 'verdict' "
            "FROM recon.fix(dry_run => false, ticket => %s, reason => %s)",
            (f"BANK-{n}", "bank test: the ledger catches up with the balances")).fetchall()
        cyc.fix_s = time.perf_counter() - t1
        for status, note, strategy, verdict in rows:
            cyc.steps[status] += 1
            self.verdicts[(status, strategy, verdict or "-")] += 1
            if note:
                self.notes[f"{status}: {note.split(':')[0]}"] += 1
            if status in ("skipped", "manual") and not (note or "").startswith(CONCURRENT):
                self.left[f"{status}: {note}"] += 1
        self.cycles.append(cyc)

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                n = 0
                next_cycle = self.clock.started + self.cfg.fix_every
                while not self.stop.is_set():
                    now = time.monotonic()
                    if self.clock.gen == 0 and now - self.clock.started >= self.cfg.unguarded:
                        self.switch(c)
                    elif now >= next_cycle:
                        n += 1
                        self.cycle(c, n)
                        next_cycle = max(next_cycle + self.cfg.fix_every, time.monotonic())
                    else:
                        time.sleep(0.01)
        except Exception as e:  # any failure here fails the run
            self.errors.append(f"{type(e).__name__} {getattr(e, 'sqlstate', '')}: "
                               f"{first_line(e)}")


class Reader(threading.Thread):
    """Snapshot reads: every balance, then the repairs' moves, in one REPEATABLE READ
    transaction; their sum minus the moves must be the constant total, every time."""

    def __init__(self, dsn: str, cfg: Config, stop: threading.Event) -> None:
        super().__init__(name="reader", daemon=True)
        self.dsn, self.cfg, self.stop = dsn, cfg, stop
        self.taken = 0
        self.bad: list[str] = []
        self.latency: list[float] = []
        self.moves_seen: set[Decimal] = set()
        self.error: str | None = None

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                c.read_only = True
                while not self.stop.is_set():
                    t0 = time.perf_counter()
                    with c.transaction():
                        balances = c.execute("SELECT id, balance FROM bank.wallet").fetchall()
                        moved = c.execute(
                            "SELECT COALESCE(sum((moves ->> 'balance')::numeric), 0) "
                            "FROM recon.repairs").fetchone()[0]
                    self.latency.append(time.perf_counter() - t0)
                    self.taken += 1
                    self.moves_seen.add(moved)
                    total = sum((b for _, b in balances), Decimal(0))
                    if len(balances) != WALLETS or total - moved != TOTAL:
                        self.bad.append(f"snapshot {self.taken}: {len(balances)} wallets sum "
                                        f"to {total}, repairs moved {moved}")
                    time.sleep(self.cfg.snapshot_pause)
        except Exception as e:
            self.error = f"{type(e).__name__} {getattr(e, 'sqlstate', '')}: {first_line(e)}"


@dataclass
class Result:
    cfg: Config
    elapsed: float
    clients: list[Client]
    ops: Ops
    reader: Reader
    problems: list[str]
    facts: dict[str, Any]
    bypasser: Bypasser | None = None

    def committed(self, phase: str | None = None, kinds: tuple[str, ...] | None = None) -> int:
        return sum(1 for c in self.clients for p, t in c.committed
                   if (phase is None or p == phase) and (kinds is None or t.kind in kinds))

    @property
    def errors(self) -> Counter[tuple[str, str, str]]:
        return sum((c.errors for c in self.clients), Counter())

    def by_sqlstate(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, _, state), n in self.errors.items():
            out[state] += n
        return out


def state(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """What the verification reads from the database."""
    q = conn.execute
    return {
        "balances": dict(q("SELECT id, balance FROM bank.wallet").fetchall()),
        "entries": q("SELECT count(*), COALESCE(sum(amount), 0) FROM bank.entry").fetchone(),
        "seeded": q("SELECT count(*), COALESCE(sum(amount), 0) FROM bank.entry "
                    "WHERE kind IN ('OPENING', 'TRANSFER') AND (transfer_id IS NULL "
                    "OR transfer_id < %s)", (TRANSFER_BASE,)).fetchone(),
        "guards": q("SELECT kind, target, mode FROM recon.guards").fetchall(),
    }


def verify(conn: psycopg.Connection[Any], before: dict[str, Any], res: Result) -> list[str]:
    """Everything the run must show; an empty list when it does."""
    p: list[str] = []
    q = conn.execute
    # threads: none hung, none crashed
    for t in [*res.clients, res.ops, res.reader]:
        if t.is_alive():
            p.append(f"{t.name} hung")
    p += [c.crash for c in res.clients if c.crash]
    if res.bypasser is not None:
        b = res.bypasser
        if b.is_alive():
            p.append("bypasser hung")
        p += [b.crash] if b.crash else []
        p += [f"bypass committed under the guard: {x}" for x in b.committed]
        p += [f"bypass rejected for another reason: {x}" for x in b.unexpected[:5]]
        tried = {name for name, _ in b.rejected}
        p += [f"bypass {name} never rejected" for name, _, _ in BYPASSES if name not in tried]
    p += [f"ops: {e}" for e in res.ops.errors]
    if res.reader.error:
        p.append(f"reader: {res.reader.error}")

    # client errors: only the expected RC401s
    for key, n in sorted(res.errors.items()):
        if key not in EXPECTED:
            sample = next((c.samples[key[2]] for c in res.clients if key[2] in c.samples), "")
            p.append(f"unexpected client error {key} x{n}: {sample}")
    for state_ in ("40P01", "40001"):
        if res.by_sqlstate()[state_]:
            p.append(f"{res.by_sqlstate()[state_]} x {state_}")
    # under the guard every fault is rejected
    if res.committed("guarded", FAULTS):
        p.append(f"{res.committed('guarded', FAULTS)} faults committed under the guard")

    # snapshots
    if res.reader.taken == 0:
        p.append("no snapshot taken")
    p += res.reader.bad[:10]

    # ops: the guard was switched on, fixes ran in both phases, nothing left for a person
    if res.ops.switch_s is None:
        p.append("the guard was never switched on")
    if ("drift", "bank_ledger", "block") not in [tuple(g) for g in state(conn)["guards"]]:
        p.append("no blocking drift guard at the end")
    for phase in ("unguarded", "guarded"):
        if not any(c.phase == phase for c in res.ops.cycles):
            p.append(f"no reconcile + fix cycle {phase}")
    if any(c.steps["manual"] for c in res.ops.cycles):
        p.append("a fix left steps for a person")
    # skipped only for a wallet that moved meanwhile (the next cycle repairs it), and every
    # repair the bank's own: adjust, on no ledger evidence (no running balance, no journal
    # check registered), so that the faults' drift is what the repairs must add up to. A
    # forged REV- entry makes nothing reversed, covered or skipped.
    p += [f"fix step x{n}: {note}" for note, n in sorted(res.ops.left.items())][:10]
    odd = {k: n for k, n in res.ops.verdicts.items()
           if k[0] in ("applied", "covered", "planned") and k[1:] != ("adjust", "no_evidence")}
    if odd:
        p.append(f"steps not the bank's adjust on no ledger evidence: {odd}")

    # the ledger, transfer by transfer
    expected: dict[int, list[tuple[int, Decimal]]] = {}
    moves: defaultdict[int, Decimal] = defaultdict(Decimal)
    drift: defaultdict[int, Decimal] = defaultdict(Decimal)
    committed = [t for c in res.clients for _, t in c.committed]
    for t in committed:
        expected[t.tid] = sorted(t.entries)
        for w, a in t.moves.items():
            moves[w] += a
            drift[w] += a
        for w, a in t.entries:
            drift[w] -= a
    # the legs deleted_leg removed: gone from their transfer, the ledger short by them
    deleted = [t.deleted for t in committed if t.deleted is not None]
    for tid, w, a in deleted:
        if (w, a) not in expected.get(tid, []):
            p.append(f"deleted_leg removed ({w}, {a}) of transfer {tid}, which did not write it")
            continue
        expected[tid].remove((w, a))
        drift[w] += a
    found: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for tid, w, a in q("SELECT transfer_id, wallet_id, amount FROM bank.entry "
                       "WHERE transfer_id >= %s", (TRANSFER_BASE,)).fetchall():
        found[tid].append((w, a))
    wrong = [tid for tid, e in expected.items() if sorted(found.get(tid, [])) != e]
    kept = [tid for tid in found if tid not in expected]
    if wrong:
        p.append(f"{len(wrong)} committed transactions without exactly their entries, e.g. "
                 f"{wrong[:3]}: {[(expected[t], found.get(t)) for t in wrong[:3]]}")
    if kept:
        p.append(f"{len(kept)} transfer ids in the ledger that no client committed (kept from "
                 f"a rejected transaction?), e.g. {kept[:5]}")
    rejected_kept = {t.tid for c in res.clients for _, t, _ in c.rejected} & set(found)
    if rejected_kept:
        p.append(f"entries of rejected transactions kept: {sorted(rejected_kept)[:5]}")
    # each forged REV- entry names the second copy of its own wallet's entry, in its transfer
    # (the entries above show it is still there, 0.00, beside both copies)
    forged = [t.tid for t in committed if t.kind == "forged_reversal"]
    named = q("SELECT f.transfer_id FROM bank.entry AS f JOIN bank.entry AS d "
              "ON f.reference = 'REV-' || d.id AND d.transfer_id = f.transfer_id "
              "AND d.wallet_id = f.wallet_id AND d.amount <> 0 "
              "AND EXISTS (SELECT FROM bank.entry AS d1 WHERE d1.transfer_id = d.transfer_id "
              "AND d1.wallet_id = d.wallet_id AND d1.amount = d.amount AND d1.id < d.id) "
              "WHERE f.transfer_id = ANY (%s) AND f.amount = 0", (forged,)).fetchall()
    if sorted(tid for tid, in named) != sorted(forged):
        p.append(f"{len(forged)} forged reversals committed, {len(named)} REV- entries "
                 f"naming a duplicate of their own transfer and wallet")

    # the fix's entries: exactly those of its audit, adding up to the faults' drift per wallet
    adjustments = dict(((e, w), a) for e, w, a in q(
        "SELECT id, wallet_id, amount FROM bank.entry WHERE kind = 'ADJUSTMENT'").fetchall())
    audited = q("SELECT (x ->> 'entry')::bigint, (x ->> 'wallet')::integer, "
                "(x -> 'deltas' ->> 'balance')::numeric "
                "FROM recon.repairs AS r, jsonb_array_elements(r.entries) AS x").fetchall()
    if sorted(adjustments.items()) != sorted(((e, w), a) for e, w, a in audited):
        p.append(f"ADJUSTMENT entries {len(adjustments)} != entries in recon.repairs "
                 f"{len(audited)}")
    # each repair undoes its wallet's drift: adjust posts it into the ledger, resync moves the
    # stored balance back; either way posted - moved = the faults' drift, wallet by wallet
    repaired: defaultdict[int, Decimal] = defaultdict(Decimal)
    for (_, w), a in adjustments.items():
        repaired[w] += a
    repaired_moves = q("SELECT wallet_key::integer, (moves ->> 'balance')::numeric "
                       "FROM recon.repairs WHERE moves ? 'balance'").fetchall()
    for w, m in repaired_moves:
        moves[w] += m
        repaired[w] -= m
    drifted = {w: d for w, d in drift.items() if d}
    if {w: a for w, a in repaired.items() if a} != drifted:
        p.append(f"the repairs undid {dict(repaired)} per wallet, the faults drifted {drifted}")
    dup = q("SELECT count(*) - count(DISTINCT repair_key) FROM _recon.repair").fetchone()[0]
    if dup:
        p.append(f"{dup} repair keys applied twice")
    strategies = dict(q("SELECT strategy, count(*) FROM recon.repairs GROUP BY 1").fetchall())
    if set(strategies) - {"adjust"}:
        p.append(f"repairs other than adjust: {strategies}")
    reversals = q("SELECT count(*) FROM bank.entry WHERE kind = 'ADJUSTMENT' "
                  "AND reference LIKE 'REV-%'").fetchone()[0]
    if reversals:
        p.append(f"the fixes posted {reversals} REV- entries (the bank's fixes only adjust)")

    # balances: opening + what committed transactions moved + the repairs' moves
    after = state(conn)
    off = {w: (before["balances"][w] + moves[w], b) for w, b in after["balances"].items()
           if b != before["balances"][w] + moves[w]}
    if off:
        p.append(f"{len(off)} wallets not at opening + committed moves (lost update or a "
                 f"rejected write kept), e.g. {dict(list(off.items())[:3])} (expected, stored)")
    stored_total = sum(after["balances"].values(), Decimal(0))
    n_entries, ledger_total = after["entries"]
    client_entries = sum(len(e) for e in expected.values())
    if stored_total != TOTAL + sum((m for _, m in repaired_moves), Decimal(0)):
        p.append(f"balances sum to {stored_total}")
    if ledger_total != stored_total:
        p.append(f"ledger sums to {ledger_total}, balances to {stored_total}")
    if after["seeded"] != before["seeded"]:
        p.append(f"seeded entries changed: {before['seeded']} -> {after['seeded']}")
    if n_entries != before["entries"][0] + client_entries + len(adjustments):
        p.append(f"{n_entries} entries, expected {before['entries'][0]} seeded + "
                 f"{client_entries} by the clients + {len(adjustments)} by the fixes")

    # the guard's bookkeeping, and the final reconcile (no fix after the load)
    staged = q("SELECT count(*) FROM _recon.guard_pending").fetchone()[0]
    if staged:
        p.append(f"{staged} rows left in _recon.guard_pending")
    alerts = q("SELECT count(*) FROM _recon.alert WHERE kind <> 'run'").fetchone()[0]
    if alerts:
        p.append(f"{alerts} guard alerts")
    final = q("SELECT recon.reconcile()").fetchone()[0]
    res.facts["final"] = final
    left = q("SELECT count(*) FROM recon.open_findings").fetchone()[0]
    if final["status"] != "synced" or final["findings"] or left:
        p.append(f"final reconcile: {final['status']}, {final['findings']} findings, "
                 f"{left} open")
    res.facts.update(stored_total=stored_total, ledger_total=ledger_total,
                     entries=n_entries, client_entries=client_entries,
                     adjustments=len(adjustments), drifted_wallets=len(drifted),
                     drift=sum((abs(d) for d in drifted.values()), Decimal(0)),
                     deleted_legs=len(deleted), forged=len(forged),
                     strategies=strategies, reversals=reversals,
                     repairs=q("SELECT count(*) FROM recon.repairs").fetchone()[0],
                     fix_calls=q("SELECT count(*) FROM _recon.fix").fetchone()[0])
    return p


def run(dsn: str, cfg: Config, log: Any = print) -> Result:
    """The whole run on a database holding the bank fixture: the load, then verify()."""
    with connect(dsn) as conn:
        start = conn.execute("SELECT recon.reconcile()").fetchone()[0]
        before = state(conn)
        if start["status"] != "synced" or sum(before["balances"].values()) != TOTAL \
                or before["guards"]:
            raise RuntimeError(f"the bank is not as seeded: {start}, {before['guards']}")
    stop = threading.Event()
    clock = Clock()
    clients = [Client(n, dsn, cfg, clock, stop) for n in range(cfg.clients)]
    ops, reader = Ops(dsn, cfg, clock, stop), Reader(dsn, cfg, stop)
    bypasser = Bypasser(dsn, cfg, clock, stop) if cfg.bypasses else None
    if bypasser is not None:
        with connect(dsn) as conn:  # the writer: rights on the two tables, nothing else
            conn.execute(f"""DO $$ BEGIN CREATE ROLE {WRITER_ROLE};
                             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                             END $$""")
            conn.execute(f"GRANT USAGE ON SCHEMA bank TO {WRITER_ROLE}")
            conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON bank.wallet, bank.entry "
                         f"TO {WRITER_ROLE}")
    log(f"bank: {cfg.clients} clients ({cfg.faulty} faulty), {cfg.unguarded:.1f} s unguarded "
        f"then guarded, {cfg.seconds:.1f} s in all", flush=True)
    clock.started = time.monotonic()
    extra = [bypasser] if bypasser is not None else []
    for t in [reader, ops, *clients, *extra]:
        t.start()
    time.sleep(cfg.seconds)
    stop.set()
    for t in [*clients, *extra, ops, reader]:
        t.join(timeout=60)
    elapsed = time.monotonic() - clock.started
    res = Result(cfg, elapsed, clients, ops, reader, [], {}, bypasser)
    with connect(dsn) as conn:
        res.problems = verify(conn, before, res)
    return res


def report(res: Result) -> str:
    """The figures, as Markdown."""
    cfg, ops, f = res.cfg, res.ops, res.facts
    at, took = ops.switch_at or res.elapsed, ops.switch_s or 0.0
    phase_s = {"unguarded": at, "switch": took, "guarded": res.elapsed - at - took}
    lines = [f"### Bank: {cfg.clients} clients ({cfg.faulty} faulty: faults "
             f"{cfg.fault_rate:.0%}, read-modify-write {cfg.rmw_rate:.0%} under the guard), "
             f"{res.elapsed:.1f} s ({cfg.unguarded:.1f} s unguarded), reconcile + fix every "
             f"{cfg.fix_every:g} s, switch {cfg.switch}", "",
             "| phase | kind | committed | declined | rejected (SQLSTATE) |",
             "|---|---|---:|---:|---|"]
    kinds = ["transfer", *FAULTS, RMW]
    declined = sum((c.declined for c in res.clients), Counter())
    for phase in PHASES:
        for kind in kinds:
            n = res.committed(phase, (kind,))
            d = declined[(phase, kind)]
            rej = {s: m for (ph, k, s), m in res.errors.items() if ph == phase and k == kind}
            if n or d or rej:
                lines.append(f"| {phase} | {kind} | {n:,} | {d:,} | "
                             f"{', '.join(f'{s} x{m}' for s, m in sorted(rej.items())) or '-'} |")
    lat = {ph: [x for c in res.clients for x in c.latency.get(ph, [])] for ph in phase_s}
    lines += ["", "| phase | seconds | transactions committed / s | latency p50 / p95 / p99 / "
              "max (ms) |", "|---|---:|---:|---|"]
    for ph, secs in phase_s.items():
        xs = lat[ph]
        lines.append(f"| {ph} | {secs:.2f} | {len(xs) / secs if secs else 0:,.0f} | "
                     + " / ".join(f"{pct(xs, q) * 1000:.1f}" for q in (0.5, 0.95, 0.99, 1.0))
                     + " |")
    steps = sum((c.steps for c in ops.cycles), Counter())
    rec = [c.reconcile_s for c in ops.cycles]
    fix = [c.fix_s for c in ops.cycles]
    snap = res.reader.latency
    samples = {s: m for c in res.clients for s, m in c.samples.items()}
    lines += [
        "",
        f"- committed: {res.committed(kinds=('transfer',)):,} transfers (each with its two "
        f"entries), {res.committed(kinds=FAULTS):,} faults, {res.committed(kinds=(RMW,)):,} "
        f"read-modify-write; declined (payer could not cover it): {sum(declined.values()):,}",
        f"- rejections by SQLSTATE: {dict(sorted(res.by_sqlstate().items())) or 'none'}; "
        + "; ".join(f"{s} e.g. {m}" for s, m in sorted(samples.items())),
        f"- reconcile + fix cycles: {len(ops.cycles)} ("
        + ", ".join(f"{ph} {sum(1 for c in ops.cycles if c.phase == ph)}"
                    for ph in ("unguarded", "guarded"))
        + f"); runs with findings: {sum(1 for c in ops.cycles if c.findings)}, findings "
        f"{sum(c.findings for c in ops.cycles)}; reconcile {statistics.mean(rec or [0]) * 1000:.0f}"
        f" ms mean, {max(rec or [0]) * 1000:.0f} max; fix {statistics.mean(fix or [0]) * 1000:.0f}"
        f" ms mean, {max(fix or [0]) * 1000:.0f} max",
        f"- fix steps: {dict(steps) or 'none'}; notes: {dict(ops.notes) or 'none'}; "
        f"(status, strategy, evidence): "
        + ", ".join(f"{'/'.join(k)} x{n}" for k, n in sorted(ops.verdicts.items())),
        f"- repairs applied: {f.get('repairs')} {f.get('strategies')} ({f.get('adjustments')} "
        f"ADJUSTMENT entries, {f.get('reversals')} of them REV-; {f.get('drifted_wallets')} "
        f"wallets, |drift| {f.get('drift')}), in {f.get('fix_calls')} fix calls",
        f"- legs deleted (deleted_leg committed): {f.get('deleted_legs')}; forged REV- entries "
        f"(0.00, naming a duplicate): {f.get('forged')}, all still in the ledger as written",
        f"- guard switched on at {at:.1f} s, in {took * 1000:.0f} ms ({cfg.switch})",
        f"- bypasses tried by an unprivileged writer under the guard: {bypasses_line(res)}",
        f"- snapshots: {res.reader.taken:,} ({res.reader.taken / res.elapsed:,.0f}/s, "
        f"{pct(snap, 0.5) * 1000:.1f} ms p50, {pct(snap, 1.0) * 1000:.1f} max), each summing to "
        f"{TOTAL} + repairs' moves {sorted(res.reader.moves_seen)}; bad: {len(res.reader.bad)}",
        f"- ledger: {f.get('entries'):,} entries = seeded + {f.get('client_entries'):,} by "
        f"the clients + {f.get('adjustments')} by the fixes; balances sum to "
        f"{f.get('stored_total')}, the ledger to {f.get('ledger_total')}",
        f"- final reconcile (no fix after the load): {f.get('final', {}).get('status')}, "
        f"{f.get('final', {}).get('findings')} findings",
    ]
    return "\n".join(lines)


def bypasses_line(res: Result) -> str:
    """The Bypasser's count: rejected per bypass and SQLSTATE, committed, retried."""
    b = res.bypasser
    if b is None:
        return "none (--no-bypasses)"
    return (f"{sum(b.rejected.values())} rejected ("
            + ", ".join(f"{n} {s} x{m}" for (n, s), m in sorted(b.rejected.items()))
            + f"), {len(b.committed)} committed, {len(b.unexpected)} other errors, "
            f"retried after {dict(b.retried) or 'no'} deadlock/serialization failure")


# --- the bench: its own server, fsync on --------------------------------------------------

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
SHOWN = ["fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_connections",
         "jit", "deadlock_timeout"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60, help="the load, both phases")
    p.add_argument("--unguarded", type=float, help="seconds before the guard (default: a third)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--faulty", type=int, default=4, help="clients that also inject faults")
    p.add_argument("--fault-rate", type=float, default=Config.fault_rate)
    p.add_argument("--rmw-rate", type=float, default=Config.rmw_rate)
    p.add_argument("--fix-every", type=float, default=2.0)
    p.add_argument("--switch", choices=["locked", "plain"], default="plain")
    p.add_argument("--seed", type=int, default=Config.seed)
    p.add_argument("--no-bypasses", action="store_true",
                   help="no writer trying issue 18's guard bypasses under the guard")
    p.add_argument("--sql-dir", type=Path, default=ROOT, help="toolkit SQL to install")
    p.add_argument("--database", help="a superuser connection to an existing server")
    p.add_argument("--ledger-first", action="store_true",
                   help="the ledger-first bank (bench/bank_ledger_first.py) instead")
    p.add_argument("--transfers", action="store_true",
                   help="the transfer-row bank (bench/bank_transfers.py) instead")
    args = p.parse_args()
    cfg = Config(seconds=args.seconds, unguarded=args.unguarded or args.seconds / 3,
                 clients=args.clients, faulty=args.faulty, fault_rate=args.fault_rate,
                 rmw_rate=args.rmw_rate, fix_every=args.fix_every, switch=args.switch,
                 bypasses=not args.no_bypasses,
                 seed=args.seed)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bank_ledger_first as lf
    import bank_transfers as xb
    from check_engine import SETTINGS, source
    from throwaway import throwaway_database

    with throwaway_database(args.database, "recon_bank", settings={**SETTINGS, **DURABLE},
                            install=args.sql_dir) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            fixture = (xb.FIXTURE if args.transfers
                       else lf.FIXTURE if args.ledger_first else FIXTURE)
            conn.execute(fixture.read_text().encode())
            print(f"\n## {json.dumps({k: str(v) for k, v in vars(args).items()})}\n")
            print(f"- cores: {os.cpu_count()}, load average: "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"- {conn.execute('SELECT version()').fetchone()[0]}")
            print("- toolkit SQL: " + (source() if args.sql_dir.resolve() == ROOT
                                       else f"copy in {args.sql_dir.resolve()}"))
            print("- settings: " + ", ".join(
                f"{s}={conn.execute(f'SHOW {s}').fetchone()[0]}" for s in SHOWN), flush=True)
        if args.transfers:
            res = xb.run(dsn, xb.Config(seconds=cfg.seconds, clients=cfg.clients,
                                        faulty=cfg.faulty, fault_rate=cfg.fault_rate,
                                        fix_every=cfg.fix_every, seed=cfg.seed))
        elif args.ledger_first:
            res = lf.run(dsn, lf.Config(seconds=cfg.seconds, clients=cfg.clients,
                                        faulty=cfg.faulty, fault_rate=cfg.fault_rate,
                                        fix_every=cfg.fix_every, seed=cfg.seed))
        else:
            res = run(dsn, cfg)
    if res.problems:
        print("\n".join(["WRONG: the run does not verify; no figures reported:",
                         *res.problems]), file=sys.stderr)
        sys.exit(1)
    print()
    print(xb.report(res) if args.transfers
          else lf.report(res) if args.ledger_first else report(res))


if __name__ == "__main__":
    main()
