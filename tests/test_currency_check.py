"""The currency-mismatch check (issue 15 item 4): a ledger source names each entry's currency
("currency": a column of the ledger or of a parent row, carried by the legs relation as
currency); a check of kind currency reports, once per entry and leg, an entry whose currency is
not its wallet's. Its repair is manual: acknowledge, with the reason. Bad input changes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import fix, open_findings, reconcile, rows, run

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)

SCHEMA = """
CREATE SCHEMA cm;
CREATE TABLE cm.wallet (id text PRIMARY KEY, currency char(3), balance numeric NOT NULL);
CREATE TABLE cm.entry (id bigint PRIMARY KEY, wallet_id text NOT NULL, amount numeric NOT NULL,
                       currency text, posted_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE cm.txn (id text PRIMARY KEY, currency text NOT NULL);
CREATE TABLE cm.transfer (id bigint PRIMARY KEY, txn_id text NOT NULL REFERENCES cm.txn,
                          source text NOT NULL, destination text NOT NULL,
                          amount numeric NOT NULL);
INSERT INTO cm.wallet VALUES ('btc', 'BTC', 0.5), ('jpy', 'JPY', 1000), ('usd', 'USD', 0),
                             ('usd2', 'USD', 5), ('none', NULL, 0);
INSERT INTO cm.entry VALUES (1, 'btc', 0.5, 'BTC'), (2, 'jpy', 1000, 'JPY'),
                            (3, 'usd', 10, 'USD'), (4, 'usd', -10, 'USD');
INSERT INTO cm.txn VALUES ('t1', 'USD');
INSERT INTO cm.transfer VALUES (1, 't1', 'usd', 'usd2', 5);
UPDATE cm.wallet SET balance = -5 WHERE id = 'usd';
SELECT recon.register_wallet_source('cm_wallets', 'cm.wallet', 'id', ARRAY['balance'],
                                    '{"currency": "currency"}');
SELECT recon.register_ledger_source('cm_entries', 'cm_wallets', 'cm.entry', 'wallet_id', 'amount',
    '{"entry_id": "id", "posted_at": "posted_at", "currency": "currency"}');
SELECT recon.register_ledger_source('cm_transfers', 'cm_wallets', 'cm.transfer', NULL, 'amount',
    '{"debit_wallet": "source", "credit_wallet": "destination", "entry_id": "id",
      "parents": {"t": {"table": "cm.txn", "key": "id", "via": "txn_id"}},
      "currency": "t.currency"}');
SELECT recon.register_check('cm_balance', 'balance', '{"ledger": ["cm_entries", "cm_transfers"]}');
SELECT recon.register_check('cm_currency', 'currency', '{"ledger": "cm_entries"}');
SELECT recon.register_check('cm_transfer_currency', 'currency', '{"ledger": "cm_transfers"}');
"""


@pytest.fixture
def cm(make_db: Callable[..., str], template_db: str) -> str:
    dsn = make_db(template_db)
    run(dsn, SCHEMA)
    return dsn


def mismatches(dsn: str) -> list[tuple]:
    return sorted((f["check_name"], f["wallet_key"], f["details"]["item"],
                   f["details"]["entry_currency"], f["details"]["wallet_currency"],
                   Decimal(str(f["difference"])), f["cause"])
                  for f in open_findings(dsn) if f["check_name"].endswith("currency"))


def test_clean_data_has_no_mismatch(cm: str) -> None:
    summary = reconcile(cm)
    assert summary["findings"] == 0, summary


def test_each_mismatched_entry_is_found_once(cm: str) -> None:
    # a JPY amount booked on the BTC wallet (balance moved with it: the balance check agrees),
    # an entry without a currency, an entry on a wallet without one, and a transfer row whose
    # transaction is in EUR between two USD wallets (both legs)
    run(cm, "INSERT INTO cm.entry VALUES (5, 'btc', 500, 'JPY')",
        "UPDATE cm.wallet SET balance = balance + 500 WHERE id = 'btc'",
        "INSERT INTO cm.entry VALUES (6, 'usd', 1, NULL)",
        "UPDATE cm.wallet SET balance = balance + 1 WHERE id = 'usd'",
        "INSERT INTO cm.entry VALUES (7, 'none', 2, 'USD')",
        "UPDATE cm.wallet SET balance = balance + 2 WHERE id = 'none'",
        "INSERT INTO cm.txn VALUES ('t2', 'EUR')",
        "INSERT INTO cm.transfer VALUES (2, 't2', 'usd2', 'usd', 3)",
        "UPDATE cm.wallet SET balance = balance - 3 WHERE id = 'usd2'",
        "UPDATE cm.wallet SET balance = balance + 3 WHERE id = 'usd'")
    summary = reconcile(cm)
    assert mismatches(cm) == [
        ("cm_currency", "btc", "5", "JPY", "BTC", Decimal("500"), "currency_mismatch"),
        ("cm_currency", "none", "7", "USD", None, Decimal("2"), "currency_mismatch"),
        ("cm_currency", "usd", "6", None, "USD", Decimal("1"), "currency_mismatch"),
        ("cm_transfer_currency", "usd", "2", "EUR", "USD", Decimal("3"), "currency_mismatch"),
        ("cm_transfer_currency", "usd2", "2", "EUR", "USD", Decimal("3"), "currency_mismatch"),
    ]
    # nothing else: the balances moved with the entries
    assert summary["findings"] == 5, summary
    got = {f["details"]["item"]: f for f in open_findings(cm, "cm_currency")}
    assert got["5"]["details"]["columns"] == ["balance"]
    # the finding's currency is the entry's own: its amount is in it
    assert {f["wallet_key"]: f["currency"] for f in open_findings(cm, "cm_transfer_currency")} \
        == {"usd": "EUR", "usd2": "EUR"}


def test_a_mismatch_is_repaired_by_a_person(cm: str) -> None:
    """No automatic strategy: recon.fix plans nothing but acknowledge, with the reason; the
    acknowledged finding stays out of the next run's open findings."""
    run(cm, "INSERT INTO cm.entry VALUES (5, 'btc', 500, 'JPY')",
        "UPDATE cm.wallet SET balance = balance + 500 WHERE id = 'btc'")
    reconcile(cm)
    steps = fix(cm, checks=["cm_currency"])
    assert [s["strategy"] for s in steps] == ["acknowledge"], steps
    # forcing a repair the kind does not allow posts nothing
    before = rows(cm, "SELECT * FROM cm.wallet ORDER BY id")
    forced = fix(cm, checks=["cm_currency"], force_strategy="adjust", dry_run=False,
                 ticket="T", reason="r", wallet_limit=1000)
    assert [(s["status"], s["note"]) for s in forced] == [
        ("manual", "strategy adjust does not repair currency findings")], forced
    assert rows(cm, "SELECT * FROM cm.wallet ORDER BY id") == before


@pytest.mark.parametrize(("sql", "code"), [
    ("SELECT recon.register_ledger_source('bad', 'cm_wallets', 'cm.entry', 'wallet_id',"
     " 'amount', '{\"currency\": \"nope\"}')", "RC102"),
    ("SELECT recon.register_ledger_source('bad', 'cm_wallets', 'cm.entry', 'wallet_id',"
     " 'amount', '{\"currency\": \"amount\"}')", "RC108"),
    ("SELECT recon.register_ledger_source('bad', 'cm_wallets', 'cm.transfer', NULL, 'amount',"
     " '{\"debit_wallet\": \"source\", \"credit_wallet\": \"destination\","
     " \"currency\": \"t.currency\"}')", "RC106"),
    ("SELECT recon.register_check('bad', 'currency', '{\"ledger\": \"cm_transfers\","
     " \"nope\": 1}')", "RC106"),
    ("SELECT recon.register_check('bad', 'currency', '{}')", "RC106"),
])
def test_bad_input_fails_and_changes_nothing(cm: str, sql: str, code: str) -> None:
    before = rows(cm, "SELECT name FROM recon.sources UNION ALL SELECT name FROM recon.checks"
                      " ORDER BY 1")
    with psycopg.connect(cm, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute(sql)
    assert e.value.sqlstate == code, e.value
    assert e.value.diag.message_hint
    assert rows(cm, "SELECT name FROM recon.sources UNION ALL SELECT name FROM recon.checks"
                    " ORDER BY 1") == before


def test_a_check_needs_both_currencies(cm: str) -> None:
    run(cm, "SELECT recon.register_wallet_source('cm_plain', 'cm.wallet', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('cm_plain_entries', 'cm_plain', 'cm.entry',"
        " 'wallet_id', 'amount', '{\"entry_id\": \"id\", \"currency\": \"currency\"}')",
        "SELECT recon.register_ledger_source('cm_no_currency', 'cm_wallets', 'cm.entry',"
        " 'wallet_id', 'amount', '{\"entry_id\": \"id\"}')")
    for ledger, what in (("cm_plain_entries", "currency column"),
                         ("cm_no_currency", "currency column")):
        with psycopg.connect(cm, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.register_check('x', 'currency', %s)",
                      (f'{{"ledger": "{ledger}"}}',))
        assert e.value.sqlstate == "RC106" and what in e.value.diag.message_primary
