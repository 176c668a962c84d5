"""Bugs a tester found by registering ledgers shaped like real ones (Blnk, Stripe, plain apps)
through the public API only, each kept here as the smallest schema that shows it, through SQL
from plain connections:

- an entry without a wallet key (NULL) broke every run of a ledger registered with `order_by`
  (the per-wallet state cannot hold a NULL key): now a finding, full and incremental alike;
- a GENERATED balance column was accepted, and a resync planned that cannot be applied;
- wallet keys whose equality is not their text's (citext, a nondeterministic collation) gave
  incremental findings a full run does not, and a block guard refused a correct write;
- an entry in another currency than its wallet's was summed into the wallet's balance, and a
  resync booked it into the stored balance: the books then said "synced";
- an orphan payment in minor units was posted as major units (a $77 payment posted as $7,700).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from helpers import one, row_snapshot

from conftest import fix, open_findings, reconcile, run


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    """A fresh clone of the installed template."""
    return make_db(template_db)


def found(dsn: str) -> list[tuple]:
    """The open findings, as (check, wallet, cause, difference), sorted."""
    return sorted(((f["check_name"], f["wallet_key"], f["details"].get("cause"),
                    None if f["difference"] is None else Decimal(str(f["difference"])))
                   for f in open_findings(dsn)), key=str)


# -- entries without a wallet key ---------------------------------------------------------------

NULL_KEY_LEDGER = (
    "CREATE TABLE w (id int PRIMARY KEY, balance numeric NOT NULL)",
    "CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id int,"
    " amount numeric NOT NULL)",
    "INSERT INTO w VALUES (1, 10), (2, 99), (3, 0)",
    "SELECT recon.register_wallet_source('w', 'w', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('e', 'w', 'e', 'wallet_id', 'amount',"
    " '{\"order_by\": \"id\"}')",
    "SELECT recon.register_check('b', 'balance', '{\"ledger\": \"e\"}')",
)


def test_an_entry_without_a_wallet_key_is_a_finding_not_a_failed_run(fresh: str) -> None:
    """Wallet 2 drifted by 99 and one entry lost its wallet: the full run used to fail with a
    raw 23502 (no run, no finding at all). Now both are found, in full and in incremental
    mode, which runs in full and says why."""
    run(fresh, *NULL_KEY_LEDGER, "INSERT INTO e (wallet_id, amount) VALUES (1, 10), (NULL, 5)")
    summary = reconcile(fresh)
    assert summary["runs"]["b"]["watermark"].startswith(
        "the ledger has entries without a wallet key (NULL)"), summary["runs"]
    full = found(fresh)
    assert full == [("b", "2", "no_ledger_entries", Decimal("99")),
                    ("b", None, "unknown_wallet", None)]
    incremental = reconcile(fresh, None, "incremental")
    assert incremental["runs"]["b"]["mode"] == "full"
    assert found(fresh) == full


def test_a_null_key_entry_after_the_watermark_makes_the_run_full(fresh: str) -> None:
    """A clean full run sets a watermark; an entry without a wallet key posted after it (and
    wallet 3's balance moved) is what the next incremental run must find, exactly as a full
    run does: it runs in full and says why."""
    run(fresh, *NULL_KEY_LEDGER, "INSERT INTO e (wallet_id, amount) VALUES (1, 10), (2, 99)")
    assert reconcile(fresh)["runs"]["b"].get("watermark") == "set"
    run(fresh, "INSERT INTO e (wallet_id, amount) VALUES (NULL, 7)",
        "UPDATE w SET balance = balance + 7 WHERE id = 3")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["b"]["mode"] == "full"
    assert summary["runs"]["b"]["why_full"] == (
        "an entry without a wallet key (NULL) was added since the watermark")
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [
        ("b", "3", "no_ledger_entries", Decimal("7")), ("b", None, "unknown_wallet", None)]


def test_a_transfer_row_without_a_source_wallet_is_found(fresh: str) -> None:
    """Transfer rows (Blnk-like source/destination): a row whose source wallet is NULL
    credited b. Full and incremental find b's drift and the keyless leg alike."""
    run(fresh,
        "CREATE TABLE wt (id text PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE tr (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, src text,"
        " dst text, amount numeric NOT NULL)",
        "INSERT INTO wt VALUES ('world', -300), ('a', 200), ('b', 100)",
        "INSERT INTO tr (src, dst, amount) VALUES ('world', 'a', 200), ('world', 'b', 100)",
        "SELECT recon.register_wallet_source('wt', 'wt', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('tr', 'wt', 'tr', NULL, 'amount',"
        " '{\"debit_wallet\": \"src\", \"credit_wallet\": \"dst\", \"order_by\": \"id\"}')",
        "SELECT recon.register_check('tb', 'balance', '{\"ledger\": \"tr\"}')")
    assert reconcile(fresh)["findings"] == 0
    run(fresh, "INSERT INTO tr (src, dst, amount) VALUES (NULL, 'b', 7)",
        "UPDATE wt SET balance = balance + 7 WHERE id = 'b'")
    reconcile(fresh, None, "incremental")
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [("tb", None, "unknown_wallet", None)]


# -- a balance column PostgreSQL computes -------------------------------------------------------

def test_a_generated_balance_column_is_checked_and_its_repair_skipped(fresh: str) -> None:
    """TigerBeetle-like accounts keep balance GENERATED ALWAYS AS (credits - debits): the
    checks read it, but no repair can write it. The plan used to say "resync planned" and the
    apply failed with a raw 428C9; the step is now skipped in the dry run already, naming the
    column and its expression, and applying changes nothing."""
    run(fresh,
        "CREATE TABLE acct (id int PRIMARY KEY, credits numeric NOT NULL,"
        " debits numeric NOT NULL,"
        " balance numeric GENERATED ALWAYS AS (credits - debits) STORED)",
        "CREATE TABLE ent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " account_id int NOT NULL, amount numeric NOT NULL)",
        "INSERT INTO acct VALUES (1, 100, 0), (2, 50, 10)",
        "INSERT INTO ent (account_id, amount) VALUES (1, 100), (2, 40)",
        "SELECT recon.register_wallet_source('gw', 'acct', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('ge', 'gw', 'ent', 'account_id', 'amount')",
        "SELECT recon.register_check('gb', 'balance', '{\"ledger\": \"ge\"}')",
        "UPDATE acct SET credits = credits + 5 WHERE id = 1")
    assert found(fresh) == [] and reconcile(fresh)["findings"] == 1
    [step] = fix(fresh, wallet_limit=100)
    assert (step["wallet_key"], step["status"]) == ("1", "skipped")
    assert step["note"] == ("cannot write balance of public.acct: it is GENERATED ALWAYS AS"
                            " (credits - debits); repair the columns it is computed from by"
                            " hand, or acknowledge")
    before = row_snapshot(fresh, "acct", "ent")
    [step] = fix(fresh, wallet_limit=100, dry_run=False, ticket="T", reason="generated")
    assert step["status"] == "skipped"
    assert row_snapshot(fresh, "acct", "ent") == before


