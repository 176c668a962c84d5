"""Guards on the ledger shapes read through the legs relation (issue 14: "A guard in block mode
stops a drifting write and lets a correct one through"), on the fixtures of tests/test_shapes.py:
transfer rows with rule-keyed effects (Blnk-like), operations whose effects and filters read
their parent transaction (Midaz-like), a soft-delete ledger. A drift guard there adds, per
statement, what the legs of the written rows moved, and what a written parent row changed in
the legs of the ledger rows under it (docs/GUARDS.md "Ledger shapes"). Each case: the guard in
block mode, the statements in one transaction (RC401 or committed), then a full reconcile that
finds no drift either way."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from test_shapes import (
    MZ_RAW_OP,
    SD_RAW_ENTRY,
    Write,
    attempt,
    found,
    guarded_write,
    shape_db,  # noqa: F401 (a fixture)
)

from conftest import run

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)

GUARDED: dict[str, tuple[list[str], list[Write]]] = {
    "transfer": (["xfer_transactions"], [
        Write("a transfer the application posts", [
            "SELECT xfer.post('g1', 'bln_alice', 'bln_bob', 5, 'APPLIED', 'g1')"], None),
        Write("a hold and its commit", [
            "SELECT xfer.post('g2', 'bln_alice', 'bln_bob', 5, 'INFLIGHT', 'g2')",
            "SELECT xfer.post('g3', 'bln_alice', 'bln_bob', 5, 'COMMIT', 'g2-c', 'g2')"], None),
        Write("a queued row (filtered out, it moves nothing)", [
            "SELECT xfer.post('g4', 'bln_alice', 'bln_bob', 5, 'QUEUED', 'g4')"], None),
        Write("a balance moved without a row", [
            "UPDATE xfer.balances SET balance = balance + 1 WHERE balance_id = 'bln_bob'"],
            "RC401"),
        Write("an inflight counter moved without a row", [
            "UPDATE xfer.balances SET inflight_debit_balance = inflight_debit_balance + 5,"
            " inflight_balance = inflight_balance - 5 WHERE balance_id = 'bln_alice'"], "RC401"),
        Write("an applied row that moved no balance", [
            "INSERT INTO xfer.transactions (transaction_id, source, destination, reference,"
            " amount, currency, status) VALUES ('g5', 'bln_alice', 'bln_bob', 'g5', 5, 'USD',"
            " 'APPLIED')"], "RC401"),
        Write("an open hold's row rewritten as APPLIED in place (another rule, no balance moved)", [
            "UPDATE xfer.transactions SET status = 'APPLIED' WHERE transaction_id = 'txn_12'"],
            "RC401"),
        Write("a REJECTED row updated into the filter, no balance moved", [
            "UPDATE xfer.transactions SET status = 'APPLIED' WHERE transaction_id = 'txn_10'"],
            "RC401"),
        Write("an APPLIED row deleted with its counters moved back", [
            "DELETE FROM xfer.transactions WHERE transaction_id = 'txn_11'",
            "UPDATE xfer.balances SET balance = balance + 12.25, debit_balance = debit_balance"
            " - 12.25 WHERE balance_id = 'bln_carol'",
            "UPDATE xfer.balances SET balance = balance - 12.25, credit_balance = credit_balance"
            " - 12.25 WHERE balance_id = 'bln_dave'"], None),
    ]),
    "operation": (["mz_operations"], [
        Write("a plain payment", [
            "SELECT mz.begin('g1', 'CREATED', FALSE, 5, now())",
            "SELECT mz.operate('g1', '@customer-1', 'DEBIT', 5, now())",
            "SELECT mz.operate('g1', '@merchant-1', 'CREDIT', 5, now())"], None),
        Write("a hold approved with its DEBIT (on_hold, through the parent's flag)", [
            "SELECT mz.set_status('tx5', 'APPROVED', now())",
            "SELECT mz.operate('tx5', '@customer-1', 'DEBIT', 50, now())",
            "SELECT mz.operate('tx5', '@merchant-1', 'CREDIT', 50, now())"], None),
        Write("a noted transaction (filtered out)", [
            "SELECT mz.begin('g2', 'NOTED', FALSE, 5, now())",
            "SELECT mz.operate('g2', '@customer-1', 'DEBIT', 5, now())"], None),
        Write("Bug #1: on_hold debited, no DEBIT operation", [
            "SELECT mz.set_status('tx5', 'APPROVED', now())",
            "UPDATE mz.balance SET on_hold = on_hold - 50 WHERE alias = '@customer-1'",
            "SELECT mz.operate('tx5', '@merchant-1', 'CREDIT', 50, now())"], "RC401"),
        # A parent row alone: the legs of the operations under it change.
        Write("a transaction NOTED after its operations moved balances", [
            "UPDATE mz.transaction SET status = 'NOTED' WHERE id = md5('tx7')::uuid"], "RC401"),
        Write("a transaction NOTED and the balances its operations moved moved back", [
            "UPDATE mz.transaction SET status = 'NOTED' WHERE id = md5('tx7')::uuid",
            "UPDATE mz.balance SET available = available + 30.25 WHERE alias = '@customer-1'",
            "UPDATE mz.balance SET available = available - 30.25 WHERE alias = '@merchant-1'"],
            None),
        Write("a two-phase transaction made plain (its DEBIT now takes from available)", [
            "UPDATE mz.transaction SET pending = FALSE WHERE id = md5('tx3')::uuid"], "RC401"),
        Write("two transactions in one statement, one of them NOTED", [
            "UPDATE mz.transaction SET status = CASE WHEN id = md5('tx7')::uuid THEN 'NOTED'"
            " ELSE 'APPROVED' END WHERE id IN (md5('tx7')::uuid, md5('tx1')::uuid)"], "RC401"),
        Write("a status change that changes no effect", [
            "SELECT mz.set_status('tx1', 'CREATED', now())"], None),
        Write("an operation of a type no effect maps (an unmapped entry)", [
            "SELECT mz.begin('g3', 'CREATED', FALSE, 5, now())",
            MZ_RAW_OP.format(op="g3/op", tx="g3", amount=5, affected="TRUE", alias="@customer-1",
                             deleted_at="NULL").replace("'DEBIT'", "'REFUND'")], "RC401"),
    ]),
    "softdelete": (["sd_entries"], [
        Write("a transfer", [
            "SELECT sd.transfer('g1', 2, 3, 5, 'g1', now())"], None),
        Write("a void (the rows leave through the filter, the balances move back)", [
            "SELECT sd.void('t4')"], None),
        Write("a failed row", [
            SD_RAW_ENTRY.format(amount=5, txn="g2", status="failed", voided="FALSE",
                                deleted_at="NULL", wallet=3)], None),
        Write("a counted row soft-deleted, the balance left", [
            "UPDATE sd.entry SET deleted_at = now() WHERE id = 12"], "RC401"),
        Write("a balance moved alone", [
            "UPDATE sd.wallet SET balance = balance + 1 WHERE id = 2"], "RC401"),
    ]),
}


GUARD_CASES = [pytest.param(fx, w, id=f"{fx}: {w.name}")
               for fx, (_, ws) in GUARDED.items() for w in ws]


@pytest.mark.parametrize(("fixture", "write"), GUARD_CASES)
def test_block_guard_stops_drift_and_lets_correct_writes_through(
    shape_db: Callable[[str], str], fixture: str, write: Write  # noqa: F811
) -> None:
    got = guarded_write(shape_db(fixture), GUARDED[fixture][0], write)
    # the drift guard answers for balances; a void in the middle of a running-balance chain
    # leaves the later balance_after values as they were, which the chain check reports
    if write.name.startswith("a void"):
        got = Counter({k: n for k, n in got.items() if not k[0].endswith("_chain")})
    assert got == Counter(), got


BLOCKED = [pytest.param(fx, w, id=f"{fx}: {w.name}")
           for fx, (_, ws) in GUARDED.items() for w in ws if w.sqlstate == "RC401"]


@pytest.mark.parametrize(("fixture", "write"), BLOCKED)
def test_each_blocked_write_is_drift_that_reconcile_finds(
    shape_db: Callable[[str], str], fixture: str, write: Write  # noqa: F811
) -> None:
    """The other half of "block mode stops what reconcile would find": without the guard, each
    write the guard blocks commits, and a full reconcile then finds drift."""
    dsn = shape_db(fixture)
    run(dsn, *write.setup)
    assert attempt(dsn, *write.sql) is None
    _, got = found(dsn)
    assert got, write.name


# -- a grandparent: two aliases on one table ---------------------------------------------------

BATCHES = """
CREATE SCHEMA gp;
CREATE TABLE gp.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE gp.txn (id int PRIMARY KEY, parent_id int REFERENCES gp.txn (id),
                     status text NOT NULL);
