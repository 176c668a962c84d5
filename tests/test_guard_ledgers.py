"""A drift guard on a balance column that several ledgers move (tester finding 10).

A balance check may sum several ledgers on one wallet table (docs/CHECKS.md "several ledgers,
one wallet table"): here two ledgers over one entry table (kind main through a filter, kind
card through a simple view) and a fee table whose amounts are numeric without a scale. A drift guard on one of them compared each
wallet's stored change with its own ledger's effects only, so it refused (block) or alerted on
(warn) every correct posting through the others. It now sums every ledger the balance check
sums (_recon.guard_drift_ledgers): a correct posting through any of them passes, a drifting
one is blocked. Run as a writer role with nothing but its rights on the three tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import reconcile

SCHEMA = """
CREATE SCHEMA gl;
CREATE TABLE gl.wallet (acct text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE gl.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct text NOT NULL,
                       amount numeric(14, 2) NOT NULL, kind text NOT NULL);
CREATE TABLE gl.fee (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct text NOT NULL,
                     amount numeric NOT NULL);
INSERT INTO gl.wallet VALUES ('A', 97.50), ('B', 20);
INSERT INTO gl.entry (acct, amount, kind) VALUES ('A', 100, 'main'), ('B', 20, 'card');
INSERT INTO gl.fee (acct, amount) VALUES ('A', -2.5);
SELECT recon.register_wallet_source('gl_w', 'gl.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('gl_main', 'gl_w', 'gl.entry', 'acct', 'amount',
    '{"filters": [{"column": "kind", "op": "=", "value": "main"}], "order_by": "id"}');
CREATE VIEW gl.card AS SELECT id, acct, amount FROM gl.entry WHERE kind = 'card';
SELECT recon.register_ledger_source('gl_card', 'gl_w', 'gl.card', 'acct', 'amount',
                                    '{"order_by": "id"}');
SELECT recon.register_ledger_source('gl_fee', 'gl_w', 'gl.fee', 'acct', 'amount',
                                    '{"order_by": "id"}');
SELECT recon.register_check('gl_balance', 'balance',
                            '{"ledger": ["gl_main", "gl_card", "gl_fee"]}');
DROP ROLE IF EXISTS gl_writer;
CREATE ROLE gl_writer;
GRANT USAGE ON SCHEMA gl TO gl_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON gl.wallet, gl.entry, gl.fee TO gl_writer;
"""

CARD = "INSERT INTO gl.entry (acct, amount, kind) VALUES ('B', 7, 'card')"
FEE = "INSERT INTO gl.fee (acct, amount) VALUES ('A', -0.5)"


@pytest.fixture
def books(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(SCHEMA,)))


def write(dsn: str, *statements: str) -> psycopg.Error | None:
    """The statements as gl_writer in one transaction: the error it ended with, or None."""
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE gl_writer")
        try:
            for s in statements:
                c.execute(s)
            c.commit()
        except psycopg.Error as e:
            c.rollback()
            return e
    return None


def alerts(dsn: str) -> list:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT item, details ->> 'difference' FROM recon.open_alerts"
                         " ORDER BY item").fetchall()


@pytest.mark.parametrize("mode", ["block", "warn"])
@pytest.mark.parametrize("target", ["gl_main", "gl_fee"])
def test_a_drift_guard_sums_every_ledger_of_the_balance_check(
        books: str, mode: str, target: str) -> None:
    with psycopg.connect(books, autocommit=True) as c:
        r = c.execute("SELECT recon.enable_guard('drift', %s, %s)",
                      (target, json.dumps({"mode": mode}))).fetchone()[0]
    # one row trigger per ledger of the check on the balance column, each summing its own
    assert sorted(t["trigger"].split("_", 3)[3] for t in r["triggers"]
                  if not t["trigger"].endswith(("truncate", "check"))) == ["ledger", "ledger2", "ledger3",
                                                                "wallet"]
    # correct postings through each ledger, alone and together, balance first or entry first
    assert write(books, CARD, "UPDATE gl.wallet SET balance = balance + 7 WHERE acct = 'B'") is None
    assert write(books, "UPDATE gl.wallet SET balance = balance - 0.50 WHERE acct = 'A'",
                 FEE) is None
    assert write(books, "INSERT INTO gl.entry (acct, amount, kind) VALUES ('A', 10, 'main')",
                 FEE, "UPDATE gl.wallet SET balance = balance + 9.5 WHERE acct = 'A'",
                 "UPDATE gl.entry SET kind = 'main' WHERE acct = 'B' AND amount = 7") is None
    # a card entry moved to another wallet with both balances, a fee deleted with its balance
    assert write(books, "UPDATE gl.entry SET acct = 'A' WHERE kind = 'card'",
                 "UPDATE gl.wallet SET balance = balance - 20 WHERE acct = 'B'",
                 "UPDATE gl.wallet SET balance = balance + 20 WHERE acct = 'A'") is None
    assert write(books, "DELETE FROM gl.fee WHERE amount = -0.5",
                 "UPDATE gl.wallet SET balance = balance + 1 WHERE acct = 'A'") is None
    assert alerts(books) == []
    assert reconcile(books)["status"] == "synced"
    # drift through each ledger: an entry without its balance, a balance without its entry, a
    # fee of the wrong amount
    drifts = [(CARD,), (FEE,), ("UPDATE gl.wallet SET balance = balance + 3 WHERE acct = 'B'",),
              (FEE, "UPDATE gl.wallet SET balance = balance - 5 WHERE acct = 'A'")]
    for statements in drifts:
        e = write(books, *statements)
        if mode == "block":
            assert e is not None and e.sqlstate == "RC401", (statements, e)
        else:
            assert e is None
    if mode == "block":
        assert alerts(books) == [] and reconcile(books)["status"] == "synced"
    else:
        assert sorted((k, Decimal(d)) for k, d in alerts(books)) == [
            ("A", Decimal("-4.5")), ("A", Decimal("0.5")), ("B", Decimal("-7")),
            ("B", Decimal("3"))]


FEES_ON_OPERATIONS = """
CREATE TABLE legs.mfee (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        balance_id text NOT NULL, amount numeric NOT NULL);
SELECT recon.register_ledger_source('mfee', 'mb', 'legs.mfee', 'balance_id', 'amount',
    '{"order_by": "id", "balance_column": "available"}');