def test_a_generated_column_beside_the_balance_follows_a_resync(fresh: str) -> None:
    """The balance is stored, and registered beside it a GENERATED column the ledger does not
    move (the balance in cents): the resync's UPDATE named every balance column, and
    PostgreSQL refused the GENERATED one (428C9), so no wallet of such a table could be
    repaired. The GENERATED column is now left to PostgreSQL, and follows."""
    run(fresh,
        "CREATE TABLE acct2 (id int PRIMARY KEY, balance numeric NOT NULL,"
        " cents numeric GENERATED ALWAYS AS (balance * 100) STORED)",
        "CREATE TABLE ent2 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " account_id int NOT NULL, amount numeric NOT NULL)",
        "INSERT INTO acct2 VALUES (1, 100), (2, 40)",
        "INSERT INTO ent2 (account_id, amount) VALUES (1, 100), (2, 40)",
        "SELECT recon.register_wallet_source('gw2', 'acct2', 'id', ARRAY['balance', 'cents'])",
        "SELECT recon.register_ledger_source('ge2', 'gw2', 'ent2', 'account_id', 'amount')",
        "SELECT recon.register_check('gb2', 'balance', '{\"ledger\": \"ge2\"}')",
        "UPDATE acct2 SET balance = balance + 5 WHERE id = 1")
    assert reconcile(fresh)["findings"] == 1
    [step] = fix(fresh, wallet_limit=100, dry_run=False, ticket="T", reason="generated")
    assert (step["wallet_key"], step["strategy"], step["status"]) == ("1", "resync", "applied")
    assert one(fresh, "SELECT row(balance, cents)::text FROM acct2 WHERE id = 1") == (
        "(100,10000)")
    assert reconcile(fresh)["status"] == "synced"


# -- keys whose equality is not their text's ----------------------------------------------------

def test_keys_equal_but_spelled_differently_run_incrementally(fresh: str) -> None:
    """citext e-mail keys compare case-insensitively: an entry for user1@example.com is wallet
    user1@Example.com's. A state that kept keys as text found a drift where there is none and an
    unknown wallet where there is drift (such a ledger then ran in full). The state is keyed on
    the wallet key's own type since 0032: the run is incremental and its findings are the full
    run's."""
    run(fresh,
        "CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE TABLE ck_wallet (email citext PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE ck_entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " email citext, amount numeric NOT NULL)",
        "INSERT INTO ck_wallet SELECT 'user' || g || '@Example.com', 10 * g"
        " FROM generate_series(1, 5) AS g",
        "INSERT INTO ck_entry (email, amount) SELECT 'user' || g || '@Example.com', 10 * g"
        " FROM generate_series(1, 5) AS g",
        "SELECT recon.register_wallet_source('kw', 'ck_wallet', 'email', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('ke', 'kw', 'ck_entry', 'email', 'amount',"
        " '{\"order_by\": \"id\"}')",
        "SELECT recon.register_check('kb', 'balance', '{\"ledger\": \"ke\"}')")
    assert reconcile(fresh)["findings"] == 0
    # a correct write spelled in lower case, and a drift: an entry with no balance move
    run(fresh, "INSERT INTO ck_entry (email, amount) VALUES ('user3@example.com', 5)",
        "UPDATE ck_wallet SET balance = balance + 5 WHERE email = 'user3@example.com'",
        "INSERT INTO ck_entry (email, amount) VALUES ('USER4@example.com', 11)")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["kb"] == {"mode": "incremental"}, summary["runs"]
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [("kb", "user4@Example.com", None, Decimal("-11"))]
    # from the full run's state too: a write spelled in upper case, the drift repaired
    run(fresh, "INSERT INTO ck_entry (email, amount) VALUES ('USER2@EXAMPLE.COM', 3)",
        "UPDATE ck_wallet SET balance = balance + 3 WHERE email = 'user2@example.com'",
        "UPDATE ck_wallet SET balance = balance + 11 WHERE email = 'user4@example.com'")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["kb"] == {"mode": "incremental"}, summary["runs"]
    assert found(fresh) == []
    reconcile(fresh)
    assert found(fresh) == []


