"""Benchmark: the write-path guards under a pgbench transfer load, and a hot wallet's history.

Run from the repository root:

    .venv/bin/python bench/guards.py                  # 100,000 wallets, a 1,000,000-entry hot one
    .venv/bin/python bench/guards.py --wallets 10000 --entries 100000 --hot 100000 \\
        --seconds 5 --repeat 1                         # smoke run

One database: the runbook's schema (bench/check_engine.py's) plus a journal column (a transfer
id shared by a transfer's two entries, indexed), --entries history entries over --wallets
wallets, one hot wallet with --hot entries and fresh wallets with none, registered as a wallet
source, a signed ledger source with that journal, and a balance check. pgbench runs
bench/transfer.sql (-M prepared: lock two wallets in key order, UPDATE both balances, INSERT
two entries, COMMIT) with --clients clients, --repeat times per guard phase, each guard run
between two no-guard runs (its ratio is to their mean: load elsewhere cancels out):

- none: no guard;
- drift_warn, drift_block: the drift guard;
- append_only: the append-only guard (block);
- double_entry: the double-entry guard on the journal column (block);
- all: drift (block), append_only and double_entry together.

Before each phase a probe (rolled back) proves the intended guard and only it is active: a
balance moved without an entry, a ledger entry updated, a one-sided journal. After each, pgbench
must report no failure, every transfer must have written its two entries, no alert may have been
raised and nothing may be left staged; at the end the balance check must find nothing. Else no
figure is reported.

Then hot against fresh: with the drift guard (warn) and without any guard, two pgbench clients
run side by side for --seconds, one transferring between the hot wallet and random wallets, the
other between a fresh wallet (no entry; a new one each time) and random wallets; their latency
per transfer is compared. Last, one client for --profile-seconds in each --profile phase (no
guard, drift block) under track_functions = all and pg_stat_statements (track = all,
track_planning), for the evidence. --sql-dir installs the
toolkit SQL from another tree (e.g. a scratch copy with a variant of a guard). Without
--database it starts a throwaway PostgreSQL (migrator.cluster.ThrowawayCluster) with
check_engine.py's settings but fsync, synchronous_commit and full_page_writes on (the
throwaway default is off), and removes it at the end. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import ROOT, SETTINGS, SQL_DIRS, source, step
from throwaway import throwaway_database

SCRIPT = Path(__file__).resolve().parent / "transfer.sql"
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
PROFILING = {  # loaded, but off (no query ids, nothing tracked) until the profile phase
    "shared_preload_libraries": "'pg_stat_statements'",
    "compute_query_id": "off",
    "pg_stat_statements.track": "none",
}
SHOWN = ["fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers",
         "max_wal_size", "checkpoint_timeout", "autovacuum", "jit", "track_functions"]

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
    posted_at timestamptz NOT NULL,
    transfer_id bigint
);
CREATE SEQUENCE transfer_seq
"""
# History in posting order over one year: the first %(hot)s entries belong to the hot wallet
# (pool + 1), the others to random wallets of the pool; balance_after is the running sum. The
# history has no transfer id (entries from before the journal column).
ENTRIES = """
SELECT setseed(0.42);
INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, reference, posted_at)
SELECT e.wallet_id, CASE WHEN e.amount >= 0 THEN 'CREDIT' ELSE 'DEBIT' END, e.amount,
       sum(e.amount) OVER (PARTITION BY e.wallet_id ORDER BY e.posted_at, e.g), 'ref-' || e.g,
       e.posted_at
FROM (SELECT g, CASE WHEN g <= %(hot)s THEN %(pool)s + 1
                     ELSE 1 + floor(%(pool)s * random())::bigint END AS wallet_id,
             round((random() * 200 - 80)::numeric, 2) AS amount,
             timestamptz '2025-01-01 00:00+00' + make_interval(secs => random() * 31536000)
                 AS posted_at
      FROM generate_series(1, %(total)s::bigint) AS g) AS e
ORDER BY e.posted_at, e.g;
ALTER TABLE wallet_transaction ADD PRIMARY KEY (id)
"""
WALLETS = """
INSERT INTO wallet_account (id, member_id, balance)
SELECT i, 1000000 + i, COALESCE(s.total, 0)
FROM generate_series(1, %(pool)s::bigint + 1 + %(fresh)s) AS i
LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM wallet_transaction GROUP BY wallet_id)
    AS s ON s.wallet_id = i;
ALTER TABLE wallet_account ADD PRIMARY KEY (id);
CREATE INDEX wallet_transaction_wallet_id_idx ON wallet_transaction (wallet_id);
CREATE INDEX wallet_transaction_transfer_id_idx ON wallet_transaction (transfer_id)
"""
REGISTER = """
SELECT recon.register_wallet_source('wallets', 'wallet_account', 'id', ARRAY['balance'],
                                    '{"owner": "member_id"}');
SELECT recon.register_ledger_source('ledger', 'wallets', 'wallet_transaction', 'wallet_id',
    'amount', '{"entry_id": "id", "reference": "reference", "posted_at": "posted_at",
                "order_by": "id", "balance_after": "balance_after", "journal": "transfer_id"}');
SELECT recon.register_check('balance', 'balance', '{"ledger": "ledger", "low_limit": 10}')
"""

