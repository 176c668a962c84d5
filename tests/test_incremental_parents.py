"""Incremental mode on ledgers that read parent rows (issue 14: each shape with "incremental
mode"; docs/INCREMENTAL.md "Parent rows").

A parent row written since the watermark (inserted, or updated: a filter column, a rule key, the
column that reaches a grandparent) is found by its xmin, the wallets under it through the index
on each link, and those wallets are summed afresh. After each kind of parent write, alone and
together with new ledger rows, an incremental run gives exactly what a full run gives, and says
it ran incrementally. Where that cannot be shown (no foreign key or no index on a link, a parent
table rewritten) it runs in full and says why. Two sessions changing parents (and balances with
them, atomically) while incremental runs go on never make a run report drift that is not there.

Fixtures: shapes/operation.sql (Midaz-like: operations under transactions; a filter on the
transaction's status, a rule keyed on its `pending` flag), incremental_parents.sql (transfer
rows under a transaction under a batch: a grandparent), and a parent table partitioned by its
key."""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from conftest import decimal_json, run

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)

Finding = tuple[str, str | None, str | None, Decimal]


def uid(name: str) -> str:
    """The operation fixture's name-derived uuid: md5(name)::uuid."""
    return str(uuid.UUID(hashlib.md5(name.encode()).hexdigest()))


C1, C2, EXT, M1 = uid("@customer-1"), uid("@customer-2"), uid("@external/BRL"), uid("@merchant-1")