def test_a_wallets_entries_under_another_spelling_are_its_own(fresh: str) -> None:
    """A citext wallet 'Alice@Example.com' whose entries are all spelled 'alice@example.com':
    GROUP BY put them in one group, but the join to the wallets compared the keys' texts (the
    generated SQL runs with search_path = pg_catalog, where citext's = is not found), so the
    check's view reported an unknown wallet 'alice@example.com' and the wallet without ledger
    entries. Joins use the key type's own equality: nothing to report, full or incremental."""
    run(fresh,
        "CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE TABLE ca_wallet (email citext PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE ca_entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " email citext, amount numeric NOT NULL)",
        "INSERT INTO ca_wallet VALUES ('Alice@Example.com', 5), ('Bob@Example.com', 1)",
        "INSERT INTO ca_entry (email, amount) VALUES ('alice@example.com', 5),"
        " ('bob@example.com', 1)",
        "SELECT recon.register_wallet_source('aw', 'ca_wallet', 'email', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('ae', 'aw', 'ca_entry', 'email', 'amount',"
        " '{\"order_by\": \"id\"}')",
        "SELECT recon.register_check('ab', 'balance', '{\"ledger\": \"ae\"}')")
    assert one(fresh, "SELECT count(*) FROM recon.check_ab") == 0
    assert reconcile(fresh)["findings"] == 0
    # a correct write in a third spelling, and a drift on bob in a fourth
    run(fresh, "INSERT INTO ca_entry (email, amount) VALUES ('ALICE@example.com', 2)",
        "UPDATE ca_wallet SET balance = balance + 2 WHERE email = 'alice@EXAMPLE.com'",
        "INSERT INTO ca_entry (email, amount) VALUES ('BOB@EXAMPLE.COM', 7)")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["ab"] == {"mode": "incremental"}, summary["runs"]
    incremental = found(fresh)
    reconcile(fresh)
    assert found(fresh) == incremental == [("ab", "Bob@Example.com", None, Decimal("-7"))]
    assert one(fresh, "SELECT count(*) FROM recon.check_ab") == 1


def test_an_unknown_wallet_is_reported_by_its_smallest_spelling(fresh: str) -> None:
    """Entries under citext keys spelled several ways, none a wallet: one unknown_wallet finding,
    whose key was whichever spelling the aggregate met first (the first inserted, here), so two
    full runs could report it differently (and resolve one finding to open another). It is
    the smallest spelling (bytewise) of the group's entries: in full and incremental runs, and
    again after an entry adds a smaller spelling."""
    run(fresh,
        "CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE TABLE cs_wallet (email citext PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE cs_entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " email citext, amount numeric NOT NULL)",
        "INSERT INTO cs_wallet VALUES ('known@example.com', 1)",
        "INSERT INTO cs_entry (email, amount) VALUES ('known@example.com', 1),"
        " ('ghost@example.com', 2), ('Ghost@Example.com', 3), ('ghost@EXAMPLE.com', 4)",
        "SELECT recon.register_wallet_source('sw', 'cs_wallet', 'email', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('se', 'sw', 'cs_entry', 'email', 'amount',"
        " '{\"order_by\": \"id\"}')",
        "SELECT recon.register_check('sb', 'balance', '{\"ledger\": \"se\"}')")
    ghost = [("sb", "Ghost@Example.com", "unknown_wallet", None)]
    reconcile(fresh)
    assert [(c, k, cause) for c, k, cause, _ in found(fresh)] == [g[:3] for g in ghost]
    first = one(fresh, "SELECT id FROM recon.open_findings WHERE check_name = 'sb'")
    reconcile(fresh)
    assert [(c, k, cause) for c, k, cause, _ in found(fresh)] == [g[:3] for g in ghost]
    # the same open finding, not one resolved and another opened
    assert one(fresh, "SELECT id FROM recon.open_findings WHERE check_name = 'sb'") == first
    # a smaller spelling: an incremental run and a full run both report it
    run(fresh, "INSERT INTO cs_entry (email, amount) VALUES ('GHOST@example.com', 5)")
    summary = reconcile(fresh, None, "incremental")
    assert summary["runs"]["sb"] == {"mode": "incremental"}, summary["runs"]
    incremental = found(fresh)
    reconcile(fresh)
    assert [(c, k, cause) for c, k, cause, _ in found(fresh)] == [
        ("sb", "GHOST@example.com", "unknown_wallet")]
    assert found(fresh) == incremental
    # the check's own view says the same
    assert one(fresh, "SELECT wallet_key FROM recon.check_sb") == "GHOST@example.com"


