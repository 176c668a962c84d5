"""The write paths on the two common ledger shapes (issue 14): transfer rows and entry filters on
the ledger's own columns. A drift guard counts a transfer row's two legs and only the rows the
filters keep (an UPDATE of a filter column moves balances then); the double-entry guard takes
a transfer row as balanced. Shapes the write paths do not read (parent rows, effects keyed on
several columns) still refuse, with nothing changed. Plain psycopg connections, several where
concurrency matters, against a real PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import psycopg
import pytest
from helpers import assert_balanced, row_snapshot
from test_legs import OPERATION, TRANSFER, TWO_LEDGERS
from test_shapes import uid

from conftest import fix, open_findings, reconcile, rows, run

# Not in the matrix's core set (the writers' SQL is the same on every major; the suite runs it on
# 15): the core set keeps under the 30-minute CI budget (docs/TESTING.md).


@pytest.fixture
def legs(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("legs.sql", sql=(TRANSFER, OPERATION, TWO_LEDGERS)))


@pytest.fixture
def sessions(legs: str) -> Iterator[Callable[[], psycopg.Connection]]:
    """Application connections (not autocommit), closed at the end."""
    opened: list[psycopg.Connection] = []

    def open_one() -> psycopg.Connection:
        c = psycopg.connect(legs)
        opened.append(c)
        return c
    yield open_one
    for c in opened:
        c.close()


def enable(dsn: str, kind: str, target: str, mode: str = "block") -> dict:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT recon.enable_guard(%s, %s, %s)",
                         (kind, target, json.dumps({"mode": mode}))).fetchone()[0]


def commit_fails(c: psycopg.Connection, *sql: str) -> psycopg.Error:
    """Runs the statements in one transaction; the error its COMMIT raised (rolled back)."""
    for stmt in sql:
        c.execute(stmt)
    with pytest.raises(psycopg.Error) as e:
        c.commit()
    c.rollback()
    return e.value


def commits(c: psycopg.Connection, *sql: str) -> None:
    for stmt in sql:
        c.execute(stmt)
    c.commit()


def balances(dsn: str, table: str = "legs.wallet") -> dict:
    return {r["id"]: r["balance"] for r in rows(dsn, f"SELECT id, balance FROM {table}")}


# --- the drift guard ----------------------------------------------------------------------------

def test_drift_guard_on_transfer_rows_counts_both_legs(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    enable(legs, "drift", "lt")
    before = balances(legs)
    app = sessions()
    # a transfer that moves only the credit wallet: the debit leg is drift
    e = commit_fails(app, "INSERT INTO legs.transfer (source, destination, amount, status, "
                          "reference) VALUES ('a', 'b', 15.00, 'APPLIED', 'pay-10')",
                     "UPDATE legs.wallet SET balance = balance + 15 WHERE id = 'b'")
    assert e.sqlstate == "RC401", e
    detail = json.loads(e.diag.message_detail)
    assert (detail["wallet"], Decimal(str(detail["difference"]))) == ("a", Decimal("15.00"))
    assert balances(legs) == before
    # a transfer that moves the wrong way is drift on both wallets
    e = commit_fails(app, "UPDATE legs.wallet SET balance = balance + 15 WHERE id = 'a'",
                     "UPDATE legs.wallet SET balance = balance - 15 WHERE id = 'b'",
                     "INSERT INTO legs.transfer (source, destination, amount, status, "
                     "reference) VALUES ('a', 'b', 15.00, 'APPLIED', 'pay-10')")
    assert e.sqlstate == "RC401", e
    # the correct one commits: balances first or entry first
    commits(app, "UPDATE legs.wallet SET balance = balance - 15 WHERE id = 'a'",
            "UPDATE legs.wallet SET balance = balance + 15 WHERE id = 'b'",
            "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
            " VALUES ('a', 'b', 15.00, 'APPLIED', 'pay-10')")
    commits(app, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
                 " VALUES ('b', 'world', 5.00, 'APPLIED', 'out-1')",
            "UPDATE legs.wallet SET balance = balance + 5 WHERE id = 'world'",
            "UPDATE legs.wallet SET balance = balance - 5 WHERE id = 'b'")
    # a transfer moved from one debit wallet to another, with the balances: passes
    commits(app, "UPDATE legs.transfer SET source = 'a' WHERE reference = 'out-1'",
            "UPDATE legs.wallet SET balance = balance - 5 WHERE id = 'a'",
            "UPDATE legs.wallet SET balance = balance + 5 WHERE id = 'b'")
    # deleting a counted transfer without its balances is drift
    e = commit_fails(app, "DELETE FROM legs.transfer WHERE reference = 'out-1'")
    assert e.sqlstate == "RC401", e
    assert reconcile(legs)["status"] == "synced"


def test_drift_guard_counts_only_the_rows_the_filters_keep(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    enable(legs, "drift", "lt")
    app = sessions()
    # a QUEUED transfer moves nothing: moving balances with it is drift, posting it alone is not
    e = commit_fails(app, "INSERT INTO legs.transfer (source, destination, amount, status, "
                          "reference) VALUES ('a', 'b', 30.00, 'QUEUED', 'pay-20')",
                     "UPDATE legs.wallet SET balance = balance - 30 WHERE id = 'a'",
                     "UPDATE legs.wallet SET balance = balance + 30 WHERE id = 'b'")
    assert e.sqlstate == "RC401", e
    commits(app, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
                 " VALUES ('a', 'b', 30.00, 'QUEUED', 'pay-20')")
    # applying it without moving balances is drift: the row counts from then on
    e = commit_fails(app, "UPDATE legs.transfer SET status = 'APPLIED' WHERE reference = 'pay-20'")
    assert e.sqlstate == "RC401", e
    assert {r["status"] for r in rows(legs, "SELECT status FROM legs.transfer"
                                            " WHERE reference = 'pay-20'")} == {"QUEUED"}
    # applying it with the balances passes; voiding it afterwards must move them back
    commits(app, "UPDATE legs.transfer SET status = 'APPLIED' WHERE reference = 'pay-20'",
            "UPDATE legs.wallet SET balance = balance - 30 WHERE id = 'a'",
            "UPDATE legs.wallet SET balance = balance + 30 WHERE id = 'b'")
    e = commit_fails(app, "UPDATE legs.transfer SET status = 'VOID' WHERE reference = 'pay-20'")
    assert e.sqlstate == "RC401", e
    # a change of a row the filters do not keep moves nothing
    commits(app, "UPDATE legs.transfer SET amount = 1 WHERE reference = 'pay-2'",
            "DELETE FROM legs.transfer WHERE reference = 'pay-3'")
    assert reconcile(legs)["status"] == "synced"


def test_drift_guard_on_a_filtered_one_sided_ledger(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    # entries count while not soft-deleted (fees are another ledger: not written here)
    enable(legs, "drift", "acc_entries")
    app = sessions()
    # restoring a soft-deleted entry of 70 without its balance: drift
    e = commit_fails(app, "UPDATE legs.entry SET deleted_at = NULL WHERE id = 3")
    assert e.sqlstate == "RC401", e
    detail = json.loads(e.diag.message_detail)
    assert (detail["wallet"], Decimal(str(detail["difference"]))) == ("1", Decimal("-70"))
    commits(app, "UPDATE legs.entry SET deleted_at = NULL WHERE id = 3",
            "UPDATE legs.account SET balance = balance + 70 WHERE id = 1")
    # soft-deleting one with its balance passes, a deleted entry posted alone passes too
    commits(app, "UPDATE legs.account SET balance = balance - 40 WHERE id = 2",
            "UPDATE legs.entry SET deleted_at = now() WHERE id = 2")
    commits(app, "INSERT INTO legs.entry VALUES (9, 2, 500, now())")
    e = commit_fails(app, "INSERT INTO legs.entry VALUES (10, 2, 5, NULL)")
    assert e.sqlstate == "RC401", e
    assert reconcile(legs)["status"] == "synced"


def test_drift_guard_warns_on_transfer_rows(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    enable(legs, "drift", "lt", mode="warn")
    app = sessions()
    commits(app, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
                 " VALUES ('a', 'b', 15.00, 'APPLIED', 'pay-10')")
    alerts = rows(legs, "SELECT item, details FROM recon.open_alerts ORDER BY item")
    assert [(a["item"], Decimal(str(a["details"]["difference"]))) for a in alerts] == [
        ("a", Decimal("15.00")), ("b", Decimal("-15.00"))]


def test_concurrent_guarded_transfers_both_commit(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    # two writers, each wallets in key order: the guard judges each transaction by itself
    enable(legs, "drift", "lt")
    one, two = sessions(), sessions()
    for c, ref in ((one, "c-1"), (two, "c-2")):
        c.execute("INSERT INTO legs.transfer (source, destination, amount, status, reference)"
                  " VALUES ('a', 'b', 1.00, 'APPLIED', %s)", (ref,))
    one.execute("UPDATE legs.wallet SET balance = balance - 1 WHERE id = 'a'")
    one.execute("UPDATE legs.wallet SET balance = balance + 1 WHERE id = 'b'")
    one.commit()
    two.execute("UPDATE legs.wallet SET balance = balance - 1 WHERE id = 'a'")
    two.execute("UPDATE legs.wallet SET balance = balance + 1 WHERE id = 'b'")
    two.commit()
    assert reconcile(legs)["status"] == "synced"


def test_double_entry_guard_takes_a_transfer_row_as_balanced(
        legs: str, sessions: Callable[[], psycopg.Connection]) -> None:
    run(legs, "ALTER TABLE legs.transfer ADD COLUMN journal text",
        "SELECT recon.register_ledger_source('ltj', 'lw', 'legs.transfer', NULL, 'amount', '{"
        "\"debit_wallet\": \"source\", \"credit_wallet\": \"destination\", \"journal\": \"journal\","
        " \"filters\": [{\"column\": \"status\", \"op\": \"=\", \"value\": \"APPLIED\"}]}')")
    enable(legs, "double_entry", "ltj")
    app = sessions()
    commits(app, "INSERT INTO legs.transfer (source, destination, amount, status, reference,"
                 " journal) VALUES ('a', 'b', 1.00, 'APPLIED', 'j-1', 'J1'),"
                 " ('b', 'world', 1.00, 'QUEUED', 'j-2', 'J1')")
    assert rows(legs, "SELECT count(*) AS n FROM recon.open_alerts")[0]["n"] == 0


# --- writers and recon.fix() ------------------------------------------------------------------

def legs_sums(dsn: str, ledger: str) -> dict:
    """What the ledger's legs say per wallet (the rows the checks count)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        (sql,) = c.execute("SELECT _recon.legs_sql(l) FROM _recon.ledger_source AS l"
                           " WHERE l.name = %s", (ledger,)).fetchone()
        (kinded,) = c.execute("SELECT (_recon.legs(l)).direction_column IS NOT NULL"
                              " FROM _recon.ledger_source AS l WHERE l.name = %s",
                              (ledger,)).fetchone()
        effect = ("CASE l.kind WHEN 'debit' THEN -l.amount ELSE l.amount END" if kinded
                  else "l.amount")
        return {str(k): v for k, v in c.execute(
            f"SELECT l.wallet, sum({effect}) FROM {sql} AS l GROUP BY 1").fetchall()}


