"""Seed 002 (wallet-activation synchronization) repaired by recon.fix(): every injected failure
that has an automatic repair is repaired through an INSERT writer into wallet_transactions
(tests/fixtures/seed002_writer.sql), a following reconcile finds nothing, the ledger changed by
exactly the planned entries, and a dry run changes nothing. What has no automatic repair (an
under-lock the balance cannot cover, a repair over the auto-fix threshold, a payment whose
reversal no transaction type realises) is skipped with its reason and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from helpers import snapshot
from psycopg.rows import dict_row
from test_seed002 import (
    activation,
    complete_without_release,
    md5_uuid,
    one,
    participant,
    publish_without_lock,
    release_payment_again,
    sql,
    topup_without_transaction,
    wallet,
    ws,
)

from conftest import FIXTURES, decimal_json, fix, open_findings, reconcile

D = Decimal
BIG = {"wallet_limit": 10**6, "run_limit": 10**7}  # limits out of the way
APPLY = {"dry_run": False, "ticket": "INC-2", "reason": "seed 002 repair test"}
SEED_TABLES = ["seed002.workspace_wallets", "seed002.activations",
               "seed002.activation_participants", "seed002.wallet_transactions"]
AUDIT_TABLES = ["_recon.fix", "_recon.repair", "_recon.repair_entry", "_recon.finding"]


def reverse_fix(dsn: str, fix_id: int, **args: object) -> list[dict]:
    named = "".join(f", {k} => %({k})s" for k in args)
    with psycopg.connect(dsn, autocommit=True) as c:
        decimal_json(c)
        with c.cursor(row_factory=dict_row) as cur:
            return cur.execute(f"SELECT * FROM recon.reverse_fix(%(fix_id)s{named})",
                               {"fix_id": fix_id, **args}).fetchall()


def today(dsn: str) -> str:
    return one(dsn, "SELECT to_char(now(), 'YYYYMMDD')")


SNAPSHOT_TABLES = (*SEED_TABLES, *AUDIT_TABLES)
"""What a dry run must leave as it was: the seed's tables, the repair audit, the findings."""


def ledger(dsn: str) -> tuple[int, Decimal]:
    return sql(dsn, "SELECT count(*), sum(amount) FROM seed002.wallet_transactions")[0]


def new_entries(dsn: str, before: set[str]) -> list[tuple]:
    """Ledger rows written since `before` (the ids then): (id, wallet, type, amount,
    reference_type, reference_id, description), by wallet."""
    rows = sql(dsn, "SELECT id::text, workspace_id::text, type, amount, reference_type,"
                    " reference_id, description FROM seed002.wallet_transactions"
                    " ORDER BY workspace_id, created_at, id")
    return [r for r in rows if r[0] not in before]


def entry_ids(dsn: str) -> set[str]:
    return {r[0] for r in sql(dsn, "SELECT id::text FROM seed002.wallet_transactions")}


def found(dsn: str) -> list[tuple]:
    return sorted((f["check_name"], f["wallet_key"], f["difference"], f["cause"])
                  for f in open_findings(dsn))


def step(rows: list[dict]) -> list[tuple]:
    """The identifying part of each step of a plan."""
    return [(r["step"], r["check_name"], r["wallet_key"], r["strategy"], r["amount"],
             r["status"], r["note"]) for r in rows]


def planned_deltas(rows: list[dict]) -> list[tuple]:
    return [(r["step"], e["wallet"], e["deltas"]) for r in rows for e in r["entries"]]


def applied_entries(rows: list[dict]) -> list[tuple]:
    """(entry id, wallet, type, amount, reference) of every entry an applied plan posted."""
    return [(e["entry_id"], e["wallet"], e["entry_type"], e["amount"], e["reference"])
            for r in rows if r["status"] == "applied" for e in r["entries"]]


def assert_synced(dsn: str) -> dict:
    summary = reconcile(dsn)
    assert (summary["status"], summary["findings"], summary["new"]) == ("synced", 0, 0), summary
    assert open_findings(dsn) == []
    return summary


