"""Ledger-first writers and version columns (issue 16, items 1 and 2), through plain
connections against tests/fixtures/ledger_first.sql: a double-entry ledger whose own posting
routine moves the stored balances, the running balances and an optimistic-locking version,
registered with a writer {"function": "lf.recon_post(jsonb)", "moves_balances": true} against
the offset wallet 'world'.

Each repair (a deleted leg restored, a duplicate reversed, a drift re-synced or adjusted) goes
through the ledger's routine, is not moved a second time by the toolkit, and leaves the next
reconcile synced, chain checks on the offset wallet included; a routine that moves the wrong
amount is caught before commit and nothing changes; concurrent repairs and transfers stay
conserved and never deadlock; every toolkit write bumps the version, so a worker holding the
pre-repair row writes nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import psycopg
import pytest
from helpers import one as _one

from conftest import ROOT, fix, reconcile, rows, run

APPLY = {"dry_run": False, "ticket": "INC-16", "reason": "issue 16", "wallet_limit": 1000}


@pytest.fixture
def lf(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """The ledger-first double-entry ledger (a clone)."""
    return make_db(fixture_template("ledger_first.sql"))


one = partial(_one, decimals=True)
"""JSON numbers as Decimal, so amounts compare exactly."""


def accounts(dsn: str) -> dict[str, tuple[Decimal, int]]:
    """Every account: (stored balance, version)."""
    return {r["id"]: (r["balance"], r["version"])
            for r in rows(dsn, "SELECT id, balance, version FROM lf.account")}


def balances(dsn: str) -> dict[str, Decimal]:
    return {k: v[0] for k, v in accounts(dsn).items()}


def total(dsn: str) -> Decimal:
    return one(dsn, "SELECT sum(balance) FROM lf.account")


def ledger_sums(dsn: str) -> dict[str, Decimal]:
    return {r["account_id"]: r["s"] for r in rows(
        dsn, "SELECT account_id, sum(amount) AS s FROM lf.entry GROUP BY 1")}


def last_running(dsn: str) -> dict[str, Decimal]:
    return {r["account_id"]: r["balance_after"] for r in rows(
        dsn, "SELECT DISTINCT ON (account_id) account_id, balance_after FROM lf.entry"
             " ORDER BY account_id, id DESC")}


def findings(summary: dict) -> dict[str, int]:
    return {c: v["findings"] for c, v in summary["by_check"].items() if v["findings"]}


def assert_books(dsn: str) -> None:
    """The ledger's own invariants: balances sum to 0, each stored balance is what its entries
    add up to and its last running balance, every transaction balances."""
    assert total(dsn) == 0
    stored = balances(dsn)
    assert stored == ledger_sums(dsn) | {k: 0 for k in stored if k not in ledger_sums(dsn)}
    assert {k: v for k, v in last_running(dsn).items()} == {
        k: v for k, v in stored.items() if k in last_running(dsn)}
    assert rows(dsn, "SELECT txn FROM lf.entry WHERE txn IS NOT NULL GROUP BY txn"
                     " HAVING sum(amount) <> 0") == []


def snapshot(dsn: str) -> tuple:
    return (accounts(dsn), one(dsn, "SELECT count(*) FROM lf.entry"),
            one(dsn, "SELECT count(*) FROM _recon.repair"))


# -- registration ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "code"), [
    ('{"moves_balances": true, "offset_wallet": "world", "journal": "r-{uuid}"}', "RC305"),
    ('{"function": "lf.recon_post(jsonb)", "moves_balances": "yes"}', "RC305"),
    ('{"function": "lf.recon_post(jsonb)", "moves_balance": true}', "RC106"),
])
def test_a_ledger_first_writer_needs_a_posting_function(lf: str, options: str, code: str) -> None:
    before = one(lf, "SELECT options FROM _recon.writer WHERE ledger_source = 'lf_entries'")
    with psycopg.connect(lf, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT recon.register_writer('lf_entries', %s)", (options,))
    assert err.value.sqlstate == code
    assert err.value.diag.message_detail and err.value.diag.message_hint
    assert one(lf, "SELECT options FROM _recon.writer WHERE ledger_source = 'lf_entries'") == (
        before)


@pytest.mark.parametrize(("version", "code"), [
    ('"versio"', "RC102"), ('"currency"', "RC103"), ('"balance"', "RC103"), ("1", "RC106"),
])
def test_a_version_column_is_an_integer_column(lf: str, version: str, code: str) -> None:
    with psycopg.connect(lf, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT recon.register_wallet_source('lf_again', 'lf.account', 'id',"
                  " ARRAY['balance'], %s)", (f'{{"version": {version}}}',))
    assert err.value.sqlstate == code
    assert err.value.diag.message_hint
    assert one(lf, "SELECT count(*) FROM _recon.wallet_source WHERE name = 'lf_again'") == 0
    assert one(lf, "SELECT version_column FROM _recon.wallet_source"
                   " WHERE name = 'lf_accounts'") == "version"


# -- repairs through the ledger's own routine --------------------------------------------------------

def test_a_deleted_leg_is_restored_through_the_ledger(lf: str) -> None:
    """The debit leg of t3 (alice -> bob, 120) is deleted. The ledger's routine posts it back
    on alice (no offset side); alice's stored balance ends where it was (the toolkit does not
    move it a second time), her running balance continues her entries."""
    stored = accounts(lf)
    run(lf, "DELETE FROM lf.entry WHERE txn = 't3' AND account_id = 'alice'")
    assert findings(reconcile(lf)) == {"lf_balance": 1, "lf_chain": 1, "lf_journal": 1}
    [step] = [s for s in fix(lf, **APPLY) if s["check_name"] == "lf_balance"]
    assert (step["strategy"], step["status"]) == ("restore", "applied")
    assert balances(lf) == {k: v[0] for k, v in stored.items()}
    assert accounts(lf)["alice"][1] > stored["alice"][1]  # the row was written: versioned
    assert accounts(lf)["world"] == stored["world"]  # no offset side
    [(entry, amount, after)] = [(r["id"], r["amount"], r["balance_after"]) for r in rows(
        lf, "SELECT id, amount, balance_after FROM lf.entry WHERE txn = 't3'"
            " AND account_id = 'alice'")]
    assert (amount, after) == (-120, stored["alice"][0])
    assert one(lf, "SELECT entry FROM _recon.repair_entry") == str(entry)
    # balance and journal repaired; the lost entry's gap and its far side are history
    after = reconcile(lf)
    assert findings(after) == {"lf_chain": 2}
    assert {f["wallet_key"] for f in rows(lf, "SELECT wallet_key FROM recon.open_findings")} == {
        "alice"}
    assert total(lf) == 0


def test_a_duplicate_is_reversed_through_the_ledger(lf: str) -> None:
    """Top-up pay-2 (25 to bob) runs twice: the ledger moved bob's balance twice. The reversal
    goes through the ledger's routine (bob pays world back), once."""
    run(lf, "SELECT lf.topup('pay-2', 'bob', 25)", "SELECT lf.topup('pay-2', 'bob', 25)")
    stored = accounts(lf)
    assert findings(reconcile(lf)) == {"lf_duplicates": 1}
    [step] = fix(lf, **APPLY)
    assert (step["strategy"], step["status"], step["wallet_key"]) == ("reverse", "applied", "bob")
    assert (step["stored_change"], step["ledger_change"]) == ({}, {"balance": 0})
    now = accounts(lf)
    assert now["bob"][0] == stored["bob"][0] - 25
    assert now["world"][0] == stored["world"][0] + 25
    assert now["bob"][1] > stored["bob"][1] and now["world"][1] > stored["world"][1]
    assert reconcile(lf)["status"] == "synced"
    assert_books(lf)


