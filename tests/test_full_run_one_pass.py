"""A full run's one pass (issue 17, item 2): with exact sums the run sums every entry, with no
condition on the ordering column (so an index on the wallet key INCLUDE the amount serves it
in key order), and its state is that less the entries above its bound; with float sums it sums
the settled entries on their own. Either way the state it leaves must be exactly the settled
entries: entries committed above the bound while the run waits, on a wallet with settled
entries and on a wallet with none, must be summed once by the next incremental run."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest


def post(conn: psycopg.Connection, wid: int, amt: int) -> None:
    """An entry and its balance, applied correctly in one transaction of conn."""
    with conn.transaction():
        conn.execute("INSERT INTO n.w (id) VALUES (%s) ON CONFLICT DO NOTHING", (wid,))
        conn.execute("INSERT INTO n.e (wid, amt) VALUES (%s, %s)", (wid, amt))
        conn.execute("UPDATE n.w SET bal = bal + %s WHERE id = %s", (amt, wid))


def run(conn: psycopg.Connection, mode: str) -> tuple[dict, set]:
    summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
    found = conn.execute("SELECT wallet_key, difference, details ->> 'cause' FROM _recon.finding"
                         " WHERE last_seen_run = %s", (summary["run_id"],)).fetchall()
    return summary["runs"]["nb"], set(found)


@pytest.mark.parametrize("amount_type", ["numeric", "double precision"])
def test_entries_above_the_full_runs_bound_are_summed_once(conn: psycopg.Connection,
                                                            amount_type: str) -> None:
    conn.execute("CREATE SCHEMA n")
    conn.execute("CREATE TABLE n.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0)")
    conn.execute("CREATE TABLE n.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,"
                 f" amt {amount_type} NOT NULL)")
    conn.execute("SELECT recon.register_wallet_source('nw', 'n.w', 'id', ARRAY['bal'])")
    conn.execute("SELECT recon.register_ledger_source('ne', 'nw', 'n.e', 'wid', 'amt',"
                 " '{\"order_by\": \"id\"}')")
    conn.execute("SELECT recon.register_check('nb', 'balance', '{\"ledger\": \"ne\"}')")
    post(conn, 1, 10)  # id 1
    with psycopg.connect(conn.info.dsn) as a, psycopg.connect(conn.info.dsn) as b, \
            psycopg.connect(conn.info.dsn) as d:
        a.execute("INSERT INTO n.w (id, bal) VALUES (4, 7)")
        a.execute("INSERT INTO n.e (wid, amt) VALUES (4, 7)")  # id 2, open
        post(b, 2, 5)  # id 3, committed: the full run's bound is 3, and it waits for a

        def late_commits() -> None:
            time.sleep(0.3)
            post(d, 1, 6)  # id 4, above the bound: a wallet with settled entries
            post(d, 3, 4)  # id 5, above the bound: the wallet's only entry
            time.sleep(0.2)
            a.commit()

        writer = threading.Thread(target=late_commits)
        writer.start()
        with psycopg.connect(conn.info.dsn, autocommit=True) as c:
            mode, found = run(c, "full")
        writer.join()
    assert mode == {"mode": "full", "watermark": "set"} and found == set(), (mode, found)
    assert conn.execute("SELECT order_bound FROM _recon.watermark").fetchone()[0] == 3
    # the state holds the settled entries only (ids 1-3): 10 on wallet 1, 5 on 2, none on 3,
    # 7 on 4
    table = conn.execute("SELECT _recon.balance_state_table(check_name)::text"
                         " FROM _recon.watermark").fetchone()[0]
    state = conn.execute(f"SELECT k, n, sums FROM {table} ORDER BY k").fetchall()
    assert [(k, n, [float(x) if x is not None else None for x in s]) for k, n, s in state] == [
        (1, 1, [10.0]), (2, 1, [5.0]), (3, 0, [None]), (4, 1, [7.0])], state
    # the next incremental run adds ids 4 and 5 once: nothing to find, then drift on each
    assert run(conn, "incremental") == ({"mode": "incremental"}, set())
    conn.execute("UPDATE n.w SET bal = bal + 1 WHERE id IN (1, 3)")
    mode, incremental = run(conn, "incremental")
    _, full = run(conn, "full")
    assert mode == {"mode": "incremental"} and incremental == full == {
        ("1", 1, None), ("3", 1, None)}, (mode, incremental, full)