def test_a_wallet_key_under_a_nondeterministic_collation_is_refused(fresh: str) -> None:
    """A case-insensitive ICU collation on the key: registering it used to fail deep inside
    register_check with a raw 42P16 (recon.discrepancies' column collation); it is refused
    where it is given, RC116 with a HINT, and nothing is registered."""
    run(fresh, "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2',"
               " deterministic = false)",
        "CREATE TABLE ci_wallet (email text COLLATE ci PRIMARY KEY, balance numeric NOT NULL)")
    with psycopg.connect(fresh, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT recon.register_wallet_source('cw', 'ci_wallet', 'email',"
                  " ARRAY['balance'])")
    assert err.value.sqlstate == "RC116"
    assert "COLLATE" in err.value.diag.message_hint
    assert one(fresh, "SELECT count(*) FROM recon.sources") == 0


# -- an entry in another currency than its wallet's --------------------------------------------

def test_a_foreign_currency_entry_is_never_booked_into_the_wallets_balance(fresh: str) -> None:
    """Blnk-like balances with a currency each and entries with a currency per row: the
    application booked a EUR 50.00 credit on USD wallet u2 (and rightly did not move its USD
    balance). The balance check sums the entry, the currency check finds it. The fix used to
    resync u2 by +50 (USD) and acknowledge the currency finding: then USD held 50 more than its
    ledger, EUR 50 less, and reconcile said synced. Now u2's balance step is manual (the
    currency named), applying moves no money, and the findings stay open."""
    run(fresh,
        "CREATE TABLE bal (id text PRIMARY KEY, balance numeric(20,2) NOT NULL,"
        " currency text NOT NULL)",
        "CREATE TABLE ent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " balance_id text NOT NULL, amount numeric(20,2) NOT NULL, currency text NOT NULL,"
        " reference text)",
        "INSERT INTO bal VALUES ('u1', 30, 'USD'), ('u2', 20, 'USD'), ('e1', 10, 'EUR')",
        "INSERT INTO ent (balance_id, amount, currency, reference) VALUES"
        " ('u1', 30, 'USD', 'r1'), ('u2', 20, 'USD', 'r2'), ('e1', 10, 'EUR', 'r3')",
        "SELECT recon.register_wallet_source('cw', 'bal', 'id', ARRAY['balance'],"
        " '{\"currency\": \"currency\"}')",
        "SELECT recon.register_ledger_source('ce', 'cw', 'ent', 'balance_id', 'amount',"
        " '{\"entry_id\": \"id\", \"reference\": \"reference\", \"currency\": \"currency\"}')",
        "SELECT recon.register_check('cbal', 'balance', '{\"ledger\": \"ce\"}')",
        "SELECT recon.register_check('ccur', 'currency', '{\"ledger\": \"ce\"}')",
        "SELECT recon.set_fix_policy('ccur', '{\"strategy\": \"acknowledge\"}')",
        "SELECT recon.register_writer('ce', '{\"columns\": {\"currency\": \"USD\"}}')")
    assert reconcile(fresh)["findings"] == 0
    run(fresh, "INSERT INTO ent (balance_id, amount, currency, reference)"
               " VALUES ('u2', 50.00, 'EUR', 'misbooked')")
    assert reconcile(fresh)["findings"] == 2
    plan = fix(fresh, wallet_limits='{"*": 1000}')
    [step] = [s for s in plan if s["check_name"] == "cbal"]
    assert (step["wallet_key"], step["status"]) == ("u2", "manual")
    assert "another currency than its own (EUR)" in step["note"]
    before = row_snapshot(fresh, "bal", "ent")
    fix(fresh, wallet_limits='{"*": 1000}', dry_run=False, ticket="T", reason="currency")
    assert row_snapshot(fresh, "bal", "ent") == before
    reconcile(fresh)
    assert ("cbal", "u2", None, Decimal("-50.00")) in found(fresh)


# -- an orphaned payment in minor units ---------------------------------------------------------

STRIPE_LIKE = (
    "CREATE TABLE sw (id bigint PRIMARY KEY, balance_cents bigint NOT NULL,"
    " currency text NOT NULL DEFAULT 'USD')",
    "CREATE TABLE sl (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " wallet_id bigint NOT NULL, amount_cents bigint NOT NULL, reference text,"
    " kind text NOT NULL DEFAULT 'payment')",
    "CREATE TABLE pi (id text PRIMARY KEY, wallet_id bigint NOT NULL, amount bigint NOT NULL,"
    " status text NOT NULL)",
    "INSERT INTO sw VALUES (1, 1500), (2, 2250), (3, 0)",
    "INSERT INTO pi VALUES ('pi_1', 1, 1500, 'succeeded'), ('pi_2', 2, 2250, 'succeeded')",
    "INSERT INTO sl (wallet_id, amount_cents, reference) SELECT wallet_id, amount, id FROM pi",
    "SELECT recon.register_wallet_source('sw', 'sw', 'id', ARRAY['balance_cents'],"
    " '{\"currency\": \"currency\", \"scale\": 2}')",
    "SELECT recon.register_ledger_source('sl', 'sw', 'sl', 'wallet_id', 'amount_cents',"
    " '{\"entry_id\": \"id\", \"reference\": \"reference\", \"scale\": 2}')",
    "SELECT recon.register_check('sbal', 'balance', '{\"ledger\": \"sl\"}')",
    "SELECT recon.register_writer('sl', '{\"columns\": {\"kind\": \"recon\"}}')",
)
LOST_PAYMENT = (
    # a $77.00 payment (7,700 cents) succeeded and credited wallet 3; its entry was lost
    "INSERT INTO pi VALUES ('pi_lost', 3, 7700, 'succeeded')",
    "UPDATE sw SET balance_cents = balance_cents + 7700 WHERE id = 3",
)
ORPHAN = ("SELECT recon.register_check('sorph', 'orphan', '{\"ledger\": \"sl\", \"table\": \"pi\","
          " \"id_column\": \"id\", \"amount_column\": \"amount\", \"wallet_column\": \"wallet_id\""
          "%s}')")


def test_an_orphaned_payment_of_unknown_units_is_not_posted_100_times(fresh: str) -> None:
    """Cents in the payments, a ledger and wallets of cents (scale 2), an orphan check with no
    scale: the payment's 7700 is read as stored. The fix used to post it as 7,700.00 (770,000
    cents) and resync the wallet to match; the post is now manual, and so is the wallet's
    resync (which would take the customer's $77 back): nothing moves."""
    run(fresh, *STRIPE_LIKE, ORPHAN % "")
    assert reconcile(fresh)["findings"] == 0
    run(fresh, *LOST_PAYMENT)
    reconcile(fresh)
    plan = fix(fresh, wallet_limits='{"*": 100000}')
    [post] = [s for s in plan if s["check_name"] == "sorph"]
    assert (post["strategy"], post["status"]) == ("post_missing", "manual")
    assert "declare the payments' scale" in post["note"]
    [bal] = [s for s in plan if s["check_name"] == "sbal"]
    assert (bal["wallet_key"], bal["status"]) == ("3", "manual"), bal
    before = row_snapshot(fresh, "sw", "sl")
    fix(fresh, wallet_limits='{"*": 100000}', dry_run=False, ticket="T", reason="lost")
    assert row_snapshot(fresh, "sw", "sl") == before
    # the balance check alone: the orphan is not in that plan, and still holds the resync
    [bal] = fix(fresh, checks=["sbal"], wallet_limits='{"*": 100000}', dry_run=False,
                ticket="T", reason="lost")
    assert (bal["wallet_key"], bal["status"]) == ("3", "manual"), bal
    assert "orphaned payment of unknown units" in bal["note"]
    assert row_snapshot(fresh, "sw", "sl") == before


def test_an_orphan_check_with_a_scale_posts_the_payment_in_minor_units(fresh: str) -> None:
    """With "scale": 2 on the orphan check the payment reads 77.00, the lost entry is posted as
    7,700 cents, the wallet keeps its 7,700, and the next reconcile is clean."""
    run(fresh, *STRIPE_LIKE, ORPHAN % ', "scale": 2')
    run(fresh, *LOST_PAYMENT)
    reconcile(fresh)
    assert [(f["check_name"], Decimal(str(f["expected"]))) for f in open_findings(fresh)
            if f["check_name"] == "sorph"] == [("sorph", Decimal("77.00"))]
    done = fix(fresh, wallet_limits='{"*": 100000}', dry_run=False, ticket="T", reason="lost")
    assert "applied" in {s["status"] for s in done}, done
    assert one(fresh, "SELECT amount_cents FROM sl WHERE reference = 'pi_lost'") == 7700
    assert one(fresh, "SELECT balance_cents FROM sw WHERE id = 3") == 7700
    assert reconcile(fresh)["findings"] == 0


# -- block-mode guards: what they must stop, as reconcile would find it -------------------------

def refused(dsn: str, *statements: str) -> str:
    """Run the statements in one transaction; the SQLSTATE it failed with (None if it
    committed)."""
    with psycopg.connect(dsn) as c:
        try:
            with c.transaction():
                for s in statements:
                    c.execute(s)
        except psycopg.Error as e:
            return e.sqlstate
    return None


DERIVED = (
    "CREATE TABLE dw (id text PRIMARY KEY, owner text UNIQUE, locked numeric NOT NULL)",
    "CREATE TABLE act (id int PRIMARY KEY, owner text, budget numeric NOT NULL,"
    " status text NOT NULL)",
    "INSERT INTO dw VALUES ('w1', 'o1', 50), ('w2', 'o2', 0)",
    "INSERT INTO act VALUES (1, 'o1', 50, 'live')",
    "SELECT recon.register_wallet_source('dw', 'dw', 'id', ARRAY['locked'])",
    "SELECT recon.register_check('dlock', 'derived', '{\"wallet\": \"dw\", \"column\": \"locked\","
    " \"table\": \"act\", \"key_column\": \"owner\", \"value_column\": \"budget\","
    " \"filter_column\": \"status\", \"filter_values\": [\"live\"], \"wallet_column\": \"owner\"}')",
    "SELECT recon.enable_guard('derived', 'dlock', '{\"mode\": \"block\"}')",
)


def test_a_derived_guard_stops_a_truncate_and_an_owner_change(fresh: str) -> None:
    """Budget activations lock money on the wallet their owner names. A TRUNCATE of either
    table, and a wallet whose owner column changes under its activations, left locked money
    without activations (or the reverse) and committed in block mode: RC402 now, nothing kept;
    a correct owner change (its locked amount moved along) still commits."""
    run(fresh, *DERIVED)
    assert reconcile(fresh)["findings"] == 0
    before = row_snapshot(fresh, "dw", "act")
    assert refused(fresh, "TRUNCATE act") == "RC402"
    assert refused(fresh, "TRUNCATE dw CASCADE") == "RC402"
    assert refused(fresh, "UPDATE dw SET owner = 'o9' WHERE id = 'w1'") == "RC402"
    assert row_snapshot(fresh, "dw", "act") == before
    assert refused(fresh, "UPDATE dw SET owner = 'o9', locked = 0 WHERE id = 'w1'",
                   "UPDATE dw SET owner = 'o1', locked = 50 WHERE id = 'w2'") is None
    assert reconcile(fresh)["findings"] == 0


def test_a_lifecycle_guard_stops_a_hold_taken_from_under_its_resolution(fresh: str) -> None:
    """Midaz-like holds: t1 and t2 each hold 30 then debit it. Deleting t2's hold (balances
    moved to match), or moving t1's hold to another transaction, left a DEBIT without a hold
    and committed in block mode (the guard had no DELETE trigger and staged only the new rows
    of an UPDATE): RC404 now."""
    run(fresh,
        "CREATE TABLE lw (id text PRIMARY KEY, available numeric NOT NULL,"
        " on_hold numeric NOT NULL)",
        "CREATE TABLE lo (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, txn text NOT NULL,"
        " wallet_id text NOT NULL, type text NOT NULL, amount numeric NOT NULL)",
        "INSERT INTO lw VALUES ('a', 40, 0)",
        "INSERT INTO lo (txn, wallet_id, type, amount) VALUES ('t0', 'a', 'CREDIT', 100),"
        " ('t1', 'a', 'ON_HOLD', 30), ('t1', 'a', 'DEBIT', 30), ('t2', 'a', 'ON_HOLD', 30),"
        " ('t2', 'a', 'DEBIT', 30)",
        "SELECT recon.register_wallet_source('lw', 'lw', 'id', ARRAY['available', 'on_hold'])",
        "SELECT recon.register_ledger_source('lo', 'lw', 'lo', 'wallet_id', 'amount',"
        " '{\"operation\": \"type\", \"journal\": \"txn\", \"effects\": {"
        "\"CREDIT\": {\"available\": 1}, \"DEBIT\": {\"on_hold\": -1},"
        " \"ON_HOLD\": {\"available\": -1, \"on_hold\": 1},"
        " \"RELEASE\": {\"available\": 1, \"on_hold\": -1}}}')",
        "SELECT recon.register_check('lh', 'lifecycle', '{\"ledger\": \"lo\", \"hold\": \"ON_HOLD\","
        " \"terminal\": [\"RELEASE\", \"DEBIT\"]}')",
        "SELECT recon.enable_guard('lifecycle', 'lh', '{\"mode\": \"block\"}')")
    before = row_snapshot(fresh, "lw", "lo")
    assert refused(fresh, "DELETE FROM lo WHERE txn = 't2' AND type = 'ON_HOLD'",
                   "UPDATE lw SET available = available + 30, on_hold = on_hold - 30") == "RC404"
    assert refused(fresh, "UPDATE lo SET txn = 't9' WHERE txn = 't1' AND type = 'ON_HOLD'") == (
        "RC404")
    assert refused(fresh, "TRUNCATE lo") == "RC404"
    assert row_snapshot(fresh, "lw", "lo") == before
    # a whole transaction removed (its hold and its resolution) leaves no resolution unheld
    assert refused(fresh, "DELETE FROM lo WHERE txn = 't2'",
                   "UPDATE lw SET available = available + 30") is None


def test_a_drift_guard_stops_an_entry_of_a_type_no_effect_maps(fresh: str) -> None:
    """A direction ledger ('debit'/'credit'): an entry spelled 'DEBIT' is unmapped, which the
    balance check never counts as 0 (unmapped_entry_type). The block drift guard counted it as
    0, so the entry committed with no balance move: RC401 now. Correcting the spelling (the old
    row unmapped, the new one mapped, the balance moved) commits."""
    run(fresh,
        "CREATE TABLE jw (id text PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE je (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " wallet_id text NOT NULL, amount numeric NOT NULL, direction text)",
        "INSERT INTO jw VALUES ('u1', 0)",
        "SELECT recon.register_wallet_source('jw', 'jw', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('je', 'jw', 'je', 'wallet_id', 'amount',"
        " '{\"direction\": \"direction\"}')",
        "SELECT recon.register_check('jb', 'balance', '{\"ledger\": \"je\"}')",
        "SELECT recon.enable_guard('drift', 'je', '{\"mode\": \"block\"}')")
    assert refused(fresh, "INSERT INTO je (wallet_id, amount, direction) VALUES ('u1', 5, 'DEBIT')"
                   ) == "RC401"
    assert refused(fresh, "INSERT INTO je (wallet_id, amount, direction) VALUES ('u1', 5, NULL)"
                   ) == "RC401"
    assert refused(fresh, "INSERT INTO je (wallet_id, amount, direction) VALUES ('u1', 5, 'credit')",
                   "UPDATE jw SET balance = balance + 5") is None
    # an unmapped row written with the guard off, corrected later: the correction commits
    run(fresh, "SELECT recon.disable_guard('drift', 'je')",
        "INSERT INTO je (wallet_id, amount, direction) VALUES ('u1', 7, 'CREDIT')",
        "SELECT recon.enable_guard('drift', 'je', '{\"mode\": \"block\"}')")
    assert refused(fresh, "UPDATE je SET direction = 'credit' WHERE direction = 'CREDIT'",
                   "UPDATE jw SET balance = balance + 7") is None
    assert reconcile(fresh)["findings"] == 0