def conserved(dsn: str, ledger: str, wallets: str, do: Callable[[], list[dict]]) -> list[dict]:
    """Runs a fix; asserts that the stored balances and the ledger's legs moved by exactly what
    its applied steps planned (stored_change, ledger_change: offset wallets included)."""
    stored, ledger_before = balances(dsn, wallets), legs_sums(dsn, ledger)
    done = do()
    after = legs_sums(dsn, ledger)
    moved_ledger = sum(after.get(k, 0) - ledger_before.get(k, 0)
                       for k in set(after) | set(ledger_before))
    moved_stored = sum(balances(dsn, wallets).values()) - sum(stored.values())
    applied = [p for p in done if p["status"] == "applied"]
    assert moved_ledger == sum(Decimal(str(v)) for p in applied
                               for v in p["ledger_change"].values())
    assert moved_stored == sum(Decimal(str(v)) for p in applied
                               for v in p["stored_change"].values())
    return done


def test_writer_on_transfer_rows_posts_one_row_and_the_fix_conserves(legs: str) -> None:
    run(legs, "SELECT recon.register_writer('lt', '{\"offset_wallet\": \"world\"}')",
        "SELECT recon.set_fix_policy('lt_balance', '{\"strategy\": \"adjust\"}')",
        # bob's balance is right, the transfer that paid him 7 never reached the ledger
        "UPDATE legs.wallet SET balance = balance + 7 WHERE id = 'b'")
    enable(legs, "drift", "lt")  # the fix passes a blocking guard, as for a plain ledger
    reconcile(legs)
    plan = fix(legs)
    assert [(p["wallet_key"], p["strategy"], p["status"]) for p in plan] == [
        ("b", "adjust", "planned")]
    done = conserved(legs, "lt", "legs.wallet",
                     lambda: fix(legs, dry_run=False, ticket="T-1", reason="lost transfer"))
    assert [(p["wallet_key"], p["status"]) for p in done] == [("b", "applied")]
    # one transfer row: from the offset wallet to bob, APPLIED (the filter's one value)
    posted = rows(legs, "SELECT source, destination, amount, status, reference"
                        " FROM legs.transfer WHERE reference LIKE 'RECON-%'")
    assert [tuple(p.values())[:4] for p in posted] == [
        ("world", "b", Decimal("7.00"), "APPLIED")]
    assert balances(legs) == {"world": Decimal("-307.00"), "a": Decimal("180.00"),
                              "b": Decimal("127.00")}
    assert reconcile(legs)["status"] == "synced"
    assert fix(legs, dry_run=False, ticket="T-1", reason="lost transfer") == []
    # undone by the opposite row, never by a delete; bob's drift is back as it was
    with psycopg.connect(legs, autocommit=True) as c:
        c.execute("SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'T-1',"
                  " reason => 'undo')", (done[0]["entries"][0]["fix"],))
    assert [tuple(p.values())[:4] for p in rows(
        legs, "SELECT source, destination, amount, status FROM legs.transfer"
              " WHERE reference LIKE 'RECON-%' OR reference LIKE 'REV-%' ORDER BY id")] == [
        ("world", "b", Decimal("7.00"), "APPLIED"), ("b", "world", Decimal("7.00"), "APPLIED")]
    reconcile(legs)
    assert [(f["wallet_key"], f["difference"]) for f in open_findings(legs)] == [
        ("b", Decimal("7.00"))]
    fix(legs, dry_run=False, ticket="T-1b", reason="lost transfer")
    # a wallet whose ledger says more than its balance: the row goes the other way
    run(legs, "SET session_replication_role = replica",  # written past the guard
        "UPDATE legs.wallet SET balance = balance - 4 WHERE id = 'a'")
    reconcile(legs)
    conserved(legs, "lt", "legs.wallet",
              lambda: fix(legs, dry_run=False, ticket="T-2", reason="lost payout"))
    assert [tuple(p.values())[:4] for p in rows(
        legs, "SELECT source, destination, amount, status FROM legs.transfer"
              " WHERE reference LIKE 'RECON-%T-2%'")] == [("a", "world", Decimal("4.00"),
                                                           "APPLIED")]
    assert reconcile(legs)["status"] == "synced"


def test_resync_on_transfer_rows_reads_the_legs_as_evidence(legs: str) -> None:
    # a stored balance written wrong: resync sets it to what the counted rows say
    run(legs, "SELECT recon.register_writer('lt', '{\"offset_wallet\": \"world\"}')",
        "UPDATE legs.wallet SET balance = balance + 3 WHERE id = 'a'")
    reconcile(legs)
    [step] = conserved(legs, "lt", "legs.wallet",
                       lambda: fix(legs, dry_run=False, ticket="T-3", reason="typo",
                                   force_strategy="resync"))
    assert (step["wallet_key"], step["strategy"], step["status"]) == ("a", "resync", "applied")
    assert balances(legs)["a"] == Decimal("180.00")
    assert reconcile(legs)["status"] == "synced"


