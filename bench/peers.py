"""Benchmark: full and incremental reconcile against hand-written peers, interleaved.

Run from the repository root:

    .venv/bin/python bench/peers.py                                # 100,000 wallets, 1M entries
    .venv/bin/python bench/peers.py --wallets 10000 --entries 100000 --repeats 2   # smoke run

On check_engine.py's data (the runbook's schema, 0.1 % of wallets drifted, an index on
wallet_transaction(wallet_id) and no other), in one process and one database, round robin
(every other repeat in reverse order):

- count: `count(*)` of the ledger, the I/O floor;
- bare: the bare `GROUP BY wallet_id` hash aggregate (what the balance check plans);
- check: the balance check's view;
- reconcile: a full `recon.reconcile()` (findings, classification, and the incremental state);
- incremental: `recon.reconcile(NULL, 'incremental')` right after a full one (0 new entries);
- psycopg_peer: what a user writes by hand: a psycopg 3 server-side cursor over (wallet_id,
  amount), summed client-side in Decimal, then the wallets streamed and compared;
- pandas_peer: the same stream in pandas chunks (amounts as integer cents, exact), grouped and
  merged with the wallets (only when pandas is installed: `pip install pandas`).

Each query must find exactly the drifted wallets, or nothing is reported. The 1-minute load
average is printed beside every figure (the machine is shared). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import SETTINGS, build
from throwaway import throwaway_database

try:
    import pandas as pd
except ImportError:  # the pandas peer is skipped, and the report says so
    pd = None

Drift = dict[str, Decimal]


def sql_rows(sql: str) -> Callable[[psycopg.Connection[Any]], Drift | None]:
    def run(conn: psycopg.Connection[Any]) -> Drift | None:
        rows = conn.execute(sql).fetchall()
        if sql.startswith("SELECT * FROM recon.check_"):
            return {r[1]: r[4] for r in rows}
        return None
    return run


def reconcile(mode: str) -> Callable[[psycopg.Connection[Any]], Drift | None]:
    def run(conn: psycopg.Connection[Any]) -> Drift | None:
        summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
        if summary["runs"]["balance"]["mode"] != mode:
            sys.exit(f"the {mode} run ran as {summary['runs']['balance']}")
        return dict(conn.execute("SELECT wallet_key, difference FROM _recon.finding"
                                 " WHERE last_seen_run = %s", (summary["run_id"],)).fetchall())
    return run


def psycopg_peer(conn: psycopg.Connection[Any]) -> Drift:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    with conn.transaction(), conn.cursor(name="ledger") as cur:
        cur.itersize = 100_000
        cur.execute("SELECT wallet_id, amount FROM wallet_transaction")
        for wallet, amount in cur:
            sums[wallet] += amount
    drift: Drift = {}
    with conn.transaction(), conn.cursor(name="wallets") as cur:
        cur.itersize = 100_000
        cur.execute("SELECT id, balance FROM wallet_account")
        for wallet, balance in cur:
            expected = sums.pop(wallet, Decimal(0))
            if balance != expected:
                drift[str(wallet)] = balance - expected
    drift.update({str(w): -s for w, s in sums.items()})  # entries of no wallet
    return drift


def pandas_peer(conn: psycopg.Connection[Any]) -> Drift:
    def frame(sql: str, columns: list[str]) -> Any:
        chunks = []
        with conn.transaction(), conn.cursor(name="stream") as cur:
            cur.execute(sql)
            while rows := cur.fetchmany(200_000):
                chunks.append(pd.DataFrame(rows, columns=columns))
        return pd.concat(chunks, ignore_index=True)

    ledger = frame("SELECT wallet_id, (amount * 100)::bigint FROM wallet_transaction",
                   ["wallet_id", "cents"])
    sums = ledger.groupby("wallet_id", sort=False)["cents"].sum()
    wallets = frame("SELECT id, (balance * 100)::bigint FROM wallet_account", ["id", "cents"])
    merged = wallets.set_index("id").join(sums.rename("expected"), how="outer").fillna(0)
    bad = merged[merged["cents"] != merged["expected"]]
    return {str(int(i)): (Decimal(int(r.cents)) - Decimal(int(r.expected))) / 100
            for i, r in bad.iterrows()}


def advised_index(dsn: str, want: str) -> None:
    """The index recon.advise() recommends, created (and the ledger vacuumed) or absent."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        advice = conn.execute("SELECT recon.advise()").fetchone()[0][0]
        there = "statement" not in advice  # advise() names an index already in place instead
        if want == "advised" and not there:
            conn.execute(advice["statement"])
            conn.execute("VACUUM ANALYZE wallet_transaction")
        elif want == "none" and there:
            sys.exit(f"--index none, but the advised index is there: {advice}")
        print("indexes on wallet_transaction:", "; ".join(r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'wallet_transaction'")),
              flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=100_000)
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--database", help="a superuser connection to an existing server")
    p.add_argument("--reuse", metavar="DSN",
                   help="a database check_engine.build() made before (kept; no build, no drop)")
    p.add_argument("--index", choices=["advised", "none"], default="none",
                   help="advised: create the index recon.advise() recommends first (the bench "
                   "does, as a user would); none: refuse if it is there")
    args = p.parse_args()
    with (nullcontext(args.reuse) if args.reuse
          else throwaway_database(args.database, "recon_peers", settings=SETTINGS)) as dsn:
        if not args.reuse:
            build(dsn, args.wallets, args.entries, max(1, args.wallets // 1000))
        advised_index(dsn, args.index)
        queries: dict[str, Callable[[psycopg.Connection[Any]], Drift | None]] = {
            "count": sql_rows("SELECT count(*) FROM wallet_transaction"),
            "bare": sql_rows("SELECT wallet_id, sum(amount) FROM wallet_transaction"
                             " GROUP BY wallet_id"),
            "check": sql_rows("SELECT * FROM recon.check_balance"),
            "reconcile": reconcile("full"),
            "incremental": reconcile("incremental"),
            "psycopg_peer": psycopg_peer,
        }
        if pd is not None:
            queries["pandas_peer"] = pandas_peer
        times: dict[str, list[tuple[float, float]]] = {q: [] for q in queries}
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET jit = off")
            drift = {str(k): v for k, v in conn.execute(
                "SELECT id, delta FROM bench_drift").fetchall()}
            reconcile("full")(conn)  # the watermark the incremental runs start from
            sizes = conn.execute("SELECT (SELECT count(*) FROM wallet_account),"
                                 " (SELECT count(*) FROM wallet_transaction)").fetchone()
            for r in range(args.repeats):
                order = list(queries) if r % 2 == 0 else list(reversed(queries))
                if "incremental" in order:  # right after a full run: 0 new entries
                    order.remove("incremental")
                    order.insert(order.index("reconcile") + 1, "incremental")
                for name in order:
                    load = os.getloadavg()[0]
                    t0 = time.perf_counter()
                    found = queries[name](conn)
                    elapsed = time.perf_counter() - t0
                    if found is not None and found != drift:
                        sys.exit(f"WRONG ANSWER: {name}: {len(set(found) ^ set(drift))} differ")
                    times[name].append((elapsed, load))
                    print(f"  repeat {r + 1} {name:<14} {elapsed:8.3f} s  load {load:5.2f}",
                          flush=True)
    med = {q: statistics.median(t for t, _ in v) for q, v in times.items()}
    print(f"\n### Reconcile against hand-written peers: {sizes[0]:,} wallets,"
          f" {sizes[1]:,} entries, {args.repeats} interleaved repeats, index {args.index}\n")
    print("| query | median (s) | each run (s @ 1-min load) | median / reconcile |")
    print("|---|---:|---|---:|")
    for q, v in times.items():
        each = ", ".join(f"{t:.3f} @ {load:.1f}" for t, load in v)
        print(f"| {q} | {med[q]:.3f} | {each} | {med[q] / med['reconcile']:.2f} |")
    if pd is None:
        print("\n(pandas is not installed: no pandas peer)")


if __name__ == "__main__":
    main()