CREATE TABLE gp.op (id int PRIMARY KEY, txn_id int NOT NULL REFERENCES gp.txn (id),
                    wallet_id int NOT NULL, amount numeric NOT NULL);
CREATE INDEX ON gp.op (txn_id);
INSERT INTO gp.wallet (id, balance) VALUES (1, 15), (2, 7);
-- batches 10 (OPEN) and 20 (CLOSED); transactions 11, 12 in batch 10, 21 in batch 20
INSERT INTO gp.txn VALUES (10, NULL, 'OPEN'), (20, NULL, 'CLOSED'), (11, 10, 'POSTED'),
                          (12, 10, 'POSTED'), (21, 20, 'POSTED');
INSERT INTO gp.op VALUES (1, 11, 1, 10), (2, 12, 1, 5), (3, 12, 2, 7), (4, 21, 2, 100);
SELECT recon.register_wallet_source('gp_wallets', 'gp.wallet', 'id', ARRAY['balance']);
-- an operation counts while its transaction's batch is open
SELECT recon.register_ledger_source('gp_ops', 'gp_wallets', 'gp.op', 'wallet_id', 'amount', '{
    "parents": {"tx": {"table": "gp.txn", "key": "id", "via": "txn_id"},
                "batch": {"table": "gp.txn", "key": "id", "via": "tx.parent_id"}},
    "filters": [{"column": "batch.status", "op": "=", "value": "OPEN"}],
    "order_by": "id"}');