SOFT = """
CREATE TABLE legs.sd_account (id integer PRIMARY KEY, balance numeric(12, 2) NOT NULL);
CREATE TABLE legs.sd_entry (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100)
                            PRIMARY KEY, account_id integer NOT NULL,
                            amount numeric(12, 2) NOT NULL, kind text NOT NULL,
                            deleted_at timestamptz, reference text);
INSERT INTO legs.sd_account VALUES (1, 100), (2, 0), (0, -100);
INSERT INTO legs.sd_entry VALUES (1, 1, 100, 'posted', NULL, 'd-1'),
    (2, 0, -100, 'settled', NULL, 'd-1'), (3, 1, 50, 'posted', now(), 'd-2'),
    (4, 2, 70, 'pending', NULL, 'd-3');
SELECT recon.register_wallet_source('sd', 'legs.sd_account', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('sde', 'sd', 'legs.sd_entry', 'account_id', 'amount', '{
    "filters": [{"column": "deleted_at", "op": "is null"},
                {"column": "kind", "op": "in", "values": ["posted", "settled"]}],
    "entry_id": "id", "order_by": "id", "reference": "reference"}');
SELECT recon.register_check('sd_balance', 'balance', '{"ledger": "sde"}');
"""


def test_writer_on_a_filtered_ledger_writes_rows_the_filters_keep(legs: str) -> None:
    run(legs, SOFT)
    assert reconcile(legs)["status"] == "synced"
    # "kind in (posted, settled)" has two values: the writer must say which
    with psycopg.connect(legs, autocommit=True) as c:
        for options, words in (
                ({"offset_wallet": "0"}, "does not set"),
                ({"offset_wallet": "0", "columns": {"kind": "pending"}}, "its filter drops")):
            with pytest.raises(psycopg.Error) as e:
                c.execute("SELECT recon.register_writer('sde', %s)", (json.dumps(options),))
            assert e.value.sqlstate == "RC305" and words in e.value.diag.message_primary
            assert e.value.diag.message_hint
        assert c.execute("SELECT count(*) FROM _recon.writer").fetchone()[0] == 0
    run(legs, "SELECT recon.register_writer('sde', '{\"offset_wallet\": \"0\", "
              "\"columns\": {\"kind\": \"posted\"}}')",
        "SELECT recon.set_fix_policy('sd_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE legs.sd_account SET balance = balance + 8 WHERE id = 2")
    enable(legs, "drift", "sde")
    reconcile(legs)
    done = conserved(legs, "sde", "legs.sd_account",
                     lambda: fix(legs, dry_run=False, ticket="T-4", reason="lost credit"))
    assert [(p["wallet_key"], p["status"], p["note"]) for p in done] == [("2", "applied", None)]
    assert [tuple(r.values()) for r in rows(
        legs, "SELECT account_id, amount, kind, deleted_at FROM legs.sd_entry WHERE id >= 100"
              " ORDER BY account_id")] == [(0, Decimal("-8.00"), "posted", None),
                                           (2, Decimal("8.00"), "posted", None)]
    assert reconcile(legs)["status"] == "synced"


def test_shapes_the_write_paths_do_not_read_still_refuse(legs: str) -> None:
    # an INSERT writer on parent rows, a double-entry guard on an operation ledger (the journal
    # check's rule): one clear error each, nothing changed (a drift guard reads them:
    # tests/test_shapes_guards.py)
    with psycopg.connect(legs, autocommit=True) as c:
        for sql, code, why in (
                ("SELECT recon.enable_guard('double_entry', 'mo')", "RC406", "signed or direction"),
                ("SELECT recon.register_writer('mo', '{\"columns\": {}}')", "RC305",
                 "parent rows")):
            with pytest.raises(psycopg.Error) as e:
                c.execute(sql)
            assert e.value.sqlstate == code, sql
            assert why in e.value.diag.message_primary and e.value.diag.message_hint
        assert c.execute("SELECT (SELECT count(*) FROM _recon.guard)"
                         " + (SELECT count(*) FROM _recon.writer)").fetchone()[0] == 0
        # a transfer ledger's writer needs an offset wallet
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.register_writer('lt', '{}')")
        assert e.value.sqlstate == "RC305" and e.value.diag.message_hint
    run(legs, "UPDATE legs.balance SET available = available + 1 WHERE id = 'm1'")
    reconcile(legs)
    # repairs read every shape through its legs: a resync is planned (posting: a writer, below;
    # chosen: the registered wallets are not all the ledger's, see test_legs.py)
    steps = fix(legs, force_strategy="resync")
    assert [(s["strategy"], s["status"]) for s in steps] == [("resync", "planned")], steps


def test_a_duplicated_transfer_row_is_reversed_by_hand(legs: str) -> None:
    run(legs, "SELECT recon.register_writer('lt', '{\"offset_wallet\": \"world\"}')",
        "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
        " VALUES ('a', 'b', 20.00, 'APPLIED', 'pay-1')",
        "UPDATE legs.wallet SET balance = balance - 20 WHERE id = 'a'",
        "UPDATE legs.wallet SET balance = balance + 20 WHERE id = 'b'")
    reconcile(legs)
    steps = fix(legs, checks=["lt_dups"])
    assert {(s["wallet_key"], s["status"]) for s in steps} == {("a", "manual"), ("b", "manual")}
    assert all("reversed by hand" in s["note"] for s in steps)


def test_two_concurrent_fixes_on_transfer_rows_post_one_row(legs: str) -> None:
    # both calls wait on a wallet a third connection holds; one applies, the other skips
    run(legs, "SELECT recon.register_writer('lt', '{\"offset_wallet\": \"world\"}')",
        "SELECT recon.set_fix_policy('lt_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE legs.wallet SET balance = balance + 7 WHERE id = 'b'")
    enable(legs, "drift", "lt")
    reconcile(legs)
    results: dict[str, list[dict]] = {}
    errors: list[str] = []

    def call(name: str) -> None:
        try:
            results[name] = fix(legs, dry_run=False, ticket="T-5", reason="lost transfer")
        except Exception as e:  # recorded, asserted below
            errors.append(f"{name}: {getattr(e, 'sqlstate', None)} {e}")

    calls = [threading.Thread(target=call, args=(n,), daemon=True) for n in ("x", "y")]
    with psycopg.connect(legs) as holder, psycopg.connect(legs, autocommit=True) as watcher:
        holder.execute("SELECT 1 FROM legs.wallet WHERE id = 'b' FOR UPDATE")
        for t in calls:
            t.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            (waiting,) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s", ("%recon.fix(%",)).fetchone()
            if waiting == 2:
                break
            time.sleep(0.05)
        assert waiting == 2, "both calls should be waiting for the held wallet"
        holder.rollback()
        for t in calls:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in calls) and errors == []
    statuses = sorted(sorted({s["status"] for s in r}) for r in results.values())
    assert statuses == [["applied"], ["skipped"]], results
    assert len(rows(legs, "SELECT 1 FROM legs.transfer WHERE reference LIKE 'RECON-%'")) == 1
    assert reconcile(legs)["status"] == "synced"


# --- writers on parent rows, effects keyed on several columns, running balances per column ------
# (issue 14: "A writer posts a repair that the next reconcile sees as synced" on each fixture of
# tests/test_shapes.py). Repairs measure and verify through the legs, so a posting function
# serves every shape; an INSERT writer posts a rule-keyed row only when the rule its row matches
# moves exactly the step's deltas (and the transfer row's other leg exactly the opposite).

def fix_raises(dsn: str, **args: object) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as e:
        fix(dsn, **args)
    return e.value


@pytest.fixture
def blnk(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("shapes/transfer.sql"))


@pytest.fixture
def midaz(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("shapes/operation.sql"))


BLNK_WRITER = ('{"offset_wallet": "bln_world", "columns": {"transaction_id": "{uuid}",'
               ' "currency": "USD", "status": "APPLIED"}}')