BLOCK = {"mode": "block"}
PHASES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "none": [],
    "drift_warn": [("drift", {"mode": "warn"})],
    "drift_block": [("drift", BLOCK)],
    "append_only": [("append_only", BLOCK)],
    "double_entry": [("double_entry", BLOCK)],
    "all": [("drift", BLOCK), ("append_only", BLOCK), ("double_entry", BLOCK)],
}
TARGETS = {"drift_warn": 0.15, "drift_block": 0.15, "append_only": 0.05}
# Bad writes, each in a transaction rolled back after SET CONSTRAINTS ALL IMMEDIATE (which runs
# the commit-time checks): what each phase must do about them.
PROBES = {
    "drift": ["UPDATE wallet_account SET balance = balance + 1 WHERE id = 1"],
    # an entry of amount 0 (that moves no balance; a journal of its own, which it balances: an
    # entry without one is blocked by double_entry since 0023), then changed: only append_only
    # objects
    "append": ["INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, "
               "reference, posted_at, transfer_id) VALUES (3, 'CREDIT', 0, 0, 'probe', now(), -2)",
               "UPDATE wallet_transaction SET reference = 'probe 2' WHERE reference = 'probe'"],
    "journal": ["UPDATE wallet_account SET balance = balance + 1 WHERE id = 2",
                "INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, "
                "reference, posted_at, transfer_id) SELECT 2, 'CREDIT', 1, balance, 'probe', "
                "now(), -1 FROM wallet_account WHERE id = 2"],
}
EXPECTED = {
    "none": {},
    "drift_warn": {"drift": "alert"},
    "drift_block": {"drift": "RC401"},
    "append_only": {"append": "RC405"},
    "double_entry": {"journal": "RC403"},
    "all": {"drift": "RC401", "append": "RC405", "journal": "RC403"},
}
HOT_PHASES = ["drift_warn", "none"]


def _bindir() -> Path:
    from migrator.cluster import find_bindir
    return find_bindir()


def set_guards(conn: psycopg.Connection[Any], phase: str) -> None:
    for kind, target in conn.execute("SELECT kind, target FROM _recon.guard").fetchall():
        conn.execute("SELECT recon.disable_guard(%s, %s)", (kind, target))
    for kind, options in PHASES[phase]:
        conn.execute("SELECT recon.enable_guard(%s, 'ledger', %s)", (kind, json.dumps(options)))


def probe(conn: psycopg.Connection[Any], phase: str) -> None:
    """Stop unless exactly the phase's guards catch the bad writes (all rolled back)."""
    for name, stmts in PROBES.items():
        outcome = "passes"
        try:
            with conn.transaction(force_rollback=True):
                before = conn.execute("SELECT count(*) FROM _recon.alert").fetchone()[0]
                for stmt in stmts:
                    conn.execute(stmt)
                conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                if conn.execute("SELECT count(*) FROM _recon.alert").fetchone()[0] > before:
                    outcome = "alert"
        except psycopg.Error as e:
            outcome = e.sqlstate or str(e)
        expected = EXPECTED[phase].get(name, "passes")
        if outcome != expected:
            sys.exit(f"WRONG GUARDS: phase {phase}, probe {name}: {outcome}, expected {expected}")