@pytest.fixture
def mz(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A clone of the registered operation fixture."""
    return make_db(fixture_template("shapes/operation.sql"))


@pytest.fixture
def g(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A clone of the registered transaction/batch fixture."""
    return make_db(fixture_template("incremental_parents.sql"))


def found(dsn: str, mode: str = "full") -> tuple[dict, Counter[Finding]]:
    """recon.reconcile(NULL, mode): its summary, and the findings that run saw as (check,
    wallet, column, difference)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        decimal_json(c)
        summary = c.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
        with c.cursor(row_factory=dict_row) as cur:
            got = cur.execute("SELECT check_name, wallet_key, details ->> 'column' AS col,"
                              " difference FROM _recon.finding WHERE last_seen_run = %s",
                              (summary["run_id"],)).fetchall()
    assert len(got) == summary["findings"], (summary, got)
    return summary, Counter((r["check_name"], r["wallet_key"], r["col"], r["difference"])
                            for r in got)


def balance(got: Counter[Finding], check: str) -> Counter[Finding]:
    return Counter({f: n for f, n in got.items() if f[0] == check})


def incremental_then_full(dsn: str, check: str) -> Counter[Finding]:
    """An incremental run, which must have run the balance check incrementally, then a full
    run; both must find the same; the findings."""
    summary, incremental = found(dsn, "incremental")
    assert summary["runs"][check] == {"mode": "incremental"}, summary["runs"]
    _, full = found(dsn, "full")
    assert incremental == full
    return full


def D(x: str | int) -> Decimal:
    return Decimal(str(x))


# -- one parent: the operation ledger --------------------------------------------------------------

def test_a_parent_status_out_of_the_filter_and_back(mz: str) -> None:
    """tx7 NOTED: its operations leave through the filter on the transaction's status, and
    come back when it is APPROVED again, each time with no ledger row written."""
    first, got = found(mz)
    assert first["runs"]["mz_balance"] == {"mode": "full", "watermark": "set"}
    assert got == Counter()
    run(mz, "UPDATE mz.transaction SET status = 'NOTED' WHERE id = mz.uid('tx7')")
    assert balance(incremental_then_full(mz, "mz_balance"), "mz_balance") == Counter([
        ("mz_balance", C1, "available", D("-30.25")), ("mz_balance", M1, "available", D("30.25"))])
    run(mz, "UPDATE mz.transaction SET status = 'APPROVED' WHERE id = mz.uid('tx7')")
    assert incremental_then_full(mz, "mz_balance") == Counter()


def test_a_parent_key_of_a_rule_changes_which_rule_matches(mz: str) -> None:
    """tx3 no longer pending: its DEBIT matches the plain DEBIT rule (available) instead of
    committing the hold (on_hold)."""
    found(mz)
    run(mz, "UPDATE mz.transaction SET pending = FALSE WHERE id = mz.uid('tx3')")
    got = incremental_then_full(mz, "mz_balance")
    assert balance(got, "mz_balance") == Counter([
        ("mz_balance", C1, "available", D(200)), ("mz_balance", C1, "on_hold", D(-200))])


def test_a_parent_inserted_after_its_entries(mz: str) -> None:
    """An operation written before its transaction existed (the foreign key added NOT VALID
    afterwards) counts for nothing: no transaction, no status, the filter drops it. Its
    transaction inserted later makes it count: only the new parent row's xmin shows that."""
    run(mz, "ALTER TABLE mz.operation DROP CONSTRAINT operation_transaction_id_fkey",
        """INSERT INTO mz.operation (id, transaction_id, type, asset_code, amount,
               available_balance, on_hold_balance, available_balance_after,
               on_hold_balance_after, balance_version_before, balance_version_after, status,
               account_id, account_alias, balance_id, created_at)
           SELECT mz.uid('late-op'), mz.uid('tx-late'), 'DEBIT', 'BRL', 12, b.available,
                  b.on_hold, b.available - 12, b.on_hold, b.version, b.version + 1, 'APPROVED',
                  b.account_id, b.alias, b.id, '2026-02-09 10:00+00'
           FROM mz.balance AS b WHERE b.alias = '@customer-2'""",
        "ALTER TABLE mz.operation ADD CONSTRAINT operation_transaction_id_fkey"
        " FOREIGN KEY (transaction_id) REFERENCES mz.transaction (id) NOT VALID")
    _, before = found(mz)
    assert balance(before, "mz_balance") == Counter()
    run(mz, "SELECT mz.begin('tx-late', 'APPROVED', FALSE, 12, '2026-02-09 10:00+00')")
    got = incremental_then_full(mz, "mz_balance")
    assert balance(got, "mz_balance") == Counter([("mz_balance", C2, "available", D(12))])


def test_a_parent_deleted(mz: str) -> None:
    """A transaction with no operation deleted (the foreign key refuses to delete one that has
    some): nothing changes, and the run stays incremental."""
    run(mz, "SELECT mz.begin('tx-empty', 'CREATED', FALSE, 1, '2026-02-09 10:00+00')")
    found(mz)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        run(mz, "DELETE FROM mz.transaction WHERE id = mz.uid('tx7')")
    run(mz, "DELETE FROM mz.transaction WHERE id = mz.uid('tx-empty')")
    assert incremental_then_full(mz, "mz_balance") == Counter()


def test_parent_changes_and_new_entries_in_one_window(mz: str) -> None:
    """In one window: new transactions and operations, a pending transaction approved and
    committed (new operations under an old parent), an old one NOTED, a new one NOTED after its
    operations, and drift on a wallet none of them touches."""
    found(mz)
    run(mz,
        "SELECT mz.begin('tx9', 'CREATED', FALSE, 5, '2026-02-10 10:00+00')",
        "SELECT mz.operate('tx9', '@customer-2', 'DEBIT', 5, '2026-02-10 10:00+00')",
        "SELECT mz.operate('tx9', '@merchant-1', 'CREDIT', 5, '2026-02-10 10:00+00')",
        "SELECT mz.set_status('tx5', 'APPROVED', '2026-02-10 11:00+00')",
        "SELECT mz.operate('tx5', '@customer-1', 'DEBIT', 50, '2026-02-10 11:00+00')",
        "SELECT mz.operate('tx5', '@merchant-1', 'CREDIT', 50, '2026-02-10 11:00+00')",
        "UPDATE mz.transaction SET status = 'NOTED' WHERE id = mz.uid('tx2')",
        "SELECT mz.begin('tx10', 'CREATED', FALSE, 4, '2026-02-10 12:00+00')",
        "SELECT mz.operate('tx10', '@customer-1', 'CREDIT', 4, '2026-02-10 12:00+00')",
        "UPDATE mz.transaction SET status = 'NOTED' WHERE id = mz.uid('tx10')",
        "UPDATE mz.balance SET on_hold = on_hold + 1 WHERE alias = '@merchant-1'")
    got = incremental_then_full(mz, "mz_balance")
    assert balance(got, "mz_balance") == Counter([
        ("mz_balance", EXT, "available", D("-500.75")), ("mz_balance", C2, "available",
                                                          D("500.75")),
        ("mz_balance", C1, "available", D(4)), ("mz_balance", M1, "on_hold", D(1))])
    # and the next window starts from sums that are right
    run(mz, "UPDATE mz.transaction SET status = 'APPROVED' WHERE id = mz.uid('tx2')",
        "UPDATE mz.balance SET available = available - 4 WHERE alias = '@customer-1'",
        "UPDATE mz.balance SET on_hold = on_hold - 1 WHERE alias = '@merchant-1'")
    assert incremental_then_full(mz, "mz_balance") == Counter()


WHY_FK = ("parent tx: no foreign key from mz.operation (transaction_id) to mz.transaction (id): "
          "without one a parent row can be deleted, or its key changed, under old entries, "
          "unseen")
WHY_INDEX = ("parent tx: no index on mz.operation (transaction_id) to find the rows under a "
             "changed parent row without reading the whole table")
WHY_REWRITE = ("a parent table was truncated or rewritten, or a partition of it created, "
               "attached or detached, since the watermark")


@pytest.mark.parametrize(("change", "why"), [
    ("ALTER TABLE mz.operation DROP CONSTRAINT operation_transaction_id_fkey", WHY_FK),
    ("ALTER TABLE mz.transaction DISABLE TRIGGER ALL", WHY_FK),
    ("DROP INDEX mz.operation_transaction", WHY_INDEX),
])
def test_without_a_foreign_key_or_an_index_it_runs_in_full(mz: str, change: str,
                                                            why: str) -> None:
    """Without a foreign key on the link (or with its triggers disabled) a parent row could be
    deleted, or its key changed, under old entries unseen; without an index the entries under
    a changed parent cannot be found in proportion to the change. Full runs, saying why, and
    they still see parent changes."""
    run(mz, change)
    first, _ = found(mz)
    assert first["runs"]["mz_balance"] == {"mode": "full", "watermark": why}
    run(mz, "UPDATE mz.transaction SET status = 'NOTED' WHERE id = mz.uid('tx7')")
    summary, got = found(mz, "incremental")
    assert summary["runs"]["mz_balance"] == {"mode": "full", "why_full": why, "watermark": why}
    assert balance(got, "mz_balance") == Counter([
        ("mz_balance", C1, "available", D("-30.25")), ("mz_balance", M1, "available", D("30.25"))])


def test_a_parent_table_rewritten_runs_in_full_once(mz: str) -> None:
    found(mz)
    run(mz, "VACUUM FULL mz.transaction")
    summary, _ = found(mz, "incremental")
    assert summary["runs"]["mz_balance"] == {"mode": "full", "why_full": WHY_REWRITE,
                                             "watermark": "set"}
    run(mz, "UPDATE mz.transaction SET status = 'NOTED' WHERE id = mz.uid('tx7')")
    assert balance(incremental_then_full(mz, "mz_balance"), "mz_balance") == Counter([
        ("mz_balance", C1, "available", D("-30.25")), ("mz_balance", M1, "available", D("30.25"))])


# -- a grandparent: transfer rows under transactions under batches ---------------------------------

def test_the_grandparent_fixture_is_clean_and_incremental(g: str) -> None:
    first, got = found(g)
    assert got == Counter()
    assert first["runs"]["g_balance"] == {"mode": "full", "watermark": "set"}
    run(g, "SELECT g.post(7, 2, 'w2', 'w1', 1)")
    assert incremental_then_full(g, "g_balance") == Counter()


def test_a_grandparent_row_changed(g: str) -> None:
    """Batch 1 VOID: the transfers of every transaction in it (1: w1 -> w2 100, 2: w2 -> w3 40)
    stop counting; no transaction and no transfer row changed."""
    found(g)
    run(g, "UPDATE g.batch SET status = 'VOID' WHERE id = 1")
    assert incremental_then_full(g, "g_balance") == Counter([
        ("g_balance", "w1", "bal", D(-100)), ("g_balance", "w2", "bal", D(60)),
        ("g_balance", "w3", "bal", D(40))])
    run(g, "UPDATE g.batch SET status = 'CLOSED' WHERE id = 1")
    assert incremental_then_full(g, "g_balance") == Counter()


def test_a_parent_moved_to_another_grandparent(g: str) -> None:
    """Transaction 3 (w3 -> w4 25) moved into a new, VOID batch: its transfer stops counting
    through the column that reaches the grandparent; then a HELD transaction is posted and moved
    to an open batch, with its balances, in the same window as a new transfer."""
    found(g)
    run(g, "INSERT INTO g.batch VALUES (4, 'VOID')",
        "UPDATE g.txn SET batch_id = 4 WHERE id = 3")
    assert incremental_then_full(g, "g_balance") == Counter([
        ("g_balance", "w3", "bal", D(-25)), ("g_balance", "w4", "bal", D(25))])
    run(g, "UPDATE g.txn SET batch_id = 2 WHERE id = 3",
        "SELECT g.set_status(4, 'POSTED')", "UPDATE g.txn SET batch_id = 3 WHERE id = 4",
        "SELECT g.post(8, 3, 'w6', 'w5', 2)")
    assert incremental_then_full(g, "g_balance") == Counter()


def test_no_index_on_the_grandparent_link_runs_in_full(g: str) -> None:
    run(g, "DROP INDEX g.txn_batch")
    why = ("parent b: no index on g.txn (batch_id) to find the rows under a changed parent row "
           "without reading the whole table")
    first, _ = found(g)
    assert first["runs"]["g_balance"] == {"mode": "full", "watermark": why}
    run(g, "UPDATE g.batch SET status = 'VOID' WHERE id = 3")
    summary, got = found(g, "incremental")
    assert summary["runs"]["g_balance"]["why_full"] == why
    assert got == Counter([("g_balance", "w1", "bal", D(-3)), ("g_balance", "w5", "bal", D(-7)),
                           ("g_balance", "w6", "bal", D(10))])


def test_parents_written_by_two_sessions_during_incremental_runs(g: str) -> None:
    """Two sessions post held transactions (each one's parent row changed for the first time
    since long before the runs, between wallets chosen at random), flip batch 3 between OPEN
    and VOID, and post new transfers, each moving the balances in the same transaction (a
    correct application, with a pause inside each transaction), while incremental runs go on.
    No run may report drift: a run that judged a wallet and summed the parents under it at
    different moments would. Every run after the first full one is incremental. After the
    writers stop, incremental == full == nothing."""
    rng = random.Random(14)
    held = [(2000 + i, f"h{rng.randrange(30)}", f"h{rng.randrange(30)}", rng.randrange(1, 50))
            for i in range(400)]
    with psycopg.connect(g, autocommit=True) as c:
        c.execute("INSERT INTO g.wallet (id) SELECT 'h' || i FROM generate_series(0, 29) AS i")
        for txn, src, dst, amount in held:
            c.execute("SELECT g.post(%s, 2, %s, %s, %s, 'HELD')", (txn, src, dst, amount))
    found(g)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with psycopg.connect(g, autocommit=True) as c:
                for i, (txn, _, _, _) in enumerate(held[n::2]):
                    if stop.is_set():
                        break
                    with c.transaction():
                        c.execute("UPDATE g.txn SET status = 'POSTED' WHERE id = %s", (txn,))
                        c.execute("SELECT pg_sleep(0.005)")
                        c.execute("SELECT g.apply(%s, 1)", (txn,))
                        c.execute("SELECT g.post(%s, 2, 'w4', %s, 1)",
                                  (10000 * (n + 1) + i, f"w{n + 5}"))
                    if i % 10 == 0 and n == 0:
                        # batch 3 VOID and back: its transactions 5 and 6 stop and start counting
                        with c.transaction():
                            was = c.execute("SELECT array_agg(id) FROM g.txn WHERE batch_id = 3"
                                            " AND g.counts(id)").fetchone()[0] or []
                            c.execute("UPDATE g.batch SET status = CASE WHEN status = 'VOID'"
                                      " THEN 'OPEN' ELSE 'VOID' END WHERE id = 3")
                            c.execute("SELECT pg_sleep(0.005)")
                            now = c.execute("SELECT array_agg(id) FROM g.txn WHERE batch_id = 3"
                                            " AND g.counts(id)").fetchone()[0] or []
                            for t in set(was) - set(now):
                                c.execute("SELECT g.apply(%s, -1)", (t,))
                            for t in set(now) - set(was):
                                c.execute("SELECT g.apply(%s, 1)", (t,))
        except BaseException as e:  # reported by the test, after the writers stop
            errors.append(e)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for w in writers:
        w.start()
    try:
        summaries = []
        deadline = time.monotonic() + 8
        # while the writers run, and at least three runs (a slow machine may let the writers
        # finish their 400 transactions within two)
        while ((time.monotonic() < deadline and any(w.is_alive() for w in writers))
               or len(summaries) < 3):
            summary, got = found(g, "incremental")
            summaries.append(summary["runs"]["g_balance"])
            assert got == Counter(), (len(summaries), got)
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert not errors, errors
    assert len(summaries) >= 3
    assert all(s == {"mode": "incremental"} for s in summaries), summaries
    with psycopg.connect(g, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM g.txn WHERE id >= 2000 AND status = 'POSTED'"
                         ).fetchone()[0] >= 20
    assert incremental_then_full(g, "g_balance") == Counter()


def test_a_partitioned_parent_table(db: str) -> None:
    """A parent table partitioned by its key: its rows' xmin serves as well (the foreign key
    references the partitioned table); a partition created under it is a change of its storage,
    one full run, then incremental again."""
    run(db, """CREATE SCHEMA q;
        CREATE TABLE q.w (id integer PRIMARY KEY, bal numeric NOT NULL);
        CREATE TABLE q.tx (id integer PRIMARY KEY, status text NOT NULL) PARTITION BY RANGE (id);
        CREATE TABLE q.tx_1 PARTITION OF q.tx FOR VALUES FROM (0) TO (100);
        CREATE TABLE q.e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          tx_id integer NOT NULL REFERENCES q.tx, wid integer NOT NULL,
                          amt numeric NOT NULL);
        CREATE INDEX e_tx ON q.e (tx_id);
        CREATE INDEX e_w ON q.e (wid);
        INSERT INTO q.tx VALUES (1, 'POSTED'), (2, 'POSTED');
        INSERT INTO q.w VALUES (1, 10), (2, 5);
        INSERT INTO q.e (tx_id, wid, amt) VALUES (1, 1, 10), (2, 2, 5)""",
        "SELECT recon.register_wallet_source('qw', 'q.w', 'id', ARRAY['bal'])",
        """SELECT recon.register_ledger_source('qe', 'qw', 'q.e', 'wid', 'amt', '{
            "parents": {"tx": {"table": "q.tx", "key": "id", "via": "tx_id"}},
            "filters": [{"column": "tx.status", "op": "=", "value": "POSTED"}],
            "order_by": "id"}')""",
        "SELECT recon.register_check('q_balance', 'balance', '{\"ledger\": \"qe\"}')")
    first, got = found(db)
    assert (first["runs"]["q_balance"], got) == ({"mode": "full", "watermark": "set"}, Counter())
    run(db, "UPDATE q.tx SET status = 'VOID' WHERE id = 2")
    assert incremental_then_full(db, "q_balance") == Counter([("q_balance", "2", "bal", D(5))])
    run(db, "CREATE TABLE q.tx_2 PARTITION OF q.tx FOR VALUES FROM (100) TO (200)",
        "INSERT INTO q.tx VALUES (100, 'POSTED')",
        "INSERT INTO q.e (tx_id, wid, amt) VALUES (100, 1, 1)")
    summary, got = found(db, "incremental")
    assert summary["runs"]["q_balance"] == {"mode": "full", "why_full": WHY_REWRITE,
                                            "watermark": "set"}
    assert got == Counter([("q_balance", "2", "bal", D(5)), ("q_balance", "1", "bal", D(-1))])
    run(db, "UPDATE q.tx SET status = 'POSTED' WHERE id = 2",
        "UPDATE q.w SET bal = bal + 1 WHERE id = 1")
    assert incremental_then_full(db, "q_balance") == Counter()
