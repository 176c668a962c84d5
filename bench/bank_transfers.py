"""The bank test on a transfer-row bank (issue 16): `bench/bank.py --transfers`, and
tests/test_bank.py's third test.

The bank is tests/fixtures/bank_transfers.sql, a Blnk-like ledger: one xbank.transactions row
per transfer (source -> destination, amount, status), each row two legs (registered with
"debit_wallet" and "credit_wallet"); 100 wallets and the issuer 'world' (wallet 0), whose
stored balances sum to 0. The application's xbank.transfer locks both balances in key order,
moves both stored balances and their versions and writes the row, in one transaction. Repairs
are rows too: an INSERT writer posting APPLIED rows between world (the offset wallet, whose
stored balance and version the toolkit moves by its leg) and the wallet. Registered: a balance
check in EUR, the wallet source's version column, the bank's policy (adjust: the ledger
catches up with the stored balances, which only ever move in pairs).

--clients connections transfer between random pairs of wallets through xbank.transfer, which
declines what the payer cannot cover. The first --faulty clients also commit faults during the
first two thirds of the load, each on wallets no fault touched before (so that each wallet's
drift is one fault's; the faults stop so that the last ones are repaired before the end; a
wallet a repair may debit, the payee of a double-posted row and both sides of a drift, pays no
one after it, since a repair that would overdraw it is rightly left to a person,
bank_common.Faults):
- double_posted: a transfer whose row is written twice (a retried insert: another
  transaction_id, the same reference), the balances moved once;
- deleted_row: a transfer row the client committed earlier is deleted (both balances locked in
  key order first); no balance moves back;
- drift: a transfer that moves both balances by its amount while its row says another (a
  mis-keyed amount): both balances drift from the ledger by the difference.
Every fault leaves its two wallets drifted by opposite amounts; the stored balances still sum
to 0.

Meanwhile the ops connection runs recon.reconcile() then recon.fix(dry_run => false, checks =>
the balance check) every --fix-every seconds and once more as the load stops, and a reader
takes REPEATABLE READ snapshots of every balance.

Verified at the end: every snapshot has the 101 balances summing to exactly 0 and the 100
customers' to exactly 100,000.00 (a fault's two wallets are repaired by one fix, in one
transaction, world taking both rows' other legs, which cancel); no client or ops error at all
(no deadlock 40P01, no RC307); no fix step manual or skipped but for a wallet that changed since
the run; repairs: two adjusts per fault, one per wallet, each applied once, whose rows move each
wallet's ledger by exactly its fault's drift; every customer's balance is its opening plus what
the committed transactions moved (the repairs move none), and its version its opening plus its
committed transfers (no repair wrote a customer's row), while world's version went up with its
repairs; the ledger's own invariant, each wallet's stored balance = the sum of its legs (the
APPLIED rows' credits less debits); and the final reconcile (no fix after it) is synced.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bank_common import Faults, Ops, Result, connect, first_line, load, pct

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "bank_transfers.sql"
WALLETS = 100               # 1..100, and world (0)
OPENING_TOTAL = Decimal("100000.00")
FAULTS = ("double_posted", "deleted_row", "drift")
CHECKS = "{xbank_balance}"


@dataclass(frozen=True)
class Config:
    seconds: float = 12.0
    clients: int = 16
    faulty: int = 4
    fault_rate: float = 0.05
    fix_every: float = 1.5
    snapshot_pause: float = 0.01
    seed: int = 7


@dataclass
class Txn:
    kind: str               # transfer, double_posted, deleted_row, drift
    tid: str
    src: int
    dst: int
    amount: Decimal         # what the balances move by
    row_amount: Decimal     # what its row says (drift: another amount)
    target: Txn | None = None   # deleted_row: the transfer whose row it deletes

    @property
    def moves(self) -> dict[int, Decimal]:
        """What it moved the stored balances by."""
        if self.kind == "deleted_row":
            return {}
        return {self.src: -self.amount, self.dst: self.amount}

    @property
    def drift(self) -> dict[int, Decimal]:
        """Stored minus ledger, what the fault left on each of its wallets."""
        a = self.amount
        if self.kind == "double_posted":     # a second row: the ledger moved twice
            return {self.src: a, self.dst: -a}
        if self.kind == "deleted_row":       # the row gone, the balances as they were
            assert self.target is not None
            return {self.src: -a, self.dst: a}
        if self.kind == "drift":             # the row says row_amount, the balances moved a
            d = self.row_amount - a
            return {self.src: d, self.dst: -d}
        return {}


class Client(threading.Thread):
    TRANSFER = "SELECT xbank.transfer(%s, %s, %s, %s, %s)"
    DUPLICATE = ("INSERT INTO xbank.transactions (transaction_id, source, destination, amount, "
                 "currency, status, reference) SELECT transaction_id || '-retry', source, "
                 "destination, amount, currency, status, reference FROM xbank.transactions "
                 "WHERE transaction_id = %s")
    MISKEY = "UPDATE xbank.transactions SET amount = %s WHERE transaction_id = %s"
    LOCK = ("SELECT FROM xbank.balances WHERE balance_id IN (%s, %s) ORDER BY balance_id "
            "FOR UPDATE")
    DELETE = "DELETE FROM xbank.transactions WHERE transaction_id = %s"

    def __init__(self, n: int, dsn: str, cfg: Config, faults: Faults, started: float,
                 stop: threading.Event) -> None:
        super().__init__(name=f"client-{n}", daemon=True)
        self.n, self.dsn, self.cfg, self.faults, self.started, self.stop = (
            n, dsn, cfg, faults, started, stop)
        self.rng = random.Random(cfg.seed * 1000 + n)
        self.faulty = n < cfg.faulty
        self.count = 0
        self.committed: list[Txn] = []
        self.intact: list[Txn] = []
        self.declined: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()
        self.samples: dict[str, str] = {}
        self.latency: list[float] = []
        self.crash: str | None = None

    def next_txn(self) -> Txn:
        self.count += 1
        tid = f"c{self.n}-{self.count}"
        src, dst = self.faults.pair(self.rng, WALLETS)
        amount = Decimal(self.rng.randint(1, 5000)) / 100
        faults_on = time.monotonic() - self.started < self.cfg.seconds * 2 / 3
        if self.faulty and faults_on and self.rng.random() < self.cfg.fault_rate:
            kind = self.rng.choice(FAULTS)
            if kind == "double_posted" and self.faults.take(src, dst, debited=(dst,)):
                return Txn(kind, tid, src, dst, amount, amount)
            if kind == "drift" and self.faults.take(src, dst, debited=(src, dst)):
                wrong = amount + Decimal(self.rng.randint(1, 10000)) / 100
                if self.rng.random() < 0.5:   # typed too high or too low
                    wrong = max(Decimal("0.01"), amount - (wrong - amount))
                    if wrong == amount:
                        wrong = amount + Decimal("0.01")
                return Txn(kind, tid, src, dst, amount, wrong)
            if kind == "deleted_row" and self.intact:
                target = self.rng.choice(self.intact)
                if self.faults.take(target.src, target.dst):
                    return Txn(kind, tid, target.src, target.dst, target.amount,
                               target.amount, target)
        return Txn("transfer", tid, src, dst, amount, amount)

    def execute(self, c: psycopg.Connection[Any], t: Txn) -> bool:
        """One transaction; False when declined (rolled back, nothing written)."""
        declined = False
        with c.transaction():
            if t.kind == "deleted_row":
                assert t.target is not None
                c.execute(self.LOCK, (t.src, t.dst))
                if c.execute(self.DELETE, (t.target.tid,)).rowcount != 1:
                    declined = True
                    raise psycopg.Rollback()
            else:
                if not c.execute(self.TRANSFER, (t.tid, t.src, t.dst, t.amount,
                                                 f"T-{t.tid}")).fetchone()[0]:
                    declined = True
                    raise psycopg.Rollback()
                if t.kind == "double_posted":
                    c.execute(self.DUPLICATE, (t.tid,))
                elif t.kind == "drift":
                    c.execute(self.MISKEY, (t.row_amount, t.tid))
        return not declined

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                while not self.stop.is_set():
                    t = self.next_txn()
                    # a wallet a repair may debit pays no one from its fault on (Faults)
                    paying = t.kind == "transfer"
                    if paying and not self.faults.start_paying(t.src):
                        continue
                    t0 = time.perf_counter()
                    try:
                        ok = self.execute(c, t)
                    except psycopg.Error as e:
                        state = e.sqlstate or type(e).__name__
                        self.errors[(t.kind, state)] += 1
                        self.samples.setdefault(state, f"{t.kind}: {first_line(e)}")
                        if c.closed or c.broken:
                            raise
                        continue
                    finally:
                        if paying:
                            self.faults.stop_paying(t.src)
                    if not ok:
                        self.declined[t.kind] += 1
                        continue
                    self.committed.append(t)
                    self.latency.append(time.perf_counter() - t0)
                    if t.kind == "transfer":
                        self.intact.append(t)
                    elif t.kind == "deleted_row":
                        assert t.target is not None
                        self.intact.remove(t.target)
        except Exception as e:  # a client that dies fails the run
            self.crash = f"{self.name}: {type(e).__name__}: {first_line(e)}"


class Reader(threading.Thread):
    """REPEATABLE READ snapshots: the 101 balances sum to exactly 0, the customers' to the
    opening 100,000.00."""

    SNAPSHOT = ("SELECT count(*), sum(balance), sum(balance) FILTER (WHERE balance_id <> 0) "
                "FROM xbank.balances")

    def __init__(self, dsn: str, cfg: Config, stop: threading.Event) -> None:
        super().__init__(name="reader", daemon=True)
        self.dsn, self.cfg, self.stop = dsn, cfg, stop
        self.taken = 0
        self.bad: list[str] = []
        self.latency: list[float] = []
        self.error: str | None = None

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                c.read_only = True
                while not self.stop.is_set():
                    t0 = time.perf_counter()
                    with c.transaction():
                        n, total, customers = c.execute(self.SNAPSHOT).fetchone()
                    self.latency.append(time.perf_counter() - t0)
                    self.taken += 1
                    if n != WALLETS + 1 or total != 0 or customers != OPENING_TOTAL:
                        self.bad.append(f"snapshot {self.taken}: {n} balances sum to {total}, "
                                        f"the customers' to {customers}")
                    time.sleep(self.cfg.snapshot_pause)
        except Exception as e:
            self.error = f"{type(e).__name__} {getattr(e, 'sqlstate', '')}: {first_line(e)}"


# each wallet's legs: the APPLIED rows' credits less debits
LEGS = """
    SELECT w, sum(a) AS total, count(*) AS n FROM (
        SELECT source AS w, -amount AS a FROM xbank.transactions WHERE status = 'APPLIED' %s
        UNION ALL
        SELECT destination, amount FROM xbank.transactions WHERE status = 'APPLIED' %s
    ) AS l GROUP BY w"""


def verify(conn: psycopg.Connection[Any], before: dict[int, tuple[Decimal, int]],
           res: Result) -> list[str]:
    p: list[str] = []
    q = conn.execute
    for t in [*res.clients, res.ops, res.reader]:
        if t.is_alive():
            p.append(f"{t.name} hung")
    p += [c.crash for c in res.clients if c.crash]
    p += [f"ops: {e}" for e in res.ops.errors]
    if res.reader.error:
        p.append(f"reader: {res.reader.error}")
    for (kind, state), n in sorted(res.errors.items()):
        sample = next((c.samples[state] for c in res.clients if state in c.samples), "")
        p.append(f"client error {kind} {state} x{n}: {sample}")
    if res.reader.taken == 0:
        p.append("no snapshot taken")
    p += res.reader.bad[:10]
    if not res.ops.cycles:
        p.append("no reconcile + fix cycle")
    p += [f"fix step x{n}: {note}" for note, n in sorted(res.ops.left.items())][:10]

    committed = [t for c in res.clients for t in c.committed]
    faults = [t for t in committed if t.kind in FAULTS]
    # the repairs: one adjust per wallet of each fault, each applied once
    strategies = dict(q("SELECT strategy, count(*) FROM recon.repairs GROUP BY 1").fetchall())
    want = {"adjust": 2 * len(faults)} if faults else {}
    if strategies != want:
        p.append(f"repairs {strategies}, expected {want}")
    dup = q("SELECT count(*) - count(DISTINCT repair_key) FROM _recon.repair").fetchone()[0]
    if dup:
        p.append(f"{dup} repair keys applied twice")
    # the repairs' rows move each wallet's ledger by exactly its fault's drift (world: the rest)
    drift: defaultdict[int, Decimal] = defaultdict(Decimal)
    for t in faults:
        for w, d in t.drift.items():
            drift[w] += d
    recon_only = "AND reference LIKE 'RECON-%'"
    repaired = {w: total for w, total, _ in q(LEGS % (recon_only, recon_only)).fetchall()}
    drift[0] = -sum(drift.values(), Decimal(0))
    off = {w: (drift.get(w, Decimal(0)), repaired.get(w, Decimal(0)))
           for w in set(drift) | set(repaired)
           if drift.get(w, Decimal(0)) != repaired.get(w, Decimal(0))}
    if off:
        p.append(f"{len(off)} wallets whose repair rows are not their fault's drift, e.g. "
                 f"{dict(list(off.items())[:3])} (drift, repaired)")
    bad_rows = q("SELECT count(*) FROM xbank.transactions WHERE reference LIKE 'RECON-%' AND "
                 "(status <> 'APPLIED' OR currency <> 'EUR' OR 0 NOT IN (source, destination))"
                 ).fetchone()[0]
    if bad_rows:
        p.append(f"{bad_rows} repair rows not APPLIED EUR rows against world")
    # balances and versions: opening + what the committed transactions moved; the repairs moved
    # no customer's row, and world's (the offset wallet) with each call that repaired
    moves: defaultdict[int, Decimal] = defaultdict(Decimal)
    writes: Counter[int] = Counter()
    for t in committed:
        for w, a in t.moves.items():
            moves[w] += a
            writes[w] += 1
    now = {w: (b, v) for w, b, v in q(
        "SELECT balance_id, balance, version FROM xbank.balances").fetchall()}
    off_b = {w: (before[w][0] + moves[w], b) for w, (b, _) in now.items()
             if w != 0 and b != before[w][0] + moves[w]}
    if off_b:
        p.append(f"{len(off_b)} balances not at opening + committed moves, e.g. "
                 f"{dict(list(off_b.items())[:3])} (expected, stored)")
    off_v = {w: (before[w][1] + writes[w], v) for w, (_, v) in now.items()
             if w != 0 and v != before[w][1] + writes[w]}
    if off_v:
        p.append(f"{len(off_v)} versions not at opening + the client's writes (a repair wrote "
                 f"a customer's row?), e.g. {dict(list(off_v.items())[:3])} (expected, stored)")
    if faults and now[0][1] <= before[0][1]:
        p.append(f"world's version did not go up with its repairs: {before[0][1]} -> "
                 f"{now[0][1]}")
    # the ledger's own invariant: stored = the sum of its legs, on every wallet
    legs = {w: total for w, total, _ in q(LEGS % ("", "")).fetchall()}
    bad = {w: (b, legs.get(w, Decimal(0))) for w, (b, _) in now.items()
           if b != legs.get(w, Decimal(0))}
    if bad:
        p.append(f"{len(bad)} balances not the sum of their legs, e.g. "
                 f"{dict(list(bad.items())[:3])} (stored, legs)")
    total = sum(b for b, _ in now.values())
    if total != 0:
        p.append(f"balances sum to {total}")
    # the final reconcile, after the load and without another fix: synced
    final = q("SELECT recon.reconcile()").fetchone()[0]
    res.facts["final"] = final
    left = q("SELECT check_name, wallet_key FROM recon.open_findings").fetchall()
    if final["status"] != "synced" or left:
        p.append(f"final reconcile {final['status']}: open findings {left[:5]}")
    res.facts.update(
        faults=Counter(t.kind for t in faults), strategies=strategies,
        repairs=q("SELECT count(*) FROM recon.repairs").fetchone()[0],
        repair_rows=q("SELECT count(*) FROM xbank.transactions "
                      "WHERE reference LIKE 'RECON-%'").fetchone()[0],
        fix_calls=q("SELECT count(*) FROM _recon.fix").fetchone()[0],
        rows=q("SELECT count(*) FROM xbank.transactions").fetchone()[0],
        world=now[0][0], world_version=(before[0][1], now[0][1]))
    return p


def run(dsn: str, cfg: Config, log: Any = print) -> Result:
    """The whole run on a database holding the fixture: the load, then verify()."""
    with connect(dsn) as conn:
        start = conn.execute("SELECT recon.reconcile()").fetchone()[0]
        before = {w: (b, v) for w, b, v in conn.execute(
            "SELECT balance_id, balance, version FROM xbank.balances").fetchall()}
        if start["status"] != "synced" or sum(b for b, _ in before.values()) != 0:
            raise RuntimeError(f"the transfer-row bank is not as seeded: {start}")
    stop = threading.Event()
    faults = Faults()
    started = time.monotonic()
    clients = [Client(n, dsn, cfg, faults, started, stop) for n in range(cfg.clients)]
    ops = Ops(dsn, cfg, stop, checks=CHECKS, ticket="XBANK", reason="transfer-row bank")
    reader = Reader(dsn, cfg, stop)
    log(f"transfer-row bank: {cfg.clients} clients ({cfg.faulty} faulty), {cfg.seconds:.1f} s",
        flush=True)
    elapsed = load(started, cfg.seconds, stop, clients, ops, reader)
    res = Result(cfg, elapsed, clients, ops, reader, [], {})
    with connect(dsn) as conn:
        res.problems = verify(conn, before, res)
    return res


def report(res: Result) -> str:
    cfg, ops, f = res.cfg, res.ops, res.facts
    lat = [x for c in res.clients for x in c.latency]
    declined = sum((c.declined for c in res.clients), Counter())
    rec = [c.reconcile_s for c in ops.cycles]
    fix = [c.fix_s for c in ops.cycles]
    snap = res.reader.latency
    return "\n".join([
        f"### Transfer-row bank: {cfg.clients} clients ({cfg.faulty} faulty, faults "
        f"{cfg.fault_rate:.0%} in the first two thirds), {res.elapsed:.1f} s, reconcile + fix "
        f"every {cfg.fix_every:g} s",
        "",
        "- committed: " + ", ".join(f"{k} {res.committed((k,)):,}" for k in (
            "transfer", *FAULTS)) + f"; declined: {dict(declined) or 'none'}; "
        f"{len(lat) / res.elapsed:,.0f} committed / s, latency p50 / p99 / max "
        f"{pct(lat, 0.5) * 1000:.1f} / {pct(lat, 0.99) * 1000:.1f} / {pct(lat, 1.0) * 1000:.1f}"
        " ms",
        f"- client errors: {dict(res.errors) or 'none'} (40P01: "
        f"{sum(n for (_, s), n in res.errors.items() if s == '40P01')})",
        f"- reconcile + fix cycles: {len(ops.cycles)}; reconcile "
        f"{statistics.mean(rec or [0]) * 1000:.0f} ms mean, fix "
        f"{statistics.mean(fix or [0]) * 1000:.0f} ms mean, {max(fix or [0]) * 1000:.0f} max; "
        "steps (status, strategy): " + ", ".join(
            f"{'/'.join(k)} x{n}" for k, n in sorted(ops.steps.items())),
        f"- repairs applied: {f.get('repairs')} {f.get('strategies')} for "
        f"{dict(f.get('faults', {}))}, {f.get('repair_rows')} rows against world, in "
        f"{f.get('fix_calls')} fix calls; world: balance {f.get('world')}, version "
        f"{' -> '.join(map(str, f.get('world_version', ())))}",
        f"- snapshots: {res.reader.taken:,} ({pct(snap, 0.5) * 1000:.1f} ms p50), each 101 "
        f"balances summing to 0 and the customers' to {OPENING_TOTAL:,}; bad: "
        f"{len(res.reader.bad)}",
        f"- ledger: {f.get('rows'):,} transfer rows; every balance = the sum of its legs, every "
        "customer's version = its opening + its transfers",
        f"- final reconcile (no fix after the load): {f.get('final', {}).get('status')}, "
        f"{f.get('final', {}).get('findings')} findings",
    ])
