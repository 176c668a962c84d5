"""Journals balance in each currency their legs move, an entry's currency being its own, else
its wallet's (tester finding adv5-06): accounts of several currencies whose entries carry none
(the common hand-made shape). A journal taking 100 USD from one account and giving 100 EUR to
another summed to zero: the journal check said synced and a double_entry guard in block mode let
it commit, while the books created 100 EUR. As a writer role with table rights only, against a
real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import open_findings, reconcile, run

BOOKS = """
CREATE SCHEMA jc;
CREATE TABLE jc.account (id text PRIMARY KEY, currency text NOT NULL,
                         balance numeric(14, 2) NOT NULL);
CREATE TABLE jc.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       account_id text NOT NULL REFERENCES jc.account,
                       amount numeric(14, 2) NOT NULL, txn text NOT NULL);
CREATE INDEX ON jc.entry (txn);
INSERT INTO jc.account VALUES ('world_usd', 'USD', -500), ('world_eur', 'EUR', -500),
                              ('alice', 'USD', 500), ('bob', 'EUR', 500);
INSERT INTO jc.entry (account_id, amount, txn) VALUES
    ('world_usd', -500, 't1'), ('alice', 500, 't1'), ('world_eur', -500, 't2'), ('bob', 500, 't2');
DROP ROLE IF EXISTS jc_writer;
CREATE ROLE jc_writer;
GRANT USAGE ON SCHEMA jc TO jc_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON jc.account, jc.entry TO jc_writer;
GRANT USAGE ON SEQUENCE jc.entry_id_seq TO jc_writer;
SELECT recon.register_wallet_source('jc_acc', 'jc.account', 'id', ARRAY['balance'],
                                    '{"currency": "currency"}');
SELECT recon.register_ledger_source('jc_ent', 'jc_acc', 'jc.entry', 'account_id', 'amount',
                                    '{"entry_id": "id", "order_by": "id", "journal": "txn"}');
SELECT recon.register_check('jc_bal', 'balance', '{"ledger": "jc_ent"}');
SELECT recon.register_check('jc_jrn', 'journal', '{"ledger": "jc_ent"}');
"""
CROSS = ("UPDATE jc.account SET balance = balance - 100 WHERE id = 'alice'",
         "UPDATE jc.account SET balance = balance + 100 WHERE id = 'bob'",
         "INSERT INTO jc.entry (account_id, amount, txn) VALUES ('alice', -100, 't3'),"
         " ('bob', 100, 't3')")
SAME = ("UPDATE jc.account SET balance = balance - 100 WHERE id = 'alice'",
        "UPDATE jc.account SET balance = balance + 100 WHERE id = 'world_usd'",
        "INSERT INTO jc.entry (account_id, amount, txn) VALUES ('alice', -100, 't4'),"
        " ('world_usd', 100, 't4')")


@pytest.fixture
def books(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(BOOKS,)))


def as_writer(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn) as c:
        c.execute("SET ROLE jc_writer")
        for s in statements:
            c.execute(s)
        c.commit()


def test_a_journal_moving_two_currencies_is_a_finding_in_each(books: str) -> None:
    assert reconcile(books)["status"] == "synced"
    as_writer(books, *SAME)
    assert reconcile(books)["status"] == "synced"
    as_writer(books, *CROSS)
    assert reconcile(books)["status"] == "discrepancy"
    got = sorted((f["details"]["item"], f["currency"], f["difference"])
                 for f in open_findings(books, "jc_jrn"))
    assert got == [("t3/EUR", "EUR", Decimal("100.00")), ("t3/USD", "USD", Decimal("-100.00"))]
    # the balances agree with their ledgers: only the journal shows it
    assert open_findings(books, "jc_bal") == []


@pytest.mark.parametrize("mode", ["block", "warn"])
def test_a_double_entry_guard_stops_a_journal_moving_two_currencies(books: str, mode: str) -> None:
    run(books, f"SELECT recon.enable_guard('double_entry', 'jc_ent', '{{\"mode\": \"{mode}\"}}')")
    as_writer(books, *SAME)
    if mode == "block":
        with pytest.raises(psycopg.Error) as e:
            as_writer(books, *CROSS)
        assert e.value.sqlstate == "RC403", e.value
        assert reconcile(books)["status"] == "synced"
    else:
        as_writer(books, *CROSS)
        with psycopg.connect(books, autocommit=True) as c:
            alerts = c.execute("SELECT count(*) FROM recon.open_alerts"
                               " WHERE kind = 'double_entry'").fetchone()[0]
        assert alerts == 1