SELECT recon.register_check('gp_balance', 'balance', '{"ledger": "gp_ops"}');
SELECT recon.enable_guard('drift', 'gp_ops', '{"mode": "block"}');
"""


@pytest.mark.parametrize(("sql", "sqlstate"), [
    pytest.param(["UPDATE gp.txn SET status = 'CLOSED' WHERE id = 10"], "RC401",
                 id="a batch closed: its transactions' operations stop counting"),
    pytest.param(["UPDATE gp.txn SET status = 'OPEN' WHERE id = 20"], "RC401",
                 id="a batch opened: its operations start counting"),
    pytest.param(["UPDATE gp.txn SET parent_id = 20 WHERE id = 11"], "RC401",
                 id="a transaction moved to a closed batch"),
    pytest.param(["UPDATE gp.txn SET status = 'OPEN' WHERE id = 20",
                  "UPDATE gp.wallet SET balance = balance + 100 WHERE id = 2"], None,
                 id="a batch opened and its balances moved"),
    pytest.param(["UPDATE gp.txn SET status = CASE id WHEN 10 THEN 'CLOSED' ELSE 'OPEN' END,"
                  " parent_id = CASE id WHEN 11 THEN 20 ELSE parent_id END"
                  " WHERE id IN (10, 20, 11)",
                  "UPDATE gp.wallet SET balance = balance + 100 - 7 WHERE id = 2",
                  "UPDATE gp.wallet SET balance = balance - 5 WHERE id = 1"], None,
                 id="batch and transaction rows in one statement, the balances moved"),
    pytest.param(["UPDATE gp.txn SET status = CASE id WHEN 10 THEN 'CLOSED' ELSE 'OPEN' END,"
                  " parent_id = CASE id WHEN 11 THEN 20 ELSE parent_id END"
                  " WHERE id IN (10, 20, 11)",
                  "UPDATE gp.wallet SET balance = balance + 100 - 7 WHERE id = 2"], "RC401",
                 id="batch and transaction rows in one statement, one balance left"),
    pytest.param(["INSERT INTO gp.txn VALUES (13, 10, 'POSTED')",
                  "INSERT INTO gp.op VALUES (5, 13, 1, 3)",
                  "UPDATE gp.wallet SET balance = balance + 3 WHERE id = 1"], None,
                 id="a transaction and its operation, the balance moved"),
    pytest.param(["DELETE FROM gp.op WHERE id = 4", "DELETE FROM gp.txn WHERE id = 21"], None,
                 id="an operation of a closed batch deleted, with its transaction"),
])
def test_a_grandparent_row_changes_the_legs_under_it(
    make_db: Callable[..., str], template_db: str, sql: list[str], sqlstate: str | None
) -> None:
    """Parents of parents: the batch is reached through the transaction (both rows of gp.txn).
    A statement writing gp.txn changes the legs under every row it wrote, by either alias; the
    guard compares them with the legs over gp.txn as it was before the statement."""
    dsn = make_db(template_db)
    run(dsn, BATCHES)
    _, got = found(dsn)
    assert got == Counter(), got
    assert attempt(dsn, *sql) == sqlstate
    _, got = found(dsn)
    assert got == Counter(), got


JOURNALS = """
CREATE SCHEMA de;
CREATE TABLE de.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE de.batch (id int PRIMARY KEY, status text NOT NULL);
CREATE TABLE de.entry (id int PRIMARY KEY, batch_id int NOT NULL REFERENCES de.batch (id),
                       journal text NOT NULL, wallet_id int NOT NULL, amount numeric NOT NULL);
