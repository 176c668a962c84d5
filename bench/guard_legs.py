"""Benchmark: what a drift guard reading the legs relation costs a writer (issue 14).

Run from the repository root:

    .venv/bin/python bench/guard_legs.py                    # 2,000 payments per run, 5 rounds
    .venv/bin/python bench/guard_legs.py --payments 200 --rounds 1   # smoke run

One throwaway PostgreSQL (migrator.cluster.ThrowawayCluster, fsync and synchronous_commit on),
one database holding tests/fixtures/shapes/operation.sql: a Midaz-like operation ledger whose
effects are keyed on the operation type and its parent transaction's `pending` flag and filtered
on the transaction's status, registered with its balance check. One client posts payments as
the fixture's application does, one transaction each: a transaction row, a DEBIT and a CREDIT
operation through mz.operate (each moves its balance row), the status set to APPROVED. Rounds
interleave three phases, each --payments payments: no guard, the drift guard in warn mode and
in block mode (enabled for its phase only). Reported: the median over rounds of each phase's
time per payment, and its ratio to the mean of the no-guard runs of the same round. After each
guarded phase the balance check must find nothing and no alert may have been raised, else no
figure is reported. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from throwaway import throwaway_database  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "shapes" / "operation.sql"
SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
            "shared_buffers": "256MB", "max_wal_size": "4GB"}


def payments(conn: psycopg.Connection, start: int, n: int) -> float:
    """n payments of 1.00 from @customer-1 to @merchant-1; seconds per payment."""
    t0 = time.perf_counter()
    for i in range(start, start + n):
        tx = f"bench-{i}"
        with conn.transaction():
            conn.execute("SELECT mz.begin(%s, 'CREATED', FALSE, 1, now())", (tx,))
            conn.execute("SELECT mz.operate(%s, '@customer-1', 'DEBIT', 1, now())", (tx,))
            conn.execute("SELECT mz.operate(%s, '@merchant-1', 'CREDIT', 1, now())", (tx,))
            conn.execute("SELECT mz.set_status(%s, 'APPROVED', now())", (tx,))
    return (time.perf_counter() - t0) / n


def clean(conn: psycopg.Connection) -> None:
    summary = conn.execute("SELECT recon.reconcile()").fetchone()[0]
    alerts = conn.execute("SELECT count(*) FROM _recon.alert").fetchone()[0]
    if summary["findings"] or alerts:
        raise SystemExit(f"not clean: {summary['findings']} findings, {alerts} alerts")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--payments", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with (throwaway_database(None, "bench_guard_legs", settings=SETTINGS,
                            install=ROOT) as dsn,
          psycopg.connect(dsn, autocommit=True) as c):
        c.execute(FIXTURE.read_text())
        clean(c)
        n = 0
        times: dict[str, list[float]] = {"none": [], "warn": [], "block": []}
        ratios: dict[str, list[float]] = {"warn": [], "block": []}
        for r in range(args.rounds):
            base = []
            for phase in ("none", "warn", "none", "block", "none"):
                if phase != "none":
                    c.execute("SELECT recon.enable_guard('drift', 'mz_operations',"
                              " jsonb_build_object('mode', %s::text))", (phase,))
                t = payments(c, n, args.payments)
                n += args.payments
                if phase != "none":
                    c.execute("SELECT recon.disable_guard('drift', 'mz_operations')")
                    clean(c)
                else:
                    base.append(t)
                times[phase].append(t)
                print(f"round {r + 1} {phase:<5} {t * 1000:7.3f} ms/payment", flush=True)
            for phase in ("warn", "block"):
                ratios[phase].append(times[phase][-1] / statistics.mean(base))
        print("\n| phase | median ms per payment | median ratio to no guard |\n|---|---|---|")
        print(f"| no guard | {statistics.median(times['none']) * 1000:.3f} | 1 |")
        for phase in ("warn", "block"):
            print(f"| drift guard, {phase} | {statistics.median(times[phase]) * 1000:.3f}"
                  f" | {statistics.median(ratios[phase]):.2f} |")
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"\n{args.rounds} rounds x {args.payments} payments per phase; load {load}")


if __name__ == "__main__":
    main()
