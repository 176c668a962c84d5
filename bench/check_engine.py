"""Benchmark: the compiled balance check against the bare ledger aggregate and the runbook's SQL.

Run from the repository root:

    .venv/bin/python bench/check_engine.py             # 1,000,000 wallets, 10,000,000 entries
    .venv/bin/python bench/check_engine.py --wallets 10000 --entries 100000   # smoke run

Without --database it starts a throwaway PostgreSQL (migrator.cluster.ThrowawayCluster) tuned
for a 2-core, 24 GiB machine and removes it at the end. With --database URL (a superuser
connection) it creates a scratch database on that server and drops it at the end. Results go to
stdout as Markdown, for docs/PERFORMANCE.md. A benchmark, not a test: nothing here asserts a
time; it does refuse to report timings of queries that find the wrong wallets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import throwaway_database  # noqa: E402

from migrator.cluster import ThrowawayCluster  # noqa: E402, F401 (fix.py, guard_instructions.py)

SETTINGS = {  # written verbatim into postgresql.conf: strings quoted
    "shared_buffers": "'2GB'",
    "work_mem": "'256MB'",
    "maintenance_work_mem": "'1GB'",
    "effective_cache_size": "'16GB'",
    "max_parallel_workers_per_gather": "2",
    "max_parallel_workers": "2",
    "max_parallel_maintenance_workers": "2",
    "random_page_cost": "1.1",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
}
SHOWN = [*SETTINGS, "jit", "fsync", "synchronous_commit"]
CHECK = "balance"
SQL_DIRS = ["migrations", "functions", "views", "triggers"]

SCHEMA = """
CREATE TABLE wallet_account (
    id bigint NOT NULL,
    member_id bigint NOT NULL,
    balance numeric(14, 2) NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE wallet_transaction (
    id bigint GENERATED ALWAYS AS IDENTITY,
    wallet_id bigint NOT NULL,
    type text NOT NULL,
    amount numeric(14, 2) NOT NULL,
    balance_after numeric(14, 2) NOT NULL,
    reference text,
    posted_at timestamptz NOT NULL
);
"""
# Entries in posting order over one year; wallet ids skewed (u^2): wallet 1 gets ~0.1 % of all
# entries, the last 5 % of wallets none at all (new wallets). balance_after is the running sum.
ENTRIES = """
SELECT setseed(0.42);
INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, reference, posted_at)
SELECT e.wallet_id, CASE WHEN e.amount >= 0 THEN 'CREDIT' ELSE 'DEBIT' END, e.amount,
       sum(e.amount) OVER (PARTITION BY e.wallet_id ORDER BY e.g), 'ref-' || e.g, e.posted_at
FROM (SELECT g, 1 + floor(%(active)s * random() ^ 2)::bigint AS wallet_id,
             round((random() * 200 - 80)::numeric, 2) AS amount,
             timestamptz '2025-01-01 00:00+00' + make_interval(secs => g * %(step)s) AS posted_at
      FROM generate_series(1, %(entries)s::bigint) AS g) AS e
ORDER BY e.g;
ALTER TABLE wallet_transaction ADD PRIMARY KEY (id);
"""
WALLETS = """
INSERT INTO wallet_account (id, member_id, balance)
SELECT i, 1000000 + i, COALESCE(s.total, 0)
FROM generate_series(1, %(wallets)s::bigint) AS i
LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM wallet_transaction GROUP BY wallet_id)
    AS s ON s.wallet_id = i;
ALTER TABLE wallet_account ADD PRIMARY KEY (id);
"""
# 0.1 % of wallets drift by +-0.01 .. 9.99; bench_drift remembers which, for verification.
DRIFT = """
SELECT setseed(0.7);
CREATE TABLE bench_drift AS
SELECT id, ((CASE WHEN random() < 0.5 THEN -1 ELSE 1 END) * (1 + floor(random() * 999)) / 100)
           ::numeric(14, 2) AS delta
FROM wallet_account ORDER BY random() LIMIT %(drift)s;
UPDATE wallet_account AS wa SET balance = wa.balance + d.delta, updated_at = now()
FROM bench_drift AS d WHERE d.id = wa.id;
CREATE INDEX wallet_transaction_wallet_id_idx ON wallet_transaction (wallet_id);
"""
REGISTER = """
SELECT recon.register_wallet_source('wallets', 'wallet_account', 'id', ARRAY['balance'],
                                    '{"owner": "member_id"}');
SELECT recon.register_ledger_source('ledger', 'wallets', 'wallet_transaction', 'wallet_id',
    'amount', '{"entry_id": "id", "reference": "reference", "posted_at": "posted_at",
                "order_by": "id", "balance_after": "balance_after"}');