INSERT INTO de.wallet VALUES (1, -5), (2, 5);
INSERT INTO de.batch VALUES (10, 'OPEN'), (20, 'OPEN');
-- journal J1's two entries sit in two batches
INSERT INTO de.entry VALUES (1, 10, 'J1', 1, -5), (2, 20, 'J1', 2, 5);
SELECT recon.register_wallet_source('de_wallets', 'de.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('de_entries', 'de_wallets', 'de.entry', 'wallet_id', 'amount',
    '{"parents": {"b": {"table": "de.batch", "key": "id", "via": "batch_id"}},
      "filters": [{"column": "b.status", "op": "=", "value": "OPEN"}],
      "journal": "journal", "order_by": "id"}');
SELECT recon.register_check('de_journals', 'journal', '{"ledger": "de_entries"}');
SELECT recon.enable_guard('double_entry', 'de_entries', '{"mode": "block"}');
"""


@pytest.mark.parametrize(("sql", "sqlstate"), [
    pytest.param(["UPDATE de.batch SET status = 'CLOSED' WHERE id = 20"], "RC403",
                 id="a batch closed under half a journal"),
    pytest.param(["UPDATE de.batch SET status = 'CLOSED'"], None,
                 id="both batches closed: the journal leaves whole"),
    pytest.param(["INSERT INTO de.batch VALUES (30, 'OPEN')",
                  "UPDATE de.entry SET batch_id = 30 WHERE id = 2",
                  "UPDATE de.batch SET status = 'CLOSED' WHERE id = 30"], "RC403",
                 id="an entry moved to a new batch, then the batch closed"),
])
def test_a_double_entry_guard_sees_a_parent_row_unbalance_a_journal(
    make_db: Callable[..., str], template_db: str, sql: list[str], sqlstate: str | None
) -> None:
    """A journal whose entries hang under several parent rows: a statement on the parent table
    alone changes which of its entries count. The double-entry guard checks, at commit, the
    journals under the parent rows written; the journal check agrees afterwards."""
    dsn = make_db(template_db)
    run(dsn, JOURNALS)
    assert attempt(dsn, *sql) == sqlstate
    _, got = found(dsn)
    assert [k for k in got if k[0] == "de_journals"] == [], got


# -- concurrency: a parent row changed while another transaction writes a ledger row under it --

NOTED = ["UPDATE mz.transaction SET status = 'NOTED' WHERE id = md5('tx7')::uuid",
         # the balances tx7's two operations moved, moved back
         "UPDATE mz.balance SET available = available + 30.25 WHERE alias = '@customer-1'",
         "UPDATE mz.balance SET available = available - 30.25 WHERE alias = '@merchant-1'"]
# another transaction's operation under tx7, with its balance moved (as mz.operate does)
LATE_DEBIT = "SELECT mz.operate('tx7', '@customer-2', 'DEBIT', 10, now(), 'tx7/late')"


def in_thread(dsn: str, sql: list[str], isolation: str = "READ COMMITTED"
              ) -> tuple[threading.Thread, dict]:
    """The statements in one transaction on a connection of their own, in a thread; the result
    dict gets "sqlstate" (None: committed)."""
    out: dict = {}

    def go() -> None:
        with psycopg.connect(dsn, application_name="guard-race") as c:
            try:
                c.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                for s in sql:
                    c.execute(s)
                c.commit()
                out["sqlstate"] = None
            except psycopg.Error as e:
                out["sqlstate"] = e.sqlstate
    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, out


def wait_blocked(dsn: str) -> None:
    """Until the thread's backend waits for a lock."""
    with psycopg.connect(dsn, autocommit=True) as w:
        for _ in range(200):
            if w.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                         " 'guard-race' AND wait_event_type = 'Lock'").fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the other transaction never waited for a lock")


def test_a_parent_change_waits_for_a_ledger_row_written_under_it(
    shape_db: Callable[[str], str]  # noqa: F811
) -> None:
    """B writes an operation under tx7 (its guard locks tx7 FOR SHARE); A, at READ COMMITTED,
    sets tx7 NOTED and moves back the balances of the operations it sees. A waits for B, then
    reads B's operation too: customer-2's -10 would be left without a counted entry, and A is
    blocked. Without the lock A would read tx7's two old operations only and commit: drift."""
    dsn = shape_db("operation")
    run(dsn, "SELECT recon.enable_guard('drift', 'mz_operations', '{\"mode\": \"block\"}')")
    with psycopg.connect(dsn) as b:
        b.execute(LATE_DEBIT)
        a, out = in_thread(dsn, NOTED)
        wait_blocked(dsn)
        b.commit()
    a.join(30)
    assert out == {"sqlstate": "RC401"}
    _, got = found(dsn)
    assert got == Counter(), got


