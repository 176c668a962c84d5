"""Benchmark: the balance check through the legs relation, one-sided and over transfer rows.

Run from the repository root:

    .venv/bin/python bench/transfers.py                 # 1,000,000 wallets, 10,000,000 rows each
    .venv/bin/python bench/transfers.py --wallets 10000 --entries 100000    # smoke run
    .venv/bin/python bench/transfers.py --client-only --one-sided-only --repeat 7   # part 1 only

Two measurements in one throwaway cluster, interleaved round robin so that both sides of each
ratio see the same load (issue 14):

1. **No regression for one-sided ledgers.** bench/check_engine.py's data (its wallet_account and
   wallet_transaction, 0.1 % drifted) is built once in database recon_before and copied byte
   for byte (CREATE DATABASE ... TEMPLATE, statistics included) into recon_after. recon_before
   gets the
   toolkit SQL of --before (default a9edb48, the last commit without the legs relation, from git
   archive), recon_after the SQL of this tree. Both register the same balance check. Timed: the
   check view in each; the plan node types of both are compared.
2. **Transfer rows.** In recon_after: transfer_wallet (--wallets) and transfer (--entries rows of
   from_wallet, to_wallet, amount, id), the balances the sum of both legs, 0.1 % drifted so that
   the answer can be verified. Timed: the check over the transfer ledger against the bare
   aggregate over both legs and a hand-written check (the same aggregate FULL JOINed to the
   wallets, as the compiled check joins), beside the same pair for the one-sided ledger.

A benchmark, not a test: nothing here asserts a time; it refuses to report timings of queries
that find the wrong wallets. It reuses check_engine.py's data, settings and timing code.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_engine as ce
from throwaway import throwaway_server

ROOT = ce.ROOT

# Transfer rows over one year of ids; both wallet columns skewed like check_engine's entries
# (u^2 over the first 95 % of wallets), never from a wallet to itself; amounts 0.01 .. 100.00.
TRANSFERS = """
SELECT setseed(0.43);
CREATE TABLE transfer_wallet (
    id bigint NOT NULL,
    balance numeric(14, 2) NOT NULL DEFAULT 0
);
CREATE TABLE transfer (
    id bigint GENERATED ALWAYS AS IDENTITY,
    from_wallet bigint NOT NULL,
    to_wallet bigint NOT NULL,
    amount numeric(14, 2) NOT NULL
);
INSERT INTO transfer (from_wallet, to_wallet, amount)
SELECT s.f, CASE WHEN s.t >= s.f THEN s.t + 1 ELSE s.t END, s.amount
FROM (SELECT g, 1 + floor(%(active)s * random() ^ 2)::bigint AS f,
             1 + floor((%(active)s - 1) * random() ^ 2)::bigint AS t,
             round((0.01 + random() * 99.99)::numeric, 2) AS amount
      FROM generate_series(1, %(entries)s::bigint) AS g) AS s
ORDER BY s.g;
ALTER TABLE transfer ADD PRIMARY KEY (id);
INSERT INTO transfer_wallet (id, balance)
SELECT i, COALESCE(s.total, 0)
FROM generate_series(1, %(wallets)s::bigint) AS i
LEFT JOIN (SELECT w, sum(d) AS total
           FROM (SELECT from_wallet AS w, -amount AS d FROM transfer
                 UNION ALL SELECT to_wallet, amount FROM transfer) AS x
           GROUP BY w) AS s ON s.w = i;
ALTER TABLE transfer_wallet ADD PRIMARY KEY (id);
SELECT setseed(0.71);
CREATE TABLE bench_transfer_drift AS
SELECT id, ((CASE WHEN random() < 0.5 THEN -1 ELSE 1 END) * (1 + floor(random() * 999)) / 100)
           ::numeric(14, 2) AS delta