def test_a_double_entry_guard_balances_each_currency(fresh: str) -> None:
    """A journal debiting 10 USD and crediting 10 EUR summed to 0 for the block double_entry
    guard, and committed; the journal check finds it unbalanced in each currency. RC403 now;
    a journal balanced in each currency commits."""
    run(fresh,
        "CREATE TABLE xw (id text PRIMARY KEY, balance numeric NOT NULL, currency text NOT NULL)",
        "CREATE TABLE xe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " wallet_id text NOT NULL, amount numeric NOT NULL, direction text NOT NULL,"
        " journal text, currency text NOT NULL)",
        "INSERT INTO xw VALUES ('u1', 0, 'USD'), ('u2', 0, 'USD'), ('e1', 0, 'EUR')",
        "SELECT recon.register_wallet_source('xw', 'xw', 'id', ARRAY['balance'],"
        " '{\"currency\": \"currency\"}')",
        "SELECT recon.register_ledger_source('xe', 'xw', 'xe', 'wallet_id', 'amount',"
        " '{\"direction\": \"direction\", \"journal\": \"journal\", \"currency\": \"currency\"}')",
        "SELECT recon.register_check('xj', 'journal', '{\"ledger\": \"xe\"}')",
        "SELECT recon.enable_guard('double_entry', 'xe', '{\"mode\": \"block\"}')")
    assert refused(fresh, "INSERT INTO xe (wallet_id, amount, direction, journal, currency)"
                          " VALUES ('u1', 10, 'debit', 'j2', 'USD'),"
                          " ('e1', 10, 'credit', 'j2', 'EUR')") == "RC403"
    assert refused(fresh, "INSERT INTO xe (wallet_id, amount, direction, journal, currency)"
                          " VALUES ('u1', 10, 'debit', 'j3', 'USD'),"
                          " ('u2', 10, 'credit', 'j3', 'USD')") is None
    assert one(fresh, "SELECT count(*) FROM xe") == 2