def test_a_ledger_row_waits_for_a_parent_change_and_reads_it(
    shape_db: Callable[[str], str]  # noqa: F811
) -> None:
    """The other order: A sets tx7 NOTED (balances moved back) and holds it; B's operation
    under tx7 waits for A, then reads tx7 NOTED: its operation moves nothing, its -10 does, and
    B is blocked (READ COMMITTED) or fails to serialize (REPEATABLE READ, SERIALIZABLE)."""
    for isolation, sqlstate in [("READ COMMITTED", "RC401"), ("REPEATABLE READ", "40001"),
                                ("SERIALIZABLE", "40001")]:
        dsn = shape_db("operation")
        run(dsn, "SELECT recon.enable_guard('drift', 'mz_operations', '{\"mode\": \"block\"}')")
        with psycopg.connect(dsn) as a:
            for s in NOTED:
                a.execute(s)
            b, out = in_thread(dsn, [LATE_DEBIT], isolation)
            wait_blocked(dsn)
            a.commit()
        b.join(30)
        assert out == {"sqlstate": sqlstate}, isolation
        _, got = found(dsn)
        assert got == Counter(), (isolation, got)


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_parent_change_is_refused_where_its_snapshot_cannot_see_the_ledger(
    shape_db: Callable[[str], str], isolation: str  # noqa: F811
) -> None:
    """A's snapshot is taken; B then commits an operation under tx7; A sets tx7 NOTED. A's
    snapshot cannot see B's operation, so its guard cannot prove the balances: refused (RC401,
    saying why), whatever A moved. A change that touches no column the legs read passes."""
    dsn = shape_db("operation")
    run(dsn, "SELECT recon.enable_guard('drift', 'mz_operations', '{\"mode\": \"block\"}')")
    with psycopg.connect(dsn) as a:
        a.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        a.execute("SELECT count(*) FROM mz.operation")  # the snapshot
        run(dsn, LATE_DEBIT)
        a.execute("UPDATE mz.transaction SET updated_at = now() WHERE id = md5('tx7')::uuid")
        with pytest.raises(psycopg.Error) as e:
            for s in NOTED:
                a.execute(s)
            a.commit()
        assert e.value.sqlstate == "RC401"
        assert "cannot prove" in e.value.diag.message_primary
    _, got = found(dsn)
    assert got == Counter(), got


def test_a_parent_without_a_foreign_key_is_refused(
    shape_db: Callable[[str], str]  # noqa: F811
) -> None:
    """Without a foreign key from the ledger's via column to the parent key, a ledger row may
    point to a parent row another transaction is writing, which neither guard would read."""
    dsn = shape_db("operation")
    run(dsn, "ALTER TABLE mz.operation DROP CONSTRAINT operation_transaction_id_fkey")
    with psycopg.connect(dsn, autocommit=True) as c:
        before = c.execute("SELECT count(*) FROM _recon.guard").fetchone()
        # none; one whose check waits for the commit; one that deletes ledger rows with their
        # parent (their legs would be read without it)
        for fk in ("", "ALTER TABLE mz.operation ADD FOREIGN KEY (transaction_id) REFERENCES"
                       " mz.transaction DEFERRABLE INITIALLY DEFERRED",
                   "ALTER TABLE mz.operation ADD FOREIGN KEY (transaction_id) REFERENCES"
                   " mz.transaction ON DELETE CASCADE",
                   # not validated: rows written before it may point to no parent yet
                   "ALTER TABLE mz.operation ADD FOREIGN KEY (transaction_id) REFERENCES"
                   " mz.transaction NOT VALID"):
            if fk:
                c.execute("ALTER TABLE mz.operation DROP CONSTRAINT IF EXISTS"
                          " operation_transaction_id_fkey")
                c.execute(fk)
            for kind in ("drift", "double_entry"):
                with pytest.raises(psycopg.Error) as e:
                    c.execute(f"SELECT recon.enable_guard('{kind}', 'mz_operations')")
                assert e.value.sqlstate == "RC406", fk
                assert "foreign key" in e.value.diag.message_primary
                assert "foreign key" in e.value.diag.message_hint
        assert c.execute("SELECT count(*) FROM _recon.guard").fetchone() == before


