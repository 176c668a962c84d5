"""Benchmark: incremental reconcile on an operation ledger that reads parent rows.

Run from the repository root:

    .venv/bin/python bench/parents.py                   # 100,000 wallets, 1,000,000 operations
    .venv/bin/python bench/parents.py --wallets 2000 --operations 20000   # smoke run
    .venv/bin/python bench/parents.py --hot 0.2         # a fifth of transactions from wallet 0

A Midaz-like ledger (tests/fixtures/shapes/operation.sql's shape, trimmed): `txn` (status,
pending), `operation` (two per transaction: a DEBIT from one wallet, a CREDIT to another;
`transaction_id` with a foreign key and an index, `balance_id` with an index), `balance`
(available, on_hold). The balance check reads the transaction's status (a filter: NOTED does not
count) and its `pending` flag (a rule key: a pending transaction's DEBIT takes from on_hold).
A full reconcile leaves the watermark; then --changes transactions are NOTED (parent rows only,
no ledger row written, the balances left as they were: each is drift on two wallets) and 1,000
new operations posted; then an incremental reconcile and a full one on the same data, timed. The
incremental run must have run incrementally and found what the full run found, or no timing is
reported. With --hot, that share of transactions debit wallet 0 (Midaz's @external account):
a parent change under it re-sums that wallet's whole history. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_engine import ROOT, SETTINGS
from throwaway import throwaway_database

SCHEMA = """
SELECT setseed(0.14);
CREATE TABLE balance (id bigint PRIMARY KEY, available numeric(14, 2) NOT NULL DEFAULT 0,
                      on_hold numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE txn (id bigint PRIMARY KEY, status text NOT NULL, pending boolean NOT NULL);
INSERT INTO balance (id) SELECT g FROM generate_series(0, %(wallets)s) AS g;
INSERT INTO txn SELECT g, 'APPROVED', random() < 0.1 FROM generate_series(1, %(txns)s) AS g;
CREATE TABLE operation (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES txn,
    type text NOT NULL,
    amount numeric(14, 2) NOT NULL,
    balance_id bigint NOT NULL
);
INSERT INTO operation (transaction_id, type, amount, balance_id)
SELECT t.id, o.type, t.amount, CASE o.type WHEN 'DEBIT' THEN t.src ELSE t.dst END
FROM (SELECT g AS id, round((0.01 + random() * 99.99)::numeric, 2) AS amount,
             CASE WHEN random() < %(hot)s THEN 0
                  ELSE 1 + floor(random() * %(wallets)s)::bigint END AS src,
             1 + floor(random() * %(wallets)s)::bigint AS dst
      FROM generate_series(1, %(txns)s) AS g) AS t
CROSS JOIN (VALUES ('DEBIT'), ('CREDIT')) AS o (type)
ORDER BY t.id, o.type DESC;
CREATE INDEX operation_transaction ON operation (transaction_id);
CREATE INDEX operation_balance ON operation (balance_id);
UPDATE balance AS b SET available = s.available, on_hold = s.on_hold
FROM (SELECT o.balance_id,
             sum(CASE WHEN o.type = 'CREDIT' THEN o.amount
                      WHEN NOT t.pending THEN -o.amount ELSE 0 END) AS available,
             sum(CASE WHEN o.type = 'DEBIT' AND t.pending THEN -o.amount ELSE 0 END) AS on_hold
      FROM operation AS o JOIN txn AS t ON t.id = o.transaction_id GROUP BY o.balance_id) AS s
WHERE s.balance_id = b.id;
VACUUM ANALYZE balance;
VACUUM ANALYZE txn;
VACUUM ANALYZE operation;
"""

REGISTER = """
SELECT recon.register_wallet_source('bal', 'balance', 'id', ARRAY['available', 'on_hold']);
SELECT recon.register_ledger_source('ops', 'bal', 'operation', 'balance_id', 'amount', '{
    "parents": {"tx": {"table": "txn", "key": "id", "via": "transaction_id"}},
    "filters": [{"column": "tx.status", "op": "<>", "value": "NOTED"}],
    "operation": ["type", "tx.pending"],
    "effects": [
        {"when": {"type": "DEBIT", "tx.pending": "true"}, "effect": {"on_hold": -1}},
        {"when": {"type": "DEBIT"}, "effect": {"available": -1}},
        {"when": {"type": "CREDIT"}, "effect": {"available": 1}}],
    "order_by": "seq"}');
SELECT recon.register_check('balance', 'balance', '{"ledger": "ops"}');
"""

# Parent rows only: transactions NOTED, their operations and the balances left alone.
CHANGES = """
UPDATE txn SET status = 'NOTED'
WHERE id IN (SELECT 1 + floor(random() * %(txns)s)::bigint FROM generate_series(1, %(n)s))
"""
# New operations, under new transactions, with their balance updates.
NEW = """
INSERT INTO txn SELECT %(txns)s + g, 'APPROVED', FALSE FROM generate_series(1, 500) AS g;
INSERT INTO operation (transaction_id, type, amount, balance_id)
SELECT %(txns)s + g, o.type, 1, CASE o.type WHEN 'DEBIT' THEN g ELSE g + 1 END
FROM generate_series(1, 500) AS g CROSS JOIN (VALUES ('DEBIT'), ('CREDIT')) AS o (type);
UPDATE balance SET available = available - 1 WHERE id BETWEEN 1 AND 500;
UPDATE balance SET available = available + 1 WHERE id BETWEEN 2 AND 501;
"""


def timed(conn: psycopg.Connection[Any], mode: str) -> tuple[float, dict[str, Any], set]:
    t0 = time.perf_counter()
    summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
    elapsed = time.perf_counter() - t0
    found = set(conn.execute("SELECT wallet_key, details ->> 'column', difference"
                             " FROM _recon.finding WHERE last_seen_run = %s",
                             (summary["run_id"],)).fetchall())
    return elapsed, summary, found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wallets", type=int, default=100_000)
    p.add_argument("--operations", type=int, default=1_000_000)
    p.add_argument("--changes", type=int, default=100, help="parent rows NOTED after the watermark")
    p.add_argument("--hot", type=float, default=0.0,
                   help="share of transactions that debit wallet 0")
    p.add_argument("--database", help="a superuser connection to an existing server")
    args = p.parse_args()
    txns = args.operations // 2
    with throwaway_database(args.database, "recon_parents", settings=SETTINGS,
                            install=ROOT) as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        t0 = time.perf_counter()
        for stmt in (SCHEMA % {"wallets": args.wallets, "txns": txns, "hot": args.hot}
                     ).split(";\n"):
            if stmt.strip():
                conn.execute(stmt)
        conn.execute(REGISTER)
        print(f"built {args.wallets:,} wallets, {txns * 2:,} operations in"
              f" {time.perf_counter() - t0:.1f} s", flush=True)
        first, summary, _ = timed(conn, "full")
        assert summary["runs"]["balance"]["watermark"] == "set", summary["runs"]
        conn.execute(CHANGES, {"txns": txns, "n": args.changes})
        conn.execute(NEW % {"txns": txns})
        incr, summary, inc_found = timed(conn, "incremental")
        if summary["runs"]["balance"] != {"mode": "incremental"}:
            raise SystemExit(f"the incremental run ran in full: {summary['runs']}")
        full, _, full_found = timed(conn, "full")
        if inc_found != full_found:
            raise SystemExit(f"incremental != full: {len(inc_found ^ full_found)} differ")
        hot_entries = conn.execute("SELECT count(*) FROM operation WHERE balance_id = 0"
                                   ).fetchone()[0]
    print(f"\n### Parent rows: {args.wallets:,} wallets, {txns * 2:,} operations,"
          f" {args.changes} transactions NOTED + 1,000 new operations"
          f" (wallet 0: {hot_entries:,} operations)\n")
    print("| first full (s) | incremental (s) | full (s) | full / incremental | findings (equal) |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {first:.2f} | {incr:.3f} | {full:.2f} | {full / incr:.1f} | {len(full_found):,} |")


if __name__ == "__main__":
    main()
