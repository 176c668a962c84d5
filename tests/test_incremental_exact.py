"""Incremental mode sees an UPDATE or DELETE of an old ledger entry exactly (issue 17): through
the toolkit's trigger recon_ledger_write (migration 0024), recorded in the writing transaction,
not through table statistics, which every backend flushes up to a second late (PostgreSQL 14
missed such a write made just before the run). Core: statistics are flushed differently on
each major."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)


def setup(conn: psycopg.Connection, ledger: str = "") -> None:
    conn.execute("CREATE SCHEMA n")
    conn.execute("CREATE TABLE n.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0)")
    conn.execute(ledger or "CREATE TABLE n.e (id bigint GENERATED ALWAYS AS IDENTITY,"
                           " wid int NOT NULL, amt numeric NOT NULL)")
    conn.execute("SELECT recon.register_wallet_source('nw', 'n.w', 'id', ARRAY['bal'])")
    conn.execute("SELECT recon.register_ledger_source('ne', 'nw', 'n.e', 'wid', 'amt',"
                 " '{\"order_by\": \"id\"}')")
    conn.execute("SELECT recon.register_check('nb', 'balance', '{\"ledger\": \"ne\"}')")


def run(conn: psycopg.Connection, mode: str) -> tuple[dict, set]:
    summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
    found = conn.execute("SELECT wallet_key, difference FROM _recon.finding"
                         " WHERE last_seen_run = %s", (summary["run_id"],)).fetchall()
    return summary["runs"]["nb"], set(found)


WRITES = [
    # (the write to an old entry, the drift it leaves on wallet 1)
    ("UPDATE n.e SET amt = amt + 1 WHERE id = %s", -1),
    ("DELETE FROM n.e WHERE id = %s", 10),
]


def test_an_old_entry_written_just_before_the_run_is_never_missed(
        conn: psycopg.Connection) -> None:
    """Write, then reconcile at once, over and over from another session: the statistics of
    all but the first write in a second are not flushed yet. Every incremental run is full
    and says why, and finds the drift the write left."""
    setup(conn)
    with psycopg.connect(conn.info.dsn, autocommit=True) as w:
        for i in range(6):
            sql, drift = WRITES[i % 2]
            with w.transaction():
                w.execute("INSERT INTO n.w (id, bal) VALUES (1, 0) ON CONFLICT (id) DO UPDATE"
                          " SET bal = 0")
                w.execute("DELETE FROM n.e")
                w.execute("INSERT INTO n.e (wid, amt) VALUES (1, 10), (1, 10)")
                w.execute("UPDATE n.w SET bal = 20 WHERE id = 1")
            assert run(conn, "full")[1] == set()
            old = w.execute("SELECT min(id) FROM n.e").fetchone()[0]
            w.execute(sql, (old,))
            mode, found = run(conn, "incremental")
            assert found == {("1", drift)}, (i, mode, found)
            assert mode["mode"] == "full", (i, mode)
            assert mode["why_full"].startswith(
                "ledger entries were updated or deleted since the watermark"), (i, mode)


def test_a_write_committed_while_the_run_waits_is_seen(conn: psycopg.Connection) -> None:
    """An UPDATE of an old entry in a transaction the incremental run waits for, committed
    during that wait (after the run looked for writes, before it reads the wallets): the run
    sees it in its last look and is full, with the drift found."""
    setup(conn)
    conn.execute("INSERT INTO n.w (id, bal) VALUES (1, 20)")
    conn.execute("INSERT INTO n.e (wid, amt) VALUES (1, 10), (1, 10)")
    assert run(conn, "full")[1] == set()
    result: dict = {}
    with psycopg.connect(conn.info.dsn) as w:
        w.execute("UPDATE n.e SET amt = 7 WHERE id = 1")  # open: the run waits for it

        def reconcile() -> None:
            with psycopg.connect(conn.info.dsn, autocommit=True) as r:
                result["run"] = run(r, "incremental")

        t = threading.Thread(target=reconcile)
        t.start()
        time.sleep(0.4)
        w.commit()
        t.join(30)
    mode, found = result["run"]
    assert found == {("1", 3)}, (mode, found)
    assert mode["mode"] == "full" and "updated or deleted" in mode["why_full"], mode
    assert run(conn, "full")[1] == {("1", 3)}


def test_a_partitioned_ledger_has_the_trigger_on_every_partition(
        conn: psycopg.Connection) -> None:
    """One row trigger on the partitioned table, cloned to each partition created after
    registration; an UPDATE straight
    into a partition is seen. The writes recorded are deleted once no watermark needs them."""
    setup(conn, "CREATE TABLE n.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,"
                " amt numeric NOT NULL) PARTITION BY RANGE (wid)")
    conn.execute("CREATE TABLE n.e1 PARTITION OF n.e FOR VALUES FROM (0) TO (10)")
    conn.execute("CREATE TABLE n.e2 PARTITION OF n.e FOR VALUES FROM (10) TO (20)")
    triggers = conn.execute("SELECT tgrelid::regclass::text FROM pg_trigger"
                            " WHERE tgname = 'recon_ledger_write' ORDER BY 1").fetchall()
    assert triggers == [("n.e",), ("n.e1",), ("n.e2",)]
    conn.execute("INSERT INTO n.w VALUES (1, 20), (11, 5)")
    conn.execute("INSERT INTO n.e (wid, amt) VALUES (1, 10), (1, 10), (11, 5)")
    mode, _ = run(conn, "full")
    mode, found = run(conn, "incremental")
    if conn.info.server_version < 170000:  # before 17 a partition has no identity of its own
        assert "GENERATED ALWAYS" in mode["why_full"], mode
        return
    assert mode == {"mode": "incremental"} and found == set()
    conn.execute("UPDATE n.e2 SET amt = 6")
    mode, found = run(conn, "incremental")
    assert "updated or deleted since the watermark (n.e2)" in mode["why_full"], mode
    assert found == {("11", -1)}
    assert conn.execute("SELECT count(*) FROM _recon.ledger_write").fetchone()[0] == 0


def test_an_inheritance_child_created_later_lacks_the_trigger_and_the_run_says_so(
        conn: psycopg.Connection) -> None:
    """A statement trigger on each table of an inheritance tree (a statement fires only those
    of the table it names). A child created after registration has none: the ledger cannot be
    shown unchanged, and the reason names the child."""
    setup(conn, "CREATE TABLE n.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,"
                " amt numeric NOT NULL)")
    conn.execute("CREATE TABLE n.c1 () INHERITS (n.e)")
    conn.execute("SELECT _recon.ledger_write_install('n.e'::regclass, 'id')")
    assert conn.execute(
        "SELECT tgrelid::regclass::text, tgtype & 1 FROM pg_trigger"
        " WHERE tgname = 'recon_ledger_write' ORDER BY 1").fetchall() == [("n.c1", 0), ("n.e", 0)]
    conn.execute("CREATE TABLE n.c2 () INHERITS (n.e)")
    why = conn.execute("SELECT _recon.incremental_unsupported(l) FROM _recon.ledger_source AS l"
                       " WHERE l.name = 'ne'").fetchone()[0]
    # (the children's id is no identity of their own: the order_by rule speaks first)
    assert "n.c1" in why and "GENERATED ALWAYS" in why, why
    untracked = conn.execute("SELECT relid::regclass::text FROM _recon.incremental_tables("
                             "'n.e'::regclass) WHERE NOT tracked").fetchall()
    assert untracked == [("n.c2",)]



@pytest.mark.parametrize("kind", ["partitioned", "inheritance"])
def test_a_bigserial_ledger_split_in_tables_runs_incrementally(conn: psycopg.Connection,
                                                               kind: str) -> None:
    """Issue 14: a partitioned or inheritance-partitioned ledger with bigserial ids (a default
    every partition or child shares; before PostgreSQL 17 a partition has no identity) runs
    incrementally: the trigger recon_ledger_order records an entry written into a partition or
    child with an id at or below the published bound, and that run is full."""
    setup(conn, "CREATE TABLE n.e (id bigserial, wid int NOT NULL, amt numeric NOT NULL)"
                + (" PARTITION BY RANGE (wid)" if kind == "partitioned" else ""))
    if kind == "partitioned":
        conn.execute("CREATE TABLE n.e1 PARTITION OF n.e FOR VALUES FROM (0) TO (10)")
        conn.execute("CREATE TABLE n.e2 PARTITION OF n.e FOR VALUES FROM (10) TO (20)")
    else:  # children made before registration: an inheritance child gets no trigger later
        conn.execute("DROP TRIGGER recon_ledger_write ON n.e")
        conn.execute("DROP TRIGGER recon_ledger_order ON n.e")
        conn.execute("CREATE TABLE n.e1 () INHERITS (n.e)")
        conn.execute("CREATE TABLE n.e2 () INHERITS (n.e)")
        conn.execute("SELECT _recon.ledger_write_install('n.e'::regclass, 'id')")
    conn.execute("INSERT INTO n.w VALUES (1, 20), (11, 5)")
    conn.execute("INSERT INTO n.e1 (wid, amt) VALUES (1, 10), (1, 10)")
    conn.execute("INSERT INTO n.e2 (wid, amt) VALUES (11, 5)")
    assert run(conn, "full")[0] == {"mode": "full", "watermark": "set"}
    conn.execute("INSERT INTO n.e2 (wid, amt) VALUES (11, 1)")  # id 4, and drift of 1
    mode, found = run(conn, "incremental")
    assert mode == {"mode": "incremental"} and found == {("11", -1)}, (mode, found)
    # straight into a child, with the writer's id, below the bound: recorded
    conn.execute("INSERT INTO n.e1 (id, wid, amt) VALUES (2, 1, 3)")
    mode, found = run(conn, "incremental")
    assert mode["why_full"].startswith("an entry was inserted with an ordering id"), mode
    assert "(n.e1)" in mode["why_full"] and found == {("11", -1), ("1", -3)}, (mode, found)
    assert run(conn, "full")[1] == found


def test_drop_source_takes_the_triggers_off(conn: psycopg.Connection) -> None:
    """recon.drop_source() of the last ledger source with "order_by" on a table drops the
    triggers of 0024 and the bound sequence: nothing of the toolkit stays on the user's table."""
    setup(conn, "CREATE TABLE n.e (id bigserial, wid int NOT NULL, amt numeric NOT NULL)")
    trig = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'recon\\_ledger\\_%'"
    seq = "SELECT count(*) FROM pg_class WHERE relname LIKE 'ledger\\_bound\\_%'"
    assert conn.execute(trig).fetchone()[0] == 2 and conn.execute(seq).fetchone()[0] == 1
    conn.execute("SELECT recon.drop_check('nb')")
    conn.execute("SELECT recon.drop_source('ne')")
    assert conn.execute(trig).fetchone()[0] == 0 and conn.execute(seq).fetchone()[0] == 0


