"""Issue 18: a drift guard in block mode has no bypass from inside the writer's transaction.

Each test is one bypass that committed drift on main before migration 0023 (the guard's running
sum was a session setting, and the functions judging it were PUBLIC-executable), run as an
unprivileged writer: a role with nothing but its rights on the two tables. Block mode now keeps
the sums in _recon.guard_spill, written only by the guard's SECURITY DEFINER trigger functions,
so that every one of them ends in RC401 (or RC410 for a forged call) and nothing is kept. Warn
mode keeps the cheaper setting (docs/GUARDS.md "Block mode").

The ledger: a minimal one-sided ledger without a foreign key (so that a re-key is possible), and
the transfer-row bank (tests/fixtures/bank_transfers.sql) for the shapes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import psycopg
import pytest

from conftest import reconcile, run_cli

SCHEMA = """
CREATE SCHEMA byp;
CREATE TABLE byp.wallet (acct text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE byp.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        acct text NOT NULL, amount numeric(14, 2) NOT NULL);
INSERT INTO byp.wallet VALUES ('A', 100), ('B', 0);
INSERT INTO byp.entry (acct, amount) VALUES ('A', 100);
SELECT recon.register_wallet_source('byp_w', 'byp.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('byp_l', 'byp_w', 'byp.entry', 'acct', 'amount',
                                    '{"entry_id": "id", "order_by": "id"}');
