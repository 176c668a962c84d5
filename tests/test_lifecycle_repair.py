"""Lifecycle repairs (issue 16, item 3): a hold left open by an APPROVED transaction gets its
DEBIT from on_hold, one left by a CANCELED transaction its RELEASE, a second RELEASE is reversed.
Each is a step of recon.fix (strategy resolve) chosen on evidence, the transaction's status and
the entries it holds, never on the finding alone; posted through the registered writer into the
hold's own transaction, audited, re-checked under the locks, applied once. After it the next
reconcile is synced, every transaction balances and nothing stays on hold. On seed 001 (its
posting function, tests/fixtures/seed001_writer.sql) and on the Midaz-like operation ledger
(tests/fixtures/shapes/operation.sql, effects keyed on the transaction's pending flag)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import psycopg
import pytest
import test_seed001 as seed001_app
from helpers import assert_balanced, assert_same_sums, row_snapshot
from test_seed001 import at, bal, key, one
from test_shapes import uid

from conftest import fix, open_findings, reconcile, rows, run

D = Decimal
APPLY = {"dry_run": False, "ticket": "INC-16", "reason": "hold left open"}
LIMITS = {"wallet_limit": 1000, "run_limit": 10000}


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("seed001.sql", "seed001_register.sql", "seed001_writer.sql"))


@pytest.fixture
def app(seed: str) -> Iterator[seed001_app.App]:
    a = seed001_app.App(seed)
    yield a
    a.close()


def found(dsn: str) -> list[tuple]:
    return sorted(((f["check_name"], f["wallet_key"], f["details"].get("column"),
                   f["difference"], f["cause"]) for f in open_findings(dsn)), key=str)


S1_TABLES = ("seed001.balance", "seed001.transaction", "seed001.operation", "_recon.repair",
             "_recon.repair_entry", "_recon.reversal")


def s1_invariants(dsn: str) -> None:
    """Seed 001's own invariants: every resolved transfer balances (its DEBITs equal its
    CREDITs, a canceled one holds nothing), no hold is left on a transaction that is no longer
    PENDING, each balance's stored values are its last operation's running values, and the
    ledger's totals per currency equal the stored ones."""
    assert_balanced(dsn, """
        SELECT t.id,
               CASE o.type WHEN 'DEBIT' THEN o.amount WHEN 'CREDIT' THEN -o.amount
                           ELSE 0 END AS transferred,
               CASE WHEN o.type = 'ON_HOLD' THEN o.amount
                    WHEN o.type IN ('RELEASE', 'DEBIT') THEN -o.amount ELSE 0 END AS held
        FROM seed001.transaction AS t JOIN seed001.operation AS o ON o.transaction_id = t.id
        WHERE t.status IN ('APPROVED', 'CANCELED') AND t.pending""", "id", "transferred", "held")
    assert rows(dsn, """
        SELECT b.id FROM seed001.balance AS b
        JOIN LATERAL (SELECT o.available_after, o.on_hold_after FROM seed001.operation AS o
                      WHERE o.balance_id = b.id ORDER BY o.seq DESC LIMIT 1) AS l ON TRUE
        WHERE (b.available, b.on_hold) IS DISTINCT FROM (l.available_after, l.on_hold_after)
        """) == []
    assert_same_sums(dsn, """
        SELECT b.asset_code, sum(b.available) AS available, sum(b.on_hold) AS on_hold
        FROM seed001.balance AS b GROUP BY 1""", """
        SELECT o.asset_code,
               sum(CASE o.type WHEN 'ON_HOLD' THEN -o.amount WHEN 'RELEASE' THEN o.amount
                               WHEN 'CREDIT' THEN o.amount ELSE 0 END),
               sum(CASE o.type WHEN 'ON_HOLD' THEN o.amount WHEN 'RELEASE' THEN -o.amount
                               WHEN 'DEBIT' THEN -o.amount ELSE 0 END)
        FROM seed001.operation AS o GROUP BY 1""")
    # on hold: only what PENDING transfers hold
    assert rows(dsn, """
        SELECT sum(b.on_hold) = (SELECT COALESCE(sum(o.amount), 0) FROM seed001.operation AS o
                                 JOIN seed001.transaction AS t ON t.id = o.transaction_id
                                 WHERE o.type = 'ON_HOLD' AND t.status = 'PENDING') AS ok
        FROM seed001.balance AS b""") == [{"ok": True}]


