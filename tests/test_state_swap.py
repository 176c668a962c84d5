"""The incremental state of a balance check is a table of its own (migration 0032), keyed on the
wallet key's type, built by each full run as a new table and swapped in by the run's
transaction (docs/INCREMENTAL.md, "The state"): a run that fails leaves the old state live, two
runs at once leave one state, a dropped check leaves none, and an incremental run reads the
state by its key, only for the wallets it re-checks."""

from __future__ import annotations

import threading
import time

import psycopg
from test_incremental_never_wrong import incremental_equals_full, post, run, setup

LEDGER = ("CREATE TABLE n.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,"
          " amt numeric NOT NULL)")


def state(conn: psycopg.Connection) -> tuple[str | None, int | None, list[str]]:
    """The live state table of check nb, its generation, and every state table of nb."""
    live = conn.execute("SELECT _recon.balance_state_table('nb')::text,"
                        " (SELECT run_id FROM _recon.balance_state_mark)").fetchone()
    tables = [r[0] for r in conn.execute(
        "SELECT c.oid::regclass::text FROM pg_class AS c"
        " WHERE c.relnamespace = '_recon'::regnamespace AND c.relkind = 'r'"
        " AND c.relname LIKE 'bs\\_' || md5('nb') || '\\_%' ORDER BY 1")]
    return live[0], live[1], tables


def test_the_state_is_keyed_on_the_wallet_keys_type_and_replaced_whole(
        conn: psycopg.Connection) -> None:
    setup(conn, LEDGER)
    post(conn, 1, 10)
    run(conn, "full")
    first, _, tables = state(conn)
    assert tables == [first]
    assert conn.execute("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a"
                        " WHERE a.attrelid = %s::regclass AND a.attname = 'k'",
                        (first,)).fetchone()[0] == "integer"
    assert conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass"
                        " AND indisprimary", (first,)).fetchone()[0] == 1
    run(conn, "full")
    second, _, tables = state(conn)
    assert second != first and tables == [second]  # the old table went with the swap


def test_a_run_that_fails_after_the_swap_leaves_the_old_state_live(
        conn: psycopg.Connection) -> None:
    """Check nb's full run builds and swaps in its new state; check z_boom, run after it in
    the same run, fails: the whole run rolls back, and the state of the last good run is
    still live and whole (the next run is incremental and equals a full one)."""
    setup(conn, LEDGER)
    post(conn, 1, 10)
    post(conn, 2, 5)
    run(conn, "full")
    before = state(conn)
    conn.execute("CREATE TABLE n.boom (x int)")
    conn.execute("INSERT INTO n.boom VALUES (1)")
    conn.execute("SELECT recon.register_check('z_boom', 'custom', jsonb_build_object('query',"
                 " 'SELECT NULL::text AS wallet_key, 0 AS stored, 0 AS expected,"
                 " 1 / (SELECT count(*) FROM n.boom) AS difference, NULL::jsonb AS details'))")
    conn.execute("DELETE FROM n.boom")
    post(conn, 1, 3)
    conn.execute("UPDATE n.w SET bal = bal + 1 WHERE id = 2")  # drift
    try:
        conn.execute("SELECT recon.reconcile(NULL, 'full')")
        raise AssertionError("the run did not fail")
    except psycopg.errors.DivisionByZero:
        pass
    assert state(conn) == before
    conn.execute("SELECT recon.drop_check('z_boom')")
    mode, found = incremental_equals_full(conn)
    assert mode == {"mode": "incremental"} and found == {("2", 1, None)}, (mode, found)