def test_a_parent_row_deleted_and_written_back_in_one_statement_is_refused(
    make_db: Callable[..., str], template_db: str
) -> None:
    """A NO ACTION foreign key lets a DELETE through when a trigger writes the key back in the
    same statement: the ledger rows under it then read another row, which no UPDATE trigger
    saw. The guard refuses the statement."""
    dsn = make_db(template_db)
    run(dsn, BATCHES,
        "CREATE FUNCTION gp.reinsert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO gp.txn VALUES (OLD.id, OLD.parent_id, 'CLOSED'); RETURN NULL; END $$",
        'CREATE TRIGGER "A_reinsert" AFTER DELETE ON gp.txn FOR EACH ROW'
        " EXECUTE FUNCTION gp.reinsert()")
    assert attempt(dsn, "DELETE FROM gp.txn WHERE id = 10") == "RC401"
    _, got = found(dsn)
    assert got == Counter(), got


def test_a_grandparent_change_waits_for_a_transaction_moved_under_it(
    make_db: Callable[..., str], template_db: str
) -> None:
    """B moves transaction 11 into batch 20 (closed) and takes its operation's 10 off wallet 1;
    its guard locks batch 20 FOR SHARE. A opens batch 20 and adds the 100 of the operation it
    sees there. A waits for B, then reads transaction 11 under batch 20 too: wallet 1's 10
    counts again and A did not move it, so A is blocked. Without the lock A would commit and
    leave wallet 1 short."""
    dsn = make_db(template_db)
    run(dsn, BATCHES)
    with psycopg.connect(dsn) as b:
        b.execute("UPDATE gp.txn SET parent_id = 20 WHERE id = 11")
        b.execute("UPDATE gp.wallet SET balance = balance - 10 WHERE id = 1")
        a, out = in_thread(dsn, ["UPDATE gp.txn SET status = 'OPEN' WHERE id = 20",
                                 "UPDATE gp.wallet SET balance = balance + 100 WHERE id = 2"])
        wait_blocked(dsn)
        b.commit()
    a.join(30)
    assert out == {"sqlstate": "RC401"}
    _, got = found(dsn)
    assert got == Counter(), got


# -- one statement writing a parent table and the ledger --------------------------------------

# A transaction's status decides whether its operations count; transaction 2 is PENDING.
OVERLAP = """
CREATE SCHEMA ov;
CREATE TABLE ov.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE ov.txn (id int PRIMARY KEY, status text NOT NULL);
CREATE TABLE ov.op (id int PRIMARY KEY, txn_id int NOT NULL REFERENCES ov.txn (id),
                    wallet_id int NOT NULL, amount numeric NOT NULL);
CREATE INDEX ON ov.op (txn_id);
INSERT INTO ov.wallet VALUES (1, 10), (2, 0);
INSERT INTO ov.txn VALUES (1, 'POSTED'), (2, 'PENDING');
INSERT INTO ov.op VALUES (1, 1, 1, 10);
-- the application's triggers: operations written when a transaction is posted (row or
-- statement level), or a transaction posted when an operation is written under it
CREATE FUNCTION ov.post_ops() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO ov.op VALUES (100 + NEW.id, NEW.id, 2, 5); RETURN NULL; END $$;
CREATE FUNCTION ov.post_ops_stmt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO ov.op SELECT 100 + n.id, n.id, 2, 5 FROM posted AS n WHERE n.status = 'POSTED';
    RETURN NULL; END $$;
CREATE FUNCTION ov.post_txn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    UPDATE ov.txn SET status = 'POSTED' WHERE id = NEW.txn_id; RETURN NULL; END $$;
SELECT recon.register_wallet_source('ov_wallets', 'ov.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('ov_ops', 'ov_wallets', 'ov.op', 'wallet_id', 'amount', '{
    "parents": {"tx": {"table": "ov.txn", "key": "id", "via": "txn_id"}},
    "filters": [{"column": "tx.status", "op": "=", "value": "POSTED"}],
    "order_by": "id"}');
SELECT recon.register_check('ov_balance', 'balance', '{"ledger": "ov_ops"}');
"""
ROW_TRIGGER = ("CREATE TRIGGER a_post AFTER UPDATE OF status ON ov.txn FOR EACH ROW"
               " WHEN (NEW.status = 'POSTED') EXECUTE FUNCTION ov.post_ops()")
OP_TRIGGER = ("CREATE TRIGGER a_post AFTER INSERT ON ov.op FOR EACH ROW"
              " EXECUTE FUNCTION ov.post_txn()")
