"""A drift guard follows the balance checks registered and dropped after it was enabled.

A drift guard sums every ledger a balance check lists with its own (_recon.guard_drift_ledgers),
read when it is enabled. It read them only then: a multi-ledger check replaced by a
single-ledger one left the guard summing a ledger reconcile no longer sums, so block mode let
through a fee posted with its balance, which reconcile then found as drift; a multi-ledger check
registered later left it blocking correct postings through the new ledger. recon.register_check
and recon.drop_check now enable the guards concerned again in the same transaction
(_recon.guard_follow_checks), or refuse with RC411 and change nothing.

After each change, as a writer role with nothing but its rights on the tables, block mode stops
exactly what reconcile finds and lets through what it accepts."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest

from conftest import reconcile

SCHEMA = """
CREATE SCHEMA gf;
CREATE TABLE gf.wallet (acct text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE gf.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct text NOT NULL,
                       amount numeric(14, 2) NOT NULL);
CREATE TABLE gf.fee (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct text NOT NULL,
                     amount numeric(14, 2) NOT NULL);
INSERT INTO gf.wallet VALUES ('A', 0), ('B', 0);
SELECT recon.register_wallet_source('gf_w', 'gf.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('gf_main', 'gf_w', 'gf.entry', 'acct', 'amount',
                                    '{"order_by": "id"}');
SELECT recon.register_ledger_source('gf_fee', 'gf_w', 'gf.fee', 'acct', 'amount',
                                    '{"order_by": "id"}');