def test_two_runs_at_once_leave_one_state(conn: psycopg.Connection) -> None:
    """An incremental run reads the state while a full run that will replace it waits for the
    run lock: the full run swaps in its state after, and one state is left, whole."""
    setup(conn, LEDGER)
    for w in range(1, 6):
        post(conn, w, w)
    run(conn, "full")
    post(conn, 3, 1)
    modes: dict[str, dict] = {}

    def one(mode: str) -> None:
        with psycopg.connect(conn.info.dsn, autocommit=True) as c:
            modes[mode] = run(c, mode)[0]

    # a transaction left open: the incremental run waits a second for it (docs/INCREMENTAL.md),
    # holding the run lock; the full run starts meanwhile and waits for the lock
    with psycopg.connect(conn.info.dsn) as idle:
        idle.execute("SELECT 1")
        threads = [threading.Thread(target=one, args=(m,)) for m in ("incremental", "full")]
        threads[0].start()
        time.sleep(0.3)
        threads[1].start()
        time.sleep(0.3)
        idle.rollback()
        for t in threads:
            t.join()
    assert modes == {"incremental": {"mode": "incremental"},
                     "full": {"mode": "full", "watermark": "set"}}, modes
    live, generation, tables = state(conn)
    assert tables == [live], tables
    assert generation == conn.execute("SELECT run_id FROM _recon.watermark").fetchone()[0]
    conn.execute("UPDATE n.w SET bal = bal - 1 WHERE id = 4")
    mode, found = incremental_equals_full(conn)
    assert mode == {"mode": "incremental"} and found == {("4", -1, None)}, (mode, found)


def test_the_state_of_a_dropped_check_is_gone(conn: psycopg.Connection) -> None:
    setup(conn, LEDGER)
    post(conn, 1, 10)
    run(conn, "full")
    assert state(conn)[2] != []
    conn.execute("SELECT recon.drop_check('nb')")
    assert state(conn) == (None, None, [])


def test_an_incremental_run_reads_the_state_only_for_what_changed(
        conn: psycopg.Connection) -> None:
    """O(change) without timing: in the run's own transaction, pg_stat_xact_user_tables counts
    what it read, scans priced out (enable_seqscan = off) as on a big table. The state and the ledger are never scanned whole: the state is probed by
    its key for the wallets re-checked (new entries, rows written, open findings), the
    ledger read by its ordering index above the bound. The wallet table is read once whole:
    its rows written since the last run are found by xmin (docs/INCREMENTAL.md, "Cost")."""
    setup(conn, LEDGER)
    conn.execute("CREATE INDEX ON n.e (id)")
    conn.execute("INSERT INTO n.w (id, bal) SELECT g, 1 FROM generate_series(1, 300) AS g")
    conn.execute("INSERT INTO n.e (wid, amt) SELECT g, 1 FROM generate_series(1, 300) AS g")
    conn.execute("ANALYZE n.w")
    conn.execute("ANALYZE n.e")
    run(conn, "full")
    post(conn, 7, 2)
    post(conn, 8, 2)
    conn.execute("UPDATE n.w SET bal = bal + 1 WHERE id = 9")  # drift, no entry
    for expected, found in ((3, {("9", 1, None)}), (1, {("9", 1, None)})):
        table = state(conn)[0]
        # a new backend: its pending counts are this transaction's alone
        with psycopg.connect(conn.info.dsn) as c:
            # on tables this small a scan is cheaper than probes: with scans priced out, what
            # is still scanned has no other way to be read
            c.execute("SET LOCAL enable_seqscan = off")
            summary = c.execute("SELECT recon.reconcile(NULL, 'incremental')").fetchone()[0]
            assert summary["runs"]["nb"] == {"mode": "incremental"}, summary
            reads = {r[0]: r[1:] for r in c.execute(
                "SELECT relid::regclass::text, seq_scan, idx_tup_fetch"
                " FROM pg_stat_xact_user_tables"
                " WHERE relid IN (%s::regclass, 'n.e'::regclass, 'n.w'::regclass)", (table,))}
        assert reads[table][0] == 0 and reads["n.e"][0] == 0, reads
        # wallets 7, 8, 9, then the open finding 9: each probed at most three times (the
        # new entries added, the re-check, the wallets that were none then)
        assert reads[table][1] <= 3 * expected, reads
        assert reads["n.w"][0] <= 1, reads
        assert run(conn, "full")[1] == found