# -- a journal lacking a drift that two wallets share ---------------------------------------------

RIVALS = (
    "CREATE TABLE acc (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
    "CREATE TABLE ent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " account_id text NOT NULL, amount numeric(14, 2) NOT NULL,"
    " balance_after numeric(14, 2) NOT NULL, txn text NOT NULL, reference text)",
    "INSERT INTO ent (account_id, amount, balance_after, txn) VALUES"
    " ('world', -500, -500, 't1'), ('carol', 500, 500, 't1'),"
    " ('world', -300, -800, 't2'), ('dave', 300, 300, 't2'),"
    " ('carol', -120, 380, 't3'), ('world', 120, -680, 't3'),"
    " ('carol', -120, 380, 't4'), ('world', 120, -560, 't4'),"
    " ('dave', -120, 180, 't5'), ('erin', 120, 120, 't5'),"
    " ('erin', -20, 100, 't6'), ('world', 20, -540, 't6')",
    "INSERT INTO acc VALUES ('world', -540), ('carol', 380), ('dave', 180), ('erin', 100)",
    "SELECT recon.register_wallet_source('ra', 'acc', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('re', 'ra', 'ent', 'account_id', 'amount',"
    " '{\"entry_id\": \"id\", \"order_by\": \"id\", \"journal\": \"txn\","
    " \"balance_after\": \"balance_after\", \"reference\": \"reference\"}')",
    *[f"SELECT recon.register_check('r{k[0]}', '{k}', '{{\"ledger\": \"re\"}}')"
      for k in ("balance", "journal", "chain")],
    "SELECT recon.register_writer('re', '{\"offset_wallet\": \"world\","
    " \"journal\": \"recon-{fix}-{step}\"}')",
    "DELETE FROM ent WHERE txn = 't5' AND account_id = 'erin'",
)
"""carol's stored balance lost an update (380 where her entries say 260: a gap of +120 at
t4, every entry of hers there); erin's credit leg of t5 (+120) is lost. Both drift by +120,
and journal t5 lacks exactly 120 (erin's running balance shows the gap at t6)."""