DROP ROLE IF EXISTS gf_writer;
CREATE ROLE gf_writer;
GRANT USAGE ON SCHEMA gf TO gf_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON gf.wallet, gf.entry, gf.fee TO gf_writer;
"""

MAIN = ["INSERT INTO gf.entry (acct, amount) VALUES ('A', 10)",
        "UPDATE gf.wallet SET balance = balance + 10 WHERE acct = 'A'"]
FEE_WITH_BALANCE = ["INSERT INTO gf.fee (acct, amount) VALUES ('B', -1)",
                    "UPDATE gf.wallet SET balance = balance - 1 WHERE acct = 'B'"]
FEE_ALONE = ["INSERT INTO gf.fee (acct, amount) VALUES ('B', -2)"]
BALANCE_ALONE = ["UPDATE gf.wallet SET balance = balance + 3 WHERE acct = 'A'"]


@pytest.fixture
def books(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(SCHEMA,)))


def write(dsn: str, statements: list[str]) -> str | None:
    """The statements as gf_writer in one transaction: the SQLSTATE it failed with, or None."""
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE gf_writer")
        try:
            for s in statements:
                c.execute(s)
            c.commit()
        except psycopg.Error as e:
            c.rollback()
            return e.sqlstate
    return None


def admin(dsn: str, sql: str, *args: object) -> object:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(sql, args).fetchone()[0]


def reconcile_drifts(dsn: str, statements: list[str]) -> bool:
    """Whether reconcile finds drift after the statements (written without a guard, as its
    owner, then undone): what block mode must refuse."""
    with psycopg.connect(dsn) as c:
        guards = c.execute("SELECT kind, target, mode FROM recon.guards").fetchall()
        for kind, target, _ in guards:
            c.execute("SELECT recon.disable_guard(%s, %s)", (kind, target))
        for s in statements:
            c.execute(s)
        status = c.execute("SELECT recon.reconcile()").fetchone()[0]["status"]
        c.rollback()
    return status != "synced"


def assert_guard_matches_reconcile(dsn: str) -> None:
    """Every case is refused by block mode exactly when reconcile would find it."""
    for statements in (MAIN, FEE_WITH_BALANCE, FEE_ALONE, BALANCE_ALONE):
        drifts = reconcile_drifts(dsn, statements)
        state = write(dsn, statements)
        assert state == ("RC401" if drifts else None), (statements, drifts, state)
        assert reconcile(dsn)["status"] == "synced", statements


def test_register_and_drop_check_recompile_the_drift_guard(books: str) -> None:
    admin(books, "SELECT recon.register_check('gf_both', 'balance',"
                 " '{\"ledger\": [\"gf_main\", \"gf_fee\"]}')")
    admin(books, "SELECT recon.enable_guard('drift', 'gf_main', '{\"mode\": \"block\"}')")
    guard = admin(books, "SELECT id FROM recon.guards")
    assert admin(books, "SELECT compiled -> 'ledgers' FROM _recon.guard") == ["gf_fee", "gf_main"]
    # both ledgers summed: a fee with its balance passes, a fee alone is drift
    assert reconcile_drifts(books, FEE_WITH_BALANCE) is False
    assert reconcile_drifts(books, FEE_ALONE) is True
    assert_guard_matches_reconcile(books)

    # the multi-ledger check replaced by one on the entries alone: fees are no longer summed
    # by reconcile, so a fee posted with its balance is drift and a fee alone is not (before,
    # the guard kept summing fees: it let the first through and refused the second). The fees
    # so far go first, with their balances, so that the books agree with either check.
    assert write(books, ["DELETE FROM gf.fee",
                         "UPDATE gf.wallet SET balance = balance + 1 WHERE acct = 'B'"]) is None
    admin(books, "SELECT recon.drop_check('gf_both')")
    assert admin(books, "SELECT compiled -> 'ledgers' FROM _recon.guard") == ["gf_main"]
    admin(books, "SELECT recon.register_check('gf_entries', 'balance',"
                 " '{\"ledger\": \"gf_main\"}')")
    assert reconcile_drifts(books, FEE_WITH_BALANCE) is True
    assert reconcile_drifts(books, FEE_ALONE) is False
    assert_guard_matches_reconcile(books)

    # and back: a multi-ledger check registered later is summed at once (the fees posted
    # alone go first: they are drift when fees are summed)
    assert write(books, ["DELETE FROM gf.fee"]) is None
    admin(books, "SELECT recon.drop_check('gf_entries')")
    admin(books, "SELECT recon.register_check('gf_both', 'balance',"
                 " '{\"ledger\": [\"gf_main\", \"gf_fee\"]}')")
    assert admin(books, "SELECT compiled -> 'ledgers' FROM _recon.guard") == ["gf_fee", "gf_main"]
    assert reconcile_drifts(books, FEE_WITH_BALANCE) is False
    assert_guard_matches_reconcile(books)
    # the same guard all along (its id, so its trigger names), still in block mode
    assert admin(books, "SELECT json_agg(json_build_object('id', id, 'mode', mode))"
                        " FROM recon.guards") == [{"id": guard, "mode": "block"}]


def test_an_unrelated_check_leaves_the_guard_alone(books: str) -> None:
    admin(books, "SELECT recon.register_check('gf_entries', 'balance',"
                 " '{\"ledger\": \"gf_main\"}')")
    admin(books, "SELECT recon.enable_guard('drift', 'gf_main', '{\"mode\": \"block\"}')")
    functions = admin(books, "SELECT json_agg(oid ORDER BY oid) FROM pg_proc"
                             " WHERE proname LIKE 'tg_drift_%%'")
    admin(books, "SELECT recon.register_check('gf_fees', 'balance', '{\"ledger\": \"gf_fee\"}')")
    admin(books, "SELECT recon.drop_check('gf_fees')")
    assert admin(books, "SELECT json_agg(oid ORDER BY oid) FROM pg_proc"
                        " WHERE proname LIKE 'tg_drift_%%'") == functions


def test_a_guard_that_cannot_follow_refuses_the_change(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A check that would make a guard sum a ledger it cannot read row by row (parent rows) is
    RC411, and nothing is registered: the guard keeps what it sums, and so does reconcile."""
    from test_guard_ledgers import FEES_ON_OPERATIONS
    from test_legs import OPERATION
    fees = FEES_ON_OPERATIONS.replace(
        """SELECT recon.register_check('mo_all', 'balance', '{"ledger": ["mo", "mfee"]}');""",
        """SELECT recon.register_check('mfee_b', 'balance', '{"ledger": "mfee"}');""")
    dsn = make_db(fixture_template("legs.sql", sql=(OPERATION, fees)))
    admin(dsn, "SELECT recon.enable_guard('drift', 'mfee', %s)", json.dumps({"mode": "block"}))
    with psycopg.connect(dsn, autocommit=True) as c:
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.register_check('mo_all', 'balance',"
                      " '{\"ledger\": [\"mo\", \"mfee\"]}')")
        assert e.value.sqlstate == "RC411"
        assert "recon.disable_guard('drift', 'mfee')" in e.value.diag.message_hint
        assert c.execute("SELECT count(*) FROM _recon.check_def WHERE name = 'mo_all'"
                         ).fetchone()[0] == 0
        assert c.execute("SELECT target, compiled -> 'ledgers' FROM _recon.guard"
                         ).fetchall() == [("mfee", ["mfee"])]
        # disabled first, the check registers
        c.execute("SELECT recon.disable_guard('drift', 'mfee')")
        c.execute("SELECT recon.register_check('mo_all', 'balance',"
                  " '{\"ledger\": [\"mo\", \"mfee\"]}')")