@pytest.fixture
def seeded(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 002's data and registration, and its writer (a clone)."""
    return make_db(fixture_template("seed002.sql", "seed002_register.sql", "seed002_writer.sql"))


@pytest.fixture
def seeded_refund(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 002 whose ledger also knows a 'refund' (a payment handed back to the locked budget:
    locked_balance += amount), the one type that can reverse a payment (a clone)."""
    register = (FIXTURES / "seed002_register.sql").read_text()
    marker = '"payment": {"locked_balance": -1},'
    assert marker in register
    refund_type = ("ALTER TABLE seed002.wallet_transactions"
                   " DROP CONSTRAINT wallet_transactions_type_check,"
                   " ADD CONSTRAINT wallet_transactions_type_check CHECK (type IN"
                   " ('topup', 'lock', 'payment', 'release', 'withdrawal', 'refund'))")
    writer = (FIXTURES / "seed002_writer.sql").read_text()
    return make_db(fixture_template("seed002.sql", sql=(
        refund_type, register.replace(marker, marker + ' "refund": {"locked_balance": 1},'),
        writer)))


# --- injections (as tests/test_seed002.py plays them; the others are imported from it) ----

def paid_without_spent(dsn: str, i: int, k: int, amount: str) -> None:
    """A creator was paid (payment posted, locked_balance debited) but the join never moved
    the activation's spent_amount: locked_balance is `amount` under the open commitments."""
    part = participant(i, k, 9)
    sql(dsn,
        ("INSERT INTO seed002.activation_participants (id, activation_id, creator_id,"
         " payout_amount, status, joined_at, paid_at) VALUES (%s, %s, %s, %s, 'paid',"
         " timestamptz '2026-03-02 10:00:00+01', timestamptz '2026-03-02 10:30:00+01')",
         (part, activation(i, k), md5_uuid("creator-new"), Decimal(amount))),
        ("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount,"
         " reference_type, reference_id, created_at) VALUES (%s, %s, 'payment', %s,"
         " 'activation_participant', %s, timestamptz '2026-03-02 10:30:00+01')",
         (md5_uuid(f"txn-payment-{part}"), ws(i), Decimal(amount), part)),
        ("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance - %s"
         " WHERE workspace_id = %s", (Decimal(amount), ws(i))))


# --- one repair at a time ------------------------------------------------------------------

def test_writer_is_registered_as_an_insert(seeded: str) -> None:
    assert sql(seeded, "SELECT kind, column_map, reference, description, posting_function"
                       " FROM _recon.writer WHERE ledger_source = 's2_ledger'") == [(
        "insert", {"id": "{uuid}", "reference_type": "recon", "description": "{description}"},
        "RECON-{date}-{ticket}-{fix}.{step}", "wallet-recon {strategy} ({ticket}): {reason}", None)]
    assert_synced(seeded)
    assert fix(seeded) == []  # nothing to repair


def test_over_locked_wallet_released_to_balance(seeded: str) -> None:
    # Workspace 3: activation 3-4 completed without releasing its unused 9544.0.
    assert wallet(seeded, 3) == (D("123302.25"), D("29566.5"))
    complete_without_release(seeded, activation(3, 4))
    run_id = reconcile(seeded)["run_id"]
    assert found(seeded) == [("s2_locked", ws(3), D("9544.0"), None)]

    before, count, total = snapshot(seeded, *SNAPSHOT_TABLES), *ledger(seeded)
    plan = fix(seeded, **BIG)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before  # a dry run writes nothing
    assert step(plan) == [(1, "s2_locked", ws(3), "move", D("9544.0"), "planned", None)]
    assert planned_deltas(plan) == [
        (1, ws(3), {"balance": D("9544.0"), "locked_balance": D("-9544.0")})]
    assert (plan[0]["stored_before"], plan[0]["stored_after"]) == (
        {"balance": D("123302.25"), "locked_balance": D("29566.5")},
        {"balance": D("132846.25"), "locked_balance": D("20022.5")})

    ids = entry_ids(seeded)
    done = fix(seeded, **BIG, **APPLY)
    assert step(done) == [(1, "s2_locked", ws(3), "move", D("9544.0"), "applied", None)]
    (entry,) = applied_entries(done)
    fix_id = sql(seeded, "SELECT max(id) FROM _recon.fix")[0][0]
    ref = f"RECON-{today(seeded)}-INC-2-{fix_id}.1"  # unique per fix and step
    assert entry[1:] == (ws(3), "release", D("9544.0"), ref)
    # the ledger changed by exactly that entry, written through the mapping
    assert new_entries(seeded, ids) == [
        (entry[0], ws(3), "release", D("9544.0"), "recon", ref,
         "wallet-recon move (INC-2): seed 002 repair test")]
    assert ledger(seeded) == (count + 1, total + D("9544.0"))
    assert wallet(seeded, 3) == (D("132846.25"), D("20022.5"))
    assert sql(seeded, "SELECT fix_id, action, run_id, check_name, wallet_key, strategy, amount,"
                       " difference, moves, ticket FROM recon.repairs") == [(
        done[0]["repair_id"], "fix", run_id, "s2_locked", ws(3), "move", D("9544.0"),
        D("9544.0"), {"balance": 9544.0, "locked_balance": -9544.0}, "INC-2")]
    summary = assert_synced(seeded)
    assert summary["resolved"] == 1


def test_under_locked_wallet_with_enough_balance_is_locked(seeded: str) -> None:
    # Workspace 100 has 234900.00 and no activations; one is published without its lock.
    assert wallet(seeded, 100) == (D("234900.00"), 0)
    publish_without_lock(seeded, 100, "25000.00")
    reconcile(seeded)
    assert found(seeded) == [("s2_locked", ws(100), D("-25000.00"), None)]

    before, count, total = snapshot(seeded, *SNAPSHOT_TABLES), *ledger(seeded)
    plan = fix(seeded, **BIG)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s2_locked", ws(100), "move", D("25000.00"), "planned", None)]
    assert planned_deltas(plan) == [
        (1, ws(100), {"balance": D("-25000.00"), "locked_balance": D("25000.00")})]

    ids = entry_ids(seeded)
    done = fix(seeded, **BIG, **APPLY)
    assert step(done) == [(1, "s2_locked", ws(100), "move", D("25000.00"), "applied", None)]
    (entry,) = applied_entries(done)
    assert entry[1:4] == (ws(100), "lock", D("25000.00"))
    assert [r[:4] for r in new_entries(seeded, ids)] == [
        (entry[0], ws(100), "lock", D("25000.00"))]
    assert ledger(seeded) == (count + 1, total + D("25000.00"))
    assert wallet(seeded, 100) == (D("209900.00"), D("25000.00"))
    assert_synced(seeded)


def test_under_locked_wallet_without_enough_balance_is_skipped(seeded: str) -> None:
    # A 300000 budget published without its lock on a wallet holding 234900.00: locking it
    # would overdraw the balance, so nothing is written for that wallet.
    publish_without_lock(seeded, 100, "300000.00")
    reconcile(seeded)
    assert found(seeded) == [("s2_locked", ws(100), D("-300000.00"), None)]
    note = "would overdraw balance: 234900.00 -> -65100.00"
    before = snapshot(seeded, *SNAPSHOT_TABLES)
    plan = fix(seeded, **BIG)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s2_locked", ws(100), "move", D("300000.00"), "skipped", note)]
    assert plan[0]["stored_after"] == plan[0]["stored_before"] == {
        "balance": D("234900.00"), "locked_balance": 0}

    seed_before = {t: v for t, v in before.items() if t.startswith("seed002.")}
    done = fix(seeded, **BIG, **APPLY)
    assert step(done) == [(1, "s2_locked", ws(100), "move", D("300000.00"), "skipped", note)]
    assert done[0]["repair_id"] is None
    assert {t: v for t, v in snapshot(seeded, *SNAPSHOT_TABLES).items() if t.startswith("seed002.")} == seed_before
    assert one(seeded, "SELECT count(*) FROM _recon.repair") == 0
    assert wallet(seeded, 100) == (D("234900.00"), 0)
    assert reconcile(seeded)["status"] == "discrepancy"
    assert found(seeded) == [("s2_locked", ws(100), D("-300000.00"), None)]


def test_balance_drift_without_ledger_entry_is_resynced(seeded: str) -> None:
    # Workspace 8 was credited 15000 by a webhook that never wrote its topup: the ledger (the
    # book of record) says 102084.00, and the stored balance goes back to it. No entry posted.
    topup_without_transaction(seeded, 8, "15000.00")
    reconcile(seeded)
    assert found(seeded) == [("s2_balance", ws(8), D("15000.00"), None)]

    before, count_total = snapshot(seeded, *SNAPSHOT_TABLES), ledger(seeded)
    plan = fix(seeded, **BIG)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s2_balance", ws(8), "resync", D("15000.00"), "planned", None)]
    assert plan[0]["entries"] == []
    assert (plan[0]["stored_before"], plan[0]["stored_after"]) == (
        {"balance": D("117084.00"), "locked_balance": 0}, {"balance": D("102084.00"),
                                                             "locked_balance": 0})

    done = fix(seeded, **BIG, **APPLY)
    assert step(done) == [(1, "s2_balance", ws(8), "resync", D("15000.00"), "applied", None)]
    assert done[0]["entries"] == []
    assert ledger(seeded) == count_total  # the ledger is untouched
    assert snapshot(seeded, *SNAPSHOT_TABLES)["seed002.wallet_transactions"] == before[
        "seed002.wallet_transactions"]
    assert wallet(seeded, 8) == (D("102084.00"), 0)
    assert_synced(seeded)


# --- a payment released twice ----------------------------------------------------------------

def test_duplicate_payment_has_no_reversing_type_in_seed_ledger(seeded: str) -> None:
    # Reversing a 'payment' needs locked_balance += amount alone; none of seed 002's types
    # (topup, lock, payment, release, withdrawal) does that, so the reversal, and with it every
    # repair of that wallet, is skipped with the reason; nothing is written.
    dup = release_payment_again(seeded, 5, 1, 1)
    reconcile(seeded)
    assert found(seeded) == [("s2_duplicate", ws(5), D("1226.0"), "duplicate_reference"),
                             ("s2_locked", ws(5), D("-1226.0"), "duplicate_reference")]
    no_type = ('no entry type of ledger s2_ledger moves {"balance": 0, "locked_balance": 1226.0}'
               ': register one, or use another strategy')
    expected = [
        (1, "s2_duplicate", ws(5), "reverse", D("1226.0"), "skipped", no_type),
        (2, "s2_locked", ws(5), "move", D("1226.0"), "skipped",
         f"not applied: step 1 of this wallet was skipped ({no_type}); a wallet's repairs are"
         " applied all or none")]
    before = snapshot(seeded, *SNAPSHOT_TABLES)
    plan = fix(seeded, **BIG)
    assert step(plan) == expected
    assert plan[0]["entries"][0]["reference"] == f"REV-{dup}"
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert step(fix(seeded, **BIG, **APPLY)) == expected
    assert one(seeded, "SELECT count(*) FROM _recon.repair") == 0
    assert snapshot(seeded, *SNAPSHOT_TABLES)["seed002.wallet_transactions"] == before[
        "seed002.wallet_transactions"]


def test_duplicate_payment_reversed_when_only_the_ledger_has_it(seeded_refund: str) -> None:
    # The insert was retried, the wallet update was not: the stored locked_balance is right,
    # the ledger has one payment too many. The reversal ('refund', REV-<duplicate>) repairs
    # the ledger; the balance finding it explains is covered and the stored balance stays.
    db = seeded_refund
    dup = release_payment_again(db, 3, 4, 1, move_wallet=False)
    reconcile(db)
    assert found(db) == [("s2_balance", ws(3), D("1302.5"), "duplicate_reference"),
                         ("s2_duplicate", ws(3), D("1302.5"), "duplicate_reference")]
    stored = wallet(db, 3)
    before, (count, total) = snapshot(db, *SNAPSHOT_TABLES), ledger(db)
    plan = fix(db, **BIG)
    assert snapshot(db, *SNAPSHOT_TABLES) == before
    assert step(plan) == [
        (1, "s2_duplicate", ws(3), "reverse", D("1302.5"), "planned", None),
        (2, "s2_balance", ws(3), "resync", D("1302.5"), "covered",
         "repaired by step 1 (reverse of s2_duplicate)")]
    assert planned_deltas(plan) == [(1, ws(3), {"balance": 0, "locked_balance": D("1302.5")})]

    ids = entry_ids(db)
    done = fix(db, **BIG, **APPLY)
    assert [r["status"] for r in done] == ["applied", "covered"]
    (entry,) = applied_entries(done)
    assert entry[1:] == (ws(3), "refund", D("1302.5"), f"REV-{dup}")
    assert [r[:6] for r in new_entries(db, ids)] == [
        (entry[0], ws(3), "refund", D("1302.5"), "recon", f"REV-{dup}")]
    assert ledger(db) == (count + 1, total + D("1302.5"))
    assert wallet(db, 3) == stored
    assert_synced(db)


def test_duplicate_payment_reversed_when_the_wallet_was_debited_twice(seeded_refund: str) -> None:
    # The under-lock the duplicate explains (s2_locked, cause duplicate_reference) is covered
    # by the reversal, which moves the stored balance back too: the wallet was debited twice.
    db = seeded_refund
    dup = release_payment_again(db, 3, 4, 1)
    reconcile(db)
    assert found(db) == [("s2_duplicate", ws(3), D("1302.5"), "duplicate_reference"),
                         ("s2_locked", ws(3), D("-1302.5"), "duplicate_reference")]
    assert wallet(db, 3) == (D("123302.25"), D("28264.0"))
    plan = fix(db, **BIG)
    assert [r[:6] for r in step(plan)] == [
        (1, "s2_duplicate", ws(3), "reverse", D("1302.5"), "planned"),
        (2, "s2_locked", ws(3), "move", D("1302.5"), "covered")]
    assert plan[1]["stored_after"] == {"balance": D("123302.25"), "locked_balance": D("29566.5")}

    ids, (count, total) = entry_ids(db), ledger(db)
    done = fix(db, **BIG, **APPLY)
    assert [r["status"] for r in done] == ["applied", "covered"]
    (entry,) = applied_entries(done)
    assert entry[1:] == (ws(3), "refund", D("1302.5"), f"REV-{dup}")
    assert len(new_entries(db, ids)) == 1
    assert ledger(db) == (count + 1, total + D("1302.5"))
    assert wallet(db, 3) == (D("123302.25"), D("29566.5"))
    assert_synced(db)


# --- the auto-fix threshold, idempotency, reversal -----------------------------------------

def test_small_repair_under_the_threshold_applied_large_one_skipped(seeded: str) -> None:
    # Seed 002's auto_fix_wallet_activation_sync(workspace, 10.00): fix what is under 10 NGN,
    # leave the rest for a human. Workspace 5 is 8.40 under-locked, workspace 3 9544.0 over.
    paid_without_spent(seeded, 5, 2, "8.40")
    complete_without_release(seeded, activation(3, 4))
    reconcile(seeded)
    assert found(seeded) == [("s2_locked", ws(3), D("9544.0"), None),
                             ("s2_locked", ws(5), D("-8.40"), None)]
    balance5, locked5 = wallet(seeded, 5)
    over = ("above the auto-fix limit: 9544.0 > wallet_limit 10 NGN (the call's "
            "wallet_limit; run_limit 100 applies to the whole call)")
    before = snapshot(seeded, *SNAPSHOT_TABLES)
    plan = fix(seeded, wallet_limit=10)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert step(plan) == [(1, "s2_locked", ws(3), "move", D("9544.0"), "skipped", over),
                          (2, "s2_locked", ws(5), "move", D("8.40"), "planned", None)]

    ids, (count, total) = entry_ids(seeded), ledger(seeded)
    done = fix(seeded, wallet_limit=10, **APPLY)
    assert step(done) == [(1, "s2_locked", ws(3), "move", D("9544.0"), "skipped", over),
                          (2, "s2_locked", ws(5), "move", D("8.40"), "applied", None)]
    (entry,) = applied_entries(done)
    assert entry[1:4] == (ws(5), "lock", D("8.40"))
    assert [r[:4] for r in new_entries(seeded, ids)] == [(entry[0], ws(5), "lock", D("8.40"))]
    assert ledger(seeded) == (count + 1, total + D("8.40"))
    assert wallet(seeded, 5) == (balance5 - D("8.40"), locked5 + D("8.40"))
    assert wallet(seeded, 3) == (D("123302.25"), D("29566.5"))
    summary = reconcile(seeded)
    assert (summary["status"], summary["findings"], summary["resolved"]) == ("discrepancy", 1, 1)
    assert found(seeded) == [("s2_locked", ws(3), D("9544.0"), None)]


def test_applying_the_same_fix_twice_changes_nothing_the_second_time(seeded: str) -> None:
    complete_without_release(seeded, activation(3, 4))
    publish_without_lock(seeded, 100, "25000.00")
    topup_without_transaction(seeded, 8, "15000.00")
    run_id = reconcile(seeded)["run_id"]
    first = fix(seeded, run_id=run_id, **BIG, **APPLY)
    assert [(r["wallet_key"], r["strategy"], r["status"]) for r in first] == [
        (ws(3), "move", "applied"), (ws(8), "resync", "applied"), (ws(100), "move", "applied")]
    after_first = snapshot(seeded, *SNAPSHOT_TABLES)

    # the same call again, before any reconcile: the findings are still open, but under the
    # lock each one is gone, so every step is skipped and nothing is written
    again = fix(seeded, run_id=run_id, **BIG, **APPLY)
    assert [(r["step"], r["status"], r["note"], r["repair_id"]) for r in again] == [
        (n, "skipped", "already consistent: no longer found under the lock", None)
        for n in (1, 2, 3)]
    now = snapshot(seeded, *SNAPSHOT_TABLES)
    assert {t: v for t, v in now.items() if t != "_recon.fix"} == {
        t: v for t, v in after_first.items() if t != "_recon.fix"}
    assert one(seeded, "SELECT count(*) FROM _recon.repair") == 3
    # once a run has seen them resolved, there is nothing left to plan
    assert_synced(seeded)
    assert fix(seeded, **BIG, **APPLY) == []
    assert one(seeded, "SELECT count(*) FROM _recon.repair") == 3


def test_reverse_fix_brings_the_findings_back(seeded: str) -> None:
    complete_without_release(seeded, activation(3, 4))
    publish_without_lock(seeded, 100, "25000.00")
    reconcile(seeded)
    done = fix(seeded, **BIG, **APPLY)
    release, lock = applied_entries(done)
    assert (release[2], lock[2]) == ("release", "lock")
    fix_id = one(seeded, "SELECT DISTINCT fix_id FROM _recon.repair")
    assert_synced(seeded)

    before, (count, total) = snapshot(seeded, *SNAPSHOT_TABLES), ledger(seeded)
    plan = reverse_fix(seeded, fix_id)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert [(r["wallet_key"], r["strategy"], r["amount"], r["status"], r["note"])
            for r in plan] == [
        (ws(3), "reversal", D("9544.0"), "planned", f"reverses repair {done[0]['repair_id']}"
                                                      " (move)"),
        (ws(100), "reversal", D("25000.00"), "planned", f"reverses repair {done[1]['repair_id']}"
                                                          " (move)")]
    assert planned_deltas(plan) == [
        (1, ws(3), {"balance": D("-9544.0"), "locked_balance": D("9544.0")}),
        (2, ws(100), {"balance": D("25000.00"), "locked_balance": D("-25000.00")})]

    ids = entry_ids(seeded)
    undone = reverse_fix(seeded, fix_id, dry_run=False, ticket="INC-3", reason="undo")
    assert [r["status"] for r in undone] == ["applied", "applied"]
    assert [r[1:] for r in applied_entries(undone)] == [
        (ws(3), "lock", D("9544.0"), f"REV-{release[0]}"),
        (ws(100), "release", D("25000.00"), f"REV-{lock[0]}")]
    assert [r[1:6] for r in new_entries(seeded, ids)] == [
        (ws(3), "lock", D("9544.0"), "recon", f"REV-{release[0]}"),
        (ws(100), "release", D("25000.00"), "recon", f"REV-{lock[0]}")]
    assert ledger(seeded) == (count + 2, total + D("34544.0"))
    assert wallet(seeded, 3) == (D("123302.25"), D("29566.5"))
    assert wallet(seeded, 100) == (D("234900.00"), 0)
    assert sql(seeded, "SELECT id, reversed_by IS NOT NULL FROM recon.repairs"
                       " WHERE action = 'fix' ORDER BY id") == [
        (done[0]["repair_id"], True), (done[1]["repair_id"], True)]

    summary = reconcile(seeded)
    assert (summary["status"], summary["findings"], summary["new"]) == ("discrepancy", 2, 2)
    assert found(seeded) == [("s2_locked", ws(3), D("9544.0"), None),
                             ("s2_locked", ws(100), D("-25000.00"), None)]
    # and the same findings can be repaired again
    fix(seeded, **BIG, **APPLY)
    assert_synced(seeded)


def test_two_repairs_of_one_wallet_under_one_ticket_are_not_a_duplicate(seeded: str) -> None:
    # Two 'release' repairs of workspace 3 under one ticket on one day: the default reference
    # RECON-{date}-{ticket}-{fix}.{step} differs, so the duplicate check does not take the
    # second for a duplicate of the first (and a fix re-runs the duplicate check of the ledger
    # it posts into before it commits).
    complete_without_release(seeded, activation(3, 4))
    reconcile(seeded)
    fix(seeded, **BIG, **APPLY)
    assert_synced(seeded)
    complete_without_release(seeded, activation(3, 2))
    reconcile(seeded)
    assert found(seeded) == [("s2_locked", ws(3), D("10150.0"), None)]
    done = fix(seeded, **BIG, **APPLY)
    assert step(done) == [(1, "s2_locked", ws(3), "move", D("10150.0"), "applied", None)]
    reconcile(seeded)
    assert found(seeded) == []
    assert_synced(seeded)


# --- everything at once ------------------------------------------------------------------------

def test_every_failure_at_once_dry_run_then_apply(seeded: str) -> None:
    complete_without_release(seeded, activation(3, 4))   # over-locked 9544.0: release
    publish_without_lock(seeded, 100, "25000.00")        # under-locked, balance covers: lock
    publish_without_lock(seeded, 99, "999999.00")        # under-locked, would overdraw: skipped
    topup_without_transaction(seeded, 8, "15000.00")     # balance drift: resync
    release_payment_again(seeded, 5, 1, 1)               # no type reverses a payment: skipped
    first = reconcile(seeded)
    assert (first["findings"], first["wallets"]) == (6, 5)
    no_type = ('no entry type of ledger s2_ledger moves {"balance": 0, "locked_balance": 1226.0}'
               ': register one, or use another strategy')
    expected = {
        (ws(3), "s2_locked", "move", D("9544.0")): ("applied", None),
        (ws(100), "s2_locked", "move", D("25000.00")): ("applied", None),
        (ws(8), "s2_balance", "resync", D("15000.00")): ("applied", None),
        (ws(99), "s2_locked", "move", D("999999.00")): (
            "skipped", "would overdraw balance: 372752.25 -> -627246.75"),
        (ws(5), "s2_duplicate", "reverse", D("1226.0")): ("skipped", no_type),
        (ws(5), "s2_locked", "move", D("1226.0")): ("skipped", None),
    }

    def outcome(rows: list[dict]) -> dict:
        return {(r["wallet_key"], r["check_name"], r["strategy"], r["amount"]):
                (r["status"], None if r["note"] and r["note"].startswith("not applied: step")
                 else r["note"]) for r in rows}

    before = snapshot(seeded, *SNAPSHOT_TABLES)
    plan = fix(seeded, **BIG)
    assert snapshot(seeded, *SNAPSHOT_TABLES) == before
    assert outcome(plan) == {k: ("planned" if s == "applied" else s, n)
                             for k, (s, n) in expected.items()}

    ids, (count, total) = entry_ids(seeded), ledger(seeded)
    done = fix(seeded, **BIG, **APPLY)
    assert outcome(done) == expected
    posted = applied_entries(done)
    assert sorted(e[1:4] for e in posted) == sorted([
        (ws(3), "release", D("9544.0")), (ws(100), "lock", D("25000.00"))])
    # the ledger changed by exactly the planned entries: their count, ids and amounts
    assert sorted(r[0] for r in new_entries(seeded, ids)) == sorted(e[0] for e in posted)
    assert ledger(seeded) == (count + 2, total + D("34544.0"))
    assert [(r["wallet_key"], e["deltas"]) for r in plan for e in r["entries"]
            if r["status"] == "planned"] == [(r["wallet_key"], e["deltas"]) for r in done
                                             for e in r["entries"] if r["status"] == "applied"]
    second = reconcile(seeded)
    assert (second["status"], second["resolved"]) == ("discrepancy", 3)
    assert found(seeded) == sorted([
        ("s2_duplicate", ws(5), D("1226.0"), "duplicate_reference"),
        ("s2_locked", ws(5), D("-1226.0"), "duplicate_reference"),
        ("s2_locked", ws(99), D("-999999.00"), None)])