def blnk_invariants(dsn: str) -> None:
    """The transfer ledger's own invariants: every balance's settled and inflight columns are
    its counters' differences, each stored column is what the counted rows move it by, and per
    currency the balances sum to 0 (the world balance issues them) while the credit and debit
    counters both equal the rows' settled amounts."""
    assert rows(dsn, """
        SELECT balance_id FROM xfer.balances
        WHERE balance <> credit_balance - debit_balance
           OR inflight_balance <> inflight_credit_balance - inflight_debit_balance""") == []
    legs = """
        SELECT t.currency, b.balance_id AS w, s.side, t.status, t.amount
        FROM xfer.transactions AS t
        CROSS JOIN LATERAL (VALUES ('debit', t.source), ('credit', t.destination)) AS s (side, id)
        JOIN xfer.balances AS b ON b.balance_id = s.id
        WHERE t.status IN ('APPLIED', 'INFLIGHT', 'COMMIT', 'VOID')"""
    assert rows(dsn, f"""
        SELECT b.balance_id FROM xfer.balances AS b
        LEFT JOIN (SELECT w,
                          sum(amount) FILTER (WHERE side = 'credit'
                                              AND status IN ('APPLIED', 'COMMIT')) AS cr,
                          sum(amount) FILTER (WHERE side = 'debit'
                                              AND status IN ('APPLIED', 'COMMIT')) AS dr
                   FROM ({legs}) AS l GROUP BY w) AS x ON x.w = b.balance_id
        WHERE b.credit_balance <> COALESCE(x.cr, 0) OR b.debit_balance <> COALESCE(x.dr, 0)
        """) == []
    assert_balanced(dsn, "SELECT * FROM xfer.balances", "currency", "balance", "inflight_balance",
                    "credit_balance - debit_balance")


def versions(dsn: str) -> dict:
    """Each balance's version (registered with the wallet source: every repair bumps it)."""
    return {r["balance_id"]: r["version"]
            for r in rows(dsn, "SELECT balance_id, version FROM xfer.balances")}


def bumped(before: dict, after: dict) -> set:
    """The balances whose version went up; asserts none went down."""
    assert all(after[w] >= v for w, v in before.items()), (before, after)
    return {w for w, v in before.items() if after[w] > v}


def test_blnk_balance_and_its_counter_are_repaired_by_one_row(blnk: str) -> None:
    # dave's stored balance and credit counter say he received 5 the ledger does not show (issue
    # 14 point 1, issue 16 item 4). The two findings are one posting: an APPLIED row from the
    # offset wallet to dave, which moves dave's balance and credit counter by 5, and the offset
    # wallet's balance and debit counter (its own leg, not the opposite of dave's): the plan
    # shows it, the toolkit moves the offset wallet by it, and the next reconcile is synced.
    run(blnk, f"SELECT recon.register_writer('xfer_transactions', $json$ {BLNK_WRITER} $json$)",
        "UPDATE xfer.balances SET balance = balance + 5, credit_balance = credit_balance + 5"
        " WHERE balance_id = 'bln_dave'")
    reconcile(blnk)
    before = row_snapshot(blnk, "xfer.transactions", "xfer.balances")
    plan = fix(blnk, force_strategy="adjust", wallet_limit=1000)
    assert row_snapshot(blnk, "xfer.transactions", "xfer.balances") == before
    assert [(s["wallet_key"], s["status"]) for s in plan] == [
        ("bln_dave", "planned"), ("bln_dave", "covered")], plan
    (posting,) = plan[0]["entries"]
    assert posting["deltas"] == {"balance": Decimal("5.00"), "credit_balance": Decimal("5.00")}
    assert posting["offset_deltas"] == {"balance": Decimal("-5.00"),
                                        "debit_balance": Decimal("5.00")}
    assert plan[0]["stored_change"] == {"balance": Decimal("-5.00"),
                                        "debit_balance": Decimal("5.00")}
    assert plan[0]["ledger_change"] == {"balance": 0, "credit_balance": Decimal("5.00"),
                                        "debit_balance": Decimal("5.00")}
    assert plan[1]["note"].startswith("repaired by step 1 (one posting of"), plan[1]
    v0 = versions(blnk)
    done = fix(blnk, dry_run=False, ticket="T16", reason="lost deposit", force_strategy="adjust",
               wallet_limit=1000)
    assert [s["status"] for s in done] == ["applied", "covered"], done
    # the version column: bumped on every balance row the toolkit wrote, here the offset
    # wallet's alone (adjust posts a row and leaves dave's stored balance as it is, so no
    # worker's pre-repair copy of dave's row can undo it)
    assert bumped(v0, versions(blnk)) == {"bln_world"}
    assert [tuple(r.values()) for r in rows(
        blnk, "SELECT source, destination, amount, status FROM xfer.transactions"
              " WHERE reference LIKE 'RECON-%'")] == [
        ("bln_world", "bln_dave", Decimal("5.00"), "APPLIED")]
    assert reconcile(blnk)["status"] == "synced", open_findings(blnk)
    blnk_invariants(blnk)
    # undone by the opposite leg (dave -> world), never a negative amount: the balance comes
    # back, the counters both keep what was posted (they only grow)
    v1 = versions(blnk)
    undo = rows(blnk, "SELECT status, entries FROM recon.reverse_fix(%s, dry_run => false,"
                      " ticket => 'T16', reason => 'undo')", (done[0]["entries"][0]["fix"],))
    assert [u["status"] for u in undo] == ["applied", "applied"], undo
    assert bumped(v1, versions(blnk)) == {"bln_world"}  # the row it moved: the offset's
    assert [tuple(r.values()) for r in rows(
        blnk, "SELECT source, destination, amount, status FROM xfer.transactions"
              " WHERE reference LIKE 'REV-%'")] == [
        ("bln_dave", "bln_world", Decimal("5.00"), "APPLIED")]
    assert rows(blnk, "SELECT count(*) AS n FROM xfer.transactions WHERE amount < 0") == [
        {"n": 0}]
    reconcile(blnk)
    assert sorted((f["wallet_key"], f["details"]["column"], f["difference"])
                  for f in open_findings(blnk)) == [
        ("bln_dave", "balance", Decimal("5.00")), ("bln_dave", "debit_balance", Decimal("-5.00"))]


def test_blnk_counters_without_a_row_that_matches_are_refused_with_the_reason(
        blnk: str) -> None:
    # the credit counter alone drifted: no row moves it without the balance; the step is
    # manual, nothing posted, the note names the rules
    run(blnk, f"SELECT recon.register_writer('xfer_transactions', $json$ {BLNK_WRITER} $json$)",
        "UPDATE xfer.balances SET credit_balance = credit_balance + 5"
        " WHERE balance_id = 'bln_dave'")
    reconcile(blnk)
    before = row_snapshot(blnk, "xfer.transactions", "xfer.balances")
    (step,) = fix(blnk, dry_run=False, ticket="T16", reason="counter", force_strategy="adjust",
                  wallet_limit=1000)
    assert step["status"] == "manual", step
    assert '{"credit_balance": 5.00}' in step["note"] and "APPLIED/credit" in step["note"], step
    assert "repair by hand" in step["note"], step
    assert row_snapshot(blnk, "xfer.transactions", "xfer.balances") == before
    # resync reads the same legs: the stored counter goes back to what the rows say
    v0 = versions(blnk)
    done = fix(blnk, dry_run=False, ticket="T16", reason="typed twice", force_strategy="resync")
    assert [(s["strategy"], s["status"]) for s in done] == [("resync", "applied")]
    assert bumped(v0, versions(blnk)) == {"bln_dave"}
    assert reconcile(blnk)["status"] == "synced"
    blnk_invariants(blnk)


