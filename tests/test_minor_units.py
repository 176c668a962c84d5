"""Minor units (issue 15 item 3, and the scale part of item 6): amount and balance columns of
integers (cents, satoshis) with a scale, fixed per source or per row from a precision column
(decimal places or a multiplier). The checks compare exactly and show major units; writers and
repairs write minor units and never round; float columns are read, flagged, and never written
automatically (RC320). Bad scales fail with RC115 and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from helpers import snapshot

from conftest import fix, load_fixture, open_findings, reconcile, rows, run

WRITER = ("SELECT recon.register_writer('mu_entries', "
          "'{\"columns\": {\"precision\": \"100\"}}')")


@pytest.fixture
def mu(make_db: Callable[..., str], template_db: str) -> str:
    dsn = make_db(template_db)
    load_fixture(dsn, "minor_units.sql")
    return dsn


def findings(dsn: str, check: str | None = None) -> list[tuple]:
    return sorted((f["check_name"], f["wallet_key"], Decimal(str(f["stored"])),
                   Decimal(str(f["expected"])), Decimal(str(f["difference"])), f["cause"])
                  for f in open_findings(dsn, check))


def sqlstate(dsn: str, sql: str, params: object = None) -> psycopg.Error:
    with psycopg.connect(dsn, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute(sql, params)
    return err.value


MU_TABLES = ("mu.wallet", "mu.entry", "mu.fwallet", "mu.fentry", "_recon.wallet_source",
             "_recon.ledger_source", "_recon.check_def", "_recon.writer", "_recon.fix",
             "_recon.repair", "_recon.repair_entry", "_recon.finding")
"""The fixture's tables and the toolkit's state: their snapshot equal means unchanged."""


def test_clean_minor_units_give_no_finding(mu: str) -> None:
    summary = reconcile(mu, ["mu_balance", "mu_chain", "mu_duplicate"])
    assert summary["findings"] == 0, summary


def test_the_legs_and_the_balances_read_major_units_exactly(mu: str) -> None:
    # The legs relation's amount and running balance, and the stored balances the balance
    # check compares, are exact numeric in major units: 2^53 + 1 cents is 90071992547409.93.
    legs = rows(mu, "SELECT l.wallet, l.amount, l.balance_after FROM "
                    + rows(mu, "SELECT _recon.legs_sql(l) AS q FROM _recon.ledger_source AS l"
                               " WHERE l.name = 'mu_entries'")[0]["q"]
                    + " AS l ORDER BY l.entry_id")
    assert [(r["wallet"], r["amount"], r["balance_after"]) for r in legs] == [
        ("btc", Decimal("1.00000000"), Decimal("1.00000000")),
        ("btc", Decimal("0.50000000"), Decimal("1.50000000")),
        ("jpy", Decimal("1000"), Decimal("1000")),
        ("usd", Decimal("200.00"), Decimal("200.00")),
        ("usd", Decimal("-76.55"), Decimal("123.45")),
        ("usd_big", Decimal("90071992547409.93"), Decimal("90071992547409.93"))]


def test_drift_is_found_in_exact_major_units(mu: str) -> None:
    # one satoshi, one yen, one cent and one cent on a balance no float holds
    run(mu, "UPDATE mu.wallet SET balance = balance + 1")
    assert findings(mu) == []
    reconcile(mu)
    assert findings(mu, "mu_balance") == [
        ("mu_balance", "btc", Decimal("1.50000001"), Decimal("1.50000000"),
         Decimal("0.00000001"), None),
        ("mu_balance", "jpy", Decimal("1001"), Decimal("1000"), Decimal("1"), None),
        ("mu_balance", "usd", Decimal("123.46"), Decimal("123.45"), Decimal("0.01"), None),
        ("mu_balance", "usd_big", Decimal("90071992547409.94"), Decimal("90071992547409.93"),
         Decimal("0.01"), None)]
    assert findings(mu, "mu_chain") == []


def test_a_chain_break_and_a_duplicate_show_major_units(mu: str) -> None:
    # a running balance off by one satoshi, and a USD entry posted twice (its balance moved too)
    run(mu, "UPDATE mu.entry SET balance_after = balance_after + 1 WHERE id = 2",
        "INSERT INTO mu.entry (id, wallet_id, amount, precision, reference, balance_after)"
        " VALUES (7, 'usd', 20000, 100, 'u1', 32345)",
        "UPDATE mu.wallet SET balance = balance + 20000 WHERE id = 'usd'")
    reconcile(mu)
    chain = open_findings(mu, "mu_chain")
    assert [(f["wallet_key"], Decimal(str(f["stored"])), Decimal(str(f["expected"])),
             Decimal(str(f["difference"])), f["details"]["entry"]) for f in chain] == [
        ("btc", Decimal("1.50000001"), Decimal("1.50000000"), Decimal("0.00000001"), 2)]
    dup = open_findings(mu, "mu_duplicate")
    assert len(dup) == 1 and dup[0]["wallet_key"] == "usd", dup
    assert Decimal(str(dup[0]["difference"])) in (Decimal("200.00"), Decimal("-200.00")), dup
    assert findings(mu, "mu_balance") == []


def test_a_fixed_scale_and_a_multiplier_read_as_places(mu: str) -> None:
    run(mu, """
        CREATE TABLE mu.cents (id text PRIMARY KEY, balance integer NOT NULL);
        CREATE TABLE mu.cent_entry (id bigint PRIMARY KEY, wallet_id text NOT NULL,
                                    amount numeric(20, 0) NOT NULL);
        INSERT INTO mu.cents VALUES ('a', 1999);
        INSERT INTO mu.cent_entry VALUES (1, 'a', 2000), (2, 'a', -1);
        SELECT recon.register_wallet_source('mu_cents', 'mu.cents', 'id', ARRAY['balance'],
                                            '{"scale": 2}');
        SELECT recon.register_ledger_source('mu_cent_entries', 'mu_cents', 'mu.cent_entry',
            'wallet_id', 'amount', '{"scale": {"multiplier": 100}}');
        SELECT recon.register_check('mu_cents_balance', 'balance',
                                    '{"ledger": "mu_cent_entries"}');""")
    assert rows(mu, "SELECT amount_scale FROM _recon.ledger_source"
                    " WHERE name = 'mu_cent_entries'") == [{"amount_scale": {"places": 2}}]
    assert reconcile(mu, ["mu_cents_balance"])["findings"] == 0
    run(mu, "UPDATE mu.cents SET balance = 2001")
    reconcile(mu, ["mu_cents_balance"])
    assert findings(mu, "mu_cents_balance") == [
        ("mu_cents_balance", "a", Decimal("20.01"), Decimal("19.99"), Decimal("0.02"), None)]


def test_a_numeric_ledger_without_scale_compiles_as_before(mu: str) -> None:
    # same compiled SQL as without the feature: the legs are a plain scan of the table
    run(mu, """
        CREATE TABLE mu.plain (id text PRIMARY KEY, balance numeric NOT NULL);
        CREATE TABLE mu.plain_entry (id bigint PRIMARY KEY, wallet_id text NOT NULL,
                                     amount numeric NOT NULL);
        SELECT recon.register_wallet_source('mu_plain', 'mu.plain', 'id', ARRAY['balance']);
        SELECT recon.register_ledger_source('mu_plain_entries', 'mu_plain', 'mu.plain_entry',
            'wallet_id', 'amount', '{"entry_id": "id"}');""")
    q = rows(mu, "SELECT _recon.legs_sql(l) AS q FROM _recon.ledger_source AS l"
                 " WHERE l.name = 'mu_plain_entries'")[0]["q"]
    assert q == ("(SELECT r.wallet_id AS wallet, r.amount AS amount, r.id AS entry_id"
                 " FROM mu.plain_entry AS r)"), q
    f = rows(mu, "SELECT _recon.balance_findings_sql('x', '{\"ledger\": \"mu_plain_entries\"}',"
                 " 'e', 'FULL') AS q")[0]["q"]
    assert "(w.balance)::numeric" not in f and "w.balance::numeric" in f, f
    assert "float_amounts" not in f


def test_resync_writes_minor_units_and_the_next_run_is_clean(mu: str) -> None:
    run(mu, "UPDATE mu.wallet SET balance = balance + 7 WHERE id IN ('usd', 'btc', 'jpy')")
    reconcile(mu)
    plan = fix(mu, checks=["mu_balance"], force_strategy="resync", wallet_limits='{"*": 100}')
    assert sorted((s["wallet_key"], s["status"], s["amount"]) for s in plan) == [
        ("btc", "planned", Decimal("0.00000007")), ("jpy", "planned", Decimal("7")),
        ("usd", "planned", Decimal("0.07"))], plan
    done = fix(mu, checks=["mu_balance"], force_strategy="resync", wallet_limits='{"*": 100}',
               dry_run=False, ticket="T-1", reason="minor units")
    assert sorted(s["status"] for s in done) == ["applied"] * 3, done
    assert rows(mu, "SELECT id, balance FROM mu.wallet ORDER BY id") == [
        {"id": "btc", "balance": 150000000}, {"id": "jpy", "balance": 1000},
        {"id": "usd", "balance": 12345}, {"id": "usd_big", "balance": 9007199254740993}]
    assert reconcile(mu)["findings"] == 0


def test_adjust_posts_minor_units_through_the_writer(mu: str) -> None:
    run(mu, WRITER, "UPDATE mu.wallet SET balance = balance + 250 WHERE id IN ('usd', 'jpy')")
    reconcile(mu, ["mu_balance"])
    done = fix(mu, checks=["mu_balance"], force_strategy="adjust", wallet_limits='{"*": 1000}',
               dry_run=False, ticket="T-2", reason="minor units")
    assert sorted((s["wallet_key"], s["status"]) for s in done) == [
        ("jpy", "applied"), ("usd", "applied")], done
    # the writer maps precision 100: 250 yen are 25000 hundredths, 2.50 dollars 250 cents
    assert rows(mu, "SELECT wallet_id, amount, precision FROM mu.entry WHERE id >= 1000"
                    " ORDER BY wallet_id") == [
        {"wallet_id": "jpy", "amount": 25000, "precision": 100},
        {"wallet_id": "usd", "amount": 250, "precision": 100}]
    # the running balance the writer posted is in minor units too: the chain holds
    assert reconcile(mu, ["mu_balance", "mu_chain", "mu_duplicate"])["findings"] == 0
    assert rows(mu, "SELECT definition -> 'scale' AS s FROM recon.sources"
                    " WHERE name IN ('mu_entries', 'mu_wallets') ORDER BY name") == [
        {"s": {"as": "multiplier", "column": "precision"}},
        {"s": {"as": "places", "column": "decimals"}}]


def test_an_incremental_run_finds_the_same_exact_drift(mu: str) -> None:
    assert reconcile(mu, ["mu_balance"])["findings"] == 0
    run(mu, "UPDATE mu.wallet SET balance = balance - 1 WHERE id = 'usd_big'",
        "INSERT INTO mu.entry (id, wallet_id, amount, precision) VALUES (9, 'btc', 1, 100000000)")
    summary = reconcile(mu, ["mu_balance"], "incremental")
    # the entry ids are an identity BY DEFAULT (a writer may supply one): the trigger
    # recon_ledger_order records one at or below the last bound (docs/INCREMENTAL.md); id 9
    # is above it, so the run is incremental; the findings are the same exact amounts
    assert summary["runs"]["mu_balance"] == {"mode": "incremental"}, summary
    assert findings(mu, "mu_balance") == [
        ("mu_balance", "btc", Decimal("1.50000000"), Decimal("1.50000001"),
         Decimal("-0.00000001"), None),
        ("mu_balance", "usd_big", Decimal("90071992547409.92"), Decimal("90071992547409.93"),
         Decimal("-0.01"), None)]


def test_an_amount_finer_than_the_column_is_refused_not_rounded(mu: str) -> None:
    # one satoshi is not a whole number of hundredths: the writer (precision 100) cannot post it
    run(mu, WRITER, "UPDATE mu.wallet SET balance = balance + 1 WHERE id = 'btc'")
    reconcile(mu, ["mu_balance"])
    before = snapshot(mu, *MU_TABLES)
    err = sqlstate(mu, "SELECT * FROM recon.fix(checks => ARRAY['mu_balance'], "
                       "force_strategy => 'adjust', wallet_limits => '{\"*\": 1}', "
                       "dry_run => false, "
                       "ticket => 'T', reason => 'r')")
    assert err.sqlstate == "RC321" and "0.00000001" in str(err), err
    assert err.diag.message_detail and err.diag.message_hint, err
    assert snapshot(mu, *MU_TABLES) == before


def test_float_columns_are_read_flagged_and_never_written(mu: str) -> None:
    run(mu, "UPDATE mu.fwallet SET balance = balance + 0.25 WHERE id = 'f1'")
    reconcile(mu, ["mu_fbalance"])
    got = open_findings(mu, "mu_fbalance")
    assert [(f["wallet_key"], Decimal(str(f["difference"])), f["details"].get("float_amounts"))
            for f in got] == [("f1", Decimal("0.25"), True)], got
    # a check on exact columns says nothing of floats
    run(mu, "UPDATE mu.wallet SET balance = balance + 1 WHERE id = 'usd'")
    reconcile(mu, ["mu_balance"])
    assert [f["details"].get("float_amounts") for f in open_findings(mu, "mu_balance")] == [None]
    # a writer is refused, with a hint
    before = snapshot(mu, *MU_TABLES)
    err = sqlstate(mu, "SELECT recon.register_writer('mu_fentries', '{\"columns\": {}}')")
    assert err.sqlstate == "RC320" and err.diag.message_hint, err
    assert snapshot(mu, *MU_TABLES) == before
    # the dry run says why, applying refuses with RC320 and changes nothing
    plan = fix(mu, checks=["mu_fbalance"], force_strategy="resync", wallet_limits='{"*": 100}')
    assert [(s["wallet_key"], s["status"]) for s in plan] == [("f1", "manual")], plan
    assert "float" in plan[0]["note"] and "RC320" in plan[0]["note"], plan
    err = sqlstate(mu, "SELECT * FROM recon.fix(checks => ARRAY['mu_fbalance'], "
                       "force_strategy => 'resync', wallet_limits => '{\"*\": 100}', "
                       "dry_run => false, "
                       "ticket => 'T', reason => 'r')")
    assert err.sqlstate == "RC320" and err.diag.message_hint, err
    assert snapshot(mu, *MU_TABLES) == before
    # acknowledging stays possible
    done = fix(mu, checks=["mu_fbalance"], force_strategy="acknowledge", dry_run=False,
               ticket="T", reason="float column, fixed by hand")
    assert [s["status"] for s in done] == ["applied"], done


@pytest.mark.parametrize(("call", "code"), [
    # scale on a float column, a numeric with decimals, a negative or fractional scale,
    # a multiplier that is no power of ten, a precision column of the wrong type, no "as"
    ("recon.register_ledger_source('x', 'mu_fwallets', 'mu.fentry', 'wallet_id', 'amount', "
     "'{\"scale\": 2}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": -1}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": 2.5}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": \"2\"}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"multiplier\": 250}}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"column\": \"currency\", \"as\": \"places\"}}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"column\": \"decimals\"}}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"column\": \"decimals\", \"as\": \"percent\"}}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"column\": \"nope\", \"as\": \"places\"}}')", "RC102"),
    ("recon.register_wallet_source('x', 'mu.wallet', 'id', ARRAY['balance'], "
     "'{\"scale\": {\"places\": 2, \"multiplier\": 100}}')", "RC115"),
    ("recon.register_wallet_source('x', 'mu.fwallet', 'id', ARRAY['balance'], "
     "'{\"scale\": 2}')", "RC115"),
    ("recon.register_ledger_source('x', 'mu_wallets', 'mu.entry', 'wallet_id', 'amount', "
     "'{\"scale\": {\"column\": \"amount\", \"as\": \"multiplier\"}}')", "RC115"),
])
def test_a_bad_scale_fails_and_changes_nothing(mu: str, call: str, code: str) -> None:
    before = snapshot(mu, *MU_TABLES)
    err = sqlstate(mu, f"SELECT {call}")
    assert err.sqlstate == code, err
    assert err.diag.message_detail and err.diag.message_hint, err
    assert snapshot(mu, *MU_TABLES) == before


def test_a_numeric_with_decimals_takes_no_scale(mu: str) -> None:
    run(mu, "CREATE TABLE mu.dec (id text PRIMARY KEY, balance numeric(12, 2))")
    err = sqlstate(mu, "SELECT recon.register_wallet_source('x', 'mu.dec', 'id',"
                       " ARRAY['balance'], '{\"scale\": 2}')")
    assert err.sqlstate == "RC115" and "numeric(12,2)" in str(err), err


def test_a_row_without_a_usable_precision_is_an_invalid_amount(mu: str) -> None:
    # precision 3 is no power of ten: the amount cannot be read, and is reported, not guessed
    run(mu, "INSERT INTO mu.entry (id, wallet_id, amount, precision) VALUES (8, 'usd', 5, 3)")
    reconcile(mu, ["mu_balance"])
    got = open_findings(mu, "mu_balance")
    assert [(f["wallet_key"], f["cause"]) for f in got] == [("usd", "invalid_amount")], got
    assert json.dumps(got[0]["details"].get("null_amounts")) == "1", got


@pytest.mark.parametrize("kind", ["drift", "double_entry"])
def test_guards_refuse_minor_units_for_now(mu: str, kind: str) -> None:
    before = snapshot(mu, *MU_TABLES)
    err = sqlstate(mu, "SELECT recon.enable_guard(%s, 'mu_entries')", (kind,))
    assert err.sqlstate == "RC406" and "minor units" in str(err), err
    assert snapshot(mu, *MU_TABLES) == before


def test_the_checks_doc_example_runs_as_written(make_db: Callable[..., str],
                                                template_db: str) -> None:
    # docs/CHECKS.md "Minor units": the Blnk-style example, and the findings it shows
    from conftest import ROOT
    text = (ROOT / "docs" / "CHECKS.md").read_text()
    section = text[text.index("### Minor units"):text.index("## 2. Register a check")]
    block = section.split("```sql\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    dsn = make_db(template_db)
    run(dsn, block)
    got = rows(dsn, "SELECT wallet_key, currency, stored::text, expected::text,"
                    " difference::text FROM recon.open_findings ORDER BY wallet_key")
    for r in got:
        line = " | ".join(v.strip() for v in shown.splitlines()
                          if v.lstrip().startswith(r["wallet_key"])
                          for v in v.split("|"))
        assert line == " | ".join([r["wallet_key"], r["currency"], r["stored"], r["expected"],
                                   r["difference"]]), (line, r)
    assert len(got) == 3


LEDGER_FIRST = (
    """CREATE FUNCTION mu.post(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE
        w text := request ->> 'wallet';
        d numeric := (request -> 'deltas' ->> 'balance')::numeric;
        places smallint;
        v_after bigint;
        v_id bigint;
    BEGIN
        SELECT decimals INTO places FROM mu.wallet WHERE id = w;
        UPDATE mu.wallet SET balance = balance + (d * 10 ^ places)::bigint WHERE id = w
        RETURNING balance INTO v_after;
        INSERT INTO mu.entry (wallet_id, amount, precision, reference, balance_after)
        VALUES (w, (d * 10 ^ places)::bigint, (10 ^ places)::bigint, request ->> 'reference',
                v_after)
        RETURNING id INTO v_id;
        RETURN jsonb_build_array(v_id);
    END $$""",
    "SELECT recon.register_writer('mu_entries', "
    "'{\"function\": \"mu.post(jsonb)\", \"moves_balances\": true}')",
)


def test_a_ledger_first_writer_moves_minor_units(mu: str) -> None:
    """A posting function that moves the stored balance itself (Blnk-like, cents in bigint):
    the toolkit's alignment before the posting writes whole minor units and the request's
    stored balances are major units like its deltas; the usd wallet drifted by 2.50 is
    adjusted through the routine and every check is clean after (it used to write 123.45 into
    a bigint of cents, and the verification refused it with RC307)."""
    run(mu, *LEDGER_FIRST, "UPDATE mu.wallet SET balance = balance + 250 WHERE id = 'usd'")
    reconcile(mu, ["mu_balance"])
    done = fix(mu, checks=["mu_balance"], force_strategy="adjust", wallet_limits='{"*": 1000}',
               dry_run=False, ticket="T-3", reason="minor units, ledger first")
    assert [(s["wallet_key"], s["status"]) for s in done] == [("usd", "applied")], done
    assert rows(mu, "SELECT balance FROM mu.wallet WHERE id = 'usd'") == [{"balance": 12595}]
    assert reconcile(mu, ["mu_balance", "mu_chain", "mu_duplicate"])["findings"] == 0
