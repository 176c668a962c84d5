"""What the triggers of migration 0024 cost a writer (issue 17): recon_ledger_write (AFTER
UPDATE OR DELETE) and recon_ledger_order (AFTER INSERT, only where order_by is not an identity
GENERATED ALWAYS). Each write is timed on the server (clock_timestamp around one DO block or
one statement), with the triggers firing and not (session_replication_role = replica),
interleaved; prints the medians, the ratio enabled / disabled and the load average. A
benchmark, not a test.

    .venv/bin/python bench/ledger_triggers.py --repeats 5 --port 55301
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from throwaway import throwaway_server

from migrator.core import Migrator

LEDGERS = {
    "plain bigserial (statement triggers)": (
        "CREATE TABLE b.e (id bigserial, wid int NOT NULL, amt numeric NOT NULL)", []),
    "partitioned bigserial (row triggers)": (
        "CREATE TABLE b.e (id bigserial, wid int NOT NULL, amt numeric NOT NULL)"
        " PARTITION BY RANGE (wid)",
        ["CREATE TABLE b.e0 PARTITION OF b.e FOR VALUES FROM (0) TO (500)",
         "CREATE TABLE b.e1 PARTITION OF b.e FOR VALUES FROM (500) TO (1000)"]),
    "plain identity ALWAYS (UPDATE/DELETE trigger only)": (
        "CREATE TABLE b.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,"
        " amt numeric NOT NULL)", []),
}

WRITES = {
    "20,000 one-row INSERT statements":
        "DO $$ BEGIN FOR i IN 1..20000 LOOP INSERT INTO b.e (wid, amt) VALUES (i % 1000, 1);"
        " END LOOP; END $$",
    "one INSERT of 200,000 rows":
        "INSERT INTO b.e (wid, amt) SELECT i % 1000, 1 FROM generate_series(1, 200000) AS i",
    "5,000 one-row UPDATE statements":
        "DO $$ BEGIN FOR i IN 1..5000 LOOP UPDATE b.e SET amt = amt WHERE id = i * 7 + 5;"
        " END LOOP; END $$",
}


def timed(conn: psycopg.Connection, sql: str) -> float:
    with conn.transaction():
        t0 = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        conn.execute(sql)
        t1 = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    return (t1 - t0).total_seconds()


def setup(dsn: str, ddl: str, extra: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        if c.execute("SELECT count(*) FROM _recon.check_def WHERE name = 'bb'").fetchone()[0]:
            c.execute("SELECT recon.drop_check('bb')")
            c.execute("SELECT recon.drop_source('be')")
            c.execute("SELECT recon.drop_source('bw')")
        c.execute("DROP SCHEMA IF EXISTS b CASCADE")
        c.execute("CREATE SCHEMA b")
        c.execute("CREATE TABLE b.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0)")
        c.execute("INSERT INTO b.w (id) SELECT generate_series(0, 999)")
        c.execute(ddl)
        for s in extra:
            c.execute(s)
        c.execute("INSERT INTO b.e (wid, amt) SELECT i % 1000, 0 FROM generate_series(1, 100000) i")
        c.execute("SELECT recon.register_wallet_source('bw', 'b.w', 'id', ARRAY['bal'])")
        c.execute("SELECT recon.register_ledger_source('be', 'bw', 'b.e', 'wid', 'amt',"
                  " '{\"order_by\": \"id\"}')")
        c.execute("SELECT recon.register_check('bb', 'balance', '{\"ledger\": \"be\"}')")
        c.execute("CREATE INDEX ON b.e (id)")
        c.execute("VACUUM ANALYZE b.e")
        c.execute("SELECT recon.reconcile()")  # publishes a bound: the INSERT check is live


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--port", default="55301")
    args = p.parse_args()
    with throwaway_server(None, {"port": args.port, "shared_buffers": "512MB"}) as dsn:
        Migrator(dsn, echo=lambda _line: None).upgrade()
        print(f"load before: {os.getloadavg()[0]:.2f}")
        print("| ledger | write | disabled (s) | enabled (s) | enabled / disabled |")
        print("|---|---|---:|---:|---:|")
        for lname, (ddl, extra) in LEDGERS.items():
            setup(dsn, ddl, extra)
            with psycopg.connect(dsn, autocommit=True) as c:
                for wname, sql in WRITES.items():
                    times: dict[bool, list[float]] = {True: [], False: []}
                    for r in range(args.repeats):
                        for on in ((True, False) if r % 2 == 0 else (False, True)):
                            # replica role: the triggers (enabled ORIGIN) do not fire
                            c.execute("SET session_replication_role = "
                                      + ("origin" if on else "replica"))
                            times[on].append(timed(c, sql))
                    c.execute("SET session_replication_role = origin")
                    off, on_ = statistics.median(times[False]), statistics.median(times[True])
                    print(f"| {lname} | {wname} | {off:.3f} | {on_:.3f} | {on_ / off:.2f} |",
                          flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