def test_blnk_drift_on_several_wallets_and_columns_repaired_to_zero(blnk: str) -> None:
    # alice lost a payment out (balance and debit counter 20 too high in the ledger's eyes ...
    # i.e. stored 20 lower), bob got 7.5 the ledger never saw; each one row, the offset wallet
    # taking the other leg; then the ledger's own invariants hold and reconcile is synced
    run(blnk, f"SELECT recon.register_writer('xfer_transactions', $json$ {BLNK_WRITER} $json$)",
        "UPDATE xfer.balances SET balance = balance - 20, debit_balance = debit_balance + 20"
        " WHERE balance_id = 'bln_alice'",
        "UPDATE xfer.balances SET balance = balance + 7.5, credit_balance = credit_balance + 7.5"
        " WHERE balance_id = 'bln_bob'")
    reconcile(blnk)
    assert len(open_findings(blnk)) == 4
    v0 = versions(blnk)
    done = fix(blnk, dry_run=False, ticket="T16", reason="lost rows", force_strategy="adjust",
               wallet_limit=1000)
    assert bumped(v0, versions(blnk)) == {"bln_world"}  # the offset wallet's row alone
    assert sorted((s["wallet_key"], s["status"]) for s in done) == [
        ("bln_alice", "applied"), ("bln_alice", "covered"), ("bln_bob", "applied"),
        ("bln_bob", "covered")], done
    assert sorted(tuple(r.values()) for r in rows(
        blnk, "SELECT source, destination, amount FROM xfer.transactions"
              " WHERE reference LIKE 'RECON-%'")) == [
        ("bln_alice", "bln_world", Decimal("20.00")), ("bln_world", "bln_bob", Decimal("7.5"))]
    assert reconcile(blnk)["status"] == "synced", open_findings(blnk)
    blnk_invariants(blnk)
    assert fix(blnk, force_strategy="adjust", wallet_limit=1000) == []
    # a hold in flight for two days: its rows carry no transaction status that says commit or
    # void, so the lifecycle repair leaves it to a person, who acknowledges it
    run(blnk, "UPDATE xfer.transactions SET created_at = now() - interval '2 days'"
              " WHERE transaction_id = 'txn_12'")
    reconcile(blnk)
    (step,) = fix(blnk, dry_run=False, ticket="T16", reason="stale hold")
    assert (step["check_name"], step["strategy"], step["status"]) == (
        "xfer_holds", "resolve", "manual"), step
    assert "transaction txn_12 is INFLIGHT: neither approved" in step["note"], step["note"]
    run(blnk, "SELECT recon.set_fix_policy('xfer_holds', '{\"strategy\": \"acknowledge\"}')")
    assert [s["status"] for s in fix(blnk, dry_run=False, ticket="T16", reason="stale hold")] \
        == ["applied"]
    assert reconcile(blnk)["status"] == "synced", open_findings(blnk)
    blnk_invariants(blnk)


# Midaz-like: a posting function writes the transaction (the parent row) and both operations,
# each with its running balances and version continuing the balance's chain; it never touches
# mz.balance (the toolkit moves the stored balances). "skew" makes it post the wrong amount.
MZ_POST = """
CREATE FUNCTION mz.post_recon(r jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    tx uuid := gen_random_uuid();
    amt numeric := (r ->> 'amount')::numeric + COALESCE((r ->> 'skew')::numeric, 0);
    ids jsonb := '[]';
    leg record;
    b mz.balance;
    last mz.operation;
    d_avail numeric;
    op uuid;
BEGIN
    INSERT INTO mz.transaction (id, description, status, pending, amount, asset_code, created_at)
    VALUES (tx, r ->> 'reference', 'APPROVED', FALSE, amt, 'BRL', now());
    FOR leg IN SELECT * FROM (VALUES (1, r ->> 'wallet', r ->> 'entry_type'),
                                     (2, r ->> 'offset_wallet', CASE r ->> 'entry_type'
                                         WHEN 'CREDIT' THEN 'DEBIT' ELSE 'CREDIT' END)) AS v (n, w, t)
               WHERE v.w IS NOT NULL ORDER BY v.n LOOP
        SELECT * INTO STRICT b FROM mz.balance WHERE id = leg.w::uuid;
        SELECT o.* INTO last FROM mz.operation AS o JOIN mz.transaction AS t ON t.id = o.transaction_id
        WHERE o.balance_id = b.id AND o.balance_affected AND o.deleted_at IS NULL
          AND t.status <> 'NOTED' ORDER BY o.seq DESC LIMIT 1;
        d_avail := CASE leg.t WHEN 'CREDIT' THEN amt ELSE -amt END;
        op := gen_random_uuid();
        INSERT INTO mz.operation (id, transaction_id, type, asset_code, amount, available_balance,
                                  on_hold_balance, available_balance_after, on_hold_balance_after,
                                  balance_version_before, balance_version_after, status,
                                  account_id, account_alias, balance_id, created_at)
        VALUES (op, tx, leg.t, 'BRL', amt, COALESCE(last.available_balance_after, 0),
                COALESCE(last.on_hold_balance_after, 0),
                COALESCE(last.available_balance_after, 0) + d_avail,
                COALESCE(last.on_hold_balance_after, 0), COALESCE(last.balance_version_after, 0),
                COALESCE(last.balance_version_after, 0) + 1, 'APPROVED', b.account_id, b.alias,
                b.id, now());
        ids := ids || to_jsonb(op::text);
    END LOOP;
    RETURN ids;
END;
$$;
"""


def test_midaz_posting_function_repairs_and_the_next_reconcile_is_synced(midaz: str) -> None:
    run(midaz, MZ_POST,
        "SELECT recon.register_writer('mz_operations', '{\"function\": \"mz.post_recon(jsonb)\","
        " \"offset_wallet\": \"" + uid("@external/BRL") + "\"}')",
        # customer-2's stored available holds a credit of 5 the operations never recorded
        "UPDATE mz.balance SET available = available + 5 WHERE alias = '@customer-2'")
    first = reconcile(midaz)
    assert [(f["check_name"], f["wallet_key"], f["difference"]) for f in open_findings(midaz)] == [
        ("mz_balance", uid("@customer-2"), Decimal("5"))]
    ops = rows(midaz, "SELECT count(*) AS n FROM mz.operation")[0]["n"]
    done = fix(midaz, run_id=first["run_id"], dry_run=False, ticket="T14", reason="lost credit",
               force_strategy="adjust", wallet_limit=1000)
    assert [(s["wallet_key"], s["status"]) for s in done] == [(uid("@customer-2"), "applied")], done
    # the ledger moved by nothing in total (the external account took the other side), the
    # stored balances by the external account's -5
    assert set(done[0]["ledger_change"].values()) <= {0}, done
    assert done[0]["stored_change"] == {"available": -5}, done
    # one CREDIT on customer-2, one DEBIT on the external account, one new transaction
    assert rows(midaz, "SELECT count(*) AS n FROM mz.operation")[0]["n"] == ops + 2
    summary = reconcile(midaz)
    assert summary["status"] == "synced", (summary, open_findings(midaz))
    # undone by the opposite operations (a DEBIT on customer-2): the drift is back, the chains
    # and versions still continue
    undo = rows(midaz, "SELECT status, note FROM recon.reverse_fix(%s, dry_run => false,"
                       " ticket => 'T14', reason => 'undo')", (done[0]["entries"][0]["fix"],))
    assert [u["status"] for u in undo] == ["applied"], undo
    reconcile(midaz)
    assert [(f["check_name"], f["wallet_key"], f["difference"]) for f in open_findings(midaz)] == [
        ("mz_balance", uid("@customer-2"), Decimal("5"))]


MZ_WRITER = ("SELECT recon.register_writer('mz_operations', '{\"function\": \"mz.post_recon(jsonb)\","
             " \"offset_wallet\": \"" + uid("@external/BRL") + "\"}')")
MZ_TABLES = ("mz.operation", "mz.transaction", "mz.balance")


def test_midaz_a_posting_function_that_posts_the_wrong_effect_is_refused_rc307(
        midaz: str) -> None:
    run(midaz, MZ_POST.replace("COALESCE((r ->> 'skew')::numeric, 0)", "1"), MZ_WRITER,
        "UPDATE mz.balance SET available = available + 5 WHERE alias = '@customer-2'")
    reconcile(midaz)
    before = row_snapshot(midaz, *MZ_TABLES, "_recon.repair")
    e = fix_raises(midaz, dry_run=False, ticket="T14", reason="lost credit",
                   force_strategy="adjust", wallet_limit=1000)
    assert e.sqlstate == "RC307", e
    assert e.diag.message_detail and e.diag.message_hint
    assert row_snapshot(midaz, *MZ_TABLES, "_recon.repair") == before