"""

WRITER = """
DROP ROLE IF EXISTS byp_writer;
CREATE ROLE byp_writer;
GRANT USAGE ON SCHEMA byp TO byp_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON byp.wallet, byp.entry TO byp_writer;
"""


@pytest.fixture(scope="module")
def template(fixture_template: Callable[..., str]) -> str:
    return fixture_template(sql=(SCHEMA, WRITER))


@pytest.fixture
def ledger(make_db: Callable[..., str], template: str) -> Iterator[str]:
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.enable_guard('drift', 'byp_l', '{\"mode\": \"block\"}')")
    yield dsn
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.disable_guard('drift', 'byp_l')")


def guard_id(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT id FROM recon.guards").fetchone()[0]


def books(dsn: str) -> tuple:
    with psycopg.connect(dsn, autocommit=True) as c:
        return (c.execute("SELECT array_agg((acct, balance)::text ORDER BY acct)"
                          " FROM byp.wallet").fetchone()[0],
                c.execute("SELECT count(*), sum(amount) FROM byp.entry").fetchone(),
                c.execute("SELECT count(*) FROM _recon.guard_spill").fetchone()[0])


def attempt(dsn: str, *statements: str, sqlstate: str = "RC401") -> psycopg.Error:
    """Run the statements as byp_writer in one transaction and commit: it must fail with
    sqlstate (at a statement or at COMMIT) and leave the books as they were."""
    before = books(dsn)
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byp_writer")
        with pytest.raises(psycopg.Error) as ei:
            for s in statements:
                c.execute(s)
            c.commit()
        c.rollback()
    assert ei.value.sqlstate == sqlstate, (ei.value.sqlstate, str(ei.value))
    assert books(dsn) == before
    return ei.value


DRIFT = "UPDATE byp.wallet SET balance = balance + 1000 WHERE acct = 'A'"


def test_balanced_writes_pass_as_the_writer(ledger: str) -> None:
    """The guard lets a balanced transaction through, balance first or entry first, and a
    re-key of a wallet without balance or entries; nothing stays in _recon.guard_spill."""
    with psycopg.connect(ledger) as c:
        c.execute("SET ROLE byp_writer")
        c.execute("UPDATE byp.wallet SET balance = balance + 5 WHERE acct = 'B'")
        c.execute("INSERT INTO byp.entry (acct, amount) VALUES ('B', 5)")
        c.commit()
        c.execute("INSERT INTO byp.entry (acct, amount) VALUES ('A', -7)")
        c.execute("UPDATE byp.wallet SET balance = balance - 7 WHERE acct = 'A'")
        c.commit()
        c.execute("INSERT INTO byp.wallet VALUES ('C', 0)")
        c.execute("UPDATE byp.wallet SET acct = 'C2' WHERE acct = 'C'")
        c.commit()
    assert books(ledger) == (["(A,93.00)", "(B,5.00)", "(C2,0.00)"], (3, 98), 0)


@pytest.mark.parametrize("reset", [
    "RESET ALL",
    "SELECT set_config('wallet_recon.drift_{gid}', '', true)",
    "SELECT set_config('wallet_recon.drift_{gid}', '*', true)",
    "DISCARD TEMP",
    "DISCARD PLANS",
])
def test_settings_reset_or_forged_do_not_hide_drift(ledger: str, reset: str) -> None:
    """RESET ALL, set_config (emptied, or set to the mark of a balanced transaction) and DISCARD
    after a drifting write: still RC401 at commit (it committed before 0023)."""
    attempt(ledger, DRIFT, reset.format(gid=guard_id(ledger)))


def test_set_local_of_the_setting_does_not_hide_drift(ledger: str) -> None:
    with psycopg.connect(ledger, autocommit=True) as c:
        gid = c.execute("SELECT id FROM recon.guards").fetchone()[0]
    attempt(ledger, DRIFT, f"SET LOCAL wallet_recon.drift_{gid} = ''")


def test_discard_all_cannot_run_in_the_transaction(ledger: str) -> None:
    attempt(ledger, DRIFT, "DISCARD ALL", sqlstate="25001")


def test_forged_calls_of_the_public_guard_functions_are_refused(ledger: str) -> None:
    """The three _recon_guard functions PUBLIC may execute: a made-up accumulator that cancels
    the drift, handed to drift_spill or drift_verdict, is RC410 for a block-mode guard; a
    drift_tick only queues one more check (still RC401)."""
    with psycopg.connect(ledger, autocommit=True) as c:
        gid = c.execute("SELECT id FROM recon.guards").fetchone()[0]
    forged = ",A:1=-1000.00s,"
    attempt(ledger, DRIFT, f"SELECT _recon_guard.drift_spill({gid}, '*{forged}')",
            sqlstate="RC410")
    attempt(ledger, DRIFT, f"SELECT _recon_guard.drift_verdict({gid}, '*!{forged}')",
            sqlstate="RC410")
    attempt(ledger, DRIFT, f"SELECT _recon_guard.drift_tick({gid})")


def test_savepoints_do_not_hide_drift(ledger: str) -> None:
    """A balanced pair whose entry is rolled back to a savepoint; a check fired early (SET
    CONSTRAINTS ALL IMMEDIATE) inside a savepoint that is then rolled back: the drift stays."""
    attempt(ledger, DRIFT, "SAVEPOINT s",
            "INSERT INTO byp.entry (acct, amount) VALUES ('A', 1000)", "ROLLBACK TO SAVEPOINT s")
    attempt(ledger, DRIFT, "SAVEPOINT s", "INSERT INTO byp.entry (acct, amount) VALUES ('A', 1)",
            "RELEASE SAVEPOINT s")
    attempt(ledger, DRIFT, """DO $$ BEGIN SET CONSTRAINTS ALL IMMEDIATE;
                              EXCEPTION WHEN OTHERS THEN NULL; END $$""")


def test_set_constraints_immediate_judges_at_once(ledger: str) -> None:
    """SET CONSTRAINTS ALL IMMEDIATE runs the check after each row: the drift is RC401 there,
    before or after it was written."""
    attempt(ledger, "SET CONSTRAINTS ALL IMMEDIATE", DRIFT)
    attempt(ledger, DRIFT, "SET CONSTRAINTS ALL IMMEDIATE")


def test_rekeys_count_on_both_keys(ledger: str) -> None:
    """UPDATE of the wallet key (A's entries left without a wallet, A2 holding money without
    entries) and of an entry's wallet column (B credited with A's entry): RC401."""
    err = attempt(ledger, "UPDATE byp.wallet SET acct = 'A2' WHERE acct = 'A'")
    assert "A" in str(err)
    attempt(ledger, "UPDATE byp.entry SET acct = 'B' WHERE acct = 'A'")


def test_the_writer_reaches_none_of_the_sealed_state(ledger: str) -> None:
    """The writer can neither read nor write _recon.guard_spill, nor run the guard's generated
    functions."""
    with psycopg.connect(ledger) as c:
        c.execute("SET ROLE byp_writer")
        for sql in ("DELETE FROM _recon.guard_spill",
                    "SELECT _recon.guard_drift_verdict(1, '!')"):
            with pytest.raises(psycopg.Error) as ei:
                c.execute(sql)
            assert ei.value.sqlstate == "42501", sql
            c.rollback()
            c.execute("SET ROLE byp_writer")


TRANSFER_WRITER = """
DROP ROLE IF EXISTS byp_xwriter;
CREATE ROLE byp_xwriter;
GRANT USAGE ON SCHEMA xbank TO byp_xwriter;
GRANT SELECT, INSERT, UPDATE, DELETE ON xbank.balances, xbank.transactions TO byp_xwriter;
"""


PARTITIONED = """
CREATE SCHEMA bypp;
CREATE TABLE bypp.wallet (acct text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE bypp.entry (id bigint NOT NULL, acct text NOT NULL, amount numeric(14, 2) NOT NULL,
                         posted_on date NOT NULL, PRIMARY KEY (id, posted_on))
    PARTITION BY RANGE (posted_on);
CREATE TABLE bypp.entry_2026_11 PARTITION OF bypp.entry
    FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE TABLE bypp.entry_2026_12 PARTITION OF bypp.entry
    FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
INSERT INTO bypp.wallet VALUES ('A', 100), ('B', 0);
INSERT INTO bypp.entry VALUES (1, 'A', 100, '2026-11-15');
SELECT recon.register_wallet_source('bypp_w', 'bypp.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('bypp_l', 'bypp_w', 'bypp.entry', 'acct', 'amount',
                                    '{"entry_id": "id", "order_by": "id"}');
DROP ROLE IF EXISTS byp_pwriter;
CREATE ROLE byp_pwriter;
GRANT USAGE ON SCHEMA bypp TO byp_pwriter;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bypp TO byp_pwriter;
"""

#: per shape: the fixture, the ledger source, the writer, a balanced transaction, a drifting
#: statement, an entry that would balance it, and re-keys (of a wallet, of an entry's wallet)
SHAPES = {
    "partitioned": (
        (), PARTITIONED, "bypp_l", "byp_pwriter",
        ["UPDATE bypp.wallet SET balance = balance + 5 WHERE acct = 'B'",
         "INSERT INTO bypp.entry_2026_12 VALUES (2, 'B', 5, '2026-12-02')"],
        "UPDATE bypp.wallet SET balance = balance + 1000 WHERE acct = 'A'",
        "INSERT INTO bypp.entry VALUES (3, 'A', 1000, '2026-12-03')",
        ["UPDATE bypp.wallet SET acct = 'A2' WHERE acct = 'A'",
         "UPDATE bypp.entry SET acct = 'B' WHERE acct = 'A'",
         "UPDATE bypp.entry SET acct = 'B', posted_on = '2026-12-05' WHERE acct = 'A'"]),
    "transfer_rows": (
        ("bank_transfers.sql",), TRANSFER_WRITER, "xbank_transactions", "byp_xwriter",
        ["UPDATE xbank.balances SET balance = balance - 5 WHERE balance_id = 1",
         "UPDATE xbank.balances SET balance = balance + 5 WHERE balance_id = 2",
         "INSERT INTO xbank.transactions (transaction_id, source, destination, amount,"
         " currency, status) VALUES ('byp-ok', 1, 2, 5, 'EUR', 'APPLIED')"],
        "UPDATE xbank.balances SET balance = balance + 500 WHERE balance_id = 3",
        "INSERT INTO xbank.transactions (transaction_id, source, destination, amount, currency,"
        " status) VALUES ('byp-in', 0, 3, 500, 'EUR', 'APPLIED')",
        # a balance's key cannot change under its rows (foreign keys): the rows' wallets can
        ["UPDATE xbank.transactions SET source = 4 WHERE transaction_id = 'byp-ok'",
         "UPDATE xbank.transactions SET destination = 4 WHERE transaction_id = 'byp-ok'"]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_bypass_is_blocked_on_the_ledger_shapes(
        make_db: Callable[..., str], fixture_template: Callable[..., str], shape: str) -> None:
    """The bypasses above on a partitioned ledger (an entry written straight into a partition,
    one moved to another partition) and on transfer rows, as an unprivileged writer: a balanced
    transaction passes; each bypass is RC401 (RC410 for a forged call, 25001 for DISCARD ALL)
    and leaves the books and _recon.guard_spill as they were."""
    files, sql, name, role, balanced, drift, entry, rekeys = SHAPES[shape]
    dsn = make_db(fixture_template(*files, sql=(sql,)))
    with psycopg.connect(dsn, autocommit=True) as c:
        gid = c.execute("SELECT (recon.enable_guard('drift', %s, '{\"mode\": \"block\"}'))"
                        " ->> 'guard'", (name,)).fetchone()[0]

    def books_text() -> str:
        with psycopg.connect(dsn, autocommit=True) as c:
            table = "bypp.wallet" if shape == "partitioned" else "xbank.balances"
            return c.execute(f"SELECT string_agg(w::text, ',' ORDER BY w::text) FROM {table} AS w"
                             ).fetchone()[0]

    with psycopg.connect(dsn) as c:
        c.execute(f"SET ROLE {role}")
        for s in balanced:
            c.execute(s)
        c.commit()
    forged = ",A:1=-1000.00s,"
    attempts = [([drift, r.format(gid=gid)], "RC401") for r in (
        "RESET ALL", "SELECT set_config('wallet_recon.drift_{gid}', '', true)",
        "SELECT set_config('wallet_recon.drift_{gid}', '*', true)",
        "SET LOCAL wallet_recon.drift_{gid} = ''", "DISCARD TEMP", "DISCARD PLANS",
        "SELECT _recon_guard.drift_tick({gid})",
        "DO $$ BEGIN SET CONSTRAINTS ALL IMMEDIATE; EXCEPTION WHEN OTHERS THEN NULL; END $$")]
    attempts += [
        ([drift, "DISCARD ALL"], "25001"),
        ([drift, f"SELECT _recon_guard.drift_spill({gid}, '*{forged}')"], "RC410"),
        ([drift, f"SELECT _recon_guard.drift_verdict({gid}, '*!{forged}')"], "RC410"),
        ([drift, "SAVEPOINT s", entry, "ROLLBACK TO SAVEPOINT s"], "RC401"),
        (["SET CONSTRAINTS ALL IMMEDIATE", drift], "RC401"),
        ([drift, "SET CONSTRAINTS ALL IMMEDIATE"], "RC401"),
        *(([r], "RC401") for r in rekeys)]
    before = books_text()
    for statements, sqlstate in attempts:
        with psycopg.connect(dsn) as c:
            c.execute(f"SET ROLE {role}")
            with pytest.raises(psycopg.Error) as ei:
                for s in statements:
                    c.execute(s)
                c.commit()
            assert ei.value.sqlstate == sqlstate, (statements, str(ei.value))
        assert books_text() == before, statements
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM _recon.guard_spill").fetchone()[0] == 0
        c.execute("SELECT recon.disable_guard('drift', %s)", (name,))


def test_transfer_rows_block_mode_has_no_bypass(make_db: Callable[..., str],
                                                 fixture_template: Callable[..., str]) -> None:
    """The same on a transfer-row ledger: a balanced transfer passes; RESET ALL after a
    one-sided move, a forged verdict, and a transfer row moved to another payer are RC401 or
    RC410."""
    dsn = make_db(fixture_template("bank_transfers.sql", sql=(TRANSFER_WRITER,)))
    with psycopg.connect(dsn, autocommit=True) as c:
        name = "xbank_transactions"
        gid = c.execute("SELECT (recon.enable_guard('drift', %s, '{\"mode\": \"block\"}'))"
                        " ->> 'guard'", (name,)).fetchone()[0]
    try:
        with psycopg.connect(dsn) as c:
            c.execute("SET ROLE byp_xwriter")
            c.execute("UPDATE xbank.balances SET balance = balance - 5 WHERE balance_id = 1")
            c.execute("UPDATE xbank.balances SET balance = balance + 5 WHERE balance_id = 2")
            c.execute("INSERT INTO xbank.transactions (transaction_id, source, destination,"
                      " amount, currency, status) VALUES ('byp-ok', 1, 2, 5, 'EUR', 'APPLIED')")
            c.commit()
        for statements, state in (
                (["UPDATE xbank.balances SET balance = balance + 500 WHERE balance_id = 3",
                  "RESET ALL"], "RC401"),
                (["UPDATE xbank.balances SET balance = balance + 500 WHERE balance_id = 3",
                  f"SELECT _recon_guard.drift_verdict({gid}, '*!')"], "RC410"),
                (["UPDATE xbank.transactions SET source = 4 WHERE transaction_id = 'byp-ok'"],
                 "RC401")):
            with psycopg.connect(dsn) as c:
                c.execute("SET ROLE byp_xwriter")
                with pytest.raises(psycopg.Error) as ei:
                    for s in statements:
                        c.execute(s)
                    c.commit()
                assert ei.value.sqlstate == state, (statements, str(ei.value))
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("SELECT recon.disable_guard('drift', %s)", (name,))


def test_a_disabled_or_missing_guard_trigger_is_flagged(ledger: str) -> None:
    """The table's owner disables the ledger's row trigger of a warn-mode drift guard: recon.guards
    (triggers_off), wallet-recon status, the reconcile summary (guards_off) and the warn-mode
    alert of the drift it then misses say so; enabled again, nothing is flagged."""
    with psycopg.connect(ledger, autocommit=True) as c:
        gid = c.execute("SELECT (recon.enable_guard('drift', 'byp_l', '{\"mode\": \"warn\"}'))"
                        " ->> 'guard'").fetchone()[0]
        trigger = f"recon_guard_{gid}_ledger"
        c.execute(f"ALTER TABLE byp.entry DISABLE TRIGGER {trigger}")
        off = c.execute("SELECT triggers_off FROM recon.guards").fetchone()[0]
        assert off == [{"table": "byp.entry", "trigger": trigger, "state": "disabled"}]
        status = run_cli("status", "--json", dsn=ledger)
        assert [(g["trigger"], g["state"]) for g in json.loads(
            status.stdout)["guards_off"]] == [(trigger, "disabled")]
        text = run_cli("status", dsn=ledger).stdout
        assert f"trigger {trigger} on byp.entry is disabled" in text
        assert reconcile(ledger)["guards_off"][0]["trigger"] == trigger
        # a balanced write: the guard sees the balance only, and its alert says why
        c.execute("BEGIN")
        c.execute("UPDATE byp.wallet SET balance = balance + 2 WHERE acct = 'B'")
        c.execute("INSERT INTO byp.entry (acct, amount) VALUES ('B', 2)")
        c.execute("COMMIT")
        details = c.execute("SELECT details FROM recon.open_alerts").fetchone()[0]
        assert details["triggers_off"][0]["trigger"] == trigger
        c.execute(f"DROP TRIGGER {trigger} ON byp.entry")
        assert c.execute("SELECT triggers_off -> 0 ->> 'state' FROM recon.guards"
                         ).fetchone()[0] == "missing"
        c.execute("SELECT recon.disable_guard('drift', 'byp_l')")
        c.execute("SELECT recon.enable_guard('drift', 'byp_l', '{\"mode\": \"block\"}')")
        assert c.execute("SELECT triggers_off FROM recon.guards").fetchone()[0] == []
        assert "guards_off" not in reconcile(ledger)


NULL_CREDIT = ("UPDATE dbl.account SET balance = balance + 500 WHERE id = 'carol'",
               "INSERT INTO dbl.entry (account_id, amount, balance_after, txn)"
               " SELECT 'carol', 500, balance, NULL FROM dbl.account WHERE id = 'carol'")


def test_null_journals_are_found_and_blocked_unless_declared_legitimate(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A one-sided credit whose journal is NULL (balance and entry agree: no drift): the journal
    check finds it (cause null_journal) and a blocking double_entry guard refuses it (RC403);
    with "null_journals": "allowed" on the check and the guard, both let it be."""
    dsn = make_db(fixture_template("double_entry.sql"))
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.enable_guard('double_entry', 'dbl_entries',"
                  " '{\"mode\": \"block\"}')")
        with pytest.raises(psycopg.Error) as ei, c.transaction():
            for s in NULL_CREDIT:
                c.execute(s)
        assert ei.value.sqlstate == "RC403", str(ei.value)
        c.execute("SELECT recon.enable_guard('double_entry', 'dbl_entries',"
                  " '{\"mode\": \"block\", \"null_journals\": \"allowed\"}')")
        with c.transaction():
            for s in NULL_CREDIT:
                c.execute(s)
        summary = reconcile(dsn)
        assert summary["status"] == "discrepancy"
        found = c.execute("SELECT details ->> 'cause', details ->> 'entries'"
                          " FROM recon.open_findings WHERE check_name = 'dbl_journal'").fetchall()
        assert found == [("null_journal", "1")]
        c.execute("SELECT recon.drop_check('dbl_journal')")
        c.execute("SELECT recon.register_check('dbl_journal', 'journal',"
                  " '{\"ledger\": \"dbl_entries\", \"null_journals\": \"allowed\"}')")
        assert reconcile(dsn)["status"] == "synced"
        c.execute("SELECT recon.disable_guard('double_entry', 'dbl_entries')")


def test_derived_guard_checks_wallet_inserts_and_rekeys(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """The derived guard (seed 002's locked_balance against its live commitments) now stages a
    wallet INSERT and both keys of a re-key: a new wallet with 900 locked and no commitment, and
    a re-key plus 60 more locked, are RC402; a new wallet with nothing locked passes."""
    dsn = make_db(fixture_template("seed002.sql", "seed002_register.sql"))
    new = ("INSERT INTO seed002.workspace_wallets (workspace_id, workspace_name, locked_balance,"
           " created_at) VALUES (md5('{0}')::uuid, '{0}', {1}, now())")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.enable_guard('derived', 's2_locked', '{\"mode\": \"block\"}')")
        c.execute(new.format("byp-empty", 0))
        for statements in ([new.format("byp-locked", 900)],
                           ["UPDATE seed002.workspace_wallets SET workspace_id ="
                            " md5('byp-moved')::uuid, locked_balance = locked_balance + 60"
                            " WHERE workspace_id = md5('byp-empty')::uuid"]):
            with pytest.raises(psycopg.Error) as ei, c.transaction():
                for s in statements:
                    c.execute(s)
            assert ei.value.sqlstate == "RC402", str(ei.value)
            # each says what it found (the message read "locked_balance is , expected " for
            # the key re-keyed away: EXECUTE leaves FOUND alone)
            assert " is , expected " not in str(ei.value), str(ei.value)
        # a wallet with nothing locked and no commitment is deleted (it was RC402, with that
        # empty message)
        c.execute("DELETE FROM seed002.workspace_wallets"
                  " WHERE workspace_id = md5('byp-empty')::uuid")
        c.execute("SELECT recon.disable_guard('derived', 's2_locked')")


def test_null_journal_guard_keeps_to_the_ledgers_filters(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """An entry without a journal that the ledger's filters leave out (a pending one, its
    journal set when posted) is not read by the journal check, and the double_entry guard lets
    it be; once it passes the filters without a journal, the guard blocks it (RC403)."""
    dsn = make_db(fixture_template())
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA nj")
        c.execute("CREATE TABLE nj.w (id text PRIMARY KEY, bal numeric NOT NULL DEFAULT 0)")
        c.execute("CREATE TABLE nj.e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  " wid text NOT NULL, amt numeric NOT NULL, txn text, status text NOT NULL)")
        c.execute("SELECT recon.register_wallet_source('njw', 'nj.w', 'id', ARRAY['bal'])")
        c.execute("SELECT recon.register_ledger_source('nje', 'njw', 'nj.e', 'wid', 'amt',"
                  " '{\"journal\": \"txn\", \"filters\": [{\"column\": \"status\", \"op\": \"=\","
                  " \"value\": \"posted\"}]}')")
        c.execute("SELECT recon.register_check('njj', 'journal', '{\"ledger\": \"nje\"}')")
        c.execute("SELECT recon.enable_guard('double_entry', 'nje', '{\"mode\": \"block\"}')")
        c.execute("INSERT INTO nj.e (wid, amt, txn, status) VALUES ('a', 5, NULL, 'pending')")
        assert reconcile(dsn)["status"] == "synced"
        with pytest.raises(psycopg.Error) as ei:
            c.execute("UPDATE nj.e SET status = 'posted'")
        assert ei.value.sqlstate == "RC403", str(ei.value)
        with c.transaction():
            c.execute("UPDATE nj.e SET status = 'posted', txn = 't1', amt = 0")
        assert reconcile(dsn)["status"] == "synced"
        c.execute("SELECT recon.disable_guard('double_entry', 'nje')")


# A transaction's status decides whether its operations count (a parent row the effects read);
# transaction 2 is PENDING. tests/test_shapes_guards.py's overlapping statements, as a writer.
PARENTS = """
CREATE SCHEMA byq;
CREATE TABLE byq.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE byq.txn (id int PRIMARY KEY, status text NOT NULL);
CREATE TABLE byq.op (id int PRIMARY KEY, txn_id int NOT NULL REFERENCES byq.txn (id),
                     wallet_id int NOT NULL, amount numeric NOT NULL);
CREATE INDEX ON byq.op (txn_id);
INSERT INTO byq.wallet VALUES (1, 10), (2, 0);
INSERT INTO byq.txn VALUES (1, 'POSTED'), (2, 'PENDING');
INSERT INTO byq.op VALUES (1, 1, 1, 10);
SELECT recon.register_wallet_source('byq_w', 'byq.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('byq_l', 'byq_w', 'byq.op', 'wallet_id', 'amount', '{
    "parents": {"tx": {"table": "byq.txn", "key": "id", "via": "txn_id"}},
    "filters": [{"column": "tx.status", "op": "=", "value": "POSTED"}], "order_by": "id"}');
DROP ROLE IF EXISTS byq_writer;
CREATE ROLE byq_writer;
GRANT USAGE ON SCHEMA byq TO byq_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON byq.wallet, byq.txn, byq.op TO byq_writer;
SELECT recon.enable_guard('drift', 'byq_l', '{"mode": "block"}');
"""
# one statement posting transaction 2 and writing its operation of 5 to wallet 2: both
# statement triggers read both tables as it left them, so the 5 counts twice, and a wallet
# moved by 10 would pass; the guard refuses the window instead (RC401, "cannot prove")
OVERLAPPING = ("WITH t AS (UPDATE byq.txn SET status = 'POSTED' WHERE id = 2)"
               " INSERT INTO byq.op VALUES (2, 2, 2, 5)",
               "UPDATE byq.wallet SET balance = balance + 10 WHERE id = 2")


@pytest.mark.parametrize("forge", [
    "SET LOCAL wallet_recon.drift_{gid}_stmt = '0,0,0,0,1'",
    "SELECT set_config('wallet_recon.drift_{gid}_stmt', '-9,0,0,0,0', true)",
    "SELECT set_config('wallet_recon.drift_{gid}_stmt', '', true)",
])
def test_the_statement_window_cannot_be_forged(make_db: Callable[..., str],
                                               fixture_template: Callable[..., str],
                                               forge: str) -> None:
    """On a ledger whose effects read a parent row, the window telling overlapping statements
    apart was a setting: set to 'already reported' (or to a negative count of open statements)
    before the overlapping statement, it let a wallet moved by twice the operation commit (drift
    of 5, before 0028). In block mode the window is now sealed like the sums: still RC401, and
    nothing is kept; without the forgery too."""
    dsn = make_db(fixture_template(sql=(PARENTS,)))
    with psycopg.connect(dsn, autocommit=True) as c:
        gid = c.execute("SELECT id FROM recon.guards").fetchone()[0]
        before = c.execute("SELECT (SELECT array_agg(balance ORDER BY id) FROM byq.wallet),"
                           " (SELECT count(*) FROM byq.op),"
                           " (SELECT count(*) FROM _recon.guard_spill)"
                           " + (SELECT count(*) FROM _recon.guard_window)").fetchone()
    for statements in ((forge.format(gid=gid), *OVERLAPPING), OVERLAPPING):
        with psycopg.connect(dsn) as c:
            c.execute("SET ROLE byq_writer")
            with pytest.raises(psycopg.Error) as ei:
                for s in statements:
                    c.execute(s)
                c.commit()
            c.rollback()
        assert ei.value.sqlstate == "RC401", (statements, str(ei.value))
        assert "cannot prove" in str(ei.value), str(ei.value)
        with psycopg.connect(dsn, autocommit=True) as c:
            assert c.execute("SELECT (SELECT array_agg(balance ORDER BY id) FROM byq.wallet),"
                             " (SELECT count(*) FROM byq.op),"
                             " (SELECT count(*) FROM _recon.guard_spill)"
                             " + (SELECT count(*) FROM _recon.guard_window)").fetchone() == before


def test_a_key_type_with_a_users_cast_is_refused_in_block_mode(
        make_db: Callable[..., str], template: str) -> None:
    """A sealed guard's trigger functions run as the toolkit's owner and cast the wallet key to
    text: over a type its owner made, with a cast that is its owner's function, that function
    would run as the toolkit's owner. Block mode refuses such a column (a composite here; an
    enum is read by its label, below) with RC406 naming it, and creates nothing; warn mode
    (running as the writer) and a domain over text are accepted."""
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TYPE byp.k AS (code text)")
        c.execute("CREATE FUNCTION byp.k_text(byp.k) RETURNS text LANGUAGE sql"
                  " AS $$ SELECT current_user || $1::name $$")
        c.execute("CREATE CAST (byp.k AS text) WITH FUNCTION byp.k_text(byp.k)")
        c.execute("CREATE DOMAIN byp.code AS text")
        c.execute("CREATE TABLE byp.kw (acct byp.k PRIMARY KEY, balance numeric NOT NULL)")
        c.execute("CREATE TABLE byp.ke (id int PRIMARY KEY, acct byp.k, amount numeric)")
        c.execute("SELECT recon.register_wallet_source('byp_kw', 'byp.kw', 'acct',"
                  " ARRAY['balance'])")
        c.execute("SELECT recon.register_ledger_source('byp_ke', 'byp_kw', 'byp.ke', 'acct',"
                  " 'amount')")
        with pytest.raises(psycopg.Error) as ei:
            c.execute("SELECT recon.enable_guard('drift', 'byp_ke', '{\"mode\": \"block\"}')")
        assert ei.value.sqlstate == "RC406", str(ei.value)
        assert "byp.kw.acct (byp.k)" in str(ei.value), str(ei.value)
        assert c.execute("SELECT count(*) FROM _recon.guard").fetchone()[0] == 0
        c.execute("SELECT recon.enable_guard('drift', 'byp_ke', '{\"mode\": \"warn\"}')")
        c.execute("SELECT recon.disable_guard('drift', 'byp_ke')")
        for table in ("byp.kw", "byp.ke"):
            c.execute(f"ALTER TABLE {table} ALTER COLUMN acct TYPE byp.code USING (acct).code")
        c.execute("SELECT recon.enable_guard('drift', 'byp_ke', '{\"mode\": \"block\"}')")
        c.execute("SELECT recon.disable_guard('drift', 'byp_ke')")


def test_an_enum_direction_is_read_by_its_label_in_block_mode(
        make_db: Callable[..., str], template: str) -> None:
    """An enum direction column (the review's finding: block mode refused it, so a guard
    enabled before RC406 could not be enabled again at upgrade): the sealed guard reads its
    label through the enum's output function, never a cast, so a cast its owner adds after
    the guard is enabled is not run; an honest credit and debit pass as the writer, a credit
    posted as a debit is RC401. An entry filter on an enum with a user's = operator is RC406."""
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TYPE byp.dir AS ENUM ('debit', 'credit')")
        c.execute("CREATE TABLE byp.de (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  " acct text NOT NULL, amount numeric(14, 2) NOT NULL, direction byp.dir)")
        c.execute("GRANT SELECT, INSERT ON byp.de TO byp_writer")
        c.execute("SELECT recon.register_ledger_source('byp_de', 'byp_w', 'byp.de', 'acct',"
                  " 'amount', '{\"entry_id\": \"id\", \"order_by\": \"id\", \"direction\":"
                  " \"direction\", \"credit\": \"credit\", \"debit\": \"debit\"}')")
        c.execute("SELECT recon.enable_guard('drift', 'byp_de', '{\"mode\": \"block\"}')")
        c.execute("CREATE FUNCTION byp.dir_text(byp.dir) RETURNS text LANGUAGE plpgsql AS"
                  " $$ BEGIN RAISE EXCEPTION 'the cast ran as %', current_user; END $$")
        c.execute("CREATE CAST (byp.dir AS text) WITH FUNCTION byp.dir_text(byp.dir)")
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byp_writer")
        c.execute("UPDATE byp.wallet SET balance = balance + 5 WHERE acct = 'B'")
        c.execute("INSERT INTO byp.de (acct, amount, direction) VALUES ('B', 5, 'credit')")
        c.commit()
        c.execute("INSERT INTO byp.de (acct, amount, direction) VALUES ('B', 2, 'debit')")
        c.execute("UPDATE byp.wallet SET balance = balance - 2 WHERE acct = 'B'")
        c.commit()
    attempt(dsn, "UPDATE byp.wallet SET balance = balance + 5 WHERE acct = 'B'",
            "INSERT INTO byp.de (acct, amount, direction) VALUES ('B', 5, 'debit')")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.disable_guard('drift', 'byp_de')")
        c.execute("CREATE FUNCTION byp.dir_eq(byp.dir, byp.dir) RETURNS boolean LANGUAGE sql"
                  " AS $$ SELECT $1::text = $2::text $$")
        c.execute("CREATE OPERATOR byp.= (LEFTARG = byp.dir, RIGHTARG = byp.dir,"
                  " FUNCTION = byp.dir_eq)")
        c.execute("SELECT recon.register_ledger_source('byp_df', 'byp_w', 'byp.de', 'acct',"
                  " 'amount', '{\"entry_id\": \"id\", \"order_by\": \"id\", \"filters\":"
                  " [{\"column\": \"direction\", \"op\": \"in\", \"values\": [\"credit\"]}]}')")
        with pytest.raises(psycopg.Error) as ei:
            c.execute("SELECT recon.enable_guard('drift', 'byp_df', '{\"mode\": \"block\"}')")
        assert ei.value.sqlstate == "RC406", str(ei.value)
        assert "entry filters of byp.de" in str(ei.value), str(ei.value)


def test_the_sealed_window_lets_separate_statements_through(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """The writer's balanced transaction on the parent-row ledger (the transaction posted, its
    operation written and wallet 2 moved by 5, in three statements) passes in block mode, and
    the window leaves no row behind."""
    dsn = make_db(fixture_template(sql=(PARENTS,)))
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byq_writer")
        c.execute("UPDATE byq.txn SET status = 'POSTED' WHERE id = 2")
        c.execute("INSERT INTO byq.op VALUES (2, 2, 2, 5)")
        c.execute("UPDATE byq.wallet SET balance = balance + 5 WHERE id = 2")
        c.commit()
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT (SELECT array_agg(balance ORDER BY id) FROM byq.wallet),"
                         " (SELECT count(*) FROM _recon.guard_window),"
                         " (SELECT count(*) FROM _recon.guard_spill)").fetchone() == ([10, 5], 0, 0)


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_a_double_entry_guard_refuses_a_users_type(
        make_db: Callable[..., str], template: str, mode: str) -> None:
    """A double_entry guard's statement function and journal sum run as the toolkit's owner in
    both modes and cast the journal to text: over a type a user made (an enum here) a cast its
    owner wrote would run as the toolkit's owner. RC406 naming the column, nothing created; a
    domain over text is accepted. An enum direction (RC406 before) is read by its label (the
    legs relation, _recon.legs_kind_sql): its owner's cast, which raises, is never run while an
    entry posted as the writer is judged."""
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TYPE byp.dir AS ENUM ('debit', 'credit')")
        c.execute("CREATE FUNCTION byp.dir_text(byp.dir) RETURNS text LANGUAGE plpgsql AS"
                  " $$ BEGIN RAISE EXCEPTION 'the cast ran as %', current_user; END $$")
        c.execute("CREATE CAST (byp.dir AS text) WITH FUNCTION byp.dir_text(byp.dir)")
        c.execute("CREATE TYPE byp.jr AS ENUM ('j1', 'j2')")
        c.execute("CREATE DOMAIN byp.code AS text")
        c.execute("CREATE TABLE byp.dj (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  " acct text NOT NULL, amount numeric(14, 2) NOT NULL, direction byp.dir,"
                  " journal byp.jr)")
        c.execute("GRANT SELECT, INSERT ON byp.dj TO byp_writer")
        c.execute("SELECT recon.register_ledger_source('byp_dj', 'byp_w', 'byp.dj', 'acct',"
                  " 'amount', '{\"entry_id\": \"id\", \"order_by\": \"id\", \"direction\":"
                  " \"direction\", \"journal\": \"journal\"}')")
        options = json.dumps({"mode": mode})
        for column in ("journal",):
            with pytest.raises(psycopg.Error) as ei:
                c.execute("SELECT recon.enable_guard('double_entry', 'byp_dj', %s)", (options,))
            assert ei.value.sqlstate == "RC406", str(ei.value)
            assert f"cannot read byp.dj.{column} (byp." in str(ei.value), str(ei.value)
            assert c.execute("SELECT count(*) FROM _recon.guard").fetchone()[0] == 0
            c.execute(f"ALTER TABLE byp.dj ALTER COLUMN {column} TYPE byp.code"
                      f" USING pg_catalog.format('%s', {column})")
        c.execute("SELECT recon.enable_guard('double_entry', 'byp_dj', %s)", (options,))
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byp_writer")
        c.execute("INSERT INTO byp.dj (acct, amount, direction, journal)"
                  " VALUES ('A', 5, 'credit', 'j1'), ('B', 5, 'debit', 'j1')")
        c.commit()
    if mode == "block":
        attempt(dsn, "INSERT INTO byp.dj (acct, amount, direction, journal)"
                     " VALUES ('A', 5, 'credit', 'j2')", sqlstate="RC403")


@pytest.mark.parametrize("shape", ["entries", "parents"])
def test_an_enum_wallet_key_is_read_by_its_label_in_block_mode(
        make_db: Callable[..., str], template: str, shape: str) -> None:
    """An enum wallet key (RC406 in block mode before): the sealed guard reads its label through
    the enum's output function, never a cast, so a cast its owner adds after the guard is
    enabled (one that raises, here) is not run, on a ledger read row by row and on one read per
    statement (parent rows). As the writer: a balanced posting passes, a re-key is counted on
    both keys, drift is RC401."""
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TYPE byp.ek AS ENUM ('A', 'B', 'C')")
        c.execute("CREATE TABLE byp.ew (acct byp.ek PRIMARY KEY,"
                  " balance numeric(14, 2) NOT NULL)")
        c.execute("CREATE TABLE byp.et (id int PRIMARY KEY, posted boolean NOT NULL)")
        c.execute("CREATE TABLE byp.ee (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  " acct byp.ek NOT NULL, amount numeric(14, 2) NOT NULL,"
                  " txn int NOT NULL REFERENCES byp.et)")
        c.execute("INSERT INTO byp.ew VALUES ('A', 0), ('B', 0)")
        c.execute("INSERT INTO byp.et VALUES (1, TRUE)")
        c.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON byp.ew, byp.ee, byp.et TO byp_writer")
        c.execute("SELECT recon.register_wallet_source('byp_ew', 'byp.ew', 'acct',"
                  " ARRAY['balance'])")
        options = {"entry_id": "id", "order_by": "id"}
        if shape == "parents":
            options |= {"parents": {"t": {"table": "byp.et", "key": "id", "via": "txn"}},
                        "filters": [{"column": "t.posted", "op": "=", "value": True}]}
        c.execute("SELECT recon.register_ledger_source('byp_ee', 'byp_ew', 'byp.ee', 'acct',"
                  " 'amount', %s)", (json.dumps(options),))
        c.execute("SELECT recon.enable_guard('drift', 'byp_ee', '{\"mode\": \"block\"}')")
        c.execute("CREATE FUNCTION byp.ek_text(byp.ek) RETURNS text LANGUAGE plpgsql AS"
                  " $$ BEGIN RAISE EXCEPTION 'the cast ran as %', current_user; END $$")
        c.execute("CREATE CAST (byp.ek AS text) WITH FUNCTION byp.ek_text(byp.ek)")
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byp_writer")
        c.execute("INSERT INTO byp.ee (acct, amount, txn) VALUES ('A', 5, 1)")
        c.execute("UPDATE byp.ew SET balance = balance + 5 WHERE acct = 'A'")
        c.commit()
        c.execute("INSERT INTO byp.ew VALUES ('C', 0)")
        c.commit()
    for statements in (["UPDATE byp.ew SET balance = balance + 1 WHERE acct = 'B'"],
                       ["UPDATE byp.ee SET acct = 'B'"],
                       ["DELETE FROM byp.ew WHERE acct = 'C'",
                        "UPDATE byp.ew SET acct = 'C' WHERE acct = 'A'"]):
        with psycopg.connect(dsn) as c:
            c.execute("SET ROLE byp_writer")
            with pytest.raises(psycopg.Error) as ei:
                for s in statements:
                    c.execute(s)
                c.commit()
        assert ei.value.sqlstate == "RC401", (statements, str(ei.value))
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT array_agg(pg_catalog.format('%s:%s', acct, balance)"
                         " ORDER BY acct) FROM byp.ew").fetchone()[0] == [
            "A:5.00", "B:0.00", "C:0.00"]


@pytest.mark.parametrize("shape", ["parents", "rules"])
def test_enum_legs_columns_are_read_by_their_label(
        make_db: Callable[..., str], template: str, shape: str) -> None:
    """An enum direction column of a ledger read as legs (parent rows) and an enum column an
    effect rule compares (RC406 in block mode before: the legs relation cast it to text): the
    legs relation reads its label through the enum's output function, so a cast its owner adds
    after the guards are enabled (one that raises) is not run. As the writer: honest postings
    pass, drift is RC401, and (direction ledger) a double_entry guard on it, which now takes
    the enum too, blocks an unbalanced journal (RC403). Reconcile agrees."""
    dsn = make_db(template)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TYPE byp.op AS ENUM ('in', 'out')")
        c.execute("CREATE TABLE byp.tx (id int PRIMARY KEY, ok boolean NOT NULL)")
        c.execute("CREATE TABLE byp.le (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  " acct text NOT NULL, amount numeric(14, 2) NOT NULL, op byp.op NOT NULL,"
                  " txn int NOT NULL REFERENCES byp.tx, journal text)")
        c.execute("INSERT INTO byp.tx VALUES (1, TRUE), (2, FALSE)")
        c.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON byp.tx, byp.le TO byp_writer")
        options: dict = {"entry_id": "id", "order_by": "id", "journal": "journal",
                         "parents": {"t": {"table": "byp.tx", "key": "id", "via": "txn"}},
                         "filters": [{"column": "t.ok", "op": "=", "value": True}]}
        if shape == "parents":
            options |= {"direction": "op", "credit": "in", "debit": "out"}
        else:
            options |= {"operation": ["op"], "effects": [
                {"when": {"op": "in"}, "effect": {"balance": 1}},
                {"when": {"op": "out"}, "effect": {"balance": -1}}]}
        c.execute("SELECT recon.register_ledger_source('byp_le', 'byp_w', 'byp.le', 'acct',"
                  " 'amount', %s)", (json.dumps(options),))
        c.execute("SELECT recon.register_check('byp_lb', 'balance', '{\"ledger\": \"byp_le\"}')")
        c.execute("UPDATE byp.wallet SET balance = 0")
        c.execute("SELECT recon.enable_guard('drift', 'byp_le', '{\"mode\": \"block\"}')")
        if shape == "parents":
            c.execute("SELECT recon.enable_guard('double_entry', 'byp_le',"
                      " '{\"mode\": \"block\", \"null_journals\": \"allowed\"}')")
        c.execute("CREATE FUNCTION byp.op_text(byp.op) RETURNS text LANGUAGE plpgsql AS"
                  " $$ BEGIN RAISE EXCEPTION 'the cast ran as %', current_user; END $$")
        c.execute("CREATE CAST (byp.op AS text) WITH FUNCTION byp.op_text(byp.op)")
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE byp_writer")
        c.execute("INSERT INTO byp.le (acct, amount, op, txn, journal)"
                  " VALUES ('A', 5, 'in', 1, 'j1'), ('B', 5, 'out', 1, 'j1')")
        c.execute("UPDATE byp.wallet SET balance = balance + 5 WHERE acct = 'A'")
        c.execute("UPDATE byp.wallet SET balance = balance - 5 WHERE acct = 'B'")
        c.commit()
        # an entry of a transaction the filter leaves out moves nothing
        c.execute("INSERT INTO byp.le (acct, amount, op, txn) VALUES ('A', 7, 'in', 2)")
        c.commit()
    # an 'out' entry posted with its balance moved up
    attempt(dsn, "INSERT INTO byp.le (acct, amount, op, txn) VALUES ('A', 2, 'out', 1)",
            "UPDATE byp.wallet SET balance = balance + 2 WHERE acct = 'A'")
    # the parent row filtered in without the balance its entry moves
    attempt(dsn, "UPDATE byp.tx SET ok = TRUE WHERE id = 2")
    if shape == "parents":
        attempt(dsn, "INSERT INTO byp.le (acct, amount, op, txn, journal)"
                     " VALUES ('A', 3, 'in', 1, 'j2')",
                "UPDATE byp.wallet SET balance = balance + 3 WHERE acct = 'A'", sqlstate="RC403")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP CAST (byp.op AS text)")
        assert c.execute("SELECT array_agg((acct, balance)::text ORDER BY acct)"
                         " FROM byp.wallet").fetchone()[0] == ["(A,5.00)", "(B,-5.00)"]
    assert reconcile(dsn, ["byp_lb"])["status"] == "synced"