POST_2 = "UPDATE ov.txn SET status = 'POSTED' WHERE id = 2"
WCTE = ("WITH t AS (UPDATE ov.txn SET status = 'POSTED' WHERE id = 2)"
        " INSERT INTO ov.op VALUES (2, 2, 2, 5)")
OP_2 = "INSERT INTO ov.op VALUES (2, 2, 2, 5)"


def moved(amount: int) -> str:
    return f"UPDATE ov.wallet SET balance = balance + {amount} WHERE id = 2"


def attempt_message(dsn: str, *sql: str) -> tuple[str | None, str | None, str | None]:
    """As attempt(), with the error's message and HINT."""
    with psycopg.connect(dsn) as c:
        try:
            for s in sql:
                c.execute(s)
            c.commit()
        except psycopg.Error as e:
            return e.sqlstate, e.diag.message_primary, e.diag.message_hint
    return None, None, None


@pytest.mark.parametrize(("setup", "sql"), [
    pytest.param([], [WCTE], id="a data-modifying WITH posting a transaction and its operation"),
    pytest.param([ROW_TRIGGER], [POST_2], id="a row trigger writing operations when a"
                 " transaction is posted"),
    pytest.param([OP_TRIGGER], [OP_2], id="a row trigger posting the transaction of an"
                 " operation written"),
])
def test_one_statement_writing_a_parent_and_the_ledger_is_refused(
    make_db: Callable[..., str], template_db: str, setup: list[str], sql: list[str]
) -> None:
    """Both statement triggers read the tables as the statement left them, so the operation's
    5 was counted twice: a wallet moved by 10 passed and one moved by 5 was blocked. Without
    the guard, reconcile finds drift after the 10 and none after the 5. With it, the guard
    cannot prove either, and refuses both, saying why, with a HINT; nothing is kept."""
    dsn = make_db(template_db)
    run(dsn, OVERLAP, *setup)
    for amount, drift in [(5, Counter()), (10, Counter([("ov_balance", "2", "balance", 5)]))]:
        clone = make_db(conninfo_to_dict(dsn)["dbname"])
        assert attempt(clone, *sql, moved(amount)) is None
        _, got = found(clone)
        assert got == drift, (amount, got)
    run(dsn, "SELECT recon.enable_guard('drift', 'ov_ops', '{\"mode\": \"block\"}')")
    for amount in (5, 10):
        state, message, hint = attempt_message(dsn, *sql, moved(amount))
        assert state == "RC401", (amount, message)
        assert "cannot prove" in message and "one statement" in message, message
        assert "separate statements" in hint, hint
        _, got = found(dsn)
        assert got == Counter(), got
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM ov.op").fetchone()[0] == 1
        assert c.execute("SELECT status FROM ov.txn WHERE id = 2").fetchone()[0] == "PENDING"
    # the same rows written in two statements are read exactly (the row trigger on ov.txn
    # would write a second operation)
    run(dsn, "DROP TRIGGER IF EXISTS a_post ON ov.txn")
    assert attempt(dsn, POST_2, OP_2, moved(10)) == "RC401"
    assert attempt(dsn, POST_2, OP_2, moved(5)) is None
    _, got = found(dsn)
    assert got == Counter(), got


@pytest.mark.parametrize(("setup", "sql"), [
    pytest.param([], ["WITH t AS (INSERT INTO ov.txn VALUES (3, 'POSTED'))"
                      " INSERT INTO ov.op VALUES (2, 3, 2, 5)"],
                 id="a data-modifying WITH inserting a transaction and its operation"),
    pytest.param(["CREATE TRIGGER z_post AFTER UPDATE ON ov.txn REFERENCING NEW TABLE AS posted"
                  " FOR EACH STATEMENT EXECUTE FUNCTION ov.post_ops_stmt()"], [POST_2],
                 id="a statement trigger after the guard's writing operations of the posted"),
])
def test_statements_the_guard_reads_apart_are_judged_exactly(
    make_db: Callable[..., str], template_db: str, setup: list[str], sql: list[str]
) -> None:
    """A parent INSERT changes no leg, and a statement trigger that fires after the guard's
    (its name sorts after recon_guard_*) writes the ledger in a statement of its own: the
    guard's verdict is reconcile's, the 5 moved passes, the 10 is blocked as drift."""
    dsn = make_db(template_db)
    run(dsn, OVERLAP, *setup,
        "SELECT recon.enable_guard('drift', 'ov_ops', '{\"mode\": \"block\"}')")
    state, message, _ = attempt_message(dsn, *sql, moved(10))
    assert state == "RC401" and "ledger entries by 5" in message, message
    assert attempt(dsn, *sql, moved(5)) is None
    _, got = found(dsn)
    assert got == Counter(), got