def ops(dsn: str, tx: str) -> list[tuple]:
    return [(r["type"], r["amount"], r["status"]) for r in rows(
        dsn, "SELECT type, amount, status FROM seed001.operation WHERE transaction_id = %s"
             " ORDER BY seq", (tx,))]


def stored(dsn: str, i: int) -> tuple:
    r = rows(dsn, "SELECT available, on_hold FROM seed001.balance WHERE id = %s", (bal(i),))[0]
    return r["available"], r["on_hold"]


# --- seed 001 --------------------------------------------------------------------------------

def test_approved_without_its_debit_gets_the_debit_from_on_hold(seed: str,
                                                               app: seed001_app.App) -> None:
    # Bug #1 as seed 001 tells it: the transfer is APPROVED and its destination credited, but
    # the DEBIT that commits the hold is never written: 180.00 stays stuck on hold.
    tx = app.hold("stuck", 12, D("180.00"), at(0))
    app.set_status(tx, "APPROVED", at(4))
    app.post(tx, 40, "CREDIT", D("180.00"), at(4), name="stuck-credit")
    reconcile(seed)
    assert found(seed) == [("s1_holds", bal(12), "on_hold", D("-180.00"), "hold_not_resolved")]
    held = stored(seed, 12)

    before = row_snapshot(seed, *S1_TABLES)
    (plan,) = fix(seed, **LIMITS)
    assert row_snapshot(seed, *S1_TABLES) == before  # a dry run writes nothing
    assert (plan["check_name"], plan["strategy"], plan["status"], plan["amount"]) == (
        "s1_holds", "resolve", "planned", D("180.00"))
    (entry,) = plan["entries"]
    assert (entry["purpose"], entry["journal"], entry["deltas"], entry["status"]) == (
        "commit", tx, {"on_hold": D("-180.00")}, "APPROVED")
    assert entry["hold"] == key("s1-test-op-stuck-hold")
    # the evidence it acted on: the transaction's status and the entries present
    ev = plan["evidence"]
    assert (ev["verdict"], ev["status"], ev["transaction"], ev["entries"]) == (
        "approved_not_committed", "APPROVED", tx, 2)
    assert [r["kind"] for r in ev["holds"]] == ["ON_HOLD"] and ev["resolutions"] == []
    assert plan["stored_change"] == plan["ledger_change"] == {"on_hold": D("-180.00")}

    (done,) = fix(seed, **LIMITS, **APPLY)
    assert done["status"] == "applied" and done["repair_id"] is not None
    assert ops(seed, tx) == [("ON_HOLD", D("180.00"), "PENDING"),
                             ("CREDIT", D("180.00"), "APPROVED"),
                             ("DEBIT", D("180.00"), "APPROVED")]
    assert stored(seed, 12) == (held[0], held[1] - D("180.00"))
    # audited like any repair: the call, the step, the entry it posted into the transaction
    audit = rows(seed, "SELECT r.strategy, r.amount, r.moves, r.ticket, e.entry,"
                       " e.posting ->> 'journal' AS journal, e.posting ->> 'entry_type' AS type"
                       " FROM recon.repairs AS r JOIN _recon.repair_entry AS e"
                       " ON e.repair_id = r.id")
    assert [(a["strategy"], a["amount"], a["ticket"], a["journal"], a["type"]) for a in audit] \
        == [("resolve", D("180.00"), "INC-16", tx, "DEBIT")]
    summary = reconcile(seed)
    assert summary["status"] == "synced", found(seed)
    s1_invariants(seed)
    # once: the finding is resolved; and fix() before that reconcile finds nothing to do
    assert fix(seed, **LIMITS) == []


