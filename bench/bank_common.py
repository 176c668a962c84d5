"""What the bank benchmarks share (bench/bank.py, bank_ledger_first.py, bank_transfers.py):
connections, the faults' wallet registry, the ops thread's reconcile + fix cycle, the result
record and the load's start/stop. Each bank keeps its own clients, reader, verification and
report, which is where the three differ."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

TIMEOUTS = "-c statement_timeout=30000 -c lock_timeout=20000"
# fix's notes for a step another session's writes overtook: not a repair left undone
CONCURRENT = ("changed since the run", "already consistent")


def connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, options=TIMEOUTS)


def first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [""])[0][:200]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


class Faults:
    """The wallets a fault touched: each at most once in the run.

    A repair may take money back from a wallet (the payee of a double-posted transfer, either
    side of a wrong amount): had the wallet spent it meanwhile, the repair would overdraw it, and
    recon.fix rightly leaves that to a person ("would overdraw": tests/test_overdraft.py). These
    benches check the repairs that can apply, so such a wallet (take's `debited`) only receives
    from then on: no transfer from it starts after, and the fault waits for none in flight
    (start_paying, stop_paying), so none commits after the fault either."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.used: set[int] = set()
        self.debited: set[int] = set()
        self.paying: Counter[int] = Counter()   # payers of transfers in flight

    def take(self, *wallets: int, debited: tuple[int, ...] = ()) -> bool:
        """The wallets for a fault, unless a fault touched one already or one of `debited` is
        paying in a transfer in flight (it could commit after the fault, spending its money)."""
        with self.lock:
            if self.used.intersection(wallets) or any(self.paying[w] for w in debited):
                return False
            self.used.update(wallets)
            self.debited.update(debited)
            return True

    def start_paying(self, wallet: int) -> bool:
        """Whether a transfer may take money from wallet now (then stop_paying when done)."""
        with self.lock:
            if wallet in self.debited:
                return False
            self.paying[wallet] += 1
            return True

    def stop_paying(self, wallet: int) -> None:
        with self.lock:
            self.paying[wallet] -= 1

    def pair(self, rng: random.Random, wallets: int) -> tuple[int, int]:
        """Two wallets among 1..wallets, the payer one a repair may not debit."""
        with self.lock:
            payers = [w for w in range(1, wallets + 1) if w not in self.debited]
        src = rng.choice(payers)
        dst = rng.choice([w for w in range(1, wallets + 1) if w != src])
        return src, dst


@dataclass
class Cycle:
    status: str
    findings: int
    reconcile_s: float
    fix_s: float = 0.0
    steps: Counter[str] = field(default_factory=Counter)


class Ops(threading.Thread):
    """Every cfg.fix_every seconds, and once more when the load stops: reconcile, then apply
    the fix for the bank's checks (a ticket `<ticket>-<n>`, the given reason)."""

    def __init__(self, dsn: str, cfg: Any, stop: threading.Event, *, checks: str, ticket: str,
                 reason: str) -> None:
        super().__init__(name="ops", daemon=True)
        self.dsn, self.cfg, self.stop = dsn, cfg, stop
        self.checks, self.ticket, self.reason = checks, ticket, reason
        self.cycles: list[Cycle] = []
        self.steps: Counter[tuple[str, str]] = Counter()   # (status, strategy)
        self.left: Counter[str] = Counter()
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            with connect(self.dsn) as c:
                n = 0
                # every few seconds, and once more when the load stops (the faults stopped a
                # third before it, but a slow cycle may have begun before the last of them)
                while True:
                    last = self.stop.wait(self.cfg.fix_every)
                    n += 1
                    self.cycle(c, n)
                    if last:
                        break
        except Exception as e:
            diag = getattr(e, "diag", None)
            detail = f" ({diag.message_detail})" if diag and diag.message_detail else ""
            self.errors.append(f"{type(e).__name__} {getattr(e, 'sqlstate', '')}: "
                               f"{first_line(e)}{detail}")

    def cycle(self, c: psycopg.Connection[Any], n: int) -> None:
        t0 = time.perf_counter()
        summary = c.execute("SELECT recon.reconcile()").fetchone()[0]
        t1 = time.perf_counter()
        cyc = Cycle(summary["status"], summary["findings"], t1 - t0)
        for status, strategy, note in c.execute(
                "SELECT status, strategy, note FROM recon.fix(dry_run => false, "
                "ticket => %s, reason => %s, checks => %s)",
                (f"{self.ticket}-{n}", self.reason, self.checks)).fetchall():
            cyc.steps[status] += 1
            self.steps[(status, strategy)] += 1
            if status in ("skipped", "manual") and not (note or "").startswith(
                    CONCURRENT):
                self.left[f"{status}: {note}"] += 1
        cyc.fix_s = time.perf_counter() - t1
        self.cycles.append(cyc)


@dataclass
class Result:
    cfg: Any
    elapsed: float
    clients: list[Any]
    ops: Ops
    reader: Any
    problems: list[str]
    facts: dict[str, Any]

    def committed(self, kinds: tuple[str, ...] | None = None) -> int:
        return sum(1 for c in self.clients for t in c.committed
                   if kinds is None or t.kind in kinds)

    @property
    def errors(self) -> Counter[tuple[str, str]]:
        return sum((c.errors for c in self.clients), Counter())


def load(started: float, seconds: float, stop: threading.Event, clients: list[threading.Thread],
         ops: Ops, reader: threading.Thread) -> float:
    """Start the reader, the ops thread and the clients; stop them after `seconds`; the
    time from `started` (before the clients were made) to the last join."""
    for t in [reader, ops, *clients]:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in [*clients, ops, reader]:
        t.join(timeout=60)
    return time.monotonic() - started
