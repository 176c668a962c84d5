"""The registration API from a plain connection: what it accepts, and bad input that fails
with a documented SQLSTATE and a HINT and registers nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from conftest import reconcile, run_cli

pytestmark = pytest.mark.core  # the matrix runs all of it (pyproject.toml)

SCHEMA = """
CREATE TABLE public.wallets (id bigint PRIMARY KEY, balance numeric NOT NULL DEFAULT 0,
                             label text, uid uuid);
CREATE TABLE public.entries (id bigserial PRIMARY KEY, wallet_id bigint NOT NULL,
                             amount numeric NOT NULL, note text, ref text,
                             wallet_uuid uuid);
INSERT INTO public.wallets (id, balance) VALUES (1, 30), (2, 0), (3, -5);
INSERT INTO public.entries (wallet_id, amount) VALUES (1, 10), (1, 20), (3, -5);
"""


APP = (SCHEMA,
       "SELECT recon.register_wallet_source('w', 'wallets', 'id', ARRAY['balance'])",
       "SELECT recon.register_ledger_source('l', 'w', 'entries', 'wallet_id', 'amount')")


@pytest.fixture
def app(make_db: Callable[..., str],
        fixture_template: Callable[..., str]) -> Iterator[psycopg.Connection]:
    """A fresh database with the toolkit, SCHEMA and its wallet and ledger sources registered
    (a clone), and a plain autocommit connection to it."""
    with psycopg.connect(make_db(fixture_template(sql=APP)), autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def app_for_bad_calls(make_module_db: Callable[..., str],
                      fixture_template: Callable[..., str]) -> Iterator[psycopg.Connection]:
    """The same, one database for all of BAD_CALLS: each of them must fail and change nothing
    (the test asserts both), so they need no fresh copy each."""
    with psycopg.connect(make_module_db(fixture_template(sql=APP)), autocommit=True) as c:
        yield c


def state(conn: psycopg.Connection) -> tuple:
    return conn.execute(
        "SELECT (SELECT count(*) FROM recon.sources), (SELECT count(*) FROM recon.checks),"
        " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  WHERE n.nspname = 'recon'),"
        " pg_get_viewdef('recon.discrepancies'::regclass)").fetchone()


BAD_CALLS = [
    ("RC101", "SELECT recon.register_wallet_source('x', 'no_such_table', 'id', ARRAY['balance'])"),
    ("RC101", "SELECT recon.register_wallet_source('x', 'a.b.c.d', 'id', ARRAY['balance'])"),
    # a temporary table leaves a dangling oid when its session ends (a tester's finding)
    ("RC101", "CREATE TEMP TABLE tmp_w AS SELECT * FROM wallets;"
              " SELECT recon.register_wallet_source('x', 'tmp_w', 'id', ARRAY['balance'])"),
    ("RC102", "SELECT recon.register_wallet_source('x', 'wallets', 'nope', ARRAY['balance'])"),
    ("RC102", "SELECT recon.register_wallet_source('x', 'wallets', 'id', ARRAY['nope'])"),
    ("RC103", "SELECT recon.register_wallet_source('x', 'wallets', 'id', ARRAY['label'])"),
    ("RC103", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_id', 'note')"),
    ("RC104", "SELECT recon.register_wallet_source('w', 'wallets', 'id', ARRAY['balance'])"),
    ("RC104", "SELECT recon.register_ledger_source('w', 'w', 'entries', 'wallet_id', 'amount')"),
    ("RC105", "SELECT recon.register_wallet_source('Bad Name', 'wallets', 'id', ARRAY['balance'])"),
    ("RC105", "SELECT recon.register_check(NULL, 'balance', '{\"ledger\": \"l\"}')"),
    ("RC105", "SELECT recon.register_check(repeat('x', 41), 'balance', '{\"ledger\": \"l\"}')"),
    ("RC106", "SELECT recon.register_wallet_source('x', 'wallets', 'id', ARRAY[]::text[])"),
    ("RC106", "SELECT recon.register_wallet_source('x', 'wallets', 'id', ARRAY['balance'],"
              " '{\"curency\": \"label\"}')"),
    ("RC106", "SELECT recon.register_check('c', 'balanse', '{}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"x\": 1}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"tolerance\": -1}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"low_limit\": \"ten\"}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"high_wallets\": 1}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '[1]')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"critical_wallets\": 10.5}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"columns\": []}')"),
    ("RC106", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"l\", \"columns\": \"balance\"}')"),
    ("RC106", "SELECT recon.register_check('c', 'total', '{\"stored\": {\"table\": \"wallets\", \"column\": \"balance\", \"exclude_values\": [1]}, \"expected\": {\"table\": \"entries\", \"column\": \"amount\"}}')"),
    ("RC106", "SELECT recon.register_check('c', 'duplicate', '{\"ledger\": \"l\"}')"),  # no reference
    ("RC106", "SELECT recon.register_check('c', 'chain', '{\"ledger\": \"l\"}')"),  # no order/after
    ("RC106", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_id', 'amount',"
              " '{\"direction\": \"note\", \"operation\": \"note\"}')"),
    ("RC106", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_id', 'amount',"
              " '{\"operation\": \"note\"}')"),
    # effects beside a direction were dropped for the defaults (a tester's finding)
    ("RC106", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_id', 'amount',"
              " '{\"direction\": \"note\", \"effects\": {\"balance\": {\"credit\": -1}}}')"),
    ("RC102", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_id', 'amount',"
              " '{\"operation\": \"note\", \"effects\": {\"A\": {\"nope\": 1}}}')"),
    ("RC107", "SELECT recon.register_ledger_source('x', 'nope', 'entries', 'wallet_id', 'amount')"),
    ("RC106", "SELECT recon.register_check('c', 'lifecycle', '{\"ledger\": \"l\", \"hold\": \"H\", \"terminal\": [\"R\"]}')"),
    ("RC107", "SELECT recon.register_check('c', 'balance', '{\"ledger\": \"nope\"}')"),
    ("RC107", "SELECT recon.drop_check('nope')"),
    ("RC107", "SELECT recon.drop_source('nope')"),
    ("RC107", "SELECT recon.describe_check('nope')"),
    ("RC107", "SELECT recon.set_check_enabled('nope', false)"),
    ("RC108", "SELECT recon.register_ledger_source('x', 'w', 'entries', 'wallet_uuid', 'amount')"),
    ("RC109", "SELECT recon.drop_source('w')"),  # the ledger l uses it
    ("RC110", "SELECT recon.register_check('c', 'custom', '{\"query\": \"SELECT 1; DROP TABLE wallets\"}')"),
    ("RC110", "SELECT recon.register_check('c', 'custom', '{\"query\": \"DELETE FROM wallets\"}')"),
    ("RC110", "SELECT recon.register_check('c', 'custom', '{\"query\": \"SELECT 1 AS x\"}')"),
    ("RC201", "SELECT recon.reconcile(NULL, 'partial')"),
    ("RC202", "SELECT recon.reconcile(ARRAY['nope'])"),
    ("RC202", "SELECT recon.reconcile(ARRAY[]::text[])"),
]


@pytest.mark.parametrize(("sqlstate", "call"), BAD_CALLS)
def test_bad_input_fails_cleanly_and_changes_nothing(app_for_bad_calls: psycopg.Connection,
                                                     sqlstate: str, call: str) -> None:
    app = app_for_bad_calls
    before = state(app)
    with pytest.raises(psycopg.Error) as err:
        app.execute(call)
    assert err.value.sqlstate == sqlstate, err.value
    assert err.value.diag.message_hint, "every wallet-recon error carries a HINT"
    assert err.value.diag.message_detail, "and a DETAIL"
    assert state(app) == before


def test_a_balance_check_compiles_to_a_view_in_discrepancies(app: psycopg.Connection) -> None:
    described = app.execute(
        "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')").fetchone()[0]
    assert described["view"] == "recon.check_bal" and "sql" not in described
    assert app.execute("SELECT count(*) FROM recon.check_bal").fetchone()[0] == 0
    app.execute("UPDATE wallets SET balance = 31 WHERE id = 1")
    assert app.execute("SELECT check_name, wallet_key, stored, expected, difference,"
                       " details->>'column' FROM recon.discrepancies").fetchall() == [
        ("bal", "1", 31, 30, 1, "balance")]
    full = app.execute("SELECT recon.describe_check('bal')").fetchone()[0]
    assert "GROUP BY" in full["sql"] and full["kind"] == "balance"


def test_disable_enable_and_drop(app: psycopg.Connection) -> None:
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    app.execute("UPDATE wallets SET balance = 31 WHERE id = 1")
    app.execute("SELECT recon.set_check_enabled('bal', false)")
    assert app.execute("SELECT count(*) FROM recon.discrepancies").fetchone()[0] == 0
    summary = app.execute("SELECT recon.reconcile()").fetchone()[0]
    assert summary["checks"] == [] and summary["status"] == "synced"
    named = app.execute("SELECT recon.reconcile(ARRAY['bal'])").fetchone()[0]
    assert named["findings"] == 1  # a disabled check still runs when named
    app.execute("SELECT recon.set_check_enabled('bal', true)")
    assert app.execute("SELECT count(*) FROM recon.discrepancies").fetchone()[0] == 1
    app.execute("SELECT recon.drop_check('bal')")
    assert app.execute("SELECT to_regclass('recon.check_bal')").fetchone()[0] is None
    assert app.execute("SELECT count(*) FROM recon.discrepancies").fetchone()[0] == 0
    app.execute("SELECT recon.drop_source('l')")
    app.execute("SELECT recon.drop_source('w')")
    assert app.execute("SELECT count(*) FROM recon.sources").fetchone()[0] == 0


def test_drop_check_refuses_when_a_user_view_depends_on_it(app: psycopg.Connection) -> None:
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    app.execute("CREATE VIEW public.mine AS SELECT * FROM recon.check_bal")
    with pytest.raises(psycopg.errors.DependentObjectsStillExist):
        app.execute("SELECT recon.drop_check('bal')")
    assert app.execute("SELECT count(*) FROM recon.checks").fetchone()[0] == 1


def test_hostile_but_legal_names_work(conn: psycopg.Connection) -> None:
    # Names with quotes, a semicolon, spaces, mixed case, a reserved word and unicode: they are
    # quoted everywhere, so they simply work.
    schema, wallets, entries = "Odd Schema", "Wallets; DROP TABLE x", "entrées"
    key, bal, other, wcol, amount = "Key", "bal'ance", "select", 'wallet "id"', "Amount"
    ident = sql.Identifier
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident(schema)))
    conn.execute(sql.SQL("CREATE TABLE {}.{} ({} int PRIMARY KEY, {} numeric, {} numeric)").format(
        ident(schema), ident(wallets), ident(key), ident(other), ident(bal)))
    conn.execute(sql.SQL("CREATE TABLE {}.{} ({} int, {} numeric)").format(
        ident(schema), ident(entries), ident(wcol), ident(amount)))
    conn.execute(sql.SQL("INSERT INTO {}.{} VALUES (1, 5, 7)").format(ident(schema), ident(wallets)))
    conn.execute(sql.SQL("INSERT INTO {}.{} VALUES (1, 5), (1, 2)").format(ident(schema),
                                                                          ident(entries)))
    wallets_name = sql.SQL("{}.{}").format(ident(schema), ident(wallets)).as_string(conn)
    entries_name = sql.SQL("{}.{}").format(ident(schema), ident(entries)).as_string(conn)
    conn.execute("SELECT recon.register_wallet_source('odd', %s, %s, %s)",
                 (wallets_name, key, [other, bal]))
    conn.execute("SELECT recon.register_ledger_source('odd_l', 'odd', %s, %s, %s, %s)",
                 (entries_name, wcol, amount, json.dumps({"balance_column": bal})))
    conn.execute("SELECT recon.register_check('odd', 'balance', '{\"ledger\": \"odd_l\"}')")
    assert conn.execute("SELECT stored, expected FROM recon.check_odd").fetchall() == []
    conn.execute(sql.SQL("UPDATE {}.{} SET {} = 8").format(ident(schema), ident(wallets),
                                                           ident(bal)))
    assert conn.execute("SELECT wallet_key, difference FROM recon.check_odd").fetchall() == [
        ("1", 1)]


def test_custom_check(app: psycopg.Connection) -> None:
    app.execute("""SELECT recon.register_check('negative', 'custom', jsonb_build_object('query',
        'SELECT w.id AS wallet_key, w.balance AS stored, 0 AS expected, w.balance AS difference,
                jsonb_build_object(''cause'', ''negative_balance'') AS details
         FROM public.wallets w WHERE w.balance < 0'))""")
    summary = reconcile(app.info.dsn)
    assert summary["by_check"]["negative"]["findings"] == 1
    row = app.execute("SELECT wallet_key, cause FROM recon.open_findings").fetchone()
    assert row == ("3", "negative_balance")


def test_operation_ledger_moves_several_columns(conn: psycopg.Connection) -> None:
    conn.execute("""
        CREATE TABLE acct (id int PRIMARY KEY, available numeric, on_hold numeric);
        CREATE TABLE op (acct int, kind text, amount numeric);
        INSERT INTO acct VALUES (1, 70, 30);
        INSERT INTO op VALUES (1, 'CREDIT', 100), (1, 'ON_HOLD', 50), (1, 'RELEASE', 20);
    """)
    conn.execute("SELECT recon.register_wallet_source('a', 'acct', 'id',"
                 " ARRAY['available', 'on_hold'])")
    conn.execute("""SELECT recon.register_ledger_source('o', 'a', 'op', 'acct', 'amount',
        '{"operation": "kind", "effects": {"CREDIT": {"available": 1},
          "ON_HOLD": {"available": -1, "on_hold": 1}, "RELEASE": {"available": 1, "on_hold": -1},
          "DEBIT": {"on_hold": -1}}}')""")
    conn.execute("SELECT recon.register_check('ab', 'balance', '{\"ledger\": \"o\"}')")
    assert conn.execute("SELECT count(*) FROM recon.check_ab").fetchone()[0] == 0
    conn.execute("INSERT INTO op VALUES (1, 'REFUND', 5)")  # an operation nobody mapped
    rows = conn.execute("SELECT details->>'column', details->>'cause' FROM recon.check_ab"
                        " ORDER BY 1").fetchall()
    assert rows == [("available", "unmapped_entry_type"), ("on_hold", "unmapped_entry_type")]


def test_auditor_runs_and_reads_but_cannot_register(app: psycopg.Connection) -> None:
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    with app.transaction():
        app.execute("SET LOCAL ROLE recon_auditor")
        summary = app.execute("SELECT recon.reconcile()").fetchone()[0]
        assert summary["status"] == "synced"
        app.execute("SELECT * FROM recon.open_findings, recon.runs, recon.checks, recon.sources")
        app.execute("SELECT recon.describe_check('bal')")
    for call in ("SELECT recon.register_check('x', 'balance', '{\"ledger\": \"l\"}')",
                 "SELECT recon.drop_check('bal')",
                 "SELECT recon.register_wallet_source('x', 'wallets', 'id', ARRAY['balance'])"):
        with pytest.raises(psycopg.Error) as err, app.transaction():
            app.execute("SET LOCAL ROLE recon_auditor")
            app.execute(call)
        assert err.value.sqlstate == "42501", call


def test_summary_shape(app: psycopg.Connection) -> None:
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\","
                " \"currency\": \"ZAR\"}')")
    app.execute("UPDATE wallets SET balance = balance + 50 WHERE id = 2")
    summary = app.execute("SELECT recon.reconcile()").fetchone()[0]
    assert summary["status"] == "discrepancy"
    assert summary["by_severity"] == {"MEDIUM": {"findings": 1}}
    amounts = [{"currency": "ZAR", "findings": 1, "explained": 0, "amount": 50}]
    assert summary["by_check"] == {"bal": {"findings": 1, "max_severity": "MEDIUM",
                                           "by_currency": amounts}}
    assert summary["by_currency"] == [{
        "currency": "ZAR", "minor_units": 2, "findings": 1, "explained": 0, "amount": 50,
        "max_severity": "MEDIUM",
        "by_severity": {"MEDIUM": {"findings": 1, "explained": 0, "amount": 50}}}]
    assert {"run_id", "mode", "new", "resolved", "wallets", "duration_ms"} <= set(summary)
    row = app.execute("SELECT status, findings, max_severity FROM recon.runs").fetchone()
    assert row == ("discrepancy", 1, "MEDIUM")
    assert json.loads(json.dumps(summary)) == summary


def test_derived_matches_on_the_owner_and_reports_rows_of_no_wallet(conn: psycopg.Connection) -> None:
    # seed 003's per-user question: users.total_coins against the balance of the user's wallet
    conn.execute("""
        CREATE TABLE users (id text PRIMARY KEY, total_coins numeric);
        CREATE TABLE user_wallet (wallet_id int PRIMARY KEY, user_id text, balance numeric);
        INSERT INTO users VALUES ('a', 10), ('b', 5), ('c', 7);
        INSERT INTO user_wallet VALUES (1, 'a', 10), (2, 'b', 6);
    """)
    conn.execute("SELECT recon.register_wallet_source('uw', 'user_wallet', 'wallet_id',"
                 " ARRAY['balance'], '{\"owner\": \"user_id\"}')")
    conn.execute("""SELECT recon.register_check('legacy', 'derived', '{"wallet": "uw",
        "column": "balance", "table": "users", "key_column": "id",
        "value_column": "total_coins", "wallet_column": "user_id"}')""")
    rows = conn.execute("SELECT wallet_key, stored, expected, difference, details->>'cause'"
                        " FROM recon.check_legacy ORDER BY wallet_key").fetchall()
    assert rows == [("2", 6, 5, 1, None), ("c", None, 7, None, "unknown_wallet")]


def test_checks_compile_without_the_optional_ledger_columns(conn: psycopg.Connection) -> None:
    # No posted_at, no status, no entry id: every kind that can run still compiles and runs.
    conn.execute("""
        CREATE TABLE w (id int PRIMARY KEY, b numeric);
        CREATE TABLE e (w int, t text, a numeric, j int, ref text, seq int, after numeric);
        INSERT INTO w VALUES (1, 0);
        INSERT INTO e VALUES (1, 'H', 5, 1, 'r1', 1, -5), (1, 'R', 5, 1, 'r1', 2, 0);
    """)
    conn.execute("SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['b'])")
    conn.execute("""SELECT recon.register_ledger_source('l', 'w', 'e', 'w', 'a',
        '{"operation": "t", "effects": {"H": {"b": -1}, "R": {"b": 1}}, "journal": "j",
          "reference": "ref", "order_by": "seq", "balance_after": "after"}')""")
    for name, kind, options in [
        ("lc", "lifecycle", '{"ledger": "l", "hold": "H", "terminal": ["R"]}'),
        ("dup", "duplicate", '{"ledger": "l"}'),
        ("ch", "chain", '{"ledger": "l"}'),
    ]:
        conn.execute("SELECT recon.register_check(%s, %s, %s)", (name, kind, options))
    assert conn.execute("SELECT recon.reconcile()").fetchone()[0]["status"] == "synced"


def test_a_chain_break_at_a_wallets_first_entry_is_reported(conn: psycopg.Connection) -> None:
    conn.execute("""
        CREATE TABLE w (id int PRIMARY KEY, b numeric);
        CREATE TABLE e (w int, a numeric, seq int, after numeric);
        INSERT INTO w VALUES (1, 10);
        INSERT INTO e VALUES (1, 10, 1, 15);
    """)
    conn.execute("SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['b'])")
    conn.execute("SELECT recon.register_ledger_source('l', 'w', 'e', 'w', 'a',"
                 " '{\"order_by\": \"seq\", \"balance_after\": \"after\"}')")
    conn.execute("SELECT recon.register_check('ch', 'chain', '{\"ledger\": \"l\"}')")
    rows = conn.execute("SELECT wallet_key, stored, expected, details->>'position',"
                        " details->>'cause' FROM recon.check_ch").fetchall()
    assert rows == [("1", 15, 10, "1", "chain_break")]


def test_dropping_a_check_closes_its_open_findings(app: psycopg.Connection) -> None:
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    app.execute("UPDATE wallets SET balance = 31 WHERE id = 1")
    app.execute("SELECT recon.reconcile()")
    app.execute("SELECT recon.drop_check('bal')")
    app.execute("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    assert app.execute("SELECT count(*) FROM recon.open_findings").fetchone()[0] == 0
    summary = app.execute("SELECT recon.reconcile()").fetchone()[0]
    assert (summary["new"], summary["resolved"]) == (1, 0)  # a new issue, not the old one
    assert app.execute("SELECT count(*) FROM _recon.finding WHERE dropped_at IS NOT NULL"
                       ).fetchone()[0] == 1


def test_a_custom_checks_odd_posted_at_does_not_break_reconcile(app: psycopg.Connection) -> None:
    app.execute("""SELECT recon.register_check('odd', 'custom', jsonb_build_object('query',
        'SELECT w.id AS wallet_key, w.balance AS stored, 0 AS expected, w.balance AS difference,
                jsonb_build_object(''posted_at'', ''yesterday-ish'') AS details
         FROM public.wallets w WHERE w.balance < 0'))""")
    assert app.execute("SELECT recon.reconcile()").fetchone()[0]["findings"] == 1


def test_lifecycle_uses_the_latest_status(conn: psycopg.Connection) -> None:
    conn.execute("""
        CREATE TABLE w (id int PRIMARY KEY, b numeric);
        CREATE TABLE e (w int, t text, a numeric, j int, seq int, st text);
        INSERT INTO w VALUES (1, -5);
        -- the hold was PENDING when posted; its transaction is APPROVED now, with no DEBIT
        INSERT INTO e VALUES (1, 'H', 5, 1, 1, 'PENDING'), (1, 'X', 0, 1, 2, 'APPROVED');
    """)
    conn.execute("SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['b'])")
    conn.execute("""SELECT recon.register_ledger_source('l', 'w', 'e', 'w', 'a',
        '{"operation": "t", "effects": {"H": {"b": -1}, "D": {"b": 0}, "X": {"b": 0}},
          "journal": "j", "order_by": "seq", "status": "st"}')""")
    conn.execute("""SELECT recon.register_check('lc', 'lifecycle',
        '{"ledger": "l", "hold": "H", "terminal": ["D"], "pending": ["PENDING"]}')""")
    rows = conn.execute("SELECT details->>'status', details->>'cause' FROM recon.check_lc"
                        ).fetchall()
    assert rows == [("APPROVED", "hold_not_resolved")]


NULL_KEYS = """
CREATE SCHEMA app;
CREATE TABLE app.wallet (id text, balance numeric(14, 2) NOT NULL);
CREATE UNIQUE INDEX ON app.wallet (id);
CREATE TABLE app.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text,
                        amount numeric(14, 2) NOT NULL);
INSERT INTO app.wallet VALUES ('a', 100), ('b', 50);
INSERT INTO app.entry (wallet_id, amount) VALUES ('a', 100), ('b', 40);  -- b drifts by 10
"""
NULL_KEYS_LEDGER = ("SELECT recon.register_ledger_source('l', 'w', 'app.entry', 'wallet_id', "
                    "'amount', '{\"entry_id\": \"id\", \"order_by\": \"id\"}')")
NULL_KEYS_CHECK = ("SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\", "
                   "\"currency\": \"USD\"}')")


def test_a_wallet_table_whose_key_may_be_null_is_refused(conn: psycopg.Connection) -> None:
    """A tester's finding: a nullable key with a unique index was accepted, and two wallet rows
    without a key made every reconcile fail with a raw 23505 (drift elsewhere unreported). A
    table must declare its key NOT NULL (or make it the primary key): RC106 with the statement
    to run; nothing registered."""
    conn.execute(NULL_KEYS)
    before = state(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT recon.register_wallet_source('w', 'app.wallet', 'id', "
                     "ARRAY['balance'])")
    assert err.value.sqlstate == "RC106"
    assert err.value.diag.message_primary == "the wallet key id of app.wallet may be NULL"
    assert err.value.diag.message_hint == (
        "Declare the key NOT NULL (ALTER TABLE app.wallet ALTER COLUMN id SET NOT NULL) or make "
        "it the primary key, then register again.")
    assert state(conn) == before
    conn.execute("ALTER TABLE app.wallet ALTER COLUMN id SET NOT NULL")
    conn.execute("SELECT recon.register_wallet_source('w', 'app.wallet', 'id', ARRAY['balance'])")


def null_key_findings(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT wallet_key, stored, expected, cause, severity FROM recon.open_findings "
        "ORDER BY wallet_key NULLS FIRST, stored NULLS FIRST").fetchall()


def test_wallet_rows_without_a_key_are_findings_never_a_failed_run(
        conn: psycopg.Connection, db: str) -> None:
    """Where NULL keys can still come (a view cannot declare NOT NULL; a table registered
    before, or whose NOT NULL was dropped since): each wallet row without a key is a finding of
    its own (unknown_wallet, HIGH, keyed -#n), the entries without a wallet one more, drift
    elsewhere is reported, in full and incremental runs and from the CLI (was a raw 23505 on
    run_stage_pkey at every run)."""
    conn.execute(NULL_KEYS)
    conn.execute("CREATE VIEW app.wallet_v AS SELECT id, balance FROM app.wallet")
    conn.execute("SELECT recon.register_wallet_source('w', 'app.wallet_v', 'id', "
                 "ARRAY['balance'])")
    conn.execute(NULL_KEYS_LEDGER)
    conn.execute(NULL_KEYS_CHECK)
    # a clean full run first: a watermark, so the incremental run below has one to leave
    conn.execute("UPDATE app.wallet SET balance = 40 WHERE id = 'b'")
    assert reconcile(db)["status"] == "synced"
    conn.execute("UPDATE app.wallet SET balance = 50 WHERE id = 'b'")
    conn.execute("INSERT INTO app.wallet VALUES (NULL, 70), (NULL, 30)")
    conn.execute("INSERT INTO app.entry (wallet_id, amount) VALUES (NULL, 5)")
    expected = [(None, None, 5, "unknown_wallet", "HIGH"),
                (None, 30, 0, "unknown_wallet", "HIGH"),
                (None, 70, 0, "unknown_wallet", "HIGH"),
                ("b", 50, 40, None, "HIGH")]
    for mode in ("incremental", "full"):
        summary = reconcile(db, None, mode)
        assert summary["status"] == "discrepancy" and summary["findings"] == 4, summary
        assert null_key_findings(conn) == expected, mode
    keys = conn.execute("SELECT finding_key FROM _recon.finding WHERE wallet_key IS NULL "
                        "AND resolved_run IS NULL "
                        "ORDER BY 1").fetchall()
    assert keys == [("-#1",), ("-#2",), ("-#3",)]
    # never repaired automatically: no wallet to repair
    steps = conn.execute("SELECT status, note FROM recon.fix() WHERE wallet_key IS NULL").fetchall()
    assert steps == [("manual", "no wallet to repair: needs a human")] * 3, steps
    proc = run_cli("check", dsn=db)
    assert proc.returncode == 1, proc.stderr
    assert "HIGH · bal · 4 finding(s)" in proc.stdout, proc.stdout
    # a table whose NOT NULL was dropped after its registration: the same
    conn.execute("SELECT recon.drop_check('bal')")
    conn.execute("SELECT recon.drop_source('l')")
    conn.execute("SELECT recon.drop_source('w')")
    conn.execute("DELETE FROM app.wallet WHERE id IS NULL")
    conn.execute("ALTER TABLE app.wallet ALTER COLUMN id SET NOT NULL")
    conn.execute("SELECT recon.register_wallet_source('w', 'app.wallet', 'id', ARRAY['balance'])")
    conn.execute(NULL_KEYS_LEDGER)
    conn.execute(NULL_KEYS_CHECK)
    assert reconcile(db)["findings"] == 2  # b, and the entries without a wallet
    conn.execute("DELETE FROM app.entry WHERE wallet_id IS NULL")
    conn.execute("UPDATE app.wallet SET balance = 40 WHERE id = 'b'")
    assert reconcile(db)["status"] == "synced"  # a watermark
    conn.execute("UPDATE app.wallet SET balance = 50 WHERE id = 'b'")
    conn.execute("INSERT INTO app.entry (wallet_id, amount) VALUES (NULL, 5)")
    conn.execute("ALTER TABLE app.wallet ALTER COLUMN id DROP NOT NULL")
    conn.execute("INSERT INTO app.wallet VALUES (NULL, 70), (NULL, 30)")
    for mode, why in (("incremental", "the wallet source has rows without a wallet key (NULL)"),
                      ("full", None), ("incremental", "no watermark yet: a full run sets one")):
        summary = reconcile(db, None, mode)
        assert summary["findings"] == 4, (mode, summary)
        assert null_key_findings(conn) == expected, mode
        ran = summary["runs"]["bal"]
        assert ran["mode"] == "full" and ran["watermark"].startswith(
            "the wallet source has rows without a wallet key (NULL): each is a finding"), ran
        assert ran.get("why_full") == why, ran
    proc = run_cli("check", "--incremental", dsn=db)
    assert proc.returncode == 1, proc.stderr
    assert "HIGH · bal · 4 finding(s)" in proc.stdout, proc.stdout