def test_midaz_an_insert_writer_is_refused_where_rules_and_filters_read_the_parent(
        midaz: str) -> None:
    before = row_snapshot(midaz, "_recon.writer")
    with psycopg.connect(midaz, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute("SELECT recon.register_writer('mz_operations', %s)", (json.dumps({
            "offset_wallet": uid("@external/BRL"), "journal": "{uuid}",
            "columns": {"id": "{uuid}", "transaction_id": "{uuid}",
                        "asset_code": "BRL"}}),))
    assert e.value.sqlstate == "RC305", e.value
    assert "parent rows (tx.status)" in e.value.diag.message_primary
    assert "posting function" in e.value.diag.message_hint
    assert row_snapshot(midaz, "_recon.writer") == before


def test_midaz_two_concurrent_fixes_post_once(midaz: str) -> None:
    # both calls wait on the wallet a third connection holds; one applies, the other finds
    # the repair applied (its unique key) and posts nothing
    run(midaz, MZ_POST, MZ_WRITER,
        "SELECT recon.set_fix_policy('mz_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE mz.balance SET available = available + 5 WHERE alias = '@customer-2'")
    reconcile(midaz)
    ops = rows(midaz, "SELECT count(*) AS n FROM mz.operation")[0]["n"]
    results: dict[str, list[dict]] = {}
    errors: list[str] = []

    def call(name: str) -> None:
        try:
            results[name] = fix(midaz, dry_run=False, ticket="T14", reason="lost credit",
                                wallet_limit=1000)
        except Exception as e:  # recorded, asserted below
            errors.append(f"{name}: {getattr(e, 'sqlstate', None)} {e}")

    calls = [threading.Thread(target=call, args=(n,), daemon=True) for n in ("x", "y")]
    with psycopg.connect(midaz) as holder, psycopg.connect(midaz, autocommit=True) as watcher:
        holder.execute("SELECT 1 FROM mz.balance WHERE alias = '@customer-2' FOR UPDATE")
        for t in calls:
            t.start()
        deadline = time.monotonic() + 15
        waiting = 0
        while time.monotonic() < deadline:
            (waiting,) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s", ("%recon.fix(%",)).fetchone()
            if waiting == 2:
                break
            time.sleep(0.05)
        assert waiting == 2, "both calls should be waiting for the held wallet"
        holder.rollback()
        for t in calls:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in calls) and errors == [], errors
    statuses = sorted(sorted({s["status"] for s in r}) for r in results.values())
    assert statuses == [["applied"], ["skipped"]], results
    assert rows(midaz, "SELECT count(*) AS n FROM mz.operation")[0]["n"] == ops + 2
    assert reconcile(midaz)["status"] == "synced"


# Effects keyed on several columns without parent rows: a transfer ledger whose rules name the
# side and the status (the toolkit writes the status of the rule it needs), and a one-sided
# operation ledger with a running balance per column (Midaz-like, without the parent flag).
RULED = """
CREATE SCHEMA rk;
CREATE TABLE rk.wallet (id text PRIMARY KEY, balance numeric(12, 2) NOT NULL DEFAULT 0,
                        pending numeric(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE rk.transfer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          source text NOT NULL, destination text NOT NULL,
                          amount numeric(12, 2) NOT NULL, status text NOT NULL, reference text);
INSERT INTO rk.wallet VALUES ('world', -300, 0), ('a', 180, -20), ('b', 120, 20);
INSERT INTO rk.transfer (source, destination, amount, status, reference) VALUES
    ('world', 'a', 200, 'APPLIED', 'd-1'), ('world', 'b', 100, 'APPLIED', 'd-2'),
    ('a', 'b', 20, 'APPLIED', 'p-1'), ('a', 'b', 20, 'PENDING', 'p-2'),
    ('b', 'a', 999, 'FAILED', 'p-3');
SELECT recon.register_wallet_source('rkw', 'rk.wallet', 'id', ARRAY['balance', 'pending']);
SELECT recon.register_ledger_source('rkt', 'rkw', 'rk.transfer', NULL, 'amount', $j$ {
    "debit_wallet": "source", "credit_wallet": "destination",
    "filters": [{"column": "status", "op": "in", "values": ["APPLIED", "PENDING"]}],
    "operation": ["side", "status"],
    "effects": [
        {"when": {"side": "debit", "status": "PENDING"}, "effect": {"pending": -1}},
        {"when": {"side": "credit", "status": "PENDING"}, "effect": {"pending": 1}},
        {"when": {"side": "debit", "status": "APPLIED"}, "effect": {"balance": -1}},
        {"when": {"side": "credit", "status": "APPLIED"}, "effect": {"balance": 1}}],
    "entry_id": "id", "order_by": "id", "reference": "reference"} $j$);
SELECT recon.register_check('rkt_balance', 'balance', '{"ledger": "rkt"}');

CREATE TABLE rk.account (id integer PRIMARY KEY, available numeric(12, 2) NOT NULL DEFAULT 0,
                         on_hold numeric(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE rk.op (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    account_id integer NOT NULL, type text NOT NULL,
                    amount numeric(12, 2) NOT NULL, available_after numeric(12, 2) NOT NULL,
                    on_hold_after numeric(12, 2) NOT NULL, journal text, reference text);
INSERT INTO rk.account VALUES (0, -100, 0), (1, 70, 30), (2, 0, 0);
INSERT INTO rk.op (account_id, type, amount, available_after, on_hold_after, journal, reference)
VALUES (0, 'DEBIT', 100, -100, 0, 'j1', 'dep-1'), (1, 'CREDIT', 100, 100, 0, 'j1', 'dep-1'),
       (1, 'ON_HOLD', 30, 70, 30, 'j2', 'hold-1');
SELECT recon.register_wallet_source('rka', 'rk.account', 'id', ARRAY['available', 'on_hold']);
SELECT recon.register_ledger_source('rko', 'rka', 'rk.op', 'account_id', 'amount', $j$ {
    "operation": ["type"],
    "effects": [
        {"when": {"type": "ON_HOLD"}, "effect": {"available": -1, "on_hold": 1}},
        {"when": {"type": "RELEASE"}, "effect": {"available": 1, "on_hold": -1}},
        {"when": {"type": "DEBIT"}, "effect": {"available": -1}},
        {"when": {"type": "CREDIT"}, "effect": {"available": 1}}],
    "balance_after": {"available": "available_after", "on_hold": "on_hold_after"},
    "entry_id": "id", "order_by": "id", "journal": "journal", "reference": "reference"} $j$);
SELECT recon.register_check('rko_balance', 'balance', '{"ledger": "rko"}');
SELECT recon.register_check('rko_chain', 'chain', '{"ledger": "rko"}');
SELECT recon.register_check('rko_dups', 'duplicate', '{"ledger": "rko"}');
"""


@pytest.fixture
def ruled(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(RULED,)))


def test_rule_keyed_transfer_rows_an_insert_writer_posts_the_rule_of_the_step(
        ruled: str) -> None:
    assert reconcile(ruled)["status"] == "synced"
    run(ruled, "SELECT recon.register_writer('rkt', '{\"offset_wallet\": \"world\"}')",
        "SELECT recon.set_fix_policy('rkt_balance', '{\"strategy\": \"adjust\"}')",
        # b's balance holds a payment of 7 the ledger lost; a's pending a hold of 3
        "UPDATE rk.wallet SET balance = balance + 7 WHERE id = 'b'",
        "UPDATE rk.wallet SET pending = pending + 3 WHERE id = 'a'")
    reconcile(ruled)
    done = fix(ruled, dry_run=False, ticket="T14", reason="lost rows")
    assert sorted((s["wallet_key"], s["status"]) for s in done) == [
        ("a", "applied"), ("b", "applied")], done
    # one row each, the status the rule needs written by the toolkit, from the offset wallet
    assert [tuple(r.values()) for r in rows(
        ruled, "SELECT source, destination, amount, status FROM rk.transfer"
               " WHERE reference LIKE 'RECON-%' ORDER BY destination")] == [
        ("world", "a", Decimal("3.00"), "PENDING"), ("world", "b", Decimal("7.00"), "APPLIED")]
    # the stored balances moved on the offset wallet only, by the other leg of each row
    assert {r["id"]: (r["balance"], r["pending"]) for r in rows(ruled, "SELECT * FROM rk.wallet")
            } == {"world": (Decimal("-307.00"), Decimal("-3.00")),
                  "a": (Decimal("180.00"), Decimal("-17.00")),
                  "b": (Decimal("127.00"), Decimal("20.00"))}
    assert reconcile(ruled)["status"] == "synced"
    # undone by the opposite rows
    rev = rows(ruled, "SELECT status FROM recon.reverse_fix(%s, dry_run => false,"
                      " ticket => 'T14', reason => 'undo')", (done[0]["entries"][0]["fix"],))
    assert [r["status"] for r in rev] == ["applied", "applied"], rev
    reconcile(ruled)
    assert sorted((f["wallet_key"], f["difference"]) for f in open_findings(ruled)) == [
        ("a", Decimal("3.00")), ("b", Decimal("7.00"))]