def test_bug1_debit_lost_but_balance_moved_covers_the_balance_finding(
        seed: str, app: seed001_app.App) -> None:
    # The balance moved (on_hold -25) but the DEBIT operation was never written: a balance
    # finding on on_hold and the open hold. The DEBIT restores the ledger; the stored balance
    # already holds it, so it does not move again, and the balance finding is covered.
    tx = app.hold("lost", 7, D("25.00"), at(0))
    app.approve(tx, "lost", 7, 9, D("25.00"), at(3), record_debit=False)
    reconcile(seed)
    assert found(seed) == [
        ("s1_balance", bal(7), "on_hold", D("-25.00"), None),
        ("s1_holds", bal(7), "on_hold", D("-25.00"), "hold_not_resolved")]
    before = stored(seed, 7)
    plan = fix(seed, **LIMITS)
    got = {p["check_name"]: p for p in plan}
    assert got["s1_holds"]["status"] == "planned"
    assert got["s1_balance"]["status"] == "covered", plan
    assert got["s1_holds"]["stored_change"] == {}, plan
    assert got["s1_holds"]["evidence"]["on_hold"]["stored_holds"] == "all"
    assert {p["status"] for p in fix(seed, **LIMITS, **APPLY)} == {"applied", "covered"}
    assert stored(seed, 7) == before
    assert reconcile(seed)["status"] == "synced", found(seed)
    s1_invariants(seed)


def test_canceled_without_its_release_gets_the_release(seed: str) -> None:
    # Transfer 280 (23.1 held on balance 61, PENDING) is marked CANCELED; no RELEASE follows.
    tx = key("s1-transfer-280")
    run(seed, f"UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = '{tx}'")
    reconcile(seed)
    before = stored(seed, 61)
    (plan,) = fix(seed, **LIMITS)
    assert (plan["strategy"], plan["status"], plan["evidence"]["verdict"]) == (
        "resolve", "planned", "canceled_not_released")
    assert plan["entries"][0]["deltas"] == {"available": D("23.1"), "on_hold": D("-23.1")}
    assert [s["status"] for s in fix(seed, **LIMITS, **APPLY)] == ["applied"]
    assert ops(seed, tx)[-1] == ("RELEASE", D("23.1"), "CANCELED")
    assert stored(seed, 61) == (before[0] + D("23.1"), before[1] - D("23.1"))
    assert reconcile(seed)["status"] == "synced", found(seed)
    s1_invariants(seed)


def test_a_second_release_is_reversed_and_its_duplicate_covered(
        seed: str, app: seed001_app.App) -> None:
    # The cancellation is retried: RELEASE posted and applied twice (on_hold -8).
    tx = app.hold("d1", 30, D("8.00"), at(0))
    app.cancel(tx, "d1", 30, D("8.00"), at(5))
    app.post(tx, 30, "RELEASE", D("8.00"), at(6), name="d1-release-retry")
    reconcile(seed)
    assert found(seed) == [
        ("s1_duplicates", bal(30), None, D("8.00"), "duplicate_reference"),
        ("s1_holds", bal(30), "on_hold", D("8.00"), "hold_resolved_twice")]
    assert stored(seed, 30)[1] == D("-8.00")
    plan = {p["check_name"]: p for p in fix(seed, **LIMITS)}
    hold = plan["s1_holds"]
    assert (hold["strategy"], hold["status"], hold["evidence"]["verdict"]) == (
        "resolve", "planned", "resolved_twice")
    (entry,) = hold["entries"]
    assert (entry["purpose"], entry["entry"], entry["deltas"]) == (
        "reversal", key("s1-test-op-d1-release-retry"),
        {"available": D("-8.00"), "on_hold": D("8.00")})
    assert plan["s1_duplicates"]["status"] == "covered", plan
    assert {p["status"] for p in fix(seed, **LIMITS, **APPLY)} == {"applied", "covered"}
    # the reversal is an ON_HOLD in the same transaction; the pair is recorded as compensated
    assert [o[0] for o in ops(seed, tx)] == ["ON_HOLD", "RELEASE", "RELEASE", "ON_HOLD"]
    assert len(rows(seed, "SELECT 1 FROM _recon.reversal")) == 2
    assert stored(seed, 30)[1] == 0
    assert reconcile(seed)["status"] == "synced", found(seed)
    s1_invariants(seed)