def staging_tables(conn: psycopg.Connection[Any]) -> list[str]:
    """Where guards stage rows: _recon.guard_pending, and _recon.guard_spill since 0006."""
    return [t for t in ("_recon.guard_pending", "_recon.guard_spill")
            if conn.execute("SELECT to_regclass(%s)", (t,)).fetchone()[0]]


def counters(conn: psycopg.Connection[Any]) -> tuple[int, int, int, int]:
    staged = " + ".join(f"(SELECT count(*) FROM {t})" for t in staging_tables(conn))
    return conn.execute(
        "SELECT (SELECT last_value - (NOT is_called)::int FROM transfer_seq), "
        "(SELECT last_value - (NOT is_called)::int FROM wallet_transaction_id_seq), "
        f"(SELECT count(*) FROM _recon.alert), {staged}"
    ).fetchone()


def prepare(conn: psycopg.Connection[Any]) -> None:
    """Every phase starts alike: vacuumed, nothing staged, right after a checkpoint."""
    conn.execute("VACUUM wallet_account")
    conn.execute("VACUUM wallet_transaction")
    for table in staging_tables(conn):
        conn.execute(f"VACUUM {table}")
    conn.execute("CHECKPOINT")


def parse(out: str) -> dict[str, Any]:
    def num(pattern: str) -> float:
        m = re.search(pattern, out, re.M)
        if m is None:
            sys.exit(f"pgbench output without /{pattern}/:\n{out}")
        return float(m.group(1))
    res: dict[str, Any] = {
        "tps": num(r"^tps = ([\d.]+)"),
        "latency": num(r"^latency average = ([\d.]+) ms"),
        "xacts": int(num(r"^number of transactions actually processed: (\d+)")),
        "failed": int(num(r"^number of failed transactions: (\d+)")),
        "statements": {},
    }
    stmt = re.compile(r"^\s+([\d.]+)\s+\d+\s+(\S.*)$")
    for line in out.split("statement latencies", 1)[-1].splitlines()[1:]:
        m = stmt.match(line)
        if m and not m.group(2).startswith("\\"):
            res["statements"][f"{len(res['statements']) + 1}. {m.group(2)[:56]}"] = float(
                m.group(1))
    return res


def pgbench_cmd(dsn: str, clients: int, jobs: int, seconds: int, pool: int, fixed: int,
                per_statement: bool = False) -> list[str]:
    return [str(_bindir() / "pgbench"), "-n", "-M", "prepared", "-c", str(clients),
            "-j", str(min(jobs, clients)), "-T", str(seconds), "-f", str(SCRIPT),
            "-D", f"pool={pool}", "-D", f"fixed={fixed}", *(["-r"] if per_statement else []),
            dsn]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def run_pgbench(conn: psycopg.Connection[Any], cmds: list[list[str]]) -> list[dict[str, Any]]:
    """Run pgbench processes side by side; stop unless every transfer committed cleanly."""
    c0 = counters(conn)
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env()) for c in cmds]
    outs = [p.communicate()[0] for p in procs]
    c1 = counters(conn)
    results = []
    for p, out in zip(procs, outs, strict=True):
        if p.returncode != 0 or "aborted" in out:
            sys.exit(f"pgbench failed (exit {p.returncode}):\n{out}")
        results.append(parse(out))
    xacts = sum(r["xacts"] for r in results)
    failed = sum(r["failed"] for r in results)
    problems = []
    if failed:
        problems.append(f"{failed} failed transactions")
    if c1[0] - c0[0] != xacts or c1[1] - c0[1] != 2 * xacts:
        problems.append(f"{xacts} transfers but {c1[0] - c0[0]} transfer ids and "
                        f"{c1[1] - c0[1]} entries")
    if c1[2] != c0[2]:
        problems.append(f"{c1[2] - c0[2]} alerts raised by correct transfers")
    if c1[3]:
        problems.append(f"{c1[3]} rows left in _recon.guard_pending or _recon.guard_spill")
    if problems:
        sys.exit("WRONG: " + "; ".join(problems))
    return results