def test_rule_keyed_transfer_rows_a_fixed_status_posts_only_its_rule(ruled: str) -> None:
    # the writer always writes APPLIED: the balance is repaired, the pending column left to a
    # person, saying which rules its rows can take
    run(ruled, "SELECT recon.register_writer('rkt', '{\"offset_wallet\": \"world\","
               " \"columns\": {\"status\": \"APPLIED\"}}')",
        "SELECT recon.set_fix_policy('rkt_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE rk.wallet SET balance = balance + 7 WHERE id = 'b'",
        "UPDATE rk.wallet SET pending = pending + 3 WHERE id = 'a'")
    reconcile(ruled)
    done = fix(ruled, dry_run=False, ticket="T14", reason="lost rows")
    got = {s["wallet_key"]: (s["status"], s["note"]) for s in done}
    assert got["b"] == ("applied", None), got
    assert got["a"][0] == "manual" and '{"pending": 3.00}' in got["a"][1], got
    assert "debit/APPLIED moves" in got["a"][1] and "repair by hand" in got["a"][1], got
    reconcile(ruled)
    assert [(f["wallet_key"], f["details"]["column"]) for f in open_findings(ruled)] == [
        ("a", "pending")]


def test_rule_keyed_operations_an_insert_writer_continues_each_running_balance(
        ruled: str) -> None:
    assert reconcile(ruled)["status"] == "synced"
    run(ruled, "SELECT recon.register_writer('rko', '{\"offset_wallet\": \"0\","
               " \"journal\": \"recon-{uuid}\"}')",
        "SELECT recon.set_fix_policy('rko_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE rk.account SET available = available + 5 WHERE id = 1",
        "UPDATE rk.account SET on_hold = on_hold + 2 WHERE id = 2")
    reconcile(ruled)
    done = fix(ruled, dry_run=False, ticket="T14", reason="lost credit")
    got = {s["wallet_key"]: (s["status"], s["note"]) for s in done}
    assert got["1"] == ("applied", None), got
    # no rule moves on_hold alone (ON_HOLD and RELEASE move available too): never posted
    assert got["2"][0] == "manual" and '{"on_hold": 2.00}' in got["2"][1], got
    assert [tuple(r.values()) for r in rows(
        ruled, "SELECT account_id, type, amount, available_after, on_hold_after FROM rk.op"
               " WHERE id > 3 ORDER BY id")] == [
        (1, "CREDIT", Decimal("5.00"), Decimal("75.00"), Decimal("30.00")),
        (0, "DEBIT", Decimal("5.00"), Decimal("-105.00"), Decimal("0.00"))]
    assert {r["id"]: (r["available"], r["on_hold"]) for r in rows(
        ruled, "SELECT * FROM rk.account")} == {0: (Decimal("-105.00"), Decimal("0.00")),
                                                1: (Decimal("75.00"), Decimal("30.00")),
                                                2: (Decimal("0.00"), Decimal("2.00"))}
    reconcile(ruled)
    assert [(f["check_name"], f["wallet_key"]) for f in open_findings(ruled)] == [
        ("rko_balance", "2")]


def test_rule_keyed_operations_a_duplicate_is_reversed_by_the_rule_that_undoes_it(
        ruled: str) -> None:
    run(ruled, "SELECT recon.register_writer('rko', '{\"offset_wallet\": \"0\","
               " \"journal\": \"recon-{uuid}\"}')",
        # a payment of 10 credited twice to account 2 (balance and chain follow it)
        "INSERT INTO rk.op (account_id, type, amount, available_after, on_hold_after, journal,"
        " reference) VALUES (0, 'DEBIT', 10, -110, 0, 'j3', 'pay-1'),"
        " (2, 'CREDIT', 10, 10, 0, 'j3', 'pay-1'), (2, 'CREDIT', 10, 20, 0, 'j4', 'pay-1')",
        "UPDATE rk.account SET available = available - 10 WHERE id = 0",
        "UPDATE rk.account SET available = available + 20 WHERE id = 2")
    reconcile(ruled)
    assert [(f["check_name"], f["wallet_key"]) for f in open_findings(ruled)] == [
        ("rko_dups", "2")]
    done = fix(ruled, dry_run=False, ticket="T14", reason="paid twice")
    assert [(s["wallet_key"], s["strategy"], s["status"]) for s in done] == [
        ("2", "reverse", "applied")], done
    assert [tuple(r.values()) for r in rows(
        ruled, "SELECT account_id, type, amount, available_after, reference FROM rk.op"
               " WHERE id > 6 ORDER BY id")] == [
        (2, "DEBIT", Decimal("10.00"), Decimal("10.00"), "REV-6"),
        (0, "CREDIT", Decimal("10.00"), Decimal("-100.00"), "REV-6")]
    assert reconcile(ruled)["status"] == "synced"


def test_rule_keyed_bad_writers_fail_at_registration_and_change_nothing(ruled: str) -> None:
    cases = [
        # which rule the row matches would be known only after posting
        ("rkt", {"offset_wallet": "world", "columns": {"status": "{reason}"}}, "template"),
        # the toolkit continues each running balance itself
        ("rko", {"offset_wallet": "0", "journal": "recon-{uuid}",
                 "columns": {"on_hold_after": "0"}}, "filled by the toolkit"),
        # the filter keeps APPLIED and PENDING only
        ("rkt", {"offset_wallet": "world", "columns": {"status": "FAILED"}}, "filter drops"),
    ]
    with psycopg.connect(ruled, autocommit=True) as c:
        for ledger, options, words in cases:
            with pytest.raises(psycopg.Error) as e:
                c.execute("SELECT recon.register_writer(%s, %s)", (ledger, json.dumps(options)))
            assert e.value.sqlstate == "RC305", (options, e.value)
            assert words in e.value.diag.message_primary, (options, e.value)
            assert e.value.diag.message_hint, options
        assert c.execute("SELECT count(*) FROM _recon.writer").fetchone()[0] == 0


SD_WRITER = '{"offset_wallet": "1", "journal": "recon-{uuid}"}'