SELECT recon.register_check('mo_all', 'balance', '{"ledger": ["mo", "mfee"]}');
"""


def test_a_legs_ledger_sums_a_row_ledger_and_not_the_other_way(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A guard on the operation ledger (read per statement, parent rows) sums the fee ledger,
    which moves one of its two columns; a guard on the fee ledger cannot sum the operations
    (RC406, nothing created)."""
    from test_legs import OPERATION
    dsn = make_db(fixture_template("legs.sql", sql=(OPERATION, FEES_ON_OPERATIONS)))
    with psycopg.connect(dsn, autocommit=True) as c:
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.enable_guard('drift', 'mfee', '{\"mode\": \"block\"}')")
        assert e.value.sqlstate == "RC406" and "cannot sum ledger mo" in str(e.value)
        assert c.execute("SELECT count(*) FROM recon.guards").fetchone()[0] == 0
        c.execute("SELECT recon.enable_guard('drift', 'mo', '{\"mode\": \"block\"}')")
        fee = "INSERT INTO legs.mfee (balance_id, amount) VALUES ('m1', -2)"
        with pytest.raises(psycopg.Error) as e, c.transaction():
            c.execute(fee)
        assert e.value.sqlstate == "RC401"
        with c.transaction():
            c.execute(fee)
            c.execute("UPDATE legs.balance SET available = available - 2 WHERE id = 'm1'")
    assert reconcile(dsn, ["mo_all"])["status"] == "synced"


CITEXT = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA ci;
CREATE TABLE ci.wallet (acct citext PRIMARY KEY, balance numeric NOT NULL);
CREATE TABLE ci.entry (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct citext NOT NULL,
                       amount numeric NOT NULL);
INSERT INTO ci.wallet VALUES ('Alice', 0);
SELECT recon.register_wallet_source('ci_w', 'ci.wallet', 'acct', ARRAY['balance']);
SELECT recon.register_ledger_source('ci_l', 'ci_w', 'ci.entry', 'acct', 'amount');
SELECT recon.register_check('ci_b', 'balance', '{"ledger": "ci_l"}');
"""


def test_citext_keys_that_differ_in_case_are_one_wallet_in_warn_mode(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A citext wallet key (warn mode; block mode refuses a type a user made) is compared as
    citext compares, case-insensitively, as the balance check joins it: entries posted to
    'Alice' and 'alice' both move wallet 'Alice' and raise no alert (they did: two alerts,
    one per spelling, while reconcile said synced); drift still does (the key lower case)."""
    dsn = make_db(fixture_template(sql=(CITEXT,)))
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.enable_guard('drift', 'ci_l', '{\"mode\": \"warn\"}')")
        with c.transaction():
            c.execute("INSERT INTO ci.entry (acct, amount) VALUES ('Alice', 3)")
            c.execute("UPDATE ci.wallet SET balance = balance + 3 WHERE acct = 'ALICE'")
        with c.transaction():
            c.execute("INSERT INTO ci.entry (acct, amount) VALUES ('alice', 5)")
            c.execute("UPDATE ci.wallet SET balance = balance + 5 WHERE acct = 'ALICE'")
        assert alerts(dsn) == []
        assert reconcile(dsn)["status"] == "synced"
        with c.transaction():
            c.execute("INSERT INTO ci.entry (acct, amount) VALUES ('ALICE', 2)")
    assert alerts(dsn) == [("alice", "-2")]