def test_without_evidence_the_step_is_manual_and_nothing_is_posted(seed: str) -> None:
    # Marked CREATED: neither approved nor canceled. The status decides, not the check kind.
    tx = key("s1-transfer-281")
    run(seed, f"UPDATE seed001.transaction SET status = 'CREATED' WHERE id = '{tx}'")
    reconcile(seed)
    before = row_snapshot(seed, *S1_TABLES)
    (step,) = fix(seed, **LIMITS, **APPLY)
    assert (step["strategy"], step["status"], step["evidence"]["verdict"]) == (
        "resolve", "manual", "needs_person")
    assert f"transaction {tx} is CREATED: neither approved" in step["note"], step["note"]
    assert row_snapshot(seed, *S1_TABLES) == before
    # and an approved transfer whose credit is missing would not balance: manual too
    run(seed, f"UPDATE seed001.transaction SET status = 'APPROVED' WHERE id = '{tx}'")
    reconcile(seed)
    before = row_snapshot(seed, *S1_TABLES)
    (step,) = fix(seed, **LIMITS, **APPLY)
    assert step["status"] == "manual" and "would not balance" in step["note"], step
    assert row_snapshot(seed, *S1_TABLES) == before


def test_the_status_is_read_again_under_the_lock(seed: str) -> None:
    # Planned on CANCELED (a RELEASE). While the call waits for the wallet's lock, the
    # transaction is set APPROVED: under the lock the evidence says otherwise (a DEBIT, with no
    # CREDIT to balance it), so the step is skipped and nothing is posted.
    tx = key("s1-transfer-282")
    run(seed, f"UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = '{tx}'")
    reconcile(seed)
    (src,) = [f["wallet_key"] for f in open_findings(seed)]
    before = row_snapshot(seed, "seed001.balance", "seed001.operation")
    result: list[list[dict]] = []
    with psycopg.connect(seed) as holder, psycopg.connect(seed, autocommit=True) as other:
        holder.execute("SELECT 1 FROM seed001.balance WHERE id = %s FOR UPDATE", (src,))
        t = threading.Thread(target=lambda: result.append(fix(seed, **LIMITS, **APPLY)))
        t.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s",
                ("%recon.fix(%",)).fetchone()[0] == 0:
            time.sleep(0.05)
        other.execute("UPDATE seed001.transaction SET status = 'APPROVED' WHERE id = %s", (tx,))
        holder.rollback()
        t.join(timeout=60)
    (step,) = result[0]
    assert step["status"] == "skipped", step
    assert step["note"].startswith("changed since the plan: transaction"), step["note"]
    assert "would not balance" in step["note"], step["note"]
    assert row_snapshot(seed, "seed001.balance", "seed001.operation") == before


def test_two_fixes_at_once_resolve_the_hold_once(seed: str) -> None:
    tx = key("s1-transfer-280")
    run(seed, f"UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = '{tx}'")
    reconcile(seed)
    src = bal(61)
    results: dict[str, list[dict]] = {}
    errors: list[str] = []

    def call(name: str) -> None:
        try:
            results[name] = fix(seed, **LIMITS, **APPLY)
        except Exception as e:  # recorded, asserted below
            errors.append(repr(e))

    with psycopg.connect(seed) as holder, psycopg.connect(seed, autocommit=True) as watcher:
        holder.execute("SELECT 1 FROM seed001.balance WHERE id = %s FOR UPDATE", (src,))
        calls = [threading.Thread(target=call, args=(n,)) for n in ("a", "b")]
        for t in calls:
            t.start()
        deadline = time.monotonic() + 20
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
            t.join(timeout=60)
    assert not any(t.is_alive() for t in calls) and errors == []
    statuses = sorted(s["status"] for r in results.values() for s in r)
    assert statuses == ["applied", "skipped"], results
    assert [o[0] for o in ops(seed, tx)] == ["ON_HOLD", "RELEASE"]
    assert one(seed, "SELECT count(*) FROM _recon.repair WHERE strategy = 'resolve'") == 1
    assert reconcile(seed)["status"] == "synced", found(seed)
    s1_invariants(seed)


