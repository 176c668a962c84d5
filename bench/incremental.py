"""Benchmark: incremental reconcile against a full one, at two history sizes.

Run from the repository root:

    .venv/bin/python bench/incremental.py          # 1,000,000 wallets; 2.5M and 10M entries
    .venv/bin/python bench/incremental.py --wallets 20000 --histories 50000,200000   # smoke run

For each history size, on a fresh database built like bench/check_engine.py's (the runbook's
schema, 0.1 % of wallets drifted, one balance check): a full reconcile (which leaves the
watermark), then 10,000 new entries posted with their balance updates plus 10 more drifted
wallets, then an incremental reconcile and a full one on the same data. The incremental run's
findings must equal the full run's, or no timing is reported. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import SETTINGS, build
from throwaway import throwaway_database, throwaway_server

NEW_ENTRIES = """
INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, reference, posted_at)
SELECT 1 + floor(random() * %(wallets)s)::bigint, 'CREDIT', round((random() * 100)::numeric, 2),
       0, 'new-' || g, now()
FROM generate_series(1, %(new)s) AS g
"""
APPLY_NEW = """
UPDATE wallet_account AS wa SET balance = wa.balance + n.total
FROM (SELECT wallet_id, sum(amount) AS total FROM wallet_transaction
      WHERE reference LIKE 'new-%' GROUP BY wallet_id) AS n
WHERE n.wallet_id = wa.id
"""
MORE_DRIFT = "UPDATE wallet_account SET balance = balance + 0.5 WHERE id % 99991 = 7"


def timed(conn: psycopg.Connection[Any], mode: str) -> tuple[float, dict[str, Any], set]:
    t0 = time.perf_counter()
    summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
    elapsed = time.perf_counter() - t0
    found = set(conn.execute("SELECT wallet_key, difference FROM _recon.finding"
                             " WHERE last_seen_run = %s", (summary["run_id"],)).fetchall())
    return elapsed, summary, found


def incremental(conn: psycopg.Connection[Any]) -> float:
    """One incremental run, which must have run incrementally: its seconds."""
    elapsed, summary, _ = timed(conn, "incremental")
    if summary["runs"]["balance"] != {"mode": "incremental"}:
        raise SystemExit(f"the incremental run ran in full: {summary['runs']['balance']}")
    return elapsed


def one_history(server_dsn: str, wallets: int, entries: int, new: int) -> dict[str, Any]:
    with throwaway_database(server_dsn, f"recon_incr_{entries}") as dsn:
        build(dsn, wallets, entries, max(1, wallets // 1000))
        with psycopg.connect(dsn, autocommit=True) as conn:
            first, summary, _ = timed(conn, "full")
            assert summary["runs"]["balance"]["watermark"] == "set", summary["runs"]
            zero = [incremental(conn) for _ in range(5)]  # nothing new
            runs = []
            for _ in range(5):  # new entries each time, with their balances, and more drift
                conn.execute(NEW_ENTRIES.replace("'new-'", f"'new{len(runs)}-'"),
                             {"wallets": wallets, "new": new})
                conn.execute(APPLY_NEW.replace("'new-%'", f"'new{len(runs)}-%'"))
                conn.execute(MORE_DRIFT)
                runs.append(incremental(conn))
            # a reader left idle in a transaction: the run keeps the old bound, incremental
            with psycopg.connect(dsn) as reader:
                reader.execute("SELECT 1")
                conn.execute(NEW_ENTRIES.replace("'new-'", "'newr-'"),
                             {"wallets": wallets, "new": new})
                conn.execute(APPLY_NEW.replace("'new-%'", "'newr-%'"))
                with_reader = incremental(conn)
                reader.rollback()
            _, _, inc_found = timed(conn, "incremental")
            full, _, full_found = timed(conn, "full")
            if inc_found != full_found:
                raise SystemExit(f"incremental != full: {len(inc_found ^ full_found)} differ")
        return {"entries": entries, "first_full": first, "full": full,
                "zero": statistics.median(zero), "incremental": statistics.median(runs),
                "with_reader": with_reader, "findings": len(full_found)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=1_000_000)
    p.add_argument("--histories", default="2500000,10000000",
                   help="comma-separated ledger sizes (entries)")
    p.add_argument("--new", type=int, default=10_000, help="entries posted after the watermark")
    p.add_argument("--database", help="a superuser connection to an existing server")
    args = p.parse_args()
    with throwaway_server(args.database, SETTINGS) as server_dsn:
        rows = [one_history(server_dsn, args.wallets, int(h), args.new)
                for h in args.histories.split(",")]
    print(f"\n### Incremental reconcile: {args.wallets:,} wallets, {args.new:,} new entries\n")
    print(f"(1-minute load at the end: {os.getloadavg()[0]:.2f})\n")
    print("| history (entries) | full reconcile (s) | incremental, 0 new (s, median of 5) |"
          f" incremental, {args.new:,} new (s, median of 5) | full / incremental |"
          " with a reader idle in a transaction (s) | findings (equal) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['entries']:,} | {r['full']:.2f} | {r['zero']:.3f} | {r['incremental']:.3f} |"
              f" {r['full'] / r['incremental']:.1f} | {r['with_reader']:.3f} | {r['findings']:,} |")


if __name__ == "__main__":
    main()