def test_softdelete_writer_posts_a_repair_the_next_reconcile_sees_synced(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    # tests/shapes_guards_todo.py's WRITERS case on the soft-delete fixture
    dsn = make_db(fixture_template("shapes/softdelete.sql"))
    run(dsn, f"SELECT recon.register_writer('sd_entries', '{SD_WRITER}')",
        "UPDATE sd.wallet SET balance = balance + 5 WHERE id = 3")
    first = reconcile(dsn)
    assert first["status"] == "discrepancy"
    steps = fix(dsn, run_id=first["run_id"], dry_run=False, ticket="T14", reason="shapes",
                force_strategy="adjust", wallet_limit=1000)
    assert steps and all(s["status"] == "applied" for s in steps), steps
    summary = reconcile(dsn)
    assert summary["status"] == "synced", (summary, open_findings(dsn))


def test_rule_keyed_a_row_changed_on_its_way_in_is_refused_rc307_and_nothing_changes(
        ruled: str) -> None:
    # the plan proved an APPLIED row; a trigger of the application turns it PENDING, which
    # moves another column: the legs measure what landed, the repair does not conserve
    run(ruled, "CREATE FUNCTION rk.hold_recon() RETURNS trigger LANGUAGE plpgsql AS"
               " $$ BEGIN NEW.status := 'PENDING'; RETURN NEW; END $$",
        "CREATE TRIGGER hold_recon BEFORE INSERT ON rk.transfer FOR EACH ROW"
        " WHEN (NEW.reference LIKE 'RECON-%') EXECUTE FUNCTION rk.hold_recon()",
        "SELECT recon.register_writer('rkt', '{\"offset_wallet\": \"world\"}')",
        "UPDATE rk.wallet SET balance = balance + 7 WHERE id = 'b'")
    reconcile(ruled)
    plan = fix(ruled, force_strategy="adjust")
    assert [(s["wallet_key"], s["status"]) for s in plan] == [("b", "planned")], plan
    before = row_snapshot(ruled, "rk.transfer", "rk.wallet", "_recon.repair")
    e = fix_raises(ruled, dry_run=False, ticket="T14", reason="lost row",
                   force_strategy="adjust")
    assert e.sqlstate == "RC307", e
    assert "pending" in e.diag.message_detail and e.diag.message_hint
    assert row_snapshot(ruled, "rk.transfer", "rk.wallet", "_recon.repair") == before


@pytest.mark.parametrize(("ledger", "drift"), [
    ("pt_entries", "UPDATE pt.account SET balance = balance + 5 WHERE id = 'acc-b'"),
    ("pt_legacy_entries", "UPDATE pt.legacy_account SET balance = balance + 5 WHERE id = 3")])
def test_partitioned_writer_posts_a_repair_the_next_reconcile_sees_synced(
        make_db: Callable[..., str], fixture_template: Callable[..., str], ledger: str,
        drift: str) -> None:
    # an INSERT into the partitioned parent: declarative routing, or the inheritance scheme's
    # routing trigger (which returns no row: the entry is found through the legs all the same)
    dsn = make_db(fixture_template("shapes/partitioned.sql"))
    offset = "bank" if ledger == "pt_entries" else "1"
    run(dsn, f"SELECT recon.register_writer('{ledger}', '{{\"offset_wallet\": \"{offset}\","
             " \"journal\": \"recon-{uuid}\"}')", drift)
    first = reconcile(dsn)
    steps = fix(dsn, run_id=first["run_id"], dry_run=False, ticket="T14", reason="shapes",
                force_strategy="adjust", wallet_limit=1000)
    assert steps and all(s["status"] == "applied" for s in steps), steps
    summary = reconcile(dsn)
    assert summary["status"] == "synced", (summary, open_findings(dsn))


def test_rule_keyed_a_reversal_no_row_can_post_is_manual_and_covers_nothing(
        ruled: str) -> None:
    # the writer only ever writes CREDIT rows: a duplicated CREDIT cannot be undone by it, so
    # the reversal is left to a person, and the balance finding it would have covered too
    run(ruled, "SELECT recon.register_writer('rko', '{\"offset_wallet\": \"0\","
               " \"journal\": \"recon-{uuid}\", \"columns\": {\"type\": \"CREDIT\"}}')",
        "INSERT INTO rk.op (account_id, type, amount, available_after, on_hold_after, journal,"
        " reference) VALUES (2, 'CREDIT', 10, 10, 0, 'j3', 'pay-1'),"
        " (2, 'CREDIT', 10, 20, 0, 'j4', 'pay-1'), (0, 'DEBIT', 10, -110, 0, 'j3', 'pay-1')",
        "UPDATE rk.account SET available = available - 10 WHERE id = 0",
        "UPDATE rk.account SET available = available + 10 WHERE id = 2")
    reconcile(ruled)
    assert sorted((f["check_name"], f["wallet_key"]) for f in open_findings(ruled)) == [
        ("rko_balance", "2"), ("rko_dups", "2")]
    before = row_snapshot(ruled, "rk.op", "rk.account")
    steps = {s["check_name"]: s for s in fix(ruled, dry_run=False, ticket="T14",
                                             reason="paid twice")}
    assert steps["rko_dups"]["status"] == "manual", steps
    assert '{"available": -10.00}' in steps["rko_dups"]["note"], steps
    assert steps["rko_balance"]["status"] != "covered", steps
    assert steps["rko_balance"]["status"] in ("manual", "skipped"), steps
    assert row_snapshot(ruled, "rk.op", "rk.account") == before


# TigerBeetle-like transfer rows: four monotonic counters per account, the effect rules keyed on
# the side and on "flags" (2 = pending), a NOT NULL column with a default. The rules for posted
# transfers do not name "flags": the row an INSERT writer posts takes the column's default, when
# every INSERT would store the same one, and still has to match that rule first.
TB = """
CREATE SCHEMA tb;
CREATE TABLE tb.account (id text PRIMARY KEY,
                         debits_pending numeric(20, 0) NOT NULL DEFAULT 0,
                         debits_posted numeric(20, 0) NOT NULL DEFAULT 0,
                         credits_pending numeric(20, 0) NOT NULL DEFAULT 0,
                         credits_posted numeric(20, 0) NOT NULL DEFAULT 0);
CREATE TABLE tb.transfer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          debit_account_id text NOT NULL, credit_account_id text NOT NULL,
                          amount numeric(20, 0) NOT NULL, flags smallint NOT NULL DEFAULT {flags},
                          code integer NOT NULL DEFAULT 1, reference text);
INSERT INTO tb.account VALUES ('world', 0, 300, 0, 0), ('a', 20, 0, 0, 200),
                              ('b', 0, 0, 20, 100);
INSERT INTO tb.transfer (debit_account_id, credit_account_id, amount, flags, reference) VALUES
    ('world', 'a', 200, 0, 'd-1'), ('world', 'b', 100, 0, 'd-2'), ('a', 'b', 20, 2, 'p-1');
SELECT recon.register_wallet_source('tbw', 'tb.account', 'id', ARRAY['debits_pending',
    'debits_posted', 'credits_pending', 'credits_posted']);
SELECT recon.register_ledger_source('tbt', 'tbw', 'tb.transfer', NULL, 'amount', $j$ {{
    "debit_wallet": "debit_account_id", "credit_wallet": "credit_account_id",
    "operation": ["side", "flags"],
    "effects": [
        {{"when": {{"side": "debit", "flags": "2"}}, "effect": {{"debits_pending": 1}}}},
        {{"when": {{"side": "credit", "flags": "2"}}, "effect": {{"credits_pending": 1}}}},
        {{"when": {{"side": "debit"}}, "effect": {{"debits_posted": 1}}}},
        {{"when": {{"side": "credit"}}, "effect": {{"credits_posted": 1}}}}],
    "entry_id": "id", "order_by": "id", "reference": "reference"}} $j$);
SELECT recon.register_check('tbt_balance', 'balance', '{{"ledger": "tbt"}}');
SELECT recon.register_writer('tbt', '{{"offset_wallet": "world"}}');
SELECT recon.set_fix_policy('tbt_balance', '{{"strategy": "adjust"}}');
"""


@pytest.mark.parametrize(("default", "posted"), [
    ("0", True), ("2 - 2", True),
    # the clock: the value read when planning need not be the one the row gets
    ("(extract(epoch FROM now()) * 0)::smallint", False)])
def test_tigerbeetle_like_insert_writer_fills_a_not_null_rule_key_with_its_default(
        make_db: Callable[..., str], fixture_template: Callable[..., str], default: str,
        posted: bool) -> None:
    dsn = make_db(fixture_template(sql=(TB.format(flags=default),)))
    assert reconcile(dsn)["status"] == "synced"
    # b's posted credits hold a transfer of 7 the ledger lost
    run(dsn, "UPDATE tb.account SET credits_posted = credits_posted + 7 WHERE id = 'b'")
    reconcile(dsn)
    before = row_snapshot(dsn, "tb.transfer", "tb.account")
    done = fix(dsn, dry_run=False, ticket="T15", reason="lost transfer")
    assert [s["wallet_key"] for s in done] == ["b"], done
    if not posted:
        assert done[0]["status"] == "manual", done
        assert "leaves a NOT NULL key column empty" in done[0]["note"], done
        assert row_snapshot(dsn, "tb.transfer", "tb.account") == before
        return
    assert done[0]["status"] == "applied", done
    # one row from the offset wallet, flags as the column's default stores it (a posted
    # transfer), code left to its own default
    assert [tuple(r.values()) for r in rows(
        dsn, "SELECT debit_account_id, credit_account_id, amount, flags, code FROM tb.transfer"
             " WHERE reference LIKE 'RECON-%'")] == [("world", "b", Decimal("7"), 0, 1)]
    # the offset wallet's other counter moved by the other leg's rule
    assert {r["id"]: (r["debits_posted"], r["credits_posted"]) for r in rows(
        dsn, "SELECT * FROM tb.account")} == {
        "world": (Decimal("307"), Decimal("0")), "a": (Decimal("0"), Decimal("200")),
        "b": (Decimal("0"), Decimal("107"))}
    assert reconcile(dsn)["status"] == "synced", open_findings(dsn)