def test_an_overlapping_statement_is_warned_about_in_warn_mode(
    make_db: Callable[..., str], template_db: str
) -> None:
    """In warn mode the statement goes on, with one warning and one alert saying why."""
    dsn = make_db(template_db)
    run(dsn, OVERLAP, "SELECT recon.enable_guard('drift', 'ov_ops')")
    assert attempt(dsn, WCTE, moved(5)) is None
    with psycopg.connect(dsn, autocommit=True) as c:
        alerts = c.execute("SELECT message FROM _recon.alert").fetchall()
    assert any("cannot prove" in m for (m,) in alerts), alerts
    assert sum("one statement" in m for (m,) in alerts) == 1, alerts


FK_BREAKERS = [
    "ALTER TABLE ov.op DROP CONSTRAINT op_txn_id_fkey",
    "ALTER TABLE ov.op DISABLE TRIGGER ALL",
    "ALTER TABLE ov.txn DISABLE TRIGGER ALL",
    "ALTER TABLE ov.op ALTER CONSTRAINT op_txn_id_fkey DEFERRABLE",
    "CREATE TABLE ov.op_child () INHERITS (ov.op)",
]


@pytest.mark.parametrize("kind", ["drift", "double_entry"])
def test_a_foreign_key_taken_away_under_an_enabled_guard_is_refused(
    make_db: Callable[..., str], template_db: str, kind: str
) -> None:
    """The event trigger refuses DDL that would leave an enabled guard on parent rows without
    its foreign key (RC409, the HINT naming recon.disable_guard); nothing changes. Other DDL
    passes, and once the guard is disabled the same DDL does too."""
    dsn = make_db(template_db)
    run(dsn, OVERLAP)
    if kind == "double_entry":
        run(dsn, "ALTER TABLE ov.op ADD COLUMN journal text",
            "UPDATE _recon.ledger_source SET journal_column = 'journal' WHERE name = 'ov_ops'")
    run(dsn, f"SELECT recon.enable_guard('{kind}', 'ov_ops', '{{\"mode\": \"block\"}}')")
    with psycopg.connect(dsn, autocommit=True) as c:
        before = c.execute("SELECT count(*), string_agg(tgname::text || tgenabled::text, ',' ORDER BY"
                           " tgname) FROM pg_trigger WHERE tgrelid IN ('ov.op'::regclass,"
                           " 'ov.txn'::regclass)").fetchone()
        for ddl in FK_BREAKERS:
            with pytest.raises(psycopg.Error) as e:
                c.execute(ddl)
            assert e.value.sqlstate == "RC409", ddl
            assert "foreign key" in e.value.diag.message_primary, ddl
            assert f"recon.disable_guard('{kind}', 'ov_ops')" in e.value.diag.message_hint
        assert c.execute("SELECT count(*), string_agg(tgname::text || tgenabled::text, ',' ORDER BY"
                         " tgname) FROM pg_trigger WHERE tgrelid IN ('ov.op'::regclass,"
                         " 'ov.txn'::regclass)").fetchone() == before
        assert c.execute("SELECT to_regclass('ov.op_child')").fetchone() == (None,)
        c.execute("ALTER TABLE ov.op ADD COLUMN note text")
        c.execute(f"SELECT recon.disable_guard('{kind}', 'ov_ops')")
        c.execute(FK_BREAKERS[0])


def test_a_guard_needs_the_foreign_key_enforced_and_the_event_trigger(
    make_db: Callable[..., str], template_db: str
) -> None:
    """Enabling refuses a foreign key whose triggers are disabled, as incremental mode does
    (RC406, saying which table), and a guard on parent rows without the event trigger that
    keeps its foreign keys in place."""
    dsn = make_db(template_db)
    run(dsn, OVERLAP, "ALTER TABLE ov.txn DISABLE TRIGGER ALL")
    with psycopg.connect(dsn, autocommit=True) as c:
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.enable_guard('drift', 'ov_ops')")
        assert e.value.sqlstate == "RC406"
        assert "no foreign key from ov.op (txn_id)" in e.value.diag.message_primary
        assert "triggers enabled" in e.value.diag.message_primary
        c.execute("ALTER TABLE ov.txn ENABLE TRIGGER ALL")
        c.execute("DROP EVENT TRIGGER recon_guard_children")
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.enable_guard('drift', 'ov_ops')")
        assert e.value.sqlstate == "RC406"
        assert "recon_guard_children" in e.value.diag.message_detail
        assert c.execute("SELECT count(*) FROM _recon.guard").fetchone() == (0,)