SELECT recon.register_check('balance', 'balance', '{"ledger": "ledger", "low_limit": 10}');
"""
QUERIES: dict[str, str] = {
    "bare": "SELECT wallet_id, sum(amount) FROM wallet_transaction GROUP BY wallet_id",
    "check": f"SELECT * FROM recon.check_{CHECK}",
    "runbook_join": """SELECT wa.id, wa.member_id, wa.balance AS stored_balance,
       COALESCE(SUM(wt.amount), 0) AS calculated_balance,
       wa.balance - COALESCE(SUM(wt.amount), 0) AS discrepancy
FROM wallet_account wa
LEFT JOIN wallet_transaction wt ON wt.wallet_id = wa.id
GROUP BY wa.id
HAVING wa.balance != COALESCE(SUM(wt.amount), 0)""",
    "correlated": """SELECT COUNT(*) AS remaining_discrepancies
FROM wallet_account wa
WHERE wa.balance != (SELECT COALESCE(SUM(amount), 0) FROM wallet_transaction
                     WHERE wallet_id = wa.id)""",
    "reconcile": "SELECT recon.reconcile()",
}
RATIOS = [("check", "bare", "<= 1.25"), ("runbook_join", "check", ">= 1.3"),
          ("correlated", "check", None), ("reconcile", "check", None)]


def step(conn: psycopg.Connection[Any], label: str, sql: str, **params: object) -> None:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        for stmt in (s.strip() for s in sql.split(";\n")):
            if stmt:
                cur.execute(stmt.rstrip(";"), params if "%(" in stmt else None)
    print(f"  {label:<44} {time.perf_counter() - t0:8.1f} s", flush=True)


def build(dsn: str, wallets: int, entries: int, drift: int) -> None:
    print(f"building {wallets:,} wallets / {entries:,} entries, {drift:,} drifted", flush=True)
    t0 = time.perf_counter()
    cli = Path(sys.executable).with_name("wallet-recon")  # .venv/bin/wallet-recon
    subprocess.run([str(cli), "install", "--database", dsn, "--sql-dir", str(ROOT)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"  {'wallet-recon install':<44} {time.perf_counter() - t0:8.1f} s", flush=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        step(conn, "schema", SCHEMA)
        step(conn, "wallet_transaction (INSERT ... SELECT)", ENTRIES,
             active=max(1, wallets * 95 // 100), step=31_536_000 / entries, entries=entries)
        step(conn, "wallet_account (balances = sum of entries)", WALLETS, wallets=wallets)
        step(conn, "drift + index wallet_transaction(wallet_id)", DRIFT, drift=drift)
        step(conn, "VACUUM ANALYZE", "VACUUM ANALYZE wallet_account;\n"
             "VACUUM ANALYZE wallet_transaction;\nVACUUM ANALYZE bench_drift")
        step(conn, "register sources + balance check", REGISTER)


def verify(conn: psycopg.Connection[Any], name: str, rows: list[tuple[Any, ...]],
           drift: dict[str, Decimal]) -> str:
    """'ok' if a query found exactly the drifted wallets (and amounts), else exit: no timings."""
    if name == "bare":
        return "-"
    if name == "correlated":
        ok = rows[0][0] == len(drift)
    elif name == "reconcile":
        found = dict(conn.execute("SELECT wallet_key, difference FROM recon.open_findings "
                                  "WHERE check_name = %s", [CHECK]).fetchall())
        ok = found == drift and rows[0][0]["findings"] == rows[0][0]["wallets"] == len(drift)
    else:  # check: (check_name, wallet_key, .., difference); runbook_join: (id, .., discrepancy)
        key = 1 if name == "check" else 0
        ok = {str(r[key]): r[4] for r in rows} == drift
    if not ok:
        sys.exit(f"WRONG ANSWER: {name} does not find exactly the {len(drift)} drifted wallets")
    return "ok"


def client_time(conn: psycopg.Connection[Any], sql: str) -> tuple[float, list[tuple[Any, ...]]]:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    return time.perf_counter() - t0, rows


def server_time(conn: psycopg.Connection[Any], sql: str) -> float:
    plan = conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}").fetchone()[0][0]
    return (plan["Planning Time"] + plan["Execution Time"]) / 1000


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):8.3f} ({min(times):.3f}-{max(times):.3f})"


def measure(dsn: str, repeat: int, jit: str = "on") -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the same session setting for every query; recon.reconcile() itself runs with jit off
        conn.execute("SELECT set_config('jit', %s, false)", (jit,))
        drift = {str(k): d for k, d in conn.execute("SELECT id, delta FROM bench_drift")}
        facts(conn)
        client: dict[str, list[float]] = {n: [] for n in QUERIES}
        server: dict[str, list[float]] = {n: [] for n in QUERIES}
        nrows: dict[str, int] = {}
        checked: dict[str, str] = {}
        print("\nwarm-up and verification", flush=True)
        for name, sql in QUERIES.items():
            t, rows = client_time(conn, sql)
            nrows[name] = len(rows)
            checked[name] = verify(conn, name, rows, drift)
            print(f"  {name:<13} {t:8.3f} s  {len(rows):>9,} rows  {checked[name]}", flush=True)
        for r in range(repeat):  # round robin, so that noise from elsewhere spreads evenly
            for name, sql in QUERIES.items():
                client[name].append(client_time(conn, sql)[0])
                server[name].append(server_time(conn, sql))
                print(f"  repeat {r + 1} {name:<13} client {client[name][-1]:8.3f} s"
                      f"  server {server[name][-1]:8.3f} s", flush=True)
        for name in ("bare", "check", "runbook_join"):
            print(f"\n### EXPLAIN (ANALYZE, BUFFERS) {name}\n\n```text")
            for (line,) in conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {QUERIES[name]}"):
                print(line)
            print("```", flush=True)
    print(f"\n### Medians of {repeat} (min-max), seconds\n")
    print("| query | rows | finds the drift | client (fetchall) | server (EXPLAIN ANALYZE) |")
    print("|---|---:|---|---:|---:|")
    for name in QUERIES:
        print(f"| {name} | {nrows[name]:,} | {checked[name]} | {fmt(client[name])} "
              f"| {fmt(server[name])} |")
    print("\n### Ratios of medians\n")
    print("| ratio | client | server | target |\n|---|---:|---:|---|")
    for a, b, target in RATIOS:
        rc = statistics.median(client[a]) / statistics.median(client[b])
        rs = statistics.median(server[a]) / statistics.median(server[b])
        print(f"| {a}/{b} | {rc:.2f} | {rs:.2f} | {target or '-'} |")
    spread = max((max(t) - min(t)) / statistics.median(t)
                 for t in (*client.values(), *server.values()))
    print(f"\nlargest spread between repeats: {spread:.0%} of the median"
          + ("  (NOISY: rerun)" if spread > 0.2 else ""))


def source() -> str:
    """The commit the toolkit SQL was installed from, and whether the SQL differs from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    if head.returncode != 0:
        return "not a git checkout"
    dirty = [line[3:] for line in subprocess.run(
        [*git, "status", "--porcelain", "--", *SQL_DIRS], capture_output=True, text=True
    ).stdout.splitlines()]
    return f"commit {head.stdout.strip()[:72]}; " + (
        f"SQL MODIFIED since: {' '.join(dirty)}" if dirty else "SQL as committed")