def test_the_owner_of_a_partitioned_ledger_creates_partitions(
        conn: psycopg.Connection) -> None:
    """The tables' owner, a role that is neither a superuser nor the toolkit's owner, creates
    and attaches partitions of an incrementally checked partitioned ledger: PostgreSQL clones
    the row triggers recon_ledger_write and recon_ledger_order to them as that role, which
    failed with "permission denied for function" before. register_ledger_source grants it
    EXECUTE on their functions (_recon.ledger_write_grant); writes straight into the new
    partitions are seen by the next incremental run."""
    # a role is the cluster's: made once, never dropped here (another database may use it)
    conn.execute("DO $$ BEGIN CREATE ROLE ne_owner NOSUPERUSER;"
                 " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    conn.execute("CREATE SCHEMA n AUTHORIZATION ne_owner")
    with conn.transaction():
        conn.execute("SET LOCAL ROLE ne_owner")
        conn.execute("CREATE TABLE n.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0)")
        conn.execute("CREATE TABLE n.e (id bigserial, wid int NOT NULL, amt numeric NOT NULL)"
                     " PARTITION BY RANGE (wid)")
        conn.execute("CREATE TABLE n.e1 PARTITION OF n.e FOR VALUES FROM (0) TO (10)")
    conn.execute("SELECT recon.register_wallet_source('nw', 'n.w', 'id', ARRAY['bal'])")
    conn.execute("SELECT recon.register_ledger_source('ne', 'nw', 'n.e', 'wid', 'amt',"
                 " '{\"order_by\": \"id\"}')")
    conn.execute("SELECT recon.register_check('nb', 'balance', '{\"ledger\": \"ne\"}')")
    with conn.transaction():
        conn.execute("SET LOCAL ROLE ne_owner")
        conn.execute("CREATE TABLE n.e2 PARTITION OF n.e FOR VALUES FROM (10) TO (20)")
        conn.execute("CREATE TABLE n.e3 (LIKE n.e INCLUDING DEFAULTS)")
        conn.execute("ALTER TABLE n.e ATTACH PARTITION n.e3 FOR VALUES FROM (20) TO (30)")
        conn.execute("INSERT INTO n.w VALUES (1, 20), (11, 5), (21, 0)")
        conn.execute("INSERT INTO n.e (wid, amt) VALUES (1, 10), (1, 10), (11, 5)")
    assert conn.execute("SELECT tgrelid::regclass::text FROM pg_trigger"
                        " WHERE tgname = 'recon_ledger_order' ORDER BY 1").fetchall() == [
        ("n.e",), ("n.e1",), ("n.e2",), ("n.e3",)]
    assert run(conn, "full")[0] == {"mode": "full", "watermark": "set"}
    with conn.transaction():
        conn.execute("SET LOCAL ROLE ne_owner")
        conn.execute("INSERT INTO n.e2 (id, wid, amt) VALUES (1, 11, 3)")  # below the bound
        conn.execute("UPDATE n.e3 SET amt = amt")
    mode, found = run(conn, "incremental")
    assert "(n.e2)" in mode["why_full"] and found == {("11", -3)}, (mode, found)