FROM transfer_wallet ORDER BY random() LIMIT %(drift)s;
UPDATE transfer_wallet AS tw SET balance = tw.balance + d.delta
FROM bench_transfer_drift AS d WHERE d.id = tw.id;
CREATE INDEX transfer_from_wallet_idx ON transfer (from_wallet);
CREATE INDEX transfer_to_wallet_idx ON transfer (to_wallet)
"""
REGISTER_TRANSFERS = """
SELECT recon.register_wallet_source('twallets', 'transfer_wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('tledger', 'twallets', 'transfer', NULL, 'amount',
    '{"debit_wallet": "from_wallet", "credit_wallet": "to_wallet", "entry_id": "id",
      "order_by": "id"}');
SELECT recon.register_check('tbalance', 'balance', '{"ledger": "tledger", "low_limit": 10}');
"""
# The hand-written checks: aggregate the ledger per wallet, then FULL JOIN the wallets (the
# compiled check's shape: a wallet without entries and entries of an unknown wallet both count).
HAND = """SELECT COALESCE(w.id, e.wallet) AS wallet, w.balance, COALESCE(e.total, 0) AS total,
       w.balance - COALESCE(e.total, 0) AS difference
FROM {wallets} AS w
FULL JOIN ({agg}) AS e ON e.wallet = w.id
WHERE w.balance IS DISTINCT FROM COALESCE(e.total, 0)"""
ONE_SIDED_BARE = ("SELECT wallet_id AS wallet, sum(amount) AS total FROM wallet_transaction "
                  "GROUP BY 1")
TRANSFER_BARE = """SELECT wallet, sum(delta) AS total
FROM (SELECT from_wallet AS wallet, -amount AS delta FROM transfer
      UNION ALL SELECT to_wallet, amount FROM transfer) AS legs