# --- the Midaz-like operation ledger ----------------------------------------------------------

# A posting function as the ledger service would post: a hold's resolution goes into the hold's
# own transaction (its DEBIT there commits the hold: the transaction is pending), with the
# balance's running values before and after and its version; anything else is a transaction of
# its own against the external account. The toolkit moves the stored balances.
MZ_POST = """
CREATE FUNCTION mz.post_recon(r jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    tx uuid;
    t mz.transaction;
    amt numeric := (r ->> 'amount')::numeric;
    ids jsonb := '[]';
    leg record;
    b mz.balance;
    last mz.operation;
    op uuid;
BEGIN
    IF r ->> 'journal' IS NOT NULL THEN
        SELECT * INTO STRICT t FROM mz.transaction WHERE id = (r ->> 'journal')::uuid;
        tx := t.id;
    ELSE
        tx := gen_random_uuid();
        INSERT INTO mz.transaction (id, description, status, pending, amount, asset_code,
                                    created_at)
        VALUES (tx, r ->> 'reference', 'APPROVED', FALSE, amt, 'BRL', now())
        RETURNING * INTO t;
    END IF;
    FOR leg IN SELECT * FROM (VALUES (1, r ->> 'wallet', r -> 'deltas'),
                                     (2, r ->> 'offset_wallet', (
                                         SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                         FROM jsonb_each_text(r -> 'deltas') AS d))) AS v (n, w, d)
               WHERE v.w IS NOT NULL ORDER BY v.n LOOP
        SELECT * INTO STRICT b FROM mz.balance WHERE id = leg.w::uuid;
        SELECT o.* INTO last FROM mz.operation AS o JOIN mz.transaction AS x
            ON x.id = o.transaction_id
        WHERE o.balance_id = b.id AND o.balance_affected AND o.deleted_at IS NULL
          AND x.status <> 'NOTED' ORDER BY o.seq DESC LIMIT 1;
        op := gen_random_uuid();
        INSERT INTO mz.operation (id, transaction_id, type, asset_code, amount, available_balance,
                                  on_hold_balance, available_balance_after, on_hold_balance_after,
                                  balance_version_before, balance_version_after, status,
                                  account_id, account_alias, balance_id, created_at)
        VALUES (op, tx,
                CASE WHEN leg.d ? 'on_hold' AND leg.d ? 'available'
                     THEN CASE WHEN (leg.d ->> 'on_hold')::numeric > 0 THEN 'ON_HOLD'
                               ELSE 'RELEASE' END
                     WHEN (COALESCE(leg.d ->> 'on_hold', leg.d ->> 'available'))::numeric < 0
                     THEN 'DEBIT' ELSE 'CREDIT' END,
                'BRL', amt, COALESCE(last.available_balance_after, 0),
                COALESCE(last.on_hold_balance_after, 0),
                COALESCE(last.available_balance_after, 0)
                    + COALESCE((leg.d ->> 'available')::numeric, 0),
                COALESCE(last.on_hold_balance_after, 0)
                    + COALESCE((leg.d ->> 'on_hold')::numeric, 0),
                COALESCE(last.balance_version_after, 0), COALESCE(last.balance_version_after, 0) + 1,
                t.status, b.account_id, b.alias, b.id, now());
        ids := ids || to_jsonb(op::text);
    END LOOP;
    RETURN ids;
END;
$$;
"""
MZ_WRITER = ("SELECT recon.register_writer('mz_operations', '{\"function\": \"mz.post_recon(jsonb)\","
             " \"offset_wallet\": \"" + uid("@external/BRL") + "\"}')")
