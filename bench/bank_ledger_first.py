"""The bank test on a ledger-first bank (issue 16): `bench/bank.py --ledger-first`, and
tests/test_bank.py's second test.

The bank is tests/fixtures/bank_ledger_first.sql: 100 wallets and the issuer 'world' (wallet
0), whose balances always sum to 0; the ledger moves its balances itself (lfbank.post_leg moves
the stored balance, the version and the running balance with each entry; lfbank.transfer posts
both legs of a transfer, the wallets locked in key order), and repairs post through the same
routine (writer lfbank.recon_post, "moves_balances", offset wallet world). Registered: balance,
chain, journal and duplicate checks; the wallet source's version column.

--clients connections transfer between random pairs of wallets (a tenth of them top-ups paid
by world, whose running balance the repairs continue too), through lfbank.transfer, which
declines what the payer cannot cover. The first --faulty clients also commit faults, during the
first two thirds of the load, each on wallets no fault touched before (so that each wallet's
evidence is one fault's; the faults stop so that the last ones are repaired before the end;
the payee of a double-posted transfer pays no one after it, since a reversal that would overdraw
a wallet that spent the second credit is rightly left to a person, bank_common.Faults):
- double_posted: the transfer is posted twice (one transaction, the same transfer id and
  reference): both wallets moved twice, a duplicate on each (repaired: reverse, through the
  routine against world);
- deleted_leg: the payer's leg of a transfer the client committed earlier is deleted (a lost
  credit on a wallet that spent it since cannot be restored without passing below 0, which the
  fix rightly leaves to a person; the wallet locked,
  a later entry of the wallet there, so the running balance shows the gap); no balance moves
  (repaired: restore, chosen on the evidence: the gap and the journal lacking the leg).

Meanwhile the ops connection runs recon.reconcile() then recon.fix(dry_run => false, checks =>
balance and duplicates) every --fix-every seconds and once more as the load stops, and a
reader takes REPEATABLE READ snapshots of every balance.

Verified at the end: every snapshot has the 101 wallets summing to exactly 0 (a repair never
creates or destroys money, even for a moment); no client or ops error at all (no deadlock, no
RC307: every repair verified); every fix step applied, covered, or skipped only for a wallet
that changed since the run; repairs: one restore per deleted leg, one reversal per duplicated
leg, each applied once; every wallet's balance is its opening plus what the committed
transactions moved, a duplicated transfer counted once (the reversal undid the second); the
ledger's own invariants on every wallet and transfer: stored = the sum of its entries = its last
running balance, every journal balanced; every version at least its wallet's postings; and the
final reconcile (no fix after it) finds only the history a person acknowledges: the running
balance's gap of each deleted leg and the restored entry's far side, two chain findings per
deleted leg, on those wallets only.
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
FIXTURE = ROOT / "tests" / "fixtures" / "bank_ledger_first.sql"
WALLETS = 100               # 1..100, and world (0)
TRANSFER_BASE = 10**9
FAULTS = ("double_posted", "deleted_leg")
CHECKS = "{lfbank_balance,lfbank_duplicates}"


@dataclass(frozen=True)
class Config:
    seconds: float = 12.0
    clients: int = 16
    faulty: int = 4
    fault_rate: float = 0.05
    topup_rate: float = 0.1
    fix_every: float = 1.5
    snapshot_pause: float = 0.01
    seed: int = 7


@dataclass
class Txn:
    kind: str               # transfer, topup, double_posted, deleted_leg
    tid: int
    src: int
    dst: int
    amount: Decimal
    target: Txn | None = None   # deleted_leg: the transfer one of whose legs (on src) it deletes

    @property
    def moves(self) -> dict[int, Decimal]:
        """What it moves for good: a duplicated transfer once (its reversal undoes the rest)."""
        if self.kind == "deleted_leg":
            return {}
        return {self.src: -self.amount, self.dst: self.amount}


class Client(threading.Thread):
    TRANSFER = "SELECT lfbank.transfer(%s, %s, %s, %s, %s)"
    LOCK = "SELECT FROM lfbank.wallet WHERE id = %s FOR UPDATE"
    # one leg of an earlier transfer, when the wallet has a later entry (the gap shows)
    DELETE = ("DELETE FROM lfbank.entry AS e WHERE e.transfer_id = %s AND e.wallet_id = %s "
              "AND EXISTS (SELECT FROM lfbank.entry AS x WHERE x.wallet_id = e.wallet_id "
              "AND x.id > e.id)")

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
        tid = (self.n + 1) * TRANSFER_BASE + self.count
        src, dst = self.faults.pair(self.rng, WALLETS)
        amount = Decimal(self.rng.randint(1, 5000)) / 100
        faults_on = time.monotonic() - self.started < self.cfg.seconds * 2 / 3
        if self.faulty and faults_on and self.rng.random() < self.cfg.fault_rate:
            kind = self.rng.choice(FAULTS)
            if kind == "double_posted" and self.faults.take(src, dst, debited=(dst,)):
                return Txn(kind, tid, src, dst, amount)
            if kind == "deleted_leg" and self.intact:
                target = self.rng.choice(self.intact)
                if self.faults.take(target.src, target.dst):
                    # the payer's leg: a lost credit on a wallet that spent it since leaves
                    # its entries below 0, and restoring it would pass below 0 on the way
                    # (skipped for a person: _recon.fix_skip_passing_overdrafts)
                    leg = target.src
                    return Txn(kind, tid, leg, 0, target.amount, target)
        if self.rng.random() < self.cfg.topup_rate:
            return Txn("topup", tid, 0, dst, amount)
        return Txn("transfer", tid, src, dst, amount)

    def execute(self, c: psycopg.Connection[Any], t: Txn) -> bool:
        """One transaction; False when declined (rolled back, nothing written)."""
        declined = False
        with c.transaction():
            if t.kind == "deleted_leg":
                assert t.target is not None
                c.execute(self.LOCK, (t.src,))
                if c.execute(self.DELETE, (t.target.tid, t.src)).rowcount != 1:
                    declined = True
                    raise psycopg.Rollback()
            else:
                for _ in range(2 if t.kind == "double_posted" else 1):
                    ids = c.execute(self.TRANSFER, (t.tid, t.src, t.dst, t.amount,
                                                    f"T{t.tid}")).fetchone()[0]
                    if ids is None:
                        declined = True
                        raise psycopg.Rollback()
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
                    elif t.kind == "deleted_leg":
                        assert t.target is not None
                        self.intact.remove(t.target)
        except Exception as e:  # a client that dies fails the run
            self.crash = f"{self.name}: {type(e).__name__}: {first_line(e)}"


class Reader(threading.Thread):
    """REPEATABLE READ snapshots: the 101 wallets always sum to exactly 0."""

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
                        n, total = c.execute(
                            "SELECT count(*), sum(balance) FROM lfbank.wallet").fetchone()
                    self.latency.append(time.perf_counter() - t0)
                    self.taken += 1
                    if n != WALLETS + 1 or total != 0:
                        self.bad.append(f"snapshot {self.taken}: {n} wallets sum to {total}")
                    time.sleep(self.cfg.snapshot_pause)
        except Exception as e:
            self.error = f"{type(e).__name__} {getattr(e, 'sqlstate', '')}: {first_line(e)}"


def verify(conn: psycopg.Connection[Any], before: dict[int, Decimal], res: Result) -> list[str]:
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
    deleted = [t for t in committed if t.kind == "deleted_leg"]
    doubled = [t for t in committed if t.kind == "double_posted"]
    # the repairs: one restore per deleted leg, one reversal per duplicated leg, each once
    strategies = dict(q("SELECT strategy, count(*) FROM recon.repairs GROUP BY 1").fetchall())
    want = {k: v for k, v in (("restore", len(deleted)), ("reverse", 2 * len(doubled))) if v}
    if strategies != want:
        p.append(f"repairs {strategies}, expected {want}")
    dup = q("SELECT count(*) - count(DISTINCT repair_key) FROM _recon.repair").fetchone()[0]
    if dup:
        p.append(f"{dup} repair keys applied twice")
    # balances: opening + what the committed transactions moved (a duplicate once)
    moves: defaultdict[int, Decimal] = defaultdict(Decimal)
    for t in committed:
        for w, a in t.moves.items():
            moves[w] += a
    balances = dict(q("SELECT id, balance FROM lfbank.wallet").fetchall())
    off = {w: (before[w] + moves[w], b) for w, b in balances.items() if b != before[w] + moves[w]}
    if off:
        p.append(f"{len(off)} wallets not at opening + committed moves, e.g. "
                 f"{dict(list(off.items())[:3])} (expected, stored)")
    # the ledger's own invariants
    bad = q("""SELECT w.id, w.balance, s.total, s.last, w.version, s.n
               FROM lfbank.wallet AS w
               LEFT JOIN LATERAL (
                   SELECT COALESCE(sum(e.amount), 0) AS total, count(*) AS n,
                          (SELECT x.balance_after FROM lfbank.entry AS x
                           WHERE x.wallet_id = w.id ORDER BY x.id DESC LIMIT 1) AS last
                   FROM lfbank.entry AS e WHERE e.wallet_id = w.id) AS s ON TRUE
               WHERE w.balance <> s.total OR w.balance <> s.last OR w.version < s.n""").fetchall()
    if bad:
        p.append(f"{len(bad)} wallets whose stored balance is not their entries' sum and last "
                 f"running balance, or whose version is below their postings, e.g. {bad[:3]}")
    unbalanced = q("SELECT transfer_id, sum(amount) FROM lfbank.entry GROUP BY 1 "
                   "HAVING sum(amount) <> 0").fetchall()
    if unbalanced:
        p.append(f"{len(unbalanced)} unbalanced transfers, e.g. {unbalanced[:3]}")
    total = q("SELECT sum(balance) FROM lfbank.wallet").fetchone()[0]
    if total != 0:
        p.append(f"balances sum to {total}")
    # the final reconcile: only the deleted legs' history (gap and far side) on their wallets
    final = q("SELECT recon.reconcile()").fetchone()[0]
    res.facts["final"] = final
    left = Counter((c, None if w is None else int(w)) for c, w in q(
        "SELECT check_name, wallet_key FROM recon.open_findings").fetchall())
    history = Counter({("lfbank_chain", t.src): 2 for t in deleted})
    if left != history:
        p.append(f"final reconcile: open findings {dict(left)}, expected the deleted legs' "
                 f"history {dict(history)}")
    res.facts.update(
        deleted_legs=len(deleted), doubled=len(doubled), strategies=strategies,
        repairs=q("SELECT count(*) FROM recon.repairs").fetchone()[0],
        fix_calls=q("SELECT count(*) FROM _recon.fix").fetchone()[0],
        entries=q("SELECT count(*) FROM lfbank.entry").fetchone()[0],
        world=balances[0], world_version=q(
            "SELECT version FROM lfbank.wallet WHERE id = 0").fetchone()[0])
    return p


def run(dsn: str, cfg: Config, log: Any = print) -> Result:
    """The whole run on a database holding the fixture: the load, then verify()."""
    with connect(dsn) as conn:
        start = conn.execute("SELECT recon.reconcile()").fetchone()[0]
        before = dict(conn.execute("SELECT id, balance FROM lfbank.wallet").fetchall())
        if start["status"] != "synced" or sum(before.values()) != 0:
            raise RuntimeError(f"the ledger-first bank is not as seeded: {start}")
    stop = threading.Event()
    faults = Faults()
    started = time.monotonic()
    clients = [Client(n, dsn, cfg, faults, started, stop) for n in range(cfg.clients)]
    ops = Ops(dsn, cfg, stop, checks=CHECKS, ticket="LFBANK", reason="ledger-first bank")
    reader = Reader(dsn, cfg, stop)
    log(f"ledger-first bank: {cfg.clients} clients ({cfg.faulty} faulty), {cfg.seconds:.1f} s",
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
        f"### Ledger-first bank: {cfg.clients} clients ({cfg.faulty} faulty, faults "
        f"{cfg.fault_rate:.0%} in the first two thirds), {res.elapsed:.1f} s, reconcile + fix "
        f"every {cfg.fix_every:g} s",
        "",
        "- committed: " + ", ".join(f"{k} {res.committed((k,)):,}" for k in (
            "transfer", "topup", *FAULTS)) + f"; declined: {dict(declined) or 'none'}; "
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
        f"{f.get('deleted_legs')} deleted legs and {f.get('doubled')} double-posted transfers, "
        f"in {f.get('fix_calls')} fix calls; world: balance {f.get('world')}, version "
        f"{f.get('world_version')}",
        f"- snapshots: {res.reader.taken:,} ({pct(snap, 0.5) * 1000:.1f} ms p50), each 101 "
        f"wallets summing to 0; bad: {len(res.reader.bad)}",
        f"- ledger: {f.get('entries'):,} entries; every wallet's stored balance = its entries' "
        "sum = its last running balance, every transfer balanced",
        f"- final reconcile (no fix after the load): {f.get('final', {}).get('status')}, "
        f"{f.get('final', {}).get('findings')} findings (the deleted legs' chain history)",
    ])
