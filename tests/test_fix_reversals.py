"""Duplicates and reversals that cannot be forged (issue 13, bug 4), through real connections.

A ledger entry is taken out of the duplicate and orphan checks only by a reversal the toolkit
recorded (_recon.reversal: recon.fix() reversing a duplicate, recon.reverse_fix() compensating
a repair) whose repair stands, or by a hand-posted REV-<entry id> on the same wallet with
exactly the opposite effect. On a signed ledger a reference's positive and negative postings
are a pair, not a duplicate. Seed 000 (text references) and a ledger whose reference column is
a uuid."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import fix, open_findings, reconcile, rows, run

D = Decimal
WRITER = ("SELECT recon.register_writer('s0_ledger', '{\"columns\": {\"id\": \"{uuid}\","
          " \"type\": \"ADJUSTMENT\", \"description\": \"{description}\"}}')")
APPLY = {"dry_run": False, "ticket": "INC-13", "reason": "reversal test", "wallet_limit": 1000}


def md5_uuid(text: str) -> str:
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def wallet(i: int) -> str:
    return md5_uuid(f"wallet{i}")


DUP = md5_uuid("dup")  # the second posting of top-up pi_5_1 (105.00, wallet 5)
DUPLICATE = """INSERT INTO seed000.wallet_transaction
                   (id, wallet_id, type, amount, balance_after, reference, posted_at)
               SELECT md5('dup')::uuid, t.wallet_id, 'CREDIT', t.amount, w.balance + t.amount,
                      t.reference, timestamptz '2026-01-06 00:00:00+00'
               FROM seed000.wallet_transaction t
               JOIN seed000.wallet_account w ON w.id = t.wallet_id
               WHERE t.reference = 'pi_5_1'"""


def post(entry: str, wallet_no: int, amount: str, reference: str, *, move: bool = False) -> tuple:
    """SQL posting one seed 000 entry by hand (and moving the stored balance with it)."""
    sql = [f"""INSERT INTO seed000.wallet_transaction
                   (id, wallet_id, type, amount, balance_after, reference, posted_at)
               SELECT md5('{entry}')::uuid, md5('wallet{wallet_no}')::uuid, 'ADJUSTMENT',
                      {amount}, COALESCE(max(t.balance_after) FILTER (WHERE t.last), 0)
                                + {amount},
                      '{reference}', timestamptz '2026-01-07 00:00:00+00'
               FROM (SELECT balance_after, seq = max(seq) OVER () AS last
                     FROM seed000.wallet_transaction
                     WHERE wallet_id = md5('wallet{wallet_no}')::uuid) AS t"""]
    if move:
        sql.append(f"UPDATE seed000.wallet_account SET balance = balance + {amount}"
                   f" WHERE id = md5('wallet{wallet_no}')::uuid")
    return tuple(sql)


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 000 loaded and registered, with its writer (a clone)."""
    return make_db(fixture_template("seed000.sql", "seed000_register.sql", sql=(WRITER,)))


def found(dsn: str, check: str | None = None) -> list[tuple]:
    return sorted((f["check_name"], f["wallet_key"], f["difference"], f["cause"])
                  for f in open_findings(dsn, check))


def balance(dsn: str, i: int) -> Decimal:
    return rows(dsn, "SELECT balance FROM seed000.wallet_account WHERE id = %s",
                (wallet(i),))[0]["balance"]


# --- forged reversals hide nothing -----------------------------------------------------------

FORGED = {
    "zero amount": post("forged", 5, "0.00", f"REV-{DUP}"),
    "another wallet": post("forged", 6, "-105.00", f"REV-{DUP}", move=True),
    "wrong amount": post("forged", 5, "-100.00", f"REV-{DUP}", move=True),
    "same sign": post("forged", 5, "105.00", f"REV-{DUP}", move=True),
}


