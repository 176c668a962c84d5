"""Benchmark: recon.fix() repairing 10,000 drifted wallets among 1,000,000, against a full check.

Run from the repository root:

    .venv/bin/python bench/fix.py          # 1,000,000 wallets, 10,000,000 entries, 10,000 drifted
    .venv/bin/python bench/fix.py --wallets 20000 --entries 200000 --drifted 2000   # smoke run

One database, built like bench/check_engine.py's (the runbook's schema, an index on the ledger's
wallet column, one balance check) plus an INSERT writer for the ledger. Two rounds on it:

1. --drifted wallets drift (stored balance moved, no ledger entry); recon.reconcile() (the full
   check) and the check view alone are timed; then recon.fix()'s dry run (the plan), and its
   apply with the default strategy, resync (stored balances moved back: one UPDATE per wallet
   source). A reconcile afterwards must find nothing.
2. Another --drifted wallets drift; the same, applied with force_strategy => 'adjust' (one
   ledger entry per wallet posted through the writer).

The last dry run and the apply of each round run with track_functions = all and
pg_stat_statements.track = all (nested statements included; a clock reading and a hash lookup
per call): their breakdown by function and statement is printed. --explain-ms N also runs each
apply once more, rolled back, with auto_explain (ANALYZE) of its statements over N ms. Without
--database it starts a throwaway PostgreSQL (migrator.cluster.ThrowawayCluster,
check_engine.py's settings plus pg_stat_statements preloaded) and removes it at the end; with
--database URL (a superuser connection) it creates a scratch database there and drops it at the
end. A benchmark, not a test: nothing here asserts a time; it refuses to report timings of a
repair that did not repair exactly the drift.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import CHECK, SETTINGS, ThrowawayCluster, build, facts, fmt, step
from throwaway import throwaway_database

WRITER = """SELECT recon.register_writer('ledger', '{"columns": {"type": "ADJUSTMENT"}}')"""
# Round 2's drift: other wallets than round 1's, the same kind of amounts.
REDRIFT = """
SELECT setseed(0.8);
CREATE TABLE bench_drift2 AS
SELECT id, ((CASE WHEN random() < 0.5 THEN -1 ELSE 1 END) * (1 + floor(random() * 999)) / 100)
           ::numeric(14, 2) AS delta
FROM wallet_account AS w WHERE NOT EXISTS (SELECT FROM bench_drift AS d WHERE d.id = w.id)
ORDER BY random() LIMIT %(drift)s;
UPDATE wallet_account AS wa SET balance = wa.balance + d.delta, updated_at = now()
FROM bench_drift2 AS d WHERE d.id = wa.id;
VACUUM ANALYZE wallet_account;
VACUUM ANALYZE bench_drift2
"""
FIX = """SELECT status, count(*) FROM recon.fix(
    dry_run => %(dry)s, ticket => %(ticket)s, reason => %(reason)s,
    force_strategy => %(strategy)s, wallet_limit => %(wl)s, run_limit => %(rl)s)