def facts(conn: psycopg.Connection[Any]) -> None:
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    print("\n### Machine\n")
    print(f"- cores: {os.cpu_count()}, memory: {mem / 2**20:.1f} GiB, load average: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"- {conn.execute('SELECT version()').fetchone()[0]}")
    print(f"- toolkit SQL from {ROOT}: {source()}")
    shown = ", ".join(f"{s}={conn.execute(f'SHOW {s}').fetchone()[0]}" for s in SHOWN)
    print(f"- settings: {shown}")
    for table in ("wallet_account", "wallet_transaction"):
        n, heap, total = conn.execute(
            f"SELECT count(*), pg_size_pretty(pg_relation_size('{table}')), "
            f"pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}").fetchone()
        print(f"- {table}: {n:,} rows, heap {heap}, with indexes {total}")
    stats = conn.execute("""
        SELECT count(*) FILTER (WHERE e.n IS NULL), max(e.n),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY COALESCE(e.n, 0))
        FROM wallet_account AS w
        LEFT JOIN (SELECT wallet_id, count(*) AS n FROM wallet_transaction GROUP BY 1) AS e
            ON e.wallet_id = w.id""").fetchone()
    print(f"- entries per wallet: none {stats[0]:,} wallets, median {stats[2]}, max {stats[1]:,}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=1_000_000)
    p.add_argument("--entries", type=int, default=10_000_000)
    p.add_argument("--database", help="a superuser connection to an existing server")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--jit", choices=["on", "off"], default="on",
                   help="jit for the measuring session (recon.reconcile() always runs without)")
    args = p.parse_args()
    drift = max(1, args.wallets // 1000)
    with throwaway_database(args.database, "recon_bench", settings=SETTINGS) as dsn:
        build(dsn, args.wallets, args.entries, drift)
        print(f"\n## {json.dumps(vars(args) | {'drifted': drift})}")
        measure(dsn, args.repeat, args.jit)

if __name__ == "__main__":
    main()
