"""Benchmark: a full check read on a streaming standby, against pgbench writing to the primary.

Run from the repository root:

    .venv/bin/python bench/replica.py                    # 200,000 wallets, 2,000,000 entries
    .venv/bin/python bench/replica.py --wallets 1000000 --entries 10000000   # the issue's size
    .venv/bin/python bench/replica.py --wallets 10000 --entries 100000 --seconds 5  # smoke run
    .venv/bin/python bench/replica.py --incremental   # incremental checks (after one full run)

Starts a throwaway primary and its hot standby (tests/standby.py: pg_basebackup -R, both on
127.0.0.1, hot_standby_feedback on), builds check_engine.py's data on the primary (0.1 % of
wallets drifted) and pgbench's tables (scale 10) beside it, then, in rounds, runs pgbench
(TPC-B-like, --clients connections, --seconds each) against the primary three ways, in
turn (each round in another order, medians over rounds):

  alone      nothing else runs;
  replica    `wallet-recon check --replica` (the read on the standby, the run recorded on the
             primary) over and over while pgbench runs;
  primary    `wallet-recon check` on the primary over and over while pgbench runs.

With --incremental every check runs incrementally (`--incremental`; one full run first sets
the watermark): on the standby the increment is judged there from the state the primary sends
for the wallets to re-check (docs/SCALING.md). --port P puts the primary on P, the standby on
P + 1 (else free ports).

It prints the primary's TPS of each, as ratios to `alone` measured in the same round, with the
checks' durations and the 1-minute load average. A benchmark, not a test: it refuses to report
unless every check found exactly the drifted wallets. Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from check_engine import build  # noqa: E402
from standby import PrimaryAndStandby  # noqa: E402

from migrator.cluster import find_bindir  # noqa: E402

SETTINGS = {  # smaller than check_engine.py's: two servers share the machine
    "shared_buffers": "'512MB'",
    "work_mem": "'128MB'",
    "maintenance_work_mem": "'512MB'",
    "max_parallel_workers_per_gather": "2",
    "random_page_cost": "1.1",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'30min'",
}
DB = "recon_bench"
CLI = str(Path(sys.executable).with_name("wallet-recon"))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def pgbench(pair: PrimaryAndStandby, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run([str(find_bindir() / "pgbench"), *args, "-h", "127.0.0.1", "-p",
                           str(pair.primary.port), "-U", "postgres", DB],
                          capture_output=True, text=True, check=True, env=env)


def checks_while(stop: threading.Event, argv: list[str], drift: int, times: list[float],
                 errors: list[str], modes: set[str]) -> None:
    """Run `wallet-recon check ...` over and over until stop is set; each must find exactly the
    drifted wallets."""
    while not stop.is_set():
        t0 = time.perf_counter()
        proc = subprocess.run([CLI, "check", "--format", "json", "--limit", "0", *argv],
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        summary = json.loads(proc.stdout)["run"] if proc.returncode in (0, 1) else {}
        found = summary.get("findings")
        modes.update(r["mode"] for r in summary.get("runs", {}).values())
        if found != drift:
            errors.append(f"{argv[:1]} exit {proc.returncode}: {proc.stderr.strip()[:300]} "
                          f"findings {found} (expected {drift})")
            return
        times.append(elapsed)


def phase(pair: PrimaryAndStandby, how: str, seconds: int, clients: int,
          drift: int, extra: list[str], modes: set[str]) -> tuple[float, list[float], str]:
    stop = threading.Event()
    times: list[float] = []
    errors: list[str] = []
    worker = None
    primary = pair.primary_dsn(DB)
    if how != "alone":
        argv = ["--database", primary, *extra] + (
            ["--replica", pair.standby_dsn(DB), "--max-lag", "5min"] if how == "replica" else [])
        worker = threading.Thread(target=checks_while,
                                  args=(stop, argv, drift, times, errors, modes))
        worker.start()
        time.sleep(1)  # the check under way before pgbench starts
    out = pgbench(pair, "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds))
    la = load()
    stop.set()
    if worker:
        worker.join()
    if errors:
        sys.exit(f"refusing to report: {errors[0]}")
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    assert m, out.stdout
    return float(m.group(1)), times, la


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=200_000)
    p.add_argument("--entries", type=int, default=2_000_000)
    p.add_argument("--seconds", type=int, default=15, help="pgbench time per phase")
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--rounds", type=int, default=6,
                   help="rounds of the three phases, each round in another order")
    p.add_argument("--incremental", action="store_true")
    p.add_argument("--port", type=int, help="the primary's port (the standby's: + 1)")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    drift = max(1, args.wallets // 1000)
    extra = ["--incremental"] if args.incremental else []
    modes: set[str] = set()
    settings = {**SETTINGS, **({"port": str(args.port)} if args.port else {})}
    with PrimaryAndStandby(settings, args.port + 1 if args.port else None) as pair:
        print(f"primary on port {pair.primary.port}, standby on {pair.standby_port}, owned by "
              f"{pair.primary.owner}", flush=True)
        with psycopg.connect(pair.primary_dsn(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DB}")
        build(pair.primary_dsn(DB), args.wallets, args.entries, drift)
        pgbench(pair, "-i", "-s", "10", "-q")
        pair.caught_up(DB, timeout=600)
        if args.incremental:  # the watermark the incremental runs start from
            subprocess.run([CLI, "check", "--database", pair.primary_dsn(DB), "--limit", "0"],
                           capture_output=True, check=False)
            pair.caught_up(DB, timeout=600)
        kind = " (incremental)" if args.incremental else ""
        print(f"\n## replica bench{kind}: {args.wallets:,} wallets, {args.entries:,} entries, "
              f"{drift:,} drifted; pgbench -c {args.clients} -T {args.seconds}, "
              f"{args.rounds} round(s)", flush=True)
        print("| round | alone TPS | replica TPS (ratio) | primary TPS (ratio) | check on replica "
              "s (median) | check on primary s (median) | load 1/5/15 |")
        print("|---|---|---|---|---|---|---|")
        ratios: dict[str, list[float]] = {"replica": [], "primary": []}
        order = ["alone", "replica", "primary"]
        for r in range(1, args.rounds + 1):
            got = {}
            for how in order[r % 3:] + order[:r % 3]:  # each round in another order
                got[how] = phase(pair, how, args.seconds, args.clients, drift, extra, modes)
            alone, _, la = got["alone"]
            rep, rep_t, _ = got["replica"]
            pri, pri_t, la2 = got["primary"]
            ratios["replica"].append(rep / alone)
            ratios["primary"].append(pri / alone)
            print(f"| {r} | {alone:.0f} | {rep:.0f} ({rep / alone:.2f}) | {pri:.0f} "
                  f"({pri / alone:.2f}) | {statistics.median(rep_t) if rep_t else float('nan'):.1f}"
                  f" ({len(rep_t)} runs) | "
                  f"{statistics.median(pri_t) if pri_t else float('nan'):.1f} ({len(pri_t)} runs)"
                  f" | {la} .. {la2} |", flush=True)
        print(f"\nprimary TPS, median ratio to alone: with the check on the replica "
              f"{statistics.median(ratios['replica']):.2f}, with the check on the primary "
              f"{statistics.median(ratios['primary']):.2f}; check modes seen: {sorted(modes)}")
    print("throwaway primary and standby stopped and removed", flush=True)


if __name__ == "__main__":
    main()