GROUP BY wallet"""
# name: (database, SQL, drift table it must find, index of the wallet key and difference)
QUERIES: dict[str, tuple[str, str, str | None, tuple[int, int]]] = {
    "before_check": ("before", "SELECT * FROM recon.check_balance", "bench_drift", (1, 4)),
    "after_check": ("after", "SELECT * FROM recon.check_balance", "bench_drift", (1, 4)),
    "onesided_bare": ("after", ONE_SIDED_BARE, None, (0, 0)),
    "onesided_hand": ("after", HAND.format(wallets="wallet_account", agg=ONE_SIDED_BARE),
                      "bench_drift", (0, 3)),
    "transfer_check": ("after", "SELECT * FROM recon.check_tbalance", "bench_transfer_drift",
                       (1, 4)),
    "transfer_bare": ("after", TRANSFER_BARE, None, (0, 0)),
    "transfer_hand": ("after", HAND.format(wallets="transfer_wallet", agg=TRANSFER_BARE),
                      "bench_transfer_drift", (0, 3)),
    # like with like for a serial run (recon.reconcile()'s INSERT ... SELECT is never parallel):
    # the same two queries in a session with max_parallel_workers_per_gather = 0
    "transfer_check_serial": ("after_serial", "SELECT * FROM recon.check_tbalance",
                              "bench_transfer_drift", (1, 4)),
    "transfer_bare_serial": ("after_serial", TRANSFER_BARE, None, (0, 0)),
}
RATIOS = [("after_check", "before_check", "<= 1.05"),
          ("after_check", "onesided_bare", None), ("after_check", "onesided_hand", None),
          ("transfer_check", "transfer_bare", "<= 1.3"),
          ("transfer_check", "transfer_hand", None),
          ("transfer_check_serial", "transfer_bare_serial", None),
          ("transfer_bare_serial", "transfer_bare", None)]


def build(server_dsn: str, dsns: dict[str, str], sql_dirs: dict[str, Path], wallets: int,
          entries: int, drift: int, transfers: bool) -> None:
    print(f"building {wallets:,} wallets / {entries:,} entries"
          + (" and as many transfer rows" if transfers else "") + f", {drift:,} drifted each",
          flush=True)
    with psycopg.connect(dsns["before"], autocommit=True) as conn:
        ce.step(conn, "schema", ce.SCHEMA)
        ce.step(conn, "wallet_transaction (INSERT ... SELECT)", ce.ENTRIES,
                active=max(1, wallets * 95 // 100), step=31_536_000 / entries, entries=entries)
        ce.step(conn, "wallet_account (balances = sum of entries)", ce.WALLETS, wallets=wallets)
        ce.step(conn, "drift + index wallet_transaction(wallet_id)", ce.DRIFT, drift=drift)
        ce.step(conn, "VACUUM ANALYZE", "VACUUM ANALYZE wallet_account;\n"
                "VACUUM ANALYZE wallet_transaction;\nVACUUM ANALYZE bench_drift")
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        ce.step(conn, "CREATE DATABASE after TEMPLATE before",
                f"CREATE DATABASE {psycopg.conninfo.conninfo_to_dict(dsns['after'])['dbname']} "
                f"TEMPLATE {psycopg.conninfo.conninfo_to_dict(dsns['before'])['dbname']} "
                "STRATEGY FILE_COPY")
    cli = Path(sys.executable).with_name("wallet-recon")  # .venv/bin/wallet-recon
    for side in ("before", "after"):
        t0 = time.perf_counter()
        subprocess.run([str(cli), "install", "--database", dsns[side], "--sql-dir",
                        str(sql_dirs[side])], check=True, stdout=subprocess.DEVNULL)
        print(f"  {'wallet-recon install (' + side + ')':<44} {time.perf_counter() - t0:8.1f} s",
              flush=True)
        with psycopg.connect(dsns[side], autocommit=True) as conn:
            ce.step(conn, f"register sources + balance check ({side})", ce.REGISTER)
    if not transfers:
        return
    with psycopg.connect(dsns["after"], autocommit=True) as conn:
        ce.step(conn, "transfer, transfer_wallet (after)", TRANSFERS,
                active=max(2, wallets * 95 // 100), entries=entries, wallets=wallets, drift=drift)
        ce.step(conn, "VACUUM ANALYZE (after)", "VACUUM ANALYZE transfer;\n"
                "VACUUM ANALYZE transfer_wallet;\nVACUUM ANALYZE bench_transfer_drift")
        ce.step(conn, "register transfer sources + check", REGISTER_TRANSFERS)


def verify(conn: psycopg.Connection[Any], name: str, rows: list[tuple[Any, ...]]) -> str:
    """'ok' if a query found exactly the drifted wallets (and amounts), else exit: no timings."""
    _, _, table, (key, diff) = QUERIES[name]
    if table is None:
        return "-"
    drift = {str(k): d for k, d in conn.execute(f"SELECT id, delta FROM {table}")}
    if {str(r[key]): Decimal(r[diff]) for r in rows} != drift:
        sys.exit(f"WRONG ANSWER: {name} does not find exactly the {len(drift)} drifted wallets")
    return "ok"


def node_types(plan: dict[str, Any]) -> list[str]:
    """The plan's nodes, depth first: type, join type or strategy, relation."""
    label = plan["Node Type"]
    for extra in ("Join Type", "Strategy", "Relation Name"):
        if extra in plan:
            label += f" {plan[extra]}"
    out = [label]
    for child in plan.get("Plans", []):
        out += ["  " + line for line in node_types(child)]
    return out