MZ_TABLES = ("mz.operation", "mz.transaction", "mz.balance")


@pytest.fixture
def midaz(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("shapes/operation.sql", sql=(MZ_POST, MZ_WRITER)))


def mz_invariants(dsn: str) -> None:
    """The operation ledger's own invariants: per currency the stored sums equal what the
    counted operations move; each counted transaction nets to zero on every column (DEBITs =
    CREDITs, a hold resolved once); stored = the last operation's running values; nothing on
    hold but what PENDING transactions hold."""
    eff = """CASE WHEN o.type = 'ON_HOLD' THEN -o.amount WHEN o.type = 'RELEASE' THEN o.amount
                  WHEN o.type = 'DEBIT' AND NOT t.pending THEN -o.amount
                  WHEN o.type = 'CREDIT' THEN o.amount ELSE 0 END AS avail,
             CASE WHEN o.type = 'ON_HOLD' THEN o.amount WHEN o.type = 'RELEASE' THEN -o.amount
                  WHEN o.type = 'DEBIT' AND t.pending THEN -o.amount ELSE 0 END AS hold"""
    counted = f"""SELECT o.*, t.status AS tx_status, {eff}
                  FROM mz.operation AS o JOIN mz.transaction AS t ON t.id = o.transaction_id
                  WHERE o.balance_affected AND o.deleted_at IS NULL AND t.status <> 'NOTED'"""
    assert_same_sums(
        dsn, "SELECT asset_code, sum(available) AS a, sum(on_hold) AS h FROM mz.balance GROUP BY 1",
        f"SELECT asset_code, sum(avail), sum(hold) FROM ({counted}) AS c GROUP BY 1")
    assert_balanced(dsn, counted, "transaction_id", "avail", "hold",
                    where="tx_status <> 'PENDING'")
    assert rows(dsn, f"""
        SELECT b.alias FROM mz.balance AS b
        JOIN LATERAL (SELECT c.available_balance_after, c.on_hold_balance_after
                      FROM ({counted}) AS c WHERE c.balance_id = b.id
                      ORDER BY c.seq DESC LIMIT 1) AS l ON TRUE
        WHERE (b.available, b.on_hold)
              IS DISTINCT FROM (l.available_balance_after, l.on_hold_balance_after)""") == []
    assert rows(dsn, f"""
        SELECT (SELECT sum(on_hold) FROM mz.balance)
               = (SELECT COALESCE(sum(hold), 0) FROM ({counted}) AS c
                  WHERE tx_status = 'PENDING') AS ok""") == [{"ok": True}]