@pytest.mark.parametrize("forged", FORGED.values(), ids=FORGED.keys())
def test_a_forged_reversal_does_not_hide_a_duplicate(seed: str, forged: tuple) -> None:
    run(seed, DUPLICATE, *forged)
    reconcile(seed)
    [dup] = open_findings(seed, "s0_duplicates")
    assert (dup["wallet_key"], dup["difference"], dup["details"]["entries"][1]) == (
        wallet(5), D("105.00"), DUP)
    # the default plan reverses the duplicate; nothing pays it out by a resync
    plan = {(p["check_name"], p["wallet_key"]): p for p in fix(seed, wallet_limit=1000)}
    assert plan[("s0_duplicates", wallet(5))]["status"] == "planned"
    assert [e["entry"] for e in plan[("s0_duplicates", wallet(5))]["entries"]] == [DUP]
    assert plan[("s0_balance", wallet(5))]["status"] in ("covered", "manual")
    assert not any(p["strategy"] == "resync" and p["wallet_key"] == wallet(5)
                   and p["status"] == "planned" for p in plan.values())


def test_the_zero_reversal_of_the_issue_is_repaired_without_paying_the_duplicate_out(
        seed: str) -> None:
    run(seed, DUPLICATE, *FORGED["zero amount"])
    reconcile(seed)
    before = balance(seed, 5)
    fix(seed, **APPLY)
    assert balance(seed, 5) == before  # credited once, never: the ledger is put right instead
    assert reconcile(seed)["findings"] == 0
    [rec] = rows(seed, "SELECT ledger_source, entry FROM _recon.reversal")
    assert rec == {"ledger_source": "s0_ledger", "entry": DUP}


PAID = md5_uuid("txnpi_3_1")  # the ledger entry of payment pi_3_1 (103.00, wallet 3)
FORGED_PAYMENT = {
    "zero amount": post("forged", 3, "0.00", f"REV-{PAID}"),
    "another wallet": post("forged", 4, "-103.00", f"REV-{PAID}", move=True),
    "wrong amount": post("forged", 3, "-100.00", f"REV-{PAID}", move=True),
}


@pytest.mark.parametrize("forged", FORGED_PAYMENT.values(), ids=FORGED_PAYMENT.keys())
def test_a_forged_reversal_does_not_orphan_a_posted_payment(seed: str, forged: tuple) -> None:
    run(seed, *forged)
    reconcile(seed)
    assert open_findings(seed, "s0_orphans") == []
    assert not any(p["strategy"] == "post_missing" for p in fix(seed, wallet_limit=1000))


# --- a true reversal by hand still counts ----------------------------------------------------

def test_a_hand_posted_compensating_reversal_resolves_a_duplicate(seed: str) -> None:
    run(seed, DUPLICATE, *post("rev", 5, "-105.00", f"REV-{DUP}"))
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"]) == ("synced", 0)
    # ... unless it is reversed in turn: then the duplicate is back
    rev = md5_uuid("rev")
    run(seed, *post("revrev", 5, "105.00", f"REV-{rev}"))
    reconcile(seed)
    assert found(seed, "s0_duplicates") == [
        ("s0_duplicates", wallet(5), D("105.00"), "duplicate_reference")]


def test_a_hand_posted_compensating_reversal_orphans_its_payment(seed: str) -> None:
    run(seed, *post("rev", 3, "-103.00", f"REV-{PAID}", move=True))
    reconcile(seed)
    assert found(seed, "s0_orphans") == [
        ("s0_orphans", wallet(3), D("-103.00"), "orphaned_payment")]


# --- the toolkit's own reversal, and its undoing ---------------------------------------------

def test_fix_records_its_reversal_and_reverse_fix_brings_the_duplicate_back(seed: str) -> None:
    run(seed, DUPLICATE)
    reconcile(seed)
    first = found(seed)
    [step] = fix(seed, checks=["s0_duplicates"], **APPLY)
    assert (step["strategy"], step["status"]) == ("reverse", "applied")
    [posted] = step["entries"]
    assert posted["reference"] == f"REV-{DUP}"  # a text column holds it
    assert rows(seed, "SELECT entry, repair_id FROM _recon.reversal") == [
        {"entry": DUP, "repair_id": step["repair_id"]}]
    assert reconcile(seed)["findings"] == 0

    fix_id = rows(seed, "SELECT fix_id FROM recon.repairs WHERE id = %s",
                  (step["repair_id"],))[0]["fix_id"]
    [undo] = rows(seed, "SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'T',"
                        " reason => 'wrong call')", (fix_id,))
    assert undo["status"] == "applied"
    # the reversal's own entry is recorded as compensated by the undoing repair
    assert rows(seed, "SELECT entry, repair_id FROM _recon.reversal ORDER BY repair_id") == [
        {"entry": DUP, "repair_id": step["repair_id"]},
        {"entry": posted["entry_id"], "repair_id": undo["repair_id"]}]
    reconcile(seed)
    assert found(seed) == first  # the reversal that was reversed cancels nothing
    # and a later fix reverses the duplicate again
    [again] = fix(seed, checks=["s0_duplicates"], **APPLY)
    assert again["status"] == "applied"
    assert reconcile(seed)["findings"] == 0