def test_a_drift_is_resynced_and_versioned(lf: str) -> None:
    """25 land on carol's stored balance from nowhere (a write that bypassed the ledger): the
    default resync moves the stored balance back, bumps the version and posts nothing."""
    run(lf, "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    stored = accounts(lf)
    entries = one(lf, "SELECT count(*) FROM lf.entry")
    reconcile(lf)
    [step] = fix(lf, **APPLY)
    assert (step["strategy"], step["status"]) == ("resync", "applied")
    assert accounts(lf)["carol"] == (stored["carol"][0] - 25, stored["carol"][1] + 1)
    assert one(lf, "SELECT count(*) FROM lf.entry") == entries
    assert reconcile(lf)["status"] == "synced"
    assert_books(lf)


def test_drifts_adjusted_against_the_offset_wallet_keep_its_running_balance(lf: str) -> None:
    """Three wallets' stored balances are known right (policy adjust): three postings against
    world in one fix, each through the ledger's routine, each seeing the balance the previous
    one left. world's chain stays unbroken (the issue's CRITICAL break: the toolkit used to move
    world only after all postings), and each wallet's running balance continues its entries."""
    run(lf, "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'",
        "UPDATE lf.account SET balance = balance + 10 WHERE id = 'alice'",
        "UPDATE lf.account SET balance = balance - 5 WHERE id = 'bob'")
    stored = accounts(lf)
    reconcile(lf)
    plan = fix(lf, wallet_limit=1000)
    assert [(s["wallet_key"], s["strategy"], s["stored_change"]) for s in plan] == [
        ("alice", "adjust", {"balance": -10}), ("bob", "adjust", {"balance": 5}),
        ("carol", "adjust", {"balance": -25})]
    done = fix(lf, **APPLY)
    assert [s["status"] for s in done] == ["applied"] * 3
    now = accounts(lf)
    for w in ("alice", "bob", "carol"):
        assert now[w][0] == stored[w][0] and now[w][1] > stored[w][1]
    assert now["world"][0] == stored["world"][0] - 30
    assert reconcile(lf)["status"] == "synced"  # chain on world and on each wallet
    assert_books(lf)
    world = [r["balance_after"] for r in rows(
        lf, "SELECT balance_after FROM lf.entry WHERE account_id = 'world' ORDER BY id")]
    assert world[-3:] == [stored["world"][0] - 10, stored["world"][0] - 10 + 5,
                          stored["world"][0] - 30]


def test_the_request_carries_stored_balances_and_versions(lf: str) -> None:
    """The posting function is given, for the wallet and the offset wallet, every balance
    column before and after, and the version."""
    run(lf, "CREATE TABLE lf.requests (r jsonb)",
        """CREATE FUNCTION lf.logged_post(request jsonb) RETURNS jsonb LANGUAGE sql AS $$
               INSERT INTO lf.requests VALUES (request);
               SELECT lf.recon_post(request) $$""",
        "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.logged_post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\","
        " \"moves_balances\": true}')",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    stored = accounts(lf)
    reconcile(lf)
    fix(lf, **APPLY)
    request = one(lf, "SELECT r FROM lf.requests")
    carol, world = stored["carol"], stored["world"]
    # carol's stored balance as her entries have it (the drift is not carried into the
    # running balance), then the routine's +25; world as it stands, then its -25
    assert (request["stored_before"], request["stored_after"]) == (
        {"balance": carol[0] - 25}, {"balance": carol[0]})
    assert request["version"] == carol[1] + 1  # the toolkit wrote the row: versioned
    assert (request["offset_stored_before"], request["offset_stored_after"],
            request["offset_version"]) == ({"balance": world[0]}, {"balance": world[0] - 25},
                                           world[1])
    assert request["moves_balances"] is True and request["balance_after"] == carol[0]
    assert reconcile(lf)["status"] == "synced"


def test_reverse_fix_posts_back_through_the_ledger(lf: str) -> None:
    """recon.reverse_fix undoes a ledger-first adjustment through the same routine: the
    compensating transfer moves world back, carol's stored balance stays where the repair left
    it (the toolkit makes up the routine's move), and the drift is back as it was."""
    run(lf, "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    drifted = accounts(lf)
    reconcile(lf)
    fix(lf, **APPLY)
    fixed = accounts(lf)
    with psycopg.connect(lf, autocommit=True) as c:
        c.execute("SELECT * FROM recon.reverse_fix((SELECT max(id) FROM _recon.fix),"
                  " dry_run => false, ticket => 'INC-16', reason => 'undo')")
    undone = accounts(lf)
    assert {k: v[0] for k, v in undone.items()} == {k: v[0] for k, v in drifted.items()}
    assert undone["carol"][1] > fixed["carol"][1] and undone["world"][1] > fixed["world"][1]
    assert total(lf) == 25
    # (the compensating entry continues carol's chain; her stored balance stays above it)
    assert findings(reconcile(lf)) == {"lf_balance": 1}
    [(key, difference)] = [(f["wallet_key"], f["difference"]) for f in rows(
        lf, "SELECT wallet_key, difference FROM recon.open_findings"
            " WHERE check_name = 'lf_balance'")]
    assert (key, difference) == ("carol", 25)


def test_the_same_routine_without_moves_balances_keeps_todays_contract(lf: str) -> None:
    """Registered without "moves_balances", a writer writes ledger rows only and the toolkit
    moves the stored balances: a routine that moves them too moves them twice, which the
    verification refuses (RC307: carol's drift is still there, doubled), and nothing changes."""
    run(lf, "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.recon_post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\"}')",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    before = snapshot(lf)
    with psycopg.connect(lf, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                  " wallet_limit => 1000)")
    assert err.value.sqlstate == "RC307"
    assert "lf_balance carol/balance still found" in err.value.diag.message_detail
    assert snapshot(lf) == before


# -- a routine that moves the wrong amount -------------------------------------------------------

@pytest.mark.parametrize(("name", "body", "says"), [
    ("one_more", "PERFORM lf.recon_post(jsonb_set(request, '{deltas,balance}',"
                 " to_jsonb((request -> 'deltas' ->> 'balance')::numeric + 1)));",
     "wallet carol balance: expected"),
    ("entries_only",  # writes the entries, forgets the balances (the old contract)
     "INSERT INTO lf.entry (account_id, amount, balance_after, txn, reference)"
     " VALUES (request ->> 'wallet', (request -> 'deltas' ->> 'balance')::numeric,"
     " (request ->> 'balance_after')::numeric, request ->> 'journal', 'x'),"
     " ('world', -(request -> 'deltas' ->> 'balance')::numeric,"
     " (request -> 'offset_stored_after' ->> 'balance')::numeric, request ->> 'journal', 'x');",
     "wallet carol balance: expected"),
    ("wrong_running",  # moves the balances right, records a wrong running balance on world
     "PERFORM lf.recon_post(request); UPDATE lf.entry SET balance_after = balance_after + 1"
     " WHERE id = (SELECT max(id) FROM lf.entry WHERE account_id = 'world');",
     "lf_chain world/"),
])
def test_a_routine_that_moves_the_wrong_amount_changes_nothing(
        lf: str, name: str, body: str, says: str) -> None:
    run(lf, f"""CREATE FUNCTION lf.{name}(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
                BEGIN {body} RETURN '[1]'::jsonb; END $$""",
        "SELECT recon.register_writer('lf_entries', jsonb_build_object('function',"
        f" 'lf.{name}(jsonb)', 'offset_wallet', 'world', 'journal', 'recon-{{fix}}-{{step}}',"
        " 'moves_balances', true))",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    before = snapshot(lf)
    with psycopg.connect(lf, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                  " wallet_limit => 1000)")
    assert err.value.sqlstate == "RC307"
    assert says in err.value.diag.message_detail, err.value.diag.message_detail
    assert err.value.diag.message_hint
    assert snapshot(lf) == before


# -- optimistic locking -------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["resync", "adjust"])
def test_a_worker_holding_the_pre_repair_row_writes_nothing(lf: str, policy: str) -> None:
    """The issue's reproduction: a worker reads carol's row, the repair commits, the worker
    writes back UPDATE ... WHERE version = n: 0 rows, the repair stands."""
    run(lf, f"SELECT recon.set_fix_policy('lf_balance', '{{\"strategy\": \"{policy}\"}}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    worker = psycopg.connect(lf, autocommit=True)
    try:
        balance, version = worker.execute(
            "SELECT balance, version FROM lf.account WHERE id = 'carol'").fetchone()
        fix(lf, **APPLY)
        assert reconcile(lf)["status"] == "synced"
        written = worker.execute(
            "UPDATE lf.account SET balance = %s + 1, version = %s + 1"
            " WHERE id = 'carol' AND version = %s", (balance, version, version)).rowcount
    finally:
        worker.close()
    assert written == 0
    assert reconcile(lf)["status"] == "synced"


# -- concurrency ---------------------------------------------------------------------------------

def _transfers(dsn: str, stop: threading.Event, errors: list[str], done: list[int]) -> None:
    """The application: transfers between bob and world, the offset wallet the repairs post
    against, through the ledger's routine (accounts locked in key order), until stopped."""
    pairs = [("bob", "world"), ("world", "bob")]
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET lock_timeout = '20s'")
        i = 0
        while not stop.is_set():
            a, b = pairs[i % 2]
            try:
                c.execute("SELECT lf.transfer(%s, %s, %s, 0.01)", (f"app-{i}", a, b))
                done.append(i)
            except psycopg.Error as e:
                errors.append(f"{e.sqlstate}: {e}")
            i += 1


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_concurrent_fixes_and_transfers_stay_conserved(lf: str, level: str) -> None:
    """Two operators repair two wallets at once, both against world, while the application
    transfers. Under READ COMMITTED the second fix waits for world's lock, sees the first's
    posting and applies after it; under REPEATABLE READ or SERIALIZABLE applying is refused
    (RC310) and changes nothing. No deadlock, every transfer commits, the books balance, the
    next reconcile is synced (or shows only the refused fix's drift)."""
    run(lf, "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'",
        "UPDATE lf.account SET balance = balance + 10 WHERE id = 'alice'")
    reconcile(lf)
    stop = threading.Event()
    errors: list[str] = []
    done: list[int] = []
    app = threading.Thread(target=_transfers, args=(lf, stop, errors, done))
    app.start()
    a = psycopg.connect(lf)
    b = psycopg.connect(lf)
    result: list[object] = []
    try:
        b.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")
        b.execute("SET lock_timeout = '30s'")
        b.commit()
        a.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'A', reason => 'r',"
                  " wallet_limit => 100, wallets => '{alice}')")

        def second() -> None:
            try:
                result.append(b.execute(
                    "SELECT status FROM recon.fix(dry_run => false, ticket => 'B',"
                    " reason => 'r', wallet_limit => 100, wallets => '{carol}')").fetchall())
                b.commit()
            except psycopg.Error as e:
                b.rollback()
                result.append(e)

        t = threading.Thread(target=second)
        t.start()
        t.join(1.0)
        if level == "READ COMMITTED":
            assert t.is_alive()  # waiting for world's lock
        a.commit()
        t.join(60)
        assert not t.is_alive()
    finally:
        stop.set()
        app.join(60)
        a.close()
        b.close()
    assert errors == []
    assert len(done) > 0
    if level == "READ COMMITTED":
        assert result == [[("applied",)]]
        assert reconcile(lf)["status"] == "synced"
        assert_books(lf)
        return
    [err] = result
    assert isinstance(err, psycopg.Error) and err.sqlstate == "RC310"
    # carol's drift stays for the next fix; everything else is synced
    reconcile(lf)
    assert {(f["check_name"], f["wallet_key"]) for f in rows(
        lf, "SELECT check_name, wallet_key FROM recon.open_findings")} == {
        ("lf_balance", "carol")}
    fix(lf, **APPLY)
    assert reconcile(lf)["status"] == "synced"
    assert_books(lf)


# -- docs/REPAIRS.md -----------------------------------------------------------------------------

def test_the_repairs_doc_example_runs_as_written(lf: str) -> None:
    """docs/REPAIRS.md "Ledger-first writers": its psql example, as written, and what its
    transcript shows."""
    doc = (ROOT / "docs" / "REPAIRS.md").read_text()
    [block] = [b for b in re.findall(r"```sql\n(.*?)```", doc, re.S) if "moves_balances" in b]
    with psycopg.connect(lf, autocommit=True) as c:
        c.execute(block.encode())
    got = [(r["account_id"], r["amount"], r["balance_after"], r["txn"]) for r in rows(
        lf, "SELECT account_id, amount, balance_after, txn FROM lf.entry"
            " WHERE txn LIKE 'recon-%' ORDER BY id")]
    assert got == [("world", Decimal("-10.00"), Decimal("-850.00"), "recon-1-1"),
                   ("alice", Decimal("10.00"), Decimal("280.00"), "recon-1-1"),
                   ("world", Decimal("-25.00"), Decimal("-875.00"), "recon-1-2"),
                   ("carol", Decimal("25.00"), Decimal("195.00"), "recon-1-2")]
    for line in ("| world      | -25.00 |       -875.00 | recon-1-2", "synced"):
        assert " ".join(line.replace("|", " ").split()) in " ".join(doc.replace("|", " ").split())
    assert reconcile(lf)["status"] == "synced"
    assert_books(lf)


# -- a transfer-row ledger --------------------------------------------------------------------------

TRANSFER_ROWS = """
CREATE SCHEMA tr;
CREATE TABLE tr.wallet (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0,
                        version bigint NOT NULL DEFAULT 1);
CREATE TABLE tr.transfer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          source text NOT NULL REFERENCES tr.wallet (id),
                          destination text NOT NULL REFERENCES tr.wallet (id),
                          amount numeric(14, 2) NOT NULL CHECK (amount > 0), reference text);
-- the ledger's routine: one row, both wallets locked in key order and moved, versions bumped
CREATE FUNCTION tr.post(p_from text, p_to text, p_amount numeric, p_reference text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_id bigint;
BEGIN
    PERFORM FROM tr.wallet WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE;
    UPDATE tr.wallet SET balance = balance + CASE WHEN id = p_to THEN p_amount ELSE -p_amount END,
                         version = version + 1
    WHERE id IN (p_from, p_to);
    INSERT INTO tr.transfer (source, destination, amount, reference)
    VALUES (p_from, p_to, p_amount, p_reference) RETURNING id INTO v_id;
    RETURN v_id;
END $$;
CREATE FUNCTION tr.recon_post(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE d numeric := (request -> 'deltas' ->> 'balance')::numeric;
BEGIN
    IF d > 0 THEN
        RETURN jsonb_build_array(tr.post(request ->> 'offset_wallet', request ->> 'wallet', d,
                                         request ->> 'reference'));
    END IF;
    RETURN jsonb_build_array(tr.post(request ->> 'wallet', request ->> 'offset_wallet', -d,
                                     request ->> 'reference'));
END $$;
INSERT INTO tr.wallet (id) VALUES ('world'), ('a'), ('b'), ('c');
SELECT tr.post('world', 'a', 200, 'dep-1'), tr.post('world', 'b', 100, 'dep-2'),
       tr.post('a', 'b', 20, 'pay-1'), tr.post('b', 'c', 35, 'pay-2');
SELECT recon.register_wallet_source('tw', 'tr.wallet', 'id', ARRAY['balance'],
                                    '{"version": "version"}');
SELECT recon.register_ledger_source('tl', 'tw', 'tr.transfer', NULL, 'amount', '{
    "debit_wallet": "source", "credit_wallet": "destination", "entry_id": "id",
    "order_by": "id", "reference": "reference"}');
SELECT recon.register_check('tl_balance', 'balance', '{"ledger": "tl"}');
SELECT recon.register_writer('tl', '{"function": "tr.recon_post(jsonb)",
    "offset_wallet": "world", "moves_balances": true}');
"""


@pytest.fixture
def tr(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """A transfer-row ledger whose routine moves both wallets and their versions (a clone)."""
    return make_db(fixture_template(sql=(TRANSFER_ROWS,)))


@pytest.mark.parametrize("policy", ["adjust", "resync"])
def test_a_transfer_row_ledger_first(tr: str, policy: str) -> None:
    """Transfer rows (one row moves both wallets): a and c drift (their stored balances known
    right with adjust: one row each between them and world, through the routine; else
    re-synced). The stored balances equal their legs again, every version moved, synced."""
    run(tr, f"SELECT recon.set_fix_policy('tl_balance', '{{\"strategy\": \"{policy}\"}}')",
        "UPDATE tr.wallet SET balance = balance + 7 WHERE id = 'a'",
        "UPDATE tr.wallet SET balance = balance - 4 WHERE id = 'c'")
    before = {r["id"]: (r["balance"], r["version"])
              for r in rows(tr, "SELECT id, balance, version FROM tr.wallet")}
    reconcile(tr)
    done = fix(tr, **APPLY)
    assert [(s["wallet_key"], s["strategy"], s["status"]) for s in done] == [
        ("a", policy, "applied"), ("c", policy, "applied")]
    after = {r["id"]: (r["balance"], r["version"])
             for r in rows(tr, "SELECT id, balance, version FROM tr.wallet")}
    assert reconcile(tr)["status"] == "synced"
    legs = {r["w"]: r["s"] for r in rows(
        tr, "SELECT w, sum(a) AS s FROM (SELECT source AS w, -amount AS a FROM tr.transfer"
            " UNION ALL SELECT destination, amount FROM tr.transfer) AS l GROUP BY w")}
    assert {k: v[0] for k, v in after.items()} == legs
    for w in ("a", "c"):
        assert after[w][1] > before[w][1]
    if policy == "adjust":
        assert {k: v[0] for k, v in after.items()} == {
            k: v[0] - (3 if k == "world" else 0) for k, v in before.items()}
        assert rows(tr, "SELECT source, destination, amount FROM tr.transfer WHERE id > 4"
                        " ORDER BY id") == [
            {"source": "world", "destination": "a", "amount": 7},
            {"source": "c", "destination": "world", "amount": 4}]
        assert after["world"][1] > before["world"][1]
    else:
        assert after["a"][0] == before["a"][0] - 7 and after["c"][0] == before["c"][0] + 4
        assert one(tr, "SELECT count(*) FROM tr.transfer") == 4


SPENT_SINCE = (
    "ALTER TABLE lf.account ADD CONSTRAINT not_overdrawn CHECK (balance >= 0 OR id = 'world')",
    "SELECT lf.transfer('t7', 'carol', 'bob', 150)",
    "DELETE FROM lf.entry WHERE txn = 't4' AND account_id = 'carol'",
)
"""carol spent 150 of her 170, then the credit leg of t4 (80) was lost: her entries sum to -60,
and a CHECK on the wallet table refuses a negative balance."""


def test_a_restore_that_would_pass_below_zero_is_skipped_and_says_why(lf: str) -> None:
    """Restoring carol's leg through the routine would first set her stored balance to what her
    entries add up to (-60), then post +80: the end (20) is fine, the way there is not. The dry
    run already says so; applying skips her steps (nothing of hers changes) and repairs the
    other wallets (bob's top-up posted twice), where the whole fix used to fail on the CHECK."""
    run(lf, *SPENT_SINCE, "SELECT lf.topup('pay-2', 'bob', 25)",
        "SELECT lf.topup('pay-2', 'bob', 25)")
    reconcile(lf)
    carol = [s for s in fix(lf, wallet_limit=1000) if s["wallet_key"] == "carol"]
    assert {(s["strategy"], s["status"]) for s in carol if s["check_name"] == "lf_balance"} == {
        ("restore", "skipped")}
    assert {s["status"] for s in carol} <= {"skipped", "manual"}  # the chain's gap: manual
    [note] = [s["note"] for s in carol if s["check_name"] == "lf_balance"]
    assert note.startswith("would overdraw balance in passing: 20.00 -> -60.00"), note
    before = accounts(lf)
    steps = fix(lf, **APPLY)
    assert {(s["wallet_key"], s["strategy"], s["status"]) for s in steps
            if s["check_name"] in ("lf_balance", "lf_duplicates")} == {
        ("carol", "restore", "skipped"), ("bob", "reverse", "applied")}
    after = accounts(lf)
    assert after["carol"] == before["carol"]
    assert (after["bob"][0], after["world"][0]) == (before["bob"][0] - 25, before["world"][0] + 25)
    assert total(lf) == 0
    assert [f["wallet_key"] for f in rows(
        lf, "SELECT wallet_key FROM recon.open_findings WHERE check_name = 'lf_balance'")] == [
        "carol"]


def test_an_offset_wallet_that_would_pass_below_zero_skips_the_steps_through_it(lf: str) -> None:
    """The writer's offset wallet is dave (10), not the exempt world: adjusting carol's +25
    posts 25 from dave, whom the wallet table's CHECK keeps at or above zero. The way there is
    judged for the offset wallet too: the dry run skips the step naming dave, and applying
    changes nothing, where the whole fix used to fail on the CHECK (RC305)."""
    run(lf, "ALTER TABLE lf.account ADD CONSTRAINT not_overdrawn"
            " CHECK (balance >= 0 OR id = 'world')",
        "INSERT INTO lf.account (id) VALUES ('dave')",
        "SELECT lf.transfer('t8', 'world', 'dave', 10)",
        "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.recon_post(jsonb)\","
        " \"offset_wallet\": \"dave\", \"journal\": \"recon-{fix}-{step}\","
        " \"moves_balances\": true}')",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    [step] = fix(lf, wallet_limit=1000)
    assert (step["wallet_key"], step["strategy"], step["status"]) == (
        "carol", "adjust", "skipped")
    assert step["note"].startswith(
        "would overdraw balance of wallet dave in passing: 10.00 -> -15.00"), step["note"]
    before = snapshot(lf)
    [step] = fix(lf, **APPLY)
    assert step["status"] == "skipped"
    assert snapshot(lf) == before


def test_a_generated_balance_column_the_ledger_does_not_move_is_left_alone(lf: str) -> None:
    """The accounts also show their balance in cents, a GENERATED column registered as a
    balance column that no ledger moves: the alignment before the posting named every balance
    column (PostgreSQL refuses to UPDATE a GENERATED one: RC305), and the check after it
    expected the cents unchanged while PostgreSQL recomputes them (RC307). Both now leave it to
    PostgreSQL: the duplicate is reversed, and the cents follow the balance."""
    run(lf, "ALTER TABLE lf.account ADD COLUMN cents numeric"
            " GENERATED ALWAYS AS (balance * 100) STORED",
        *[f"SELECT recon.drop_check('{c}')"
          for c in ("lf_balance", "lf_chain", "lf_journal", "lf_duplicates")],
        "SELECT recon.drop_source('lf_entries')", "SELECT recon.drop_source('lf_accounts')",
        "SELECT recon.register_wallet_source('lf_accounts', 'lf.account', 'id',"
        " ARRAY['balance', 'cents'], '{\"currency\": \"currency\", \"version\": \"version\"}')",
        "SELECT recon.register_ledger_source('lf_entries', 'lf_accounts', 'lf.entry',"
        " 'account_id', 'amount', '{\"entry_id\": \"id\", \"reference\": \"reference\","
        " \"balance_after\": \"balance_after\", \"journal\": \"txn\"}')",
        *[f"SELECT recon.register_check('lf_{k}', '{k}', '{{\"ledger\": \"lf_entries\","
          " \"currency\": \"EUR\"}')" for k in ("balance", "duplicate")],
        "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.recon_post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\","
        " \"moves_balances\": true}')",
        "SELECT lf.topup('pay-2', 'bob', 25)", "SELECT lf.topup('pay-2', 'bob', 25)")
    reconcile(lf)
    before = accounts(lf)
    steps = fix(lf, **APPLY)
    assert [(s["wallet_key"], s["strategy"], s["status"]) for s in steps] == [
        ("bob", "reverse", "applied")], steps
    after = accounts(lf)
    assert (after["bob"][0], after["world"][0]) == (before["bob"][0] - 25, before["world"][0] + 25)
    assert one(lf, "SELECT cents FROM lf.account WHERE id = 'bob'") == after["bob"][0] * 100
    assert_books(lf)


def test_an_exempt_wallet_the_wallet_table_refuses_fails_the_whole_fix(lf: str) -> None:
    """With an overdraft exemption for carol the toolkit lets her pass below zero, and the
    wallet table's CHECK refuses it: the fix fails with RC305 (23514 in the DETAIL) and changes
    nothing (docs/REPAIRS.md, "Ledger-first writers")."""
    run(lf, *SPENT_SINCE,
        "SELECT recon.allow_overdraft('lf_accounts', wallet => 'carol', reason => 'test')")
    reconcile(lf)
    [step] = [s for s in fix(lf, wallet_limit=1000) if s["check_name"] == "lf_balance"]
    assert (step["wallet_key"], step["strategy"], step["status"]) == (
        "carol", "restore", "planned")
    before = snapshot(lf)
    with psycopg.connect(lf, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                  " wallet_limit => 1000)")
    assert err.value.sqlstate == "RC305"
    assert err.value.diag.message_detail.startswith("23514"), err.value.diag.message_detail
    assert snapshot(lf) == before