def backend_cpu(pid: int) -> float:
    """A local backend's CPU seconds (utime + stime), plus those of the postmaster's children
    that have exited (cutime + cstime: a query's parallel workers, once it is done): far less
    disturbed by other load than the wall clock. Other children that exit meanwhile (autovacuum
    workers) count too; in this cluster nothing else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    parent = Path(f"/proc/{fields[1]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + int(parent[13]) + int(parent[14])
            ) / os.sysconf("SC_CLK_TCK")


def sql_label(rev: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
                          capture_output=True, text=True).stdout.strip()[:80]


def measure(dsns: dict[str, str], repeat: int, jit: str, labels: dict[str, str],
            server_time: bool) -> None:
    conns = {side: psycopg.connect(dsn, autocommit=True) for side, dsn in dsns.items()}
    try:
        for conn in conns.values():
            conn.execute("SELECT set_config('jit', %s, false)", (jit,))
        ce.facts(conns["after"])  # machine, settings, the one-sided tables
        print(f"- database before: toolkit SQL of {labels['before']} (git archive)")
        print(f"- database after: toolkit SQL of {labels['after']}")
        for table in ("transfer_wallet", "transfer") if "transfer_check" in QUERIES else ():
            n, heap, total = conns["after"].execute(
                f"SELECT count(*), pg_size_pretty(pg_relation_size('{table}')), "
                f"pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}").fetchone()
            print(f"- {table}: {n:,} rows, heap {heap}, with indexes {total}")
        plans = {}
        for side in ("before", "after"):
            plan = conns[side].execute("EXPLAIN (FORMAT JSON) SELECT * FROM recon.check_balance"
                                       ).fetchone()[0][0]["Plan"]
            plans[side] = node_types(plan)
        same = plans["before"] == plans["after"]
        print(f"\n### Plan nodes of the one-sided balance check: "
              f"{'IDENTICAL before and after' if same else 'DIFFERENT'}\n\n```text")
        if same:
            print("\n".join(plans["after"]))
        else:
            for side in ("before", "after"):
                print(f"-- {side}\n" + "\n".join(plans[side]))
        print("```", flush=True)
        pids = {side: conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                for side, conn in conns.items()}
        cpu: dict[str, list[float]] = {n: [] for n in QUERIES}
        client: dict[str, list[float]] = {n: [] for n in QUERIES}
        server: dict[str, list[float]] = {n: [] for n in QUERIES}
        loads: list[float] = []
        nrows: dict[str, int] = {}
        checked: dict[str, str] = {}
        print("\nwarm-up and verification", flush=True)
        for name, (side, sql, _, _) in QUERIES.items():
            t, rows = ce.client_time(conns[side], sql)
            nrows[name] = len(rows)
            checked[name] = verify(conns[side], name, rows)
            print(f"  {name:<17} {t:8.3f} s  {len(rows):>9,} rows  {checked[name]}", flush=True)
        for r in range(repeat):  # round robin, so that noise from elsewhere spreads evenly;
            # every other repeat in reverse order, so that a load rising (or falling) through
            # a repeat does not always favour the queries that run first
            order = list(QUERIES.items())
            for name, (side, sql, _, _) in order if r % 2 == 0 else order[::-1]:
                c0 = backend_cpu(pids[side])
                client[name].append(ce.client_time(conns[side], sql)[0])
                cpu[name].append(backend_cpu(pids[side]) - c0)
                if server_time:
                    server[name].append(ce.server_time(conns[side], sql))
                loads.append(os.getloadavg()[0])
                print(f"  repeat {r + 1} {name:<17} client {client[name][-1]:8.3f} s"
                      + (f"  server {server[name][-1]:8.3f} s" if server_time else "")
                      + f"  backend cpu {cpu[name][-1]:7.2f} s  load {loads[-1]:.2f}", flush=True)
        for name in ("after_check", "transfer_check", "transfer_bare"):
            if name not in QUERIES:
                continue
            side, sql, _, _ = QUERIES[name]
            print(f"\n### EXPLAIN (ANALYZE, BUFFERS) {name}\n\n```text")
            for (line,) in conns[side].execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"):
                print(line)
            print("```", flush=True)
    finally:
        for conn in conns.values():
            conn.close()
    print(f"\n### Medians of {repeat} (min-max), seconds\n")
    print("| query | database | rows | finds the drift | client (fetchall) "
          "| server (EXPLAIN ANALYZE) | CPU, backend + parallel workers |")
    print("|---|---|---:|---|---:|---:|---:|")
    for name, (side, *_) in QUERIES.items():
        print(f"| {name} | {side} | {nrows[name]:,} | {checked[name]} | {ce.fmt(client[name])} "
              f"| {ce.fmt(server[name]) if server_time else '-'} | {ce.fmt(cpu[name])} |")
    print("\n### Ratios of medians\n")
    print("| ratio | client | server | backend CPU | target |\n|---|---:|---:|---:|---|")
    for a, b, target in RATIOS:
        if a not in QUERIES or b not in QUERIES:
            continue
        rc = statistics.median(client[a]) / statistics.median(client[b])
        rs = (f"{statistics.median(server[a]) / statistics.median(server[b]):.3f}"
              if server_time else "-")
        rcpu = (f"{statistics.median(cpu[a]) / statistics.median(cpu[b]):.3f}"
                if statistics.median(cpu[b]) else "-")  # clock ticks: 0 on tiny runs
        print(f"| {a}/{b} | {rc:.3f} | {rs} | {rcpu} | {target or '-'} |")
    print(f"\nload average (1 min) during the timed runs: median {statistics.median(loads):.2f}, "
          f"{min(loads):.2f}-{max(loads):.2f}; now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    spread = max((max(t) - min(t)) / statistics.median(t)
                 for t in (*client.values(), *server.values()) if t)
    print(f"largest spread between repeats: {spread:.0%} of the median"
          + ("  (NOISY: rerun)" if spread > 0.2 else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=1_000_000)
    p.add_argument("--entries", type=int, default=10_000_000,
                   help="rows of wallet_transaction, and of transfer")
    p.add_argument("--before", default="a9edb48",
                   help="the commit whose toolkit SQL database 'before' gets (git archive)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--client-only", action="store_true",
                   help="time each query once per repeat (client, fetchall), not a second time "
                        "under EXPLAIN ANALYZE: half the run time on a busy machine")
    p.add_argument("--one-sided-only", action="store_true",
                   help="only the before/after comparison (no transfer ledger, no bare queries)")
    p.add_argument("--jit", choices=["on", "off"], default="on",
                   help="jit for the measuring sessions")
    p.add_argument("--only", help="comma-separated query names to time (default: all of "
                   + ", ".join(QUERIES) + ")")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up under kill, too
    drift = max(1, args.wallets // 1000)
    if args.one_sided_only:
        for name in [n for n in QUERIES if n not in ("before_check", "after_check")]:
            del QUERIES[name]
    if args.only:
        unknown = set(args.only.split(",")) - set(QUERIES)
        if unknown:
            p.error(f"--only: unknown queries {', '.join(sorted(unknown))}")
        for name in [n for n in QUERIES if n not in args.only.split(",")]:
            del QUERIES[name]
    scratch = Path(tempfile.mkdtemp(prefix="wallet-recon-sql-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, *ce.SQL_DIRS],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    labels = {"before": f"commit {sql_label(args.before)}", "after": ce.source()}
    try:
        with throwaway_server(None, ce.SETTINGS) as server_dsn:
            dsns = {side: make_conninfo(server_dsn, dbname=f"recon_{side}") for side in
                    ("before", "after")}
            dsns["after_serial"] = make_conninfo(dsns["after"],
                                                 options="-c max_parallel_workers_per_gather=0")
            with psycopg.connect(server_dsn, autocommit=True) as conn:
                conn.execute("CREATE DATABASE recon_before")
            build(server_dsn, dsns, {"before": scratch, "after": ROOT}, args.wallets,
                  args.entries, drift, not args.one_sided_only)
            print(f"\n## {json.dumps(vars(args) | {'drifted': drift})}")
            measure(dsns, args.repeat, args.jit, labels, not args.client_only)
    finally:
        subprocess.run(["rm", "-rf", str(scratch)], check=False)


if __name__ == "__main__":
    main()
