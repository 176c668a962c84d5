"""Benchmark: full recon.reconcile() on another revision's SQL against this tree's, interleaved.

Run from the repository root, on a database check_engine.build() made (kept, not dropped):

    .venv/bin/python bench/reconcile_ab.py --reuse postgresql://.../b10 --before main --rounds 3

Per round (every other round in reverse order): count(*) (the I/O floor), the bare GROUP BY,
the balance check's view, and a full recon.reconcile() twice: once after re-applying
(CREATE OR REPLACE) the --before revision's version of every function file under functions/
that differs from this tree's, once after re-applying this tree's. Functions new in this tree
stay installed (the database must be upgraded to this tree first: wallet-recon upgrade). Each
reconcile must record exactly the drifted wallets and the check view must find exactly them,
or nothing is reported. Client seconds and the 1-minute load before each query. A benchmark,
not a test; the database is left on this tree's SQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
QUERIES = {
    "count": "SELECT count(*) FROM wallet_transaction",
    "bare": "SELECT wallet_id, sum(amount) FROM wallet_transaction GROUP BY wallet_id",
    "check": "SELECT * FROM recon.check_balance",
    "reconcile_before": "SELECT recon.reconcile()",
    "reconcile_this": "SELECT recon.reconcile()",
}


def changed_sql(before: str) -> dict[str, tuple[str, str]]:
    """path -> (the before revision's text, this tree's) of function files that differ."""
    names = subprocess.run(["git", "diff", "--name-only", before, "--", "functions"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    out = {}
    for name in names:
        old = subprocess.run(["git", "show", f"{before}:{name}"], cwd=ROOT,
                             capture_output=True, text=True)
        if old.returncode == 0 and (ROOT / name).exists():
            out[name] = (old.stdout, (ROOT / name).read_text())
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reuse", required=True, help="a database check_engine.build() made")
    p.add_argument("--before", default="main", help="the revision to compare with")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", help="comma-separated query names")
    args = p.parse_args()
    sql = changed_sql(args.before)
    print(f"re-applied per reconcile: {', '.join(sorted(sql)) or 'nothing differs'}")
    names = args.only.split(",") if args.only else list(QUERIES)
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    with psycopg.connect(args.reuse, autocommit=True) as conn:
        conn.execute("SET jit = off")
        drift = {str(k): d for k, d in conn.execute("SELECT id, delta FROM bench_drift")}
        for r in range(args.rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                if name.startswith("reconcile_"):
                    side = 0 if name == "reconcile_before" else 1
                    for texts in sql.values():
                        conn.execute(texts[side])
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                rows: list[Any] = conn.execute(QUERIES[name]).fetchall()
                elapsed = time.perf_counter() - t0
                if name == "check" and {x[1]: x[4] for x in rows} != drift:
                    raise SystemExit("WRONG ANSWER: the check view")
                if name.startswith("reconcile_"):
                    found = dict(conn.execute(
                        "SELECT wallet_key, difference FROM recon.open_findings"
                        " WHERE check_name = 'balance'").fetchall())
                    if found != drift or rows[0][0]["findings"] != len(drift):
                        raise SystemExit(f"WRONG ANSWER: {name}")
                times[name].append((elapsed, load))
                print(f"  round {r} {name:<17} {elapsed:8.3f} s  load {load:5.2f}", flush=True)
        for texts in sql.values():
            conn.execute(texts[1])
    print(f"\n| query | {' | '.join(f'round {r}' for r in range(args.rounds))} | median (s) |")
    print(f"|---|{'---:|' * args.rounds}---:|")
    for name in names:
        cells = " | ".join(f"{t:.3f} @ {lo:.1f}" for t, lo in times[name])
        print(f"| {name} | {cells} | {statistics.median(t for t, _ in times[name]):.3f} |")


if __name__ == "__main__":
    main()
