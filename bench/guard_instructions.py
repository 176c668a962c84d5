"""Benchmark: CPU instructions a guard adds to one transfer, counted by callgrind.

Run from the repository root (needs valgrind):

    .venv/bin/python bench/guard_instructions.py                  # drift, against no guard
    .venv/bin/python bench/guard_instructions.py --guards none,drift,append_only
    .venv/bin/python bench/guard_instructions.py --sql-dir DIR    # a variant of the toolkit SQL

Deterministic where pgbench is not: a throwaway PostgreSQL gets bench/guards.py's schema (1,000
wallets, no history) with the toolkit, its sources and the guard (block mode); the server is
stopped, and a single-user backend (`postgres --single`) runs under callgrind the four
statements of bench/transfer.sql, PREPAREd, N1 times and then N2 times. (N2 - N1) / (N2 - N1)
transfers' instructions is what one transfer costs, start-up excluded; the guard's cost is that
figure minus the no-guard one. Without the client, the network, the WAL flush and the other
processes a real transfer also pays for: set it against the whole transfer's cost, not as a
throughput ratio (docs/PERFORMANCE.md, "Where the drift guard's time goes"). A benchmark, not a
test; it stops on any error the backend reports (a guard blocking a balanced transfer).
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import ROOT, ThrowawayCluster
from guards import REGISTER, SCHEMA

PREPARE = [
    "PREPARE u(bigint, numeric) AS UPDATE wallet_account SET balance = balance + $2,"
    " updated_at = now() WHERE id = $1 RETURNING balance",
    # the transfer's two entries share a transfer id (the double_entry guard's journal)
    "PREPARE ins(bigint, numeric, boolean) AS INSERT INTO wallet_transaction (wallet_id, type,"
    " amount, balance_after, reference, posted_at, transfer_id) SELECT $1, CASE WHEN $2 > 0 THEN"
    " 'CREDIT' ELSE 'DEBIT' END, $2, balance, 'transfer', now(), CASE WHEN $3 THEN"
    " nextval('transfer_seq') ELSE currval('transfer_seq') END FROM wallet_account WHERE id = $1",
]


def script(n: int, entry_first: bool) -> str:
    lines = list(PREPARE)
    for i in range(n):
        a = 1 + (i * 7) % 1000
        b = 1 + (a + i % 13) % 1000
        lo, hi = min(a, b), max(a, b)
        amount = ((i * 37) % 10000 + 1) / 100 * (1 if i % 2 else -1)
        writes = [f"EXECUTE u({lo}, {amount})", f"EXECUTE u({hi}, {-amount})"]
        entries = [f"EXECUTE ins({lo}, {amount}, true)", f"EXECUTE ins({hi}, {-amount}, false)"]
        lines += ["BEGIN", *(entries + writes if entry_first else writes + entries), "COMMIT"]
    return "\n".join(lines) + "\n"


def count(cluster: ThrowawayCluster, n: int, entry_first: bool) -> int:
    path = cluster.tmp / f"transfers-{n}.sql"
    path.write_text(script(n, entry_first))
    path.chmod(0o644)
    owner = pwd.getpwnam(cluster.owner)
    kwargs = {} if os.geteuid() != 0 else {
        "user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    with open(path) as stdin:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cluster.tmp}/cg.{n}",
             str(cluster.bindir / "postgres"), "--single", "-D", str(cluster.datadir), "bench"],
            stdin=stdin, capture_output=True, text=True, cwd=cluster.tmp,
            env={"LC_ALL": "C.UTF-8", "PATH": os.environ["PATH"]}, **kwargs)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found or "ERROR:" in proc.stdout + proc.stderr:
        raise SystemExit(f"the backend failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def measure(guard: str, sql_dir: Path, n1: int, n2: int, entry_first: bool,
            options: str) -> float:
    cluster = ThrowawayCluster()
    dsn = cluster.start()
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        db = dsn.rsplit("/", 1)[0] + "/bench"
        subprocess.run([str(ROOT / ".venv/bin/wallet-recon"), "install", "--database", db,
                        "--sql-dir", str(sql_dir)], check=True, capture_output=True)
        with psycopg.connect(db, autocommit=True) as c:
            for statement in SCHEMA.split(";"):
                c.execute(statement)
            c.execute("INSERT INTO wallet_account (id, member_id, balance)"
                      " SELECT i, i, 0 FROM generate_series(1, 1000) AS i")
            c.execute("ALTER TABLE wallet_account ADD PRIMARY KEY (id)")
            c.execute("ALTER TABLE wallet_transaction ADD PRIMARY KEY (id)")
            c.execute("CREATE INDEX ON wallet_transaction (wallet_id)")
            c.execute("CREATE INDEX ON wallet_transaction (transfer_id)")
            for statement in REGISTER.split(";"):
                c.execute(statement)
            if guard != "none":
                c.execute("SELECT recon.enable_guard(%s, 'ledger', %s)", (guard, options))
            c.execute("VACUUM ANALYZE")
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-m", "fast", "-w", "stop")
        return (count(cluster, n2, entry_first) - count(cluster, n1, entry_first)) / (n2 - n1)
    finally:
        cluster.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--guards", default="none,drift", help="comma-separated; none = no guard")
    p.add_argument("--sql-dir", type=Path, default=ROOT, help="toolkit SQL to install")
    p.add_argument("--n1", type=int, default=100)
    p.add_argument("--n2", type=int, default=300)
    p.add_argument("--entry-first", action="store_true",
                   help="post the two entries before moving the balances")
    p.add_argument("--options", default='{"mode": "block"}', help="the guard's options (JSON)")
    args = p.parse_args()
    results = {g: measure(g, args.sql_dir.resolve(), args.n1, args.n2, args.entry_first,
                          args.options) for g in args.guards.split(",")}
    base = results.get("none")
    print(f"instructions per transfer ({args.n2 - args.n1} transfers"
          f"{', entries first' if args.entry_first else ''}; options {args.options};"
          f" {args.sql_dir}):")
    for guard, per in results.items():
        extra = f"  (+{per - base:,.0f} over no guard)" if base and guard != "none" else ""
        print(f"  {guard:<14} {per:>12,.0f}{extra}")


if __name__ == "__main__":
    main()