def test_recorded_reversals_go_with_their_ledger_source(seed: str) -> None:
    run(seed, DUPLICATE)
    reconcile(seed)
    fix(seed, checks=["s0_duplicates"], **APPLY)
    run(seed, *(f"SELECT recon.drop_check('{c}')"
                for c in ("s0_balance", "s0_duplicates", "s0_orphans", "s0_chain")),
        "SELECT recon.drop_source('s0_ledger')")
    assert rows(seed, "SELECT count(*) AS n FROM _recon.reversal") == [{"n": 0}]
    assert rows(seed, "SELECT count(*) AS n FROM _recon.repair_entry") == [{"n": 1}]  # history


# --- a ledger whose reference column is a uuid -----------------------------------------------

UUID_LEDGER = """
CREATE SCHEMA ux;
CREATE TABLE ux.wallet (id bigint PRIMARY KEY, balance numeric(14, 2) NOT NULL);
CREATE TABLE ux.entry (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_id bigint NOT NULL REFERENCES ux.wallet (id),
    amount numeric(14, 2) NOT NULL,
    reference uuid NOT NULL,
    posted_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ux.wallet VALUES (1, 50.00), (2, 0);
-- a payment (reference md5('pay')) posted twice; the balance was credited once
INSERT INTO ux.entry (wallet_id, amount, reference)
VALUES (1, 50.00, md5('pay')::uuid), (1, 50.00, md5('pay')::uuid);
SELECT recon.register_wallet_source('ux_wallets', 'ux.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('ux_ledger', 'ux_wallets', 'ux.entry', 'wallet_id', 'amount',
    '{"entry_id": "id", "reference": "reference", "posted_at": "posted_at"}');
SELECT recon.register_check('ux_balance', 'balance', '{"ledger": "ux_ledger"}');
SELECT recon.register_check('ux_duplicates', 'duplicate', '{"ledger": "ux_ledger"}');
SELECT recon.register_writer('ux_ledger', '{"reference": "{uuid}"}');
"""


@pytest.fixture
def uuid_ledger(db: str) -> str:
    run(db, UUID_LEDGER)
    return db


def test_a_uuid_reference_ledger_is_reversed_and_the_reversal_undone(uuid_ledger: str) -> None:
    dsn = uuid_ledger
    reconcile(dsn)
    first = found(dsn)
    assert first == [("ux_balance", "1", D("-50.00"), "duplicate_reference"),
                     ("ux_duplicates", "1", D("50.00"), "duplicate_reference")]
    plan = {p["check_name"]: p for p in fix(dsn, wallet_limit=100)}
    assert (plan["ux_duplicates"]["status"], plan["ux_balance"]["status"]) == (
        "planned", "covered")
    # no REV-<id> in a uuid column: the writer's reference template gives it one
    assert plan["ux_duplicates"]["entries"] == [
        {"wallet": "1", "deltas": {"balance": D("-50.00")}, "purpose": "reversal", "entry": "2"}]

    done = {p["check_name"]: p for p in fix(dsn, dry_run=False, ticket="T", reason="r",
                                                   wallet_limit=100)}
    assert done["ux_duplicates"]["status"] == "applied"
    [posted] = done["ux_duplicates"]["entries"]
    [entry] = rows(dsn, "SELECT wallet_id, amount, reference FROM ux.entry WHERE id = %s",
                   (int(posted["entry_id"]),))
    assert (entry["wallet_id"], entry["amount"]) == (1, D("-50.00"))
    assert isinstance(entry["reference"], uuid.UUID)
    assert rows(dsn, "SELECT entry FROM _recon.reversal") == [{"entry": "2"}]
    assert rows(dsn, "SELECT balance FROM ux.wallet WHERE id = 1") == [{"balance": D("50.00")}]
    assert reconcile(dsn)["findings"] == 0

    fix_id = done["ux_duplicates"]["repair_id"]
    fix_id = rows(dsn, "SELECT fix_id FROM recon.repairs WHERE id = %s", (fix_id,))[0]["fix_id"]
    undone = rows(dsn, "SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'T',"
                       " reason => 'undo')", (fix_id,))
    assert {u["status"] for u in undone} == {"applied"}
    reconcile(dsn)
    assert found(dsn) == first
    assert rows(dsn, "SELECT count(*) AS n, sum(amount) AS total FROM ux.entry") == [
        {"n": 4, "total": D("100.00")}]  # compensated, nothing deleted