def test_a_journal_lacking_a_drift_two_wallets_share_restores_nothing(fresh: str) -> None:
    """The plan restored +120 on carol inside t5, a journal she has no entry in, because it
    lacks exactly her drift; the journal then balanced, erin's lost credit looked like a
    stored-balance error, and the next fix resynced her to 0: 120 moved from erin, who was
    paid, to carol, who spent it. With erin drifting by the same, the journal does not tell
    who lost the leg: carol's step is manual, naming erin, and applying changes nothing."""
    run(fresh, *RIVALS)
    reconcile(fresh)
    plan = {s["wallet_key"]: s for s in fix(fresh, checks=["rb"], wallet_limit=1000)}
    assert (plan["carol"]["strategy"], plan["carol"]["status"]) == ("resync", "manual")
    assert "wallet erin drifts by exactly the same" in plan["carol"]["note"]
    assert plan["erin"]["status"] == "manual"
    before = row_snapshot(fresh, "acc", "ent")
    fix(fresh, checks=["rb"], wallet_limit=1000, dry_run=False, ticket="T", reason="rivals")
    assert row_snapshot(fresh, "acc", "ent") == before


def test_a_journal_lacking_one_wallets_drift_still_restores_it(fresh: str) -> None:
    """Without the rival (carol's lost update repaired first, by hand), the one wallet that
    drifts by what t5 lacks, with a gap of exactly that in its running balance, gets its leg
    restored into t5."""
    run(fresh, *RIVALS, "UPDATE acc SET balance = 260 WHERE id = 'carol'",
        "UPDATE ent SET balance_after = 260 WHERE txn = 't4' AND account_id = 'carol'")
    reconcile(fresh)
    [step] = fix(fresh, checks=["rb"], wallet_limit=1000)
    assert (step["wallet_key"], step["strategy"], step["status"]) == ("erin", "restore", "planned")


# -- a posting function that also writes another wallet -------------------------------------------

SIDE_WRITES = (
    "CREATE TABLE sw (id int PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
    "CREATE TABLE se (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id int NOT NULL,"
    " amount numeric(14, 2) NOT NULL, reference text)",
    "INSERT INTO sw VALUES (1, 100), (2, 50), (3, 0)",
    "INSERT INTO se (wallet_id, amount, reference) VALUES (1, 100, 'a'), (2, 50, 'b')",
    "SELECT recon.register_wallet_source('sww', 'sw', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('swl', 'sww', 'se', 'wallet_id', 'amount',"
    " '{\"entry_id\": \"id\", \"reference\": \"reference\"}')",
    "SELECT recon.register_check('swb', 'balance', '{\"ledger\": \"swl\", \"currency\": \"USD\"}')",
    "SELECT recon.set_fix_policy('swb', '{\"strategy\": \"adjust\", \"wallet_limit\": 100}')",
    """CREATE FUNCTION post_side(r jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE v bigint;
    BEGIN
        INSERT INTO public.se (wallet_id, amount, reference)
        VALUES ((r ->> 'wallet')::int, (r -> 'deltas' ->> 'balance')::numeric, r ->> 'reference')
        RETURNING id INTO v;
        IF current_setting('test.side', TRUE) = 'paid' THEN
            INSERT INTO public.se (wallet_id, amount, reference) VALUES (3, 1000, 'side');
        END IF;
        UPDATE public.sw SET balance = balance + 1000 WHERE id = 3;
        RETURN jsonb_build_array(v);
    END $$""",
    "SELECT recon.register_writer('swl', '{\"function\": \"post_side(jsonb)\"}')",
    "UPDATE sw SET balance = balance + 7 WHERE id = 1",
)