def order(r: int, names: list[str]) -> list[str]:
    k = r % len(names)
    rot = names[k:] + names[:k]
    return rot if r % 2 == 0 else rot[::-1]


def spread(xs: list[float]) -> str:
    m = statistics.median(xs)
    return f"{m:,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"


def build(dsn: str, sql_dir: Path, pool: int, entries: int, hot: int, fresh: int) -> None:
    print(f"building {pool:,} wallets with {entries:,} entries, a hot wallet with {hot:,}, "
          f"{fresh} fresh wallets", flush=True)
    t0 = time.perf_counter()
    cli = Path(sys.executable).with_name("wallet-recon")
    subprocess.run([str(cli), "install", "--database", dsn, "--sql-dir", str(sql_dir)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"  {'wallet-recon install':<44} {time.perf_counter() - t0:8.1f} s", flush=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        step(conn, "schema", SCHEMA)
        step(conn, "wallet_transaction (INSERT ... SELECT)", ENTRIES, hot=hot, pool=pool,
             total=entries + hot)
        step(conn, "wallet_account, indexes", WALLETS, pool=pool, fresh=fresh)
        step(conn, "VACUUM ANALYZE", "VACUUM ANALYZE wallet_account;\n"
             "VACUUM ANALYZE wallet_transaction")
        step(conn, "register sources + balance check", REGISTER)
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def facts(conn: psycopg.Connection[Any], args: argparse.Namespace, sql_label: str) -> None:
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    print("\n### Machine and settings\n")
    print(f"- cores: {os.cpu_count()}, memory: {mem / 2**20:.1f} GiB, load average: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"- {conn.execute('SELECT version()').fetchone()[0]}")
    print(f"- toolkit SQL: {sql_label}")
    shown = ", ".join(f"{s}={conn.execute(f'SHOW {s}').fetchone()[0]}" for s in SHOWN)
    print(f"- settings: {shown}")
    print(f"- pgbench: bench/transfer.sql, -M prepared, {args.clients} clients, "
          f"{args.jobs} threads, {args.seconds} s per run, {args.repeat} runs per phase, "
          "over TCP to 127.0.0.1")
    for table in ("wallet_account", "wallet_transaction"):
        n, heap, total = conn.execute(
            f"SELECT count(*), pg_size_pretty(pg_relation_size('{table}')), "
            f"pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}").fetchone()
        print(f"- {table}: {n:,} rows, heap {heap}, with indexes {total}")
    hot = conn.execute("SELECT count(*) FROM wallet_transaction WHERE wallet_id = %s",
                       (args.wallets + 1,)).fetchone()[0]
    print(f"- hot wallet {args.wallets + 1}: {hot:,} entries; fresh wallets "
          f"{args.wallets + 2}-{args.wallets + 1 + args.repeat * len(HOT_PHASES)}: none")


def measure_phases(conn: psycopg.Connection[Any], dsn: str, args: argparse.Namespace
                   ) -> dict[str, list[float]]:
    """Every guard run bracketed by no-guard runs: none, g1, none, g2, ..., none; the guards'
    order rotates from round to round. A guard run's ratio is its TPS over the mean of the two
    no-guard runs around it, so that load elsewhere on the machine cancels out."""
    guarded = [n for n in args.phases.split(",") if n != "none"]
    if unknown := set(guarded) - set(PHASES):
        sys.exit(f"unknown phases: {', '.join(sorted(unknown))}")
    names = ["none", *guarded]
    tps: dict[str, list[float]] = {n: [] for n in names}
    lat: dict[str, list[float]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in guarded}

    def run(label: str, name: str) -> float:
        set_guards(conn, name)
        probe(conn, name)
        prepare(conn)
        res = run_pgbench(conn, [pgbench_cmd(dsn, args.clients, args.jobs, args.seconds,
                                             args.wallets, 0)])[0]
        tps[name].append(res["tps"])
        lat[name].append(res["latency"])
        print(f"  {label} {name:<13} {res['tps']:9.1f} tps  {res['latency']:7.3f} ms"
              f"  ({res['xacts']:,} transfers)", flush=True)
        return res["tps"]

    print("\nwarm-up (no guard, not reported)", flush=True)
    set_guards(conn, "none")
    prepare(conn)
    run_pgbench(conn, [pgbench_cmd(dsn, args.clients, args.jobs, max(5, args.seconds // 2),
                                   args.wallets, 0)])
    before = run("run 1", "none")
    for r in range(args.repeat):
        for name in order(r, guarded):
            t = run(f"run {r + 1}", name)
            after = run(f"run {r + 1}", "none")
            ratios[name].append(t / ((before + after) / 2))
            before = after
    base = statistics.median(tps["none"])
    print(f"\n### Transfers per second ({args.clients} clients; {args.repeat} runs per guard "
          f"phase, {len(tps['none'])} without a guard; median, min-max)\n")
    print("| phase | guards | TPS | latency (ms) | TPS / no guard (bracketed) | cost | target "
          "| |\n|---|---|---:|---:|---:|---:|---|---|")
    for name in names:
        guards = ", ".join(f"{k} ({o['mode']})" for k, o in PHASES[name]) or "-"
        if name == "none":
            print(f"| none | - | {spread(tps[name])} | {statistics.median(lat[name]):.3f} "
                  "| 1 | - | - | |")
            continue
        ratio = statistics.median(ratios[name])
        target = TARGETS.get(name)
        verdict = "" if target is None else ("met" if 1 - ratio <= target else "**NOT met**")
        print(f"| {name} | {guards} | {spread(tps[name])} | {statistics.median(lat[name]):.3f} "
              f"| {ratio:.3f} ({min(ratios[name]):.3f}-{max(ratios[name]):.3f}) "
              f"| {1 - ratio:+.1%} | {f'<= {target:.0%}' if target else '-'} | {verdict} |")
    print("\nTPS / no guard from the medians instead: " + "; ".join(
        f"{n} {statistics.median(tps[n]) / base:.3f}" for n in guarded))
    return tps


def measure_hot(conn: psycopg.Connection[Any], dsn: str, args: argparse.Namespace) -> None:
    hot = args.wallets + 1
    fresh = iter(range(args.wallets + 2, args.wallets + 2 + args.repeat * len(HOT_PHASES)))
    lat: dict[str, dict[str, list[float]]] = {p: {"hot": [], "fresh": []} for p in HOT_PHASES}
    tps: dict[str, dict[str, list[float]]] = {p: {"hot": [], "fresh": []} for p in HOT_PHASES}
    stmts: dict[str, dict[str, list[dict[str, float]]]] = {
        p: {"hot": [], "fresh": []} for p in HOT_PHASES}
    print("\nhot against fresh: 1 client each, side by side", flush=True)
    for r in range(args.repeat):
        for name in order(r, HOT_PHASES):
            set_guards(conn, name)
            probe(conn, name)
            f = next(fresh)
            n_hot, n_fresh = (conn.execute(
                "SELECT count(*) FROM wallet_transaction WHERE wallet_id = %s", (w,)
            ).fetchone()[0] for w in (hot, f))
            if n_fresh != 0 or n_hot < args.hot:
                sys.exit(f"WRONG: hot wallet has {n_hot} entries, fresh wallet {f} {n_fresh}")
            prepare(conn)
            res = dict(zip(("hot", "fresh"), run_pgbench(conn, [
                pgbench_cmd(dsn, 1, 1, args.seconds, args.wallets, w, per_statement=True)
                for w in (hot, f)]), strict=True))
            for side in ("hot", "fresh"):
                lat[name][side].append(res[side]["latency"])
                tps[name][side].append(res[side]["tps"])
                stmts[name][side].append(res[side]["statements"])
            print(f"  run {r + 1} {name:<11} hot ({n_hot:,} entries) "
                  f"{res['hot']['latency']:.3f} ms, fresh (wallet {f}) "
                  f"{res['fresh']['latency']:.3f} ms", flush=True)
    print(f"\n### Hot wallet ({args.hot:,}+ entries) against a fresh one (none), 1 client each, "
          f"side by side; median of {args.repeat} runs\n")
    print("| guard | hot: ms per transfer | fresh: ms per transfer | hot / fresh | target |")
    print("|---|---:|---:|---:|---|")
    for name in HOT_PHASES:
        h, fr = (statistics.median(lat[name][s]) for s in ("hot", "fresh"))
        ratios = [a / b for a, b in zip(lat[name]["hot"], lat[name]["fresh"], strict=True)]
        verdict = ("met" if h <= fr else "within 5 % (noise)" if h <= fr * 1.05
                   else "**NOT met**") if name.startswith("drift") else "(control)"
        print(f"| {name} | {h:.3f} ({min(lat[name]['hot']):.3f}-{max(lat[name]['hot']):.3f}) "
              f"| {fr:.3f} ({min(lat[name]['fresh']):.3f}-{max(lat[name]['fresh']):.3f}) "
              f"| {h / fr:.3f} (runs: {' '.join(f'{x:.3f}' for x in ratios)}) "
              f"| hot <= fresh: {verdict} |")
    if len(HOT_PHASES) == 2:
        g, c = HOT_PHASES
        added = {side: statistics.median(lat[g][side]) - statistics.median(lat[c][side])
                 for side in ("hot", "fresh")}
        print(f"\nWhat the {g} guard adds per transfer (median with it - median without): "
              f"hot {added['hot']:.3f} ms, fresh {added['fresh']:.3f} ms.")
    print("\nPer statement (pgbench -r, ms, median of the runs), drift guard on:\n")
    print("| statement | hot | fresh |\n|---|---:|---:|")
    for key in stmts[HOT_PHASES[0]]["hot"][0]:
        h, fr = (statistics.median(s.get(key, float("nan")) for s in stmts[HOT_PHASES[0]][side])
                 for side in ("hot", "fresh"))
        print(f"| `{key.strip()}` | {h:.3f} | {fr:.3f} |")


def profile(conn: psycopg.Connection[Any], dsn: str, args: argparse.Namespace,
            phase: str) -> None:
    """One pgbench client under track_functions and pg_stat_statements: where the time goes."""
    db = conninfo_to_dict(dsn)["dbname"]
    set_guards(conn, phase)
    probe(conn, phase)
    for setting, value in (("track_functions", "all"), ("compute_query_id", "on"),
                           ("pg_stat_statements.track", "all"),
                           ("pg_stat_statements.track_planning", "on")):
        conn.execute(f"ALTER DATABASE {db} SET {setting} = '{value}'")
    try:
        prepare(conn)
        conn.execute("SELECT pg_stat_reset()")
        conn.execute("SELECT pg_stat_statements_reset()")
        res = run_pgbench(conn, [pgbench_cmd(dsn, 1, 1, args.profile_seconds, args.wallets, 0,
                                             per_statement=True)])[0]
        time.sleep(1)  # the backend's last statistics reach the collector
        n = res["xacts"]
        funcs = conn.execute("""
            SELECT schemaname || '.' || funcname, calls, total_time / calls * 1000,
                   self_time / calls * 1000
            FROM pg_stat_user_functions WHERE calls > 0 ORDER BY total_time DESC""").fetchall()
        stmts = conn.execute("""
            SELECT calls, plans, total_plan_time / NULLIF(plans, 0) * 1000,
                   total_exec_time / NULLIF(calls, 0) * 1000,
                   (total_plan_time + total_exec_time) / %s * 1000, toplevel,
                   regexp_replace(query, '\\s+', ' ', 'g')
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = %s)
            ORDER BY total_plan_time + total_exec_time DESC LIMIT 14""", (n, db)).fetchall()
        table = conn.execute("""
            SELECT seq_scan, seq_tup_read, idx_scan, n_tup_ins, n_tup_upd, n_tup_del,
                   pg_relation_size(relid) / 8192
            FROM pg_stat_user_tables WHERE relid = '_recon.guard_pending'::regclass""").fetchone()
    finally:
        for setting in ("track_functions", "compute_query_id", "pg_stat_statements.track",
                        "pg_stat_statements.track_planning"):
            conn.execute(f"ALTER DATABASE {db} RESET {setting}")
    print(f"\n### Profile: {phase}, 1 client, {args.profile_seconds} s: {n:,} transfers, "
          f"{res['latency']:.3f} ms each (profiling included)\n")
    print("pgbench -r, ms per statement: " + "; ".join(
        f"`{k.split('. ', 1)[1][:24].strip()}` {v:.3f}" for k, v in res["statements"].items()))
    if funcs:
        print("\ntrack_functions = all, µs per call (self: without the functions it calls):\n")
        print("| function | calls per transfer | total µs | self µs |\n|---|---:|---:|---:|")
        for name, calls, total, self_ in funcs:
            print(f"| {name} | {calls / n:.2f} | {total:.1f} | {self_:.1f} |")
    print("\n_recon.guard_pending per transfer: {:.2f} seq scans ({:.1f} rows read), {:.2f} index "
          "scans, {:.2f} inserts, {:.2f} updates, {:.2f} deletes; {} pages at the end".format(
              *(x / n for x in table[:6]), table[6]))
    print("\npg_stat_statements, nested statements included (µs):\n")
    print("| per transfer: calls | plans | plan / plan | exec / call | µs | top | statement |")
    print("|---:|---:|---:|---:|---:|---|---|")
    for calls, plans, plan, exe, per, top, query in stmts:
        print(f"| {calls / n:.2f} | {plans / n:.2f} | {plan or 0:.1f} | {exe or 0:.1f} "
              f"| {per:.1f} | {'y' if top else 'n'} | `{query[:100]}` |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=100_000, help="wallets taking part")
    p.add_argument("--entries", type=int, default=1_000_000, help="their history")
    p.add_argument("--hot", type=int, default=1_000_000, help="the hot wallet's history")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--jobs", type=int, default=2, help="pgbench threads")
    p.add_argument("--seconds", type=int, default=20, help="per pgbench run")
    p.add_argument("--repeat", type=int, default=3, help="runs per phase")
    p.add_argument("--phases", default=",".join(PHASES),
                   help="comma-separated, of: " + " ".join(PHASES) + " (none always runs)")
    p.add_argument("--no-hot", action="store_true", help="skip hot against fresh")
    p.add_argument("--profile-seconds", type=int, default=10, help="0: no profile")
    p.add_argument("--profile", default="none,drift_block", help="phases to profile")
    p.add_argument("--synchronous-commit", choices=["on", "off"], default="on")
    p.add_argument("--sql-dir", type=Path, default=ROOT, help="toolkit SQL to install")
    p.add_argument("--sql-label", help="what the --sql-dir copy is, for the report")
    p.add_argument("--sql-commit", metavar="REV",
                   help="install the SQL of this commit of the checkout (git archive)")
    p.add_argument("--database", help="a superuser connection to an existing server")
    args = p.parse_args()
    sql_dir = args.sql_dir.resolve()
    sql_label = source() if sql_dir == ROOT else f"scratch copy {sql_dir}"
    if args.sql_label:
        sql_label += f" ({args.sql_label})"
    scratch = None
    if args.sql_commit:
        scratch = Path(tempfile.mkdtemp(prefix="wallet-recon-sql-"))
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.sql_commit,
                                  *SQL_DIRS], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
        head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s",
                               args.sql_commit], capture_output=True, text=True).stdout
        sql_dir, sql_label = scratch, f"commit {head.strip()[:72]} (git archive, as committed)"
    settings = {**SETTINGS, **DURABLE, **PROFILING, "synchronous_commit": args.synchronous_commit}
    try:
        with throwaway_database(args.database, "recon_guards", settings=settings) as dsn:
            build(dsn, sql_dir, args.wallets, args.entries, args.hot,
                  args.repeat * len(HOT_PHASES))
            print(f"\n## {json.dumps({k: str(v) for k, v in vars(args).items()})}")
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.add_notice_handler(lambda _: None)  # drift_warn probes: the warning
                facts(conn, args, sql_label)
                measure_phases(conn, dsn, args)
                if not args.no_hot:
                    measure_hot(conn, dsn, args)
                for phase in args.profile.split(",") if args.profile_seconds else []:
                    profile(conn, dsn, args, phase)
                set_guards(conn, "none")
                t0 = time.perf_counter()
                found = conn.execute("SELECT count(*) FROM recon.check_balance").fetchone()[0]
                print(f"\nbalance check over every wallet at the end: {found} findings "
                      f"({time.perf_counter() - t0:.1f} s)")
                if found:
                    sys.exit("WRONG: the transfers left wallets out of line with the ledger")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