GROUP BY status"""
CHECK_COUNT = f"SELECT count(*) FROM recon.check_{CHECK}"
RECONCILE = "SELECT recon.reconcile()"
WALLET_LIMIT = 10  # the drift is at most 9.99 per wallet (the check's low_limit is 10)


def timed(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any] | None = None
          ) -> tuple[float, list[tuple[Any, ...]]]:
    t0 = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    return time.perf_counter() - t0, rows


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def open_findings(conn: psycopg.Connection[Any]) -> dict[str, Decimal]:
    return dict(conn.execute("SELECT wallet_key, difference FROM recon.open_findings "
                             "WHERE check_name = %s", [CHECK]).fetchall())


def fix_params(strategy: str | None, dry: bool, drift: int) -> dict[str, Any]:
    return {"dry": dry, "ticket": None if dry else "BENCH-7",
            "reason": None if dry else "bench/fix.py", "strategy": strategy,
            "wl": WALLET_LIMIT, "rl": WALLET_LIMIT * drift}


def verify_reconcile(conn: psycopg.Connection[Any], summary: dict[str, Any],
                     drift: dict[str, Decimal], when: str) -> None:
    found = open_findings(conn)
    if found != drift or summary["findings"] != len(drift):
        sys.exit(f"WRONG ANSWER: reconcile {when} found {summary['findings']} findings, "
                 f"expected exactly the {len(drift):,} drifted wallets")


def verify_fix(rows: list[tuple[Any, ...]], status: str, drift: dict[str, Decimal],
               what: str) -> None:
    got = dict(rows)
    if got != {status: len(drift)}:
        sys.exit(f"WRONG ANSWER: {what} returned {got}, expected {{{status!r}: {len(drift)}}}")


def verify_applied(conn: psycopg.Connection[Any], strategy: str, drift: dict[str, Decimal],
                   first_new_entry: int) -> None:
    fix_id = conn.execute("SELECT max(id) FROM _recon.fix").fetchone()[0]
    audit = dict(conn.execute("SELECT wallet_key, difference FROM _recon.repair "
                              "WHERE fix_id = %s AND strategy = %s", [fix_id, strategy]))
    if audit != drift:
        sys.exit(f"WRONG ANSWER: the audit of fix {fix_id} does not list exactly the drift")
    posted = {str(k): v for k, v in conn.execute(
        "SELECT wallet_id, sum(amount) FROM wallet_transaction WHERE id >= %s GROUP BY 1",
        [first_new_entry])}
    if posted != (drift if strategy == "adjust" else {}):
        sys.exit(f"WRONG ANSWER: {strategy} posted {len(posted):,} wallets' entries")
    if strategy == "adjust":
        bad = conn.execute("""SELECT count(*) FROM wallet_transaction AS t
                              JOIN wallet_account AS w ON w.id = t.wallet_id
                              WHERE t.id >= %s AND t.balance_after <> w.balance""",
                           [first_new_entry]).fetchone()[0]
        if bad:
            sys.exit(f"WRONG ANSWER: {bad} adjustment entries carry a wrong balance_after")


class Profiler:
    """Function and statement statistics of one call, where the server offers them.

    track_functions and pg_stat_statements (track = all, nested statements included) cost a
    clock reading and a hash lookup per call: they stay on for the timed calls. auto_explain
    (ANALYZE) costs more, so it runs only in an extra apply that is rolled back (--explain-ms).
    """

    def __init__(self, conn: psycopg.Connection[Any], explain_ms: int | None) -> None:
        self.conn = conn
        self.statements = conn.execute(
            "SELECT 'pg_stat_statements' = ANY (string_to_array(replace(current_setting("
            "'shared_preload_libraries'), ' ', ''), ','))").fetchone()[0]
        if self.statements:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.explain_ms = explain_ms
        if explain_ms is not None:
            try:
                conn.execute("LOAD 'auto_explain'")
            except psycopg.Error:
                self.explain_ms = None
        self.plans: list[str] = []
        self.capturing = False
        conn.add_notice_handler(self._notice)
        self.before: dict[str, tuple[int, float, float]] = {}

    def describe(self) -> str:
        return (f"track_functions, pg_stat_statements "
                f"{'(track = all)' if self.statements else 'not preloaded: no statements'}, "
                + (f"auto_explain over {self.explain_ms} ms in a rolled-back extra apply"
                   if self.explain_ms is not None else "no auto_explain"))

    def _notice(self, diag: psycopg.errors.Diagnostic) -> None:
        if self.capturing and diag.message_primary and "duration:" in diag.message_primary:
            self.plans.append(diag.message_primary)

    def functions(self) -> dict[str, tuple[int, float, float]]:
        self.conn.execute("SELECT pg_stat_force_next_flush()")
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        return {f"{s}.{n}": (c, t, st) for s, n, c, t, st in self.conn.execute(
            "SELECT schemaname, funcname, calls, total_time, self_time "
            "FROM pg_stat_user_functions WHERE schemaname IN ('recon', '_recon')")}

    def start(self) -> None:
        self.conn.execute("SET track_functions = 'all'")
        self.before = self.functions()
        if self.statements:
            self.conn.execute("SET pg_stat_statements.track = 'all'")
            self.conn.execute("SELECT pg_stat_statements_reset()")

    def stop(self) -> dict[str, Any]:
        c = self.conn
        stmts: list[tuple[Any, ...]] = []
        if self.statements:
            c.execute("RESET pg_stat_statements.track")
            stmts = c.execute("""SELECT calls, total_exec_time / 1000, rows, query
                                 FROM pg_stat_statements
                                 WHERE dbid = (SELECT oid FROM pg_database
                                               WHERE datname = current_database())
                                   AND query NOT LIKE 'SET %%' AND query NOT LIKE 'RESET %%'
                                   AND query !~ 'pg_stat_(statements_reset|force_next_flush)'
                                 ORDER BY total_exec_time DESC LIMIT 12""").fetchall()
        c.execute("RESET track_functions")
        after = self.functions()
        funcs = []
        for name, (calls, total, self_t) in after.items():
            b = self.before.get(name, (0, 0.0, 0.0))
            if calls > b[0]:
                funcs.append((name, calls - b[0], (total - b[1]) / 1000, (self_t - b[2]) / 1000))
        funcs.sort(key=lambda f: -f[2])
        return {"functions": funcs, "statements": stmts}

    def explain(self, sql: str, params: dict[str, Any]) -> tuple[float, list[str]]:
        """The call once more with auto_explain (ANALYZE) on, rolled back: its slow statements."""
        c = self.conn
        for k, v in {"log_min_duration": self.explain_ms, "log_analyze": "on",
                     "log_nested_statements": "on", "log_level": "notice",
                     "log_timing": "on"}.items():
            c.execute(f"SET auto_explain.{k} = '{v}'")
        self.plans = []
        self.capturing = True
        try:
            with c.transaction(force_rollback=True):
                t, _ = timed(c, sql, params)
        finally:
            self.capturing = False
            c.execute("SET auto_explain.log_min_duration = -1")
        return t, list(self.plans)


def print_profile(what: str, prof: dict[str, Any], elapsed: float, funcs: int = 99,
                  statements: int = 12) -> None:
    print(f"\n#### {what}: {elapsed:.3f} s\n")
    if funcs:
        print("Functions (pg_stat_user_functions; total includes the functions it calls):\n")
        print("| function | calls | total (s) | self (s) | share of the call |")
        print("|---|---:|---:|---:|---:|")
        for f, calls, total, self_t in prof["functions"][:funcs]:
            print(f"| {f} | {calls:,} | {total:.3f} | {self_t:.3f} | {total / elapsed:.0%} |")
        print()
    if prof["statements"]:
        print(f"Statements, nested ones included (pg_stat_statements.track = all), top "
              f"{statements} by time:\n")
        print("| calls | total (s) | rows | statement |\n|---:|---:|---:|---|")
        for calls, total, nrows, query in prof["statements"][:statements]:
            q = re.sub(r"\s+", " ", query).strip().replace("|", "\\|")
            q = q if len(q) <= 110 else q[:110] + "..."
            print(f"| {calls:,} | {total:.3f} | {nrows:,} | `{q}` |")
    if prof.get("plans"):
        print(f"\nauto_explain (ANALYZE) of an extra apply, rolled back "
              f"({prof['explain_time']:.3f} s with the instrumentation): "
              f"{len(prof['plans'])} statement(s) over the threshold.\n\n```text")
        for p in prof["plans"]:
            print(p.rstrip())
            print()
        print("```")


def one_round(conn: psycopg.Connection[Any], profiler: Profiler, n: int, strategy: str | None,
              drift: dict[str, Decimal], repeat: int, plan_repeat: int,
              results: dict[str, Any]) -> None:
    label = strategy or "resync"
    print(f"\n### Round {n}: {len(drift):,} drifted wallets, strategy {label}\n", flush=True)
    print(f"load average: {load()}")
    t, rows = timed(conn, RECONCILE)
    verify_reconcile(conn, rows[0][0], drift, "before the repair")
    print(f"  warm-up reconcile {t:8.3f} s  {rows[0][0]['findings']:,} findings  ok", flush=True)
    r: dict[str, Any] = {"reconcile": [], "reconcile_profiles": [], "check": [], "plan": [],
                         "wallets": len(drift)}
    dry = fix_params(strategy, True, len(drift))
    for i in range(max(repeat, plan_repeat)):  # round robin: noise from elsewhere spreads evenly
        line = f"  repeat {i + 1}:"
        if i < repeat:
            t, rows = timed(conn, CHECK_COUNT)
            if rows[0][0] != len(drift):
                sys.exit(f"WRONG ANSWER: the check view finds {rows[0][0]}, not {len(drift)}")
            r["check"].append(t)
            profiler.start()
            t, rows = timed(conn, RECONCILE)
            r["reconcile_profiles"].append(profiler.stop())
            verify_reconcile(conn, rows[0][0], drift, "before the repair")
            r["reconcile"].append(t)
            line += f" check view {r['check'][-1]:8.3f} s  reconcile {r['reconcile'][-1]:8.3f} s"
        if i < plan_repeat:
            last = i == plan_repeat - 1
            if last:
                profiler.start()
            t, rows = timed(conn, FIX, dry)
            if last:
                r["plan_profile"] = profiler.stop()
            verify_fix(rows, "planned", drift, "the dry run")
            r["plan"].append(t)
            line += f"  dry run {t:8.3f} s"
        print(line, flush=True)
    params = fix_params(strategy, False, len(drift))
    if profiler.explain_ms is not None:
        r["explain_time"], r["plans"] = profiler.explain(FIX, params)
        print(f"  apply with auto_explain, rolled back {r['explain_time']:8.3f} s", flush=True)
    first_new = conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM wallet_transaction"
                             ).fetchone()[0]
    print(f"load average: {load()}")
    profiler.start()
    r["apply"], rows = timed(conn, FIX, params)
    r["apply_profile"] = profiler.stop()
    print(f"load average: {load()}")
    verify_fix(rows, "applied", drift, "the apply")
    verify_applied(conn, label, drift, first_new)
    print(f"  apply ({label}) {r['apply']:8.3f} s  {len(drift):,} applied, audit ok", flush=True)
    r["after"], rows = timed(conn, RECONCILE)
    if rows[0][0]["findings"] != 0 or open_findings(conn):
        sys.exit(f"WRONG ANSWER: reconcile after the {label} repair found "
                 f"{rows[0][0]['findings']} findings")
    print(f"  reconcile after the repair {r['after']:8.3f} s  0 findings  ok", flush=True)
    results[label] = r


def measure(dsn: str, drifted: int, repeat: int, plan_repeat: int,
            explain_ms: int | None) -> None:
    results: dict[str, Any] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        step(conn, "register the INSERT writer", WRITER)
        facts(conn)
        profiler = Profiler(conn, explain_ms)
        print(f"- profiling: {profiler.describe()}")
        drift1 = {f"{k}": d for k, d in conn.execute("SELECT id, delta FROM bench_drift")}
        one_round(conn, profiler, 1, None, drift1, repeat, plan_repeat, results)
        print()
        step(conn, f"drift {drifted:,} other wallets", REDRIFT, drift=drifted)
        drift2 = {f"{k}": d for k, d in conn.execute("SELECT id, delta FROM bench_drift2")}
        one_round(conn, profiler, 2, "adjust", drift2, repeat, plan_repeat, results)
        print(f"load average at the end: {load()}")
    print(f"\n### Timings, seconds: medians of {repeat} (dry run: of {plan_repeat}) with min-max;"
          " each apply once\n")
    print("| round | strategy | check view count(*) | reconcile (full check) | dry run (plan) "
          "| apply | reconcile after |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for n, (label, r) in enumerate(results.items(), 1):
        print(f"| {n} | {label} | {fmt(r['check'])} | {fmt(r['reconcile'])} | {fmt(r['plan'])} "
              f"| {r['apply']:.3f} | {r['after']:.3f} |")
    print("\n### Repairs\n")
    print("| strategy | wallets repaired | apply (s) | wallets/s | apply / reconcile "
          "| apply / check view | dry run / reconcile |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in results.items():
        rec = statistics.median(r["reconcile"])
        print(f"| {label} | {r['wallets']:,} | {r['apply']:.3f} "
              f"| {r['wallets'] / r['apply']:,.0f} | {r['apply'] / rec:.2f} "
              f"| {r['apply'] / statistics.median(r['check']):.2f} "
              f"| {statistics.median(r['plan']) / rec:.2f} |")
    for label, r in results.items():
        print_profile(f"The {label} apply", r["apply_profile"] | {
            "plans": r.get("plans"), "explain_time": r.get("explain_time")}, r["apply"])
        print_profile(f"The {label} dry run (its last repeat)", r["plan_profile"], r["plan"][-1],
                      funcs=8)
        times = r["reconcile"]
        slow, fast = times.index(max(times)), times.index(min(times))
        for which, i in (("slowest", slow), ("fastest", fast)):
            print_profile(f"recon.reconcile() before the {label} repair, the {which} repeat",
                          r["reconcile_profiles"][i], times[i], funcs=0, statements=6)
            if slow == fast:
                break


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=1_000_000)
    p.add_argument("--entries", type=int, default=10_000_000)
    p.add_argument("--drifted", type=int, default=10_000, help="wallets drifted per round")
    p.add_argument("--database", help="a superuser connection to an existing server")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--plan-repeat", type=int, help="dry runs per round (default: --repeat)")
    p.add_argument("--explain-ms", type=int,
                   help="also run each apply with auto_explain (ANALYZE) of its statements over "
                        "this many ms, rolled back, and print their plans")
    args = p.parse_args()
    if args.drifted * 2 > args.wallets:
        p.error("--drifted: two rounds need 2 x drifted <= wallets")
    cluster = None
    if args.database is None:
        cluster = ThrowawayCluster(settings=SETTINGS | {
            "shared_preload_libraries": "'pg_stat_statements'"})
        if not (cluster.bindir.parent / "lib" / "pg_stat_statements.so").exists():
            cluster = ThrowawayCluster(settings=SETTINGS)
    with throwaway_database(args.database, "recon_bench_fix", cluster=cluster) as dsn:
        build(dsn, args.wallets, args.entries, args.drifted)
        print(f"\n## {json.dumps(vars(args))}")
        measure(dsn, args.drifted, args.repeat, args.plan_repeat or args.repeat,
                args.explain_ms)


if __name__ == "__main__":
    main()