@pytest.mark.parametrize("side", ["paid", "balance only"])
def test_a_posting_function_that_also_moves_another_wallet_applies_nothing(
        fresh: str, side: str) -> None:
    """The writer's function posts wallet 1's adjustment and also pays wallet 3 1000 (an entry
    and its balance, which no check would ever see), or only moves its balance. The measure
    of the locked wallets missed both, and the repair was applied. Now RC307 names wallet 3,
    and nothing changes."""
    run(fresh, *SIDE_WRITES)
    reconcile(fresh)
    before = row_snapshot(fresh, "sw", "se")
    with psycopg.connect(fresh, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT set_config('test.side', %s, FALSE)", (side,))
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'side')")
    assert err.value.sqlstate == "RC307", (err.value, err.value.diag.message_detail)
    assert err.value.diag.message_detail == (
        "Written in this transaction, outside the plan: sww: 3."), err.value.diag.message_detail
    assert err.value.diag.message_hint
    assert row_snapshot(fresh, "sw", "se") == before


def test_what_the_callers_transaction_wrote_before_is_not_the_repairs(fresh: str) -> None:
    """A caller that moved wallet 2 (with its entry) earlier in its own transaction, then
    repairs wallet 1 through an honest writer: applied, wallet 2 is not counted against it."""
    run(fresh, *SIDE_WRITES[:-3], """CREATE FUNCTION post_side(r jsonb) RETURNS jsonb
        LANGUAGE sql AS $$
        INSERT INTO public.se (wallet_id, amount, reference)
        VALUES ((r ->> 'wallet')::int, (r -> 'deltas' ->> 'balance')::numeric, r ->> 'reference')
        RETURNING jsonb_build_array(id) $$""", *SIDE_WRITES[-2:])
    reconcile(fresh)
    with psycopg.connect(fresh) as c:
        c.execute("UPDATE sw SET balance = balance + 5 WHERE id = 2")
        c.execute("INSERT INTO se (wallet_id, amount, reference) VALUES (2, 5, 'c')")
        [status] = c.execute("SELECT status FROM recon.fix(dry_run => false, ticket => 'T',"
                             " reason => 'honest')").fetchone()
    assert status == "applied"
    assert one(fresh, "SELECT balance FROM sw WHERE id = 2") == Decimal("55.00")


# -- a resync nothing supports, on a double-entry ledger ------------------------------------------

DOUBLE = (
    "CREATE TABLE da (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL)",
    "CREATE TABLE de (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " account_id text NOT NULL, amount numeric(14, 2) NOT NULL, txn text NOT NULL)",
    "INSERT INTO de (account_id, amount, txn) VALUES ('world', -500, 't1'), ('alice', 500, 't1'),"
    " ('world', -300, 't2'), ('bob', 300, 't2'), ('alice', -120, 't3'), ('bob', 120, 't3')",
    "INSERT INTO da VALUES ('world', -800), ('alice', 380), ('bob', 420)",
    "SELECT recon.register_wallet_source('dw', 'da', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('dl', 'dw', 'de', 'account_id', 'amount',"
    " '{\"journal\": \"txn\"}')",
    "SELECT recon.register_check('db', 'balance', '{\"ledger\": \"dl\"}')",
)
"""A double-entry ledger (journals, world among the wallets) that keeps no running balance and
has no journal check: nothing but the totals tells a drifted balance from a lost leg."""


def test_a_drifted_balance_on_a_double_entry_ledger_is_resynced_on_the_totals(fresh: str) -> None:
    """25 appeared on alice's stored balance: the stored balances sum to 25, the drifts found
    to 25, so the entries sum to 0 and every leg is there. The resync stands, and says why."""
    run(fresh, *DOUBLE, "UPDATE da SET balance = balance + 25 WHERE id = 'alice'")
    reconcile(fresh)
    [step] = fix(fresh, wallet_limit=1000)
    assert (step["wallet_key"], step["strategy"], step["status"]) == ("alice", "resync", "planned")
    assert step["evidence"]["totals"] == {"stored": 25, "drift": 25, "ledger": 0,
                                          "unreadable": 0}


def test_a_lost_debit_leg_is_not_resynced_into_a_credit(fresh: str) -> None:
    """alice's debit leg of t3 is lost (Midaz: an operation gone): her entries say 500, her
    balance 380. A resync would credit her the 120 she paid bob. The entries now sum to 120,
    not 0: the step is manual, saying so, and changes nothing; chosen, the resync is planned."""
    run(fresh, *DOUBLE, "DELETE FROM de WHERE txn = 't3' AND account_id = 'alice'")
    reconcile(fresh)
    [step] = fix(fresh, wallet_limit=1000)
    assert (step["wallet_key"], step["strategy"], step["status"]) == ("alice", "resync", "manual")
    assert step["note"].startswith("ledger dl is double-entry (journal txn), but its entries on"
                                   " the wallets of dw sum to 120.00, not 0"), step["note"]
    before = row_snapshot(fresh, "da", "de")
    [step] = fix(fresh, wallet_limit=1000, dry_run=False, ticket="T", reason="lost debit")
    assert step["status"] == "manual" and row_snapshot(fresh, "da", "de") == before
    [step] = fix(fresh, wallet_limit=1000, force_strategy="resync")
    assert (step["strategy"], step["status"]) == ("resync", "planned")


def test_two_wallets_drifting_by_opposite_amounts_are_left_to_a_person(fresh: str) -> None:
    """Both legs of t3 are lost (a transfer row gone, or booked in the balances only): alice
    drifts by -120, bob by +120, and the entries still sum to 0. Resyncing both would undo a
    payment the balances show was made; nothing tells which side is right."""
    run(fresh, *DOUBLE, "DELETE FROM de WHERE txn = 't3'")
    reconcile(fresh)
    plan = {s["wallet_key"]: s for s in fix(fresh, wallet_limit=1000)}
    assert {k: (s["strategy"], s["status"]) for k, s in plan.items()} == {
        "alice": ("resync", "manual"), "bob": ("resync", "manual")}
    assert plan["alice"]["note"].startswith(
        "wallet bob drifts by exactly the opposite (120.00)"), plan["alice"]["note"]