def test_midaz_holds_left_open_are_committed_and_released_to_zero(midaz: str) -> None:
    # tx8: two-phase, approved; the merchant credited, the DEBIT of the hold never written.
    # tx9: two-phase, canceled; its RELEASE never written. Both stuck on hold.
    run(midaz,
        "SELECT mz.begin('tx8', 'PENDING', TRUE, 40, '2026-02-08 10:00+00')",
        "SELECT mz.operate('tx8', '@customer-1', 'ON_HOLD', 40, '2026-02-08 10:00+00')",
        "SELECT mz.set_status('tx8', 'APPROVED', '2026-02-08 10:05+00')",
        "SELECT mz.operate('tx8', '@merchant-1', 'CREDIT', 40, '2026-02-08 10:05+00')",
        "SELECT mz.begin('tx9', 'PENDING', TRUE, 60.5, '2026-02-09 10:00+00')",
        "SELECT mz.operate('tx9', '@customer-2', 'ON_HOLD', 60.5, '2026-02-09 10:00+00')",
        "SELECT mz.set_status('tx9', 'CANCELED', '2026-02-09 10:05+00')")
    reconcile(midaz)
    assert sorted((f["check_name"], f["wallet_key"], f["difference"])
                  for f in open_findings(midaz)) == sorted([
        ("mz_holds", uid("@customer-1"), D("-40")), ("mz_holds", uid("@customer-2"), D("-60.5"))])
    before = row_snapshot(midaz, *MZ_TABLES)
    plan = {p["wallet_key"]: p for p in fix(midaz, **LIMITS)}
    assert row_snapshot(midaz, *MZ_TABLES) == before
    c1, c2 = plan[uid("@customer-1")], plan[uid("@customer-2")]
    assert (c1["status"], c1["evidence"]["verdict"], c1["entries"][0]["deltas"]) == (
        "planned", "approved_not_committed", {"on_hold": D("-40")})
    assert (c2["status"], c2["evidence"]["verdict"], c2["entries"][0]["deltas"]) == (
        "planned", "canceled_not_released", {"available": D("60.5"), "on_hold": D("-60.5")})
    done = fix(midaz, **LIMITS, **APPLY)
    assert sorted(s["status"] for s in done) == ["applied", "applied"], done
    # each resolution in its own transaction: the DEBIT of tx8 (pending: from on_hold)
    assert [r["type"] for r in rows(midaz, "SELECT type FROM mz.operation WHERE transaction_id"
                                           " = mz.uid('tx8') ORDER BY seq")] == [
        "ON_HOLD", "CREDIT", "DEBIT"]
    summary = reconcile(midaz)
    assert summary["status"] == "synced", open_findings(midaz)
    mz_invariants(midaz)
    assert fix(midaz, **LIMITS) == []


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "message"), [
    ({"approved": "APPROVED"}, '"approved" must be a non-empty array of statuses'),
    ({"canceled": []}, '"canceled" must be a non-empty array of statuses'),
    ({"approved": [1]}, '"approved" must be a non-empty array of statuses'),
    ({"status_table": None, "approved": ["APPROVED"]}, '"approved" needs a transaction status'),
])
def test_bad_status_options_fail_with_rc106_and_change_nothing(
        midaz: str, options: dict, message: str) -> None:
    base = {"ledger": "mz_operations", "hold": "ON_HOLD", "terminal": ["RELEASE", "DEBIT/hold"],
            "status_table": "mz.transaction", "status_key": "id", "status_column": "status"}
    for k, v in options.items():
        if v is None:
            for gone in ("status_table", "status_key", "status_column"):
                base.pop(gone)
        else:
            base[k] = v
    before = row_snapshot(midaz, "_recon.check_def")
    with psycopg.connect(midaz, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute("SELECT recon.register_check('mz_holds2', 'lifecycle', %s)",
                  (json.dumps(base),))
    assert e.value.sqlstate == "RC106", e.value
    assert message in e.value.diag.message_primary, e.value.diag.message_primary
    assert e.value.diag.message_detail and e.value.diag.message_hint
    assert row_snapshot(midaz, "_recon.check_def") == before


def test_resolve_is_a_policy_and_a_forced_strategy_of_lifecycle_checks_only(seed: str) -> None:
    assert one(seed, "SELECT recon.set_fix_policy('s1_holds', '{\"strategy\": \"resolve\"}')") \
        == {"check": "s1_holds", "strategy": "resolve"}
    with psycopg.connect(seed, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute("SELECT recon.set_fix_policy('s1_balance', '{\"strategy\": \"resolve\"}')")
    assert e.value.sqlstate == "RC304", e.value
    tx = key("s1-transfer-280")
    run(seed, f"UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = '{tx}'",
        "UPDATE seed001.balance SET available = available + 1"
        f" WHERE id = '{bal(3)}'")
    reconcile(seed)
    # forced on every finding: the balance finding is not a lifecycle one
    plan = {p["check_name"]: p for p in fix(seed, force_strategy="resolve", **LIMITS)}
    assert plan["s1_holds"]["status"] == "planned", plan
    assert (plan["s1_balance"]["status"], plan["s1_balance"]["note"]) == (
        "manual", "strategy resolve does not repair balance findings"), plan
