"""Leftovers of the repair review (session 12), each through SQL from a plain connection:

1. an offset wallet of another currency than the wallet's: the dry run says what apply refuses
   (manual, naming both currencies), never "planned" then RC307;
2. recon.reverse_fix of a lifecycle repair posts into the journal the repair posted into, and
   the reversal conserves;
3. an INSERT writer on a ledger with a per-row currency column fills it with the wallet's
   currency;
4. a user's DROP SCHEMA ... CASCADE never drops a toolkit object (recon.discrepancies)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
import test_seed001 as seed001_app
from helpers import one, row_snapshot
from psycopg.types.json import Jsonb
from test_seed001 import at

from conftest import fix, reconcile, rows, run

LIMITS = {"wallet_limits": Jsonb({"*": 1000})}
APPLY = {"dry_run": False, "ticket": "INC-12", "reason": "session 12", **LIMITS}


@pytest.fixture
def lf(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """tests/fixtures/ledger_first.sql (a clone): a ledger-first writer against 'world'."""
    return make_db(fixture_template("ledger_first.sql"))


# --- 1. an offset wallet of another currency ----------------------------------------------------

@pytest.mark.parametrize("moves_balances", [True, False])
def test_an_offset_wallet_of_another_currency_is_manual_in_the_dry_run(
        lf: str, moves_balances: bool) -> None:
    """world holds USD, carol EUR: an adjustment of carol against world would book EUR into a
    USD account (RC307 at apply). The dry run says so, naming world and both currencies, and
    applying does exactly what the dry run said: nothing."""
    run(lf, "UPDATE lf.account SET currency = 'USD' WHERE id = 'world'",
        "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.recon_post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\","
        f" \"moves_balances\": {str(moves_balances).lower()}}}')",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    # (world's journals now move USD against EUR: the journal check's findings, not repaired
    # here; the balance check's repair is this test's)
    balance = {"checks": ["lf_balance"], **LIMITS}
    [step] = fix(lf, **balance)
    assert step["status"] == "skipped", step
    assert "world" in step["note"] and "USD" in step["note"] and "EUR" in step["note"]
    before = row_snapshot(lf, "lf.account", "lf.entry")
    [done] = fix(lf, **{**APPLY, "checks": ["lf_balance"]})
    assert (done["status"], done["note"]) == (step["status"], step["note"])
    assert row_snapshot(lf, "lf.account", "lf.entry") == before
    if not moves_balances:
        return  # (lf.recon_post moves balances itself: the contract without it is another test's)
    # a wallet of world's currency is still adjusted against it
    run(lf, "INSERT INTO lf.account (id, currency, balance) VALUES ('dan', 'USD', 7)")
    reconcile(lf)
    plan = {s["wallet_key"]: (s["status"], s["note"]) for s in fix(lf, **balance)}
    assert {k: v[0] for k, v in plan.items()} == {"carol": "skipped", "dan": "planned"}, plan
    assert {s["wallet_key"]: s["status"] for s in fix(lf, **{**APPLY, "checks": ["lf_balance"]})
            } == {"carol": "skipped", "dan": "applied"}


# --- 2. reverse_fix posts into the journal the repair posted into --------------------------------

def reverse(dsn: str, **args: object) -> list[dict]:
    """recon.reverse_fix of the latest fix (dry_run unless told), steps as dicts."""
    named = "".join(f", {k} => %({k})s" for k in args)
    return rows(dsn, "SELECT * FROM recon.reverse_fix((SELECT max(id) FROM _recon.fix"
                     f" WHERE action = 'fix'){named})", args)


def journal_sums(dsn: str) -> dict[str, Decimal]:
    return {r["txn"]: r["s"] for r in rows(
        dsn, "SELECT txn, sum(amount) AS s FROM lf.entry WHERE txn IS NOT NULL GROUP BY 1")}


def test_reversing_a_restored_leg_posts_into_its_journal(lf: str) -> None:
    """A restored leg (no offset side) went into the journal it was lost from (t3). Its
    reversal goes there too: t3 lacks the leg again, exactly as before the repair, and no new
    one-legged journal appears (recon-<fix>-<step> from the writer's template, unbalanced)."""
    run(lf, "DELETE FROM lf.entry WHERE txn = 't3' AND account_id = 'alice'")
    reconcile(lf)
    lost = journal_sums(lf)
    [step] = [s for s in fix(lf, **APPLY) if s["check_name"] == "lf_balance"]
    assert (step["strategy"], step["status"]) == ("restore", "applied")
    assert journal_sums(lf) == lost | {"t3": 0}
    [plan] = reverse(lf)
    assert plan["entries"][0]["journal"] == "t3" and plan["status"] == "planned", plan
    [undo] = reverse(lf, dry_run=False, ticket="INC-12", reason="undo")
    assert undo["status"] == "applied", undo
    assert journal_sums(lf) == lost  # t3 as the repair found it; no other journal
    posted = rows(lf, "SELECT e.posting ->> 'journal' AS journal FROM _recon.repair_entry AS e"
                      " JOIN _recon.repair AS r ON r.id = e.repair_id WHERE r.reverses IS NOT NULL")
    assert posted == [{"journal": "t3"}]


@pytest.fixture
def s1(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 001 with its posting function (tests/fixtures/seed001_writer.sql)."""
    return make_db(fixture_template("seed001.sql", "seed001_register.sql", "seed001_writer.sql"))


def s1_ops(dsn: str, tx: str) -> list[tuple]:
    return [(r["type"], r["amount"]) for r in rows(
        dsn, "SELECT type, amount FROM seed001.operation WHERE transaction_id = %s ORDER BY seq",
        (tx,))]


def s1_totals(dsn: str) -> dict:
    """Per currency: stored available and on_hold, and what the operations add up to."""
    return {r["asset_code"]: (r["available"], r["on_hold"], r["ops"]) for r in rows(dsn, """
        SELECT b.asset_code, sum(b.available) AS available, sum(b.on_hold) AS on_hold,
               (SELECT sum(CASE o.type WHEN 'ON_HOLD' THEN o.amount WHEN 'RELEASE' THEN -o.amount
                                       WHEN 'DEBIT' THEN -o.amount ELSE 0 END)
                FROM seed001.operation AS o WHERE o.asset_code = b.asset_code) AS ops
        FROM seed001.balance AS b GROUP BY 1""")}


def test_reversing_a_lifecycle_repair_posts_into_the_holds_transaction(s1: str) -> None:
    """Seed 001's Bug #1 on a CANCELED transfer: the RELEASE is never written. The repair posts
    it into the hold's transaction; reverse_fix posts the opposite (an ON_HOLD) into that same
    transaction, never a transaction of its own: the transaction's entries are what the repair
    found plus a pair that nets to nothing, every currency's totals are back where they were,
    and the open hold comes back as it was."""
    tx = one(s1, "SELECT md5('s1-transfer-280')::uuid::text")
    run(s1, f"UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = '{tx}'")
    reconcile(s1)
    found = [(f["check_name"], f["wallet_key"], f["difference"]) for f in rows(
        s1, "SELECT * FROM recon.open_findings ORDER BY id")]
    before, totals, ops = one(s1, "SELECT count(*) FROM seed001.transaction"), s1_totals(s1), \
        s1_ops(s1, tx)
    [done] = fix(s1, **APPLY)
    assert (done["strategy"], done["status"]) == ("resolve", "applied"), done
    assert s1_ops(s1, tx) == [*ops, ("RELEASE", Decimal("23.1"))]
    [plan] = reverse(s1)
    assert plan["entries"][0]["journal"] == tx and plan["status"] == "planned", plan
    [undo] = reverse(s1, dry_run=False, ticket="INC-12", reason="undo")
    assert undo["status"] == "applied", undo
    assert s1_ops(s1, tx) == [*ops, ("RELEASE", Decimal("23.1")), ("ON_HOLD", Decimal("23.1"))]
    assert one(s1, "SELECT count(*) FROM seed001.transaction") == before  # no new transaction
    assert s1_totals(s1) == totals
    reconcile(s1)
    now = [(f["check_name"], f["wallet_key"], f["difference"], f["details"]) for f in rows(
        s1, "SELECT * FROM recon.open_findings ORDER BY id")]
    assert [x[:3] for x in now] == found, now


def test_reversing_the_reversal_of_a_second_release_brings_both_findings_back(s1: str) -> None:
    """A cancellation retried: RELEASE twice. The repair reversed the second one by an ON_HOLD
    in the transaction (the duplicate covered). reverse_fix undoes that by a RELEASE in the same
    transaction: the duplicate and the hold resolved twice are back, as found, totals as they
    were."""
    app = seed001_app.App(s1)
    try:
        tx = app.hold("m12", 30, Decimal("8.00"), at(0))
        app.cancel(tx, "m12", 30, Decimal("8.00"), at(5))
        app.post(tx, 30, "RELEASE", Decimal("8.00"), at(6), name="m12-release-retry")
    finally:
        app.close()
    reconcile(s1)
    found = [(f["check_name"], f["wallet_key"], f["difference"]) for f in rows(
        s1, "SELECT * FROM recon.open_findings ORDER BY check_name")]
    assert [f[0] for f in found] == ["s1_duplicates", "s1_holds"]
    totals = s1_totals(s1)
    assert {s["status"] for s in fix(s1, **APPLY)} == {"applied", "covered"}
    assert reconcile(s1)["status"] == "synced"
    # the undone state held -8.00 on hold (the retry moved it twice): allowed back, by name
    run(s1, "SELECT recon.allow_overdraft('s1_balances', balance_column => 'on_hold',"
            " reason => 'undo of a retried cancellation')")
    [undo] = [u for u in reverse(s1, dry_run=False, ticket="INC-12", reason="undo")
              if u["entries"]]
    assert undo["status"] == "applied" and undo["entries"][0]["journal"] == tx, (undo["note"], undo)
    assert [o[0] for o in s1_ops(s1, tx)] == ["ON_HOLD", "RELEASE", "RELEASE", "ON_HOLD",
                                               "RELEASE"]
    assert s1_totals(s1) == totals
    reconcile(s1)
    assert [(f["check_name"], f["wallet_key"], f["difference"]) for f in rows(
        s1, "SELECT * FROM recon.open_findings ORDER BY check_name")] == found


# --- 3. an INSERT writer fills a currency per row --------------------------------------------------

CURRENCY_ROWS = """
CREATE SCHEMA cw;
CREATE TABLE cw.wallet (id text PRIMARY KEY, currency text, balance numeric(14, 2) NOT NULL);
CREATE TABLE cw.entry (id bigserial PRIMARY KEY, wallet_id text NOT NULL,
                       amount numeric(14, 2) NOT NULL, currency text NOT NULL, reference text);
INSERT INTO cw.wallet VALUES ('e1', 'EUR', 0), ('u1', 'USD', 0);
INSERT INTO cw.entry (wallet_id, amount, currency, reference)
VALUES ('e1', 40, 'EUR', 'p1'), ('u1', 70, 'USD', 'p2');
UPDATE cw.wallet SET balance = 40 + 5 WHERE id = 'e1';
UPDATE cw.wallet SET balance = 70 - 3 WHERE id = 'u1';
SELECT recon.register_wallet_source('cw_wallets', 'cw.wallet', 'id', ARRAY['balance'],
                                    '{"currency": "currency"}');
SELECT recon.register_ledger_source('cw_entries', 'cw_wallets', 'cw.entry', 'wallet_id', 'amount',
    '{"entry_id": "id", "reference": "reference", "currency": "currency"}');
SELECT recon.register_check('cw_balance', 'balance', '{"ledger": "cw_entries"}');
SELECT recon.set_fix_policy('cw_balance', '{"strategy": "adjust"}');
"""


@pytest.fixture
def cw(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Wallets of two currencies, a ledger with a NOT NULL currency per row (a clone)."""
    return make_db(fixture_template(sql=(CURRENCY_ROWS,)))


def test_an_insert_writer_fills_the_rows_currency_with_the_wallets(cw: str) -> None:
    """Registration used to refuse the writer (the NOT NULL currency had no value), and a
    nullable one was posted without a currency. The toolkit fills it with the wallet's."""
    run(cw, "SELECT recon.register_writer('cw_entries', '{\"columns\": {}}')")
    reconcile(cw)
    assert {s["wallet_key"]: s["status"] for s in fix(cw, **LIMITS)} == {
        "e1": "planned", "u1": "planned"}
    assert {s["wallet_key"]: s["status"] for s in fix(cw, **APPLY)} == {
        "e1": "applied", "u1": "applied"}
    posted = rows(cw, "SELECT wallet_id, amount, currency FROM cw.entry WHERE reference LIKE"
                      " 'RECON-%' ORDER BY wallet_id")
    assert [(r["wallet_id"], r["amount"], r["currency"]) for r in posted] == [
        ("e1", Decimal("5.00"), "EUR"), ("u1", Decimal("-3.00"), "USD")]
    assert reconcile(cw)["status"] == "synced"


def test_a_wallet_of_unknown_currency_is_refused_and_a_mapped_column_stands(cw: str) -> None:
    """A wallet without a currency (its column NULL, none on the finding or the check): the
    step is skipped in the dry run and applying, saying why, and nothing is posted. A writer
    whose "columns" set the currency keeps its own value."""
    run(cw, "UPDATE cw.wallet SET currency = NULL WHERE id = 'e1'",
        "ALTER TABLE cw.entry ALTER COLUMN currency DROP NOT NULL",
        "UPDATE cw.entry SET currency = NULL WHERE wallet_id = 'e1'",
        "SELECT recon.register_writer('cw_entries', '{\"columns\": {}}')")
    reconcile(cw)
    plan = {s["wallet_key"]: s for s in fix(cw, **LIMITS)}
    assert plan["e1"]["status"] == "skipped", plan["e1"]
    assert "currency" in plan["e1"]["note"] and "cw_entries" in plan["e1"]["note"]
    assert plan["u1"]["status"] == "planned"
    entries = one(cw, "SELECT count(*) FROM cw.entry")
    done = {s["wallet_key"]: s for s in fix(cw, **APPLY)}
    assert (done["e1"]["status"], done["e1"]["note"]) == ("skipped", plan["e1"]["note"])
    assert one(cw, "SELECT count(*) FROM cw.entry") == entries + 1
    run(cw, "SELECT recon.register_writer('cw_entries', '{\"columns\": {\"currency\": \"EUR\"}}')")
    reconcile(cw)
    assert [(s["wallet_key"], s["status"]) for s in fix(cw, **APPLY)] == [("e1", "applied")]
    assert one(cw, "SELECT currency FROM cw.entry ORDER BY id DESC LIMIT 1") == "EUR"


def test_an_insert_writer_is_refused_where_the_currency_is_a_parent_rows(cw: str) -> None:
    run(cw, "CREATE TABLE cw.tx (id bigint PRIMARY KEY, asset text NOT NULL)",
        "ALTER TABLE cw.entry ADD COLUMN tx_id bigint",
        "SELECT recon.register_ledger_source('cw_parented', 'cw_wallets', 'cw.entry', 'wallet_id',"
        " 'amount', '{\"entry_id\": \"id\", \"parents\": {\"tx\": {\"table\": \"cw.tx\","
        " \"key\": \"id\", \"via\": \"tx_id\"}}, \"currency\": \"tx.asset\"}')")
    with pytest.raises(psycopg.Error) as e:
        run(cw, "SELECT recon.register_writer('cw_parented', '{\"columns\": {}}')")
    assert e.value.sqlstate == "RC305" and "tx.asset" in str(e.value)


# --- 4. a user's DROP never drops a toolkit object ----------------------------------------------

TOOLKIT_OBJECTS = """
    SELECT c.oid::regclass::text AS oid FROM pg_class AS c
    WHERE c.relnamespace::regnamespace::text IN ('recon', '_recon', '_recon_guard')
      AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    UNION ALL
    SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE p.pronamespace::regnamespace::text IN ('recon', '_recon', '_recon_guard')"""


def test_drop_schema_cascade_leaves_recon_discrepancies(lf: str) -> None:
    """DROP SCHEMA lf CASCADE takes the lf checks' own views (compiled over lf's tables) and
    nothing else of the toolkit: recon.discrepancies reads the checks through a function, not
    a view over their views. Reading it then names the check that lost its view (RC204), the
    check can be dropped, and recon.discrepancies reads the remaining checks again."""
    run(lf, "CREATE SCHEMA other", "CREATE TABLE other.w (id text PRIMARY KEY, b numeric)",
        "INSERT INTO other.w VALUES ('x', 3)",
        "SELECT recon.register_wallet_source('o_w', 'other.w', 'id', ARRAY['b'])",
        "SELECT recon.register_check('o_custom', 'custom', '{\"query\": \"SELECT id AS wallet_key,"
        " b AS stored, 0::numeric AS expected, b AS difference, ''{}''::jsonb AS details"
        " FROM other.w WHERE b <> 0\"}')",
        "UPDATE lf.account SET balance = balance + 1 WHERE id = 'carol'")
    assert {r["check_name"] for r in rows(lf, "SELECT * FROM recon.discrepancies")} == {
        "lf_balance", "o_custom"}
    lf_views = {r["v"] for r in rows(lf, "SELECT 'recon.' || view_name AS v FROM _recon.check_def"
                                         " WHERE name LIKE 'lf\\_%'")}
    before = {r["oid"] for r in rows(lf, TOOLKIT_OBJECTS)}
    run(lf, "DROP SCHEMA lf CASCADE")
    after = {r["oid"] for r in rows(lf, TOOLKIT_OBJECTS)}
    assert before - after == lf_views, before - after
    with pytest.raises(psycopg.Error) as e:
        rows(lf, "SELECT * FROM recon.discrepancies")
    assert e.value.sqlstate == "RC204" and "lf_" in str(e.value)
    for check in ("lf_balance", "lf_chain", "lf_journal", "lf_duplicates"):
        run(lf, f"SELECT recon.drop_check('{check}')")
    assert [r["check_name"] for r in rows(lf, "SELECT * FROM recon.discrepancies")] == [
        "o_custom"]
    # read as the auditor role, as before
    with psycopg.connect(lf, autocommit=True) as c:
        c.execute("SET ROLE recon_auditor")
        assert c.execute("SELECT wallet_key FROM recon.discrepancies").fetchall() == [("x",)]


BACKFILL = """
CREATE SCHEMA bf;
CREATE TABLE bf.users (id text PRIMARY KEY, legacy numeric NOT NULL);
CREATE TABLE bf.wallet (id text PRIMARY KEY, owner text, currency text,
                        balance numeric(14, 2) NOT NULL DEFAULT 0);
CREATE TABLE bf.entry (id bigserial PRIMARY KEY, wallet_id text NOT NULL,
                       amount numeric(14, 2) NOT NULL, currency text, txn text, reference text);
INSERT INTO bf.users VALUES ('system', 0), ('ann', 30);
INSERT INTO bf.wallet VALUES ('sys', 'system', 'EUR', 0);
SELECT recon.register_wallet_source('bf_wallets', 'bf.wallet', 'id', ARRAY['balance'],
                                    '{"owner": "owner", "currency": "currency"}');
SELECT recon.register_ledger_source('bf_entries', 'bf_wallets', 'bf.entry', 'wallet_id', 'amount',
    '{"entry_id": "id", "journal": "txn", "reference": "reference", "currency": "currency"}');
SELECT recon.register_check('bf_coverage', 'coverage', '{"wallet": "bf_wallets",
    "owner_table": "bf.users", "owner_key": "id", "owner_balance": "legacy",
    "exclude_column": "id", "exclude_values": ["system"], "currency": "EUR"}');
SELECT recon.register_writer('bf_entries', '{"offset_wallet": "sys", "journal": "bf-{uuid}"}');
"""


@pytest.mark.parametrize("columns", ['{"currency": "EUR"}', "{}"])
def test_a_backfill_fills_the_rows_currency_or_changes_nothing(
        make_db: Callable[..., str], fixture_template: Callable[..., str], columns: str) -> None:
    """recon.backfill's opening entry (and its offset side) through an INSERT writer on a ledger
    with a currency per row: the new wallet's currency, as created. A new wallet without one:
    RC305, and nothing is created or posted."""
    bf = make_db(fixture_template(sql=(BACKFILL,)))
    reconcile(bf)
    call = ("SELECT recon.backfill('bf_coverage', dry_run => false, ticket => 'INC-12',"
            f" reason => 'r', wallet_key => 'w-{{owner}}', wallet_columns => '{columns}')")
    if columns == "{}":
        before = row_snapshot(bf, "bf.wallet", "bf.entry")
        with pytest.raises(psycopg.Error) as e:
            run(bf, call)
        assert e.value.sqlstate == "RC305" and "currency" in str(e.value)
        assert row_snapshot(bf, "bf.wallet", "bf.entry") == before
        return
    run(bf, call)
    assert [(r["wallet_id"], r["amount"], r["currency"]) for r in rows(
        bf, "SELECT wallet_id, amount, currency FROM bf.entry ORDER BY wallet_id")] == [
        ("sys", Decimal("-30.00"), "EUR"), ("w-ann", Decimal("30.00"), "EUR")]