# --- signed ledgers: a payment and its refund are a pair --------------------------------------

REFUND = post("refund", 7, "-107.00", "pi_7_1", move=True)  # top-up pi_7_1 refunded


def test_opposite_signs_of_one_reference_are_a_pair(seed: str) -> None:
    run(seed, *REFUND)
    summary = reconcile(seed)
    assert (summary["status"], summary["findings"]) == ("synced", 0)


def test_two_postings_of_one_sign_are_a_duplicate(seed: str) -> None:
    run(seed, *REFUND, *post("refund2", 7, "-107.00", "pi_7_1", move=True))
    reconcile(seed)
    [dup] = open_findings(seed, "s0_duplicates")
    assert (dup["wallet_key"], dup["difference"], dup["details"]["item"],
            dup["details"]["postings"]) == (wallet(7), D("-107.00"), "pi_7_1/-", 2)
    # the credit side is one posting: not a duplicate; a second credit would be
    run(seed, *post("credit2", 7, "107.00", "pi_7_1", move=True))
    reconcile(seed)
    assert sorted((f["details"]["item"], f["difference"])
                  for f in open_findings(seed, "s0_duplicates")) == [
        ("pi_7_1", D("107.00")), ("pi_7_1/-", D("-107.00"))]


# --- checks registered before the rule changed are compiled again ----------------------------

def test_recompile_replaces_a_check_compiled_under_the_old_rule(seed: str) -> None:
    # the view as 0.1 compiled it: any REV-<id> took entry <id> out
    old = rows(seed, "SELECT compiled_sql FROM _recon.check_def"
                     " WHERE name = 's0_duplicates'")[0]["compiled_sql"]
    head, _, _ = old.partition("  AND NOT EXISTS (SELECT FROM _recon.reversal")
    stale = (head + "  AND NOT EXISTS (SELECT FROM seed000.wallet_transaction AS rv"
             " WHERE rv.reference::text = 'REV-' || (l.entry_id)::text)\n"
             "GROUP BY l.reference, l.wallet\nHAVING count(*) > 1")
    stale = stale.replace(" || CASE sign(l.amount) WHEN 1 THEN '' WHEN -1 THEN '/-'"
                          " ELSE '/0' END", "")
    run(seed, f"CREATE OR REPLACE VIEW recon.check_s0_duplicates AS {stale}")
    with psycopg.connect(seed, autocommit=True) as c:
        c.execute("UPDATE _recon.check_def SET compiled_sql = %s WHERE name = 's0_duplicates'",
                  (stale,))
    run(seed, DUPLICATE, *FORGED["zero amount"])
    assert rows(seed, "SELECT count(*) AS n FROM recon.check_s0_duplicates") == [{"n": 0}]
    assert rows(seed, "SELECT _recon.recompile_checks(ARRAY['duplicate', 'orphan']) AS n") == [
        {"n": 1}]
    assert rows(seed, "SELECT compiled_sql FROM _recon.check_def"
                      " WHERE name = 's0_duplicates'")[0]["compiled_sql"] == old
    assert rows(seed, "SELECT count(*) AS n FROM recon.check_s0_duplicates") == [{"n": 1}]
    assert rows(seed, "SELECT _recon.recompile_checks(ARRAY['duplicate', 'orphan']) AS n") == [
        {"n": 0}]
