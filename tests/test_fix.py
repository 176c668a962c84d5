"""recon.fix(), recon.reverse_fix() and writers on seed 000 (the runbook's wallet_account /
wallet_transaction / payment_intent): plans, application, safety, idempotency, audit, bad input."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from helpers import snapshot

from conftest import fix, open_findings, reconcile, rows, run


def wallet(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"wallet{i}".encode()).hexdigest()))


WRITER = ("SELECT recon.register_writer('s0_ledger', '{\"columns\": {\"id\": \"{uuid}\","
          " \"type\": \"ADJUSTMENT\", \"description\": \"{description}\"}}')")
MISSING_CREDIT = (  # payment completed, balance credited, no ledger entry (wallet 3, 77.00)
    "INSERT INTO seed000.payment_intent VALUES"
    " ('pi_missing', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')",
    "UPDATE seed000.wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid",
)
DUPLICATE = (  # top-up pi_5_1 (105.00) posted twice, balance credited once (wallet 5)
    """INSERT INTO seed000.wallet_transaction
           (id, wallet_id, type, amount, balance_after, reference, posted_at)
       SELECT md5('dup')::uuid, t.wallet_id, 'CREDIT', t.amount, w.balance + t.amount,
              t.reference, timestamptz '2026-01-06 00:00:00+00'
       FROM seed000.wallet_transaction t JOIN seed000.wallet_account w ON w.id = t.wallet_id
       WHERE t.reference = 'pi_5_1'""",
)
DEBIT = ("UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid",)
ALL = (*MISSING_CREDIT, *DUPLICATE, *DEBIT)
APPLY = {"dry_run": False, "ticket": "INC-7", "reason": "runbook repair", "wallet_limit": 1000}


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 000 loaded and registered, with its writer (a clone)."""
    return make_db(fixture_template("seed000.sql", "seed000_register.sql", sql=(WRITER,)))


FIX_TABLES = ("seed000.wallet_account", "seed000.wallet_transaction", "seed000.payment_intent",
              "_recon.fix", "_recon.repair", "_recon.repair_entry", "_recon.finding",
              "_recon.writer", "_recon.fix_policy", "_recon.fix_stage")
"""The seed's tables and the toolkit's state: their snapshot equal means unchanged."""


def ledger(dsn: str) -> dict[str, tuple]:
    """Every ledger entry: id -> (wallet, amount, reference, balance_after)."""
    return {str(r["id"]): (str(r["wallet_id"]), r["amount"], r["reference"], r["balance_after"])
            for r in rows(dsn, "SELECT * FROM seed000.wallet_transaction")}


def balance(dsn: str, i: int) -> Decimal:
    return rows(dsn, "SELECT balance FROM seed000.wallet_account WHERE id = %s",
                (wallet(i),))[0]["balance"]


def steps(plan: list[dict]) -> list[tuple]:
    return [(p["check_name"], p["wallet_key"], p["strategy"], p["amount"], p["status"])
            for p in plan]


def sqlstate(dsn: str, sql: str, params: object = None) -> psycopg.Error:
    with psycopg.connect(dsn, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute(sql, params)
    return err.value


def test_dry_run_plans_every_repair_and_writes_nothing(seed: str) -> None:
    run(seed, *ALL)
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    plan = fix(seed, wallet_limit=1000)
    assert snapshot(seed, *FIX_TABLES) == before
    assert steps(plan) == sorted([
        ("s0_balance", wallet(6), "resync", Decimal("5.00"), "planned"),
        ("s0_duplicates", wallet(5), "reverse", Decimal("105.00"), "planned"),
        ("s0_balance", wallet(5), "resync", Decimal("105.00"), "covered"),
        ("s0_orphans", wallet(3), "post_missing", Decimal("77.00"), "planned"),
        ("s0_balance", wallet(3), "resync", Decimal("77.00"), "covered"),
    ], key=lambda s: [p["wallet_key"] for p in plan].index(s[1]))
    by = {(p["check_name"], p["wallet_key"]): p for p in plan}
    debit = by[("s0_balance", wallet(6))]
    assert debit["entries"] == []  # a re-sync posts nothing: the ledger is right
    assert (debit["stored_before"], debit["stored_after"]) == (
        {"balance": balance(seed, 6)}, {"balance": balance(seed, 6) + 5})
    [reversal] = by[("s0_duplicates", wallet(5))]["entries"]
    dup_id = str(uuid.UUID(hashlib.md5(b"dup").hexdigest()))
    assert reversal == {"wallet": wallet(5), "deltas": {"balance": -105}, "purpose": "reversal",
                        "entry": dup_id, "reference": f"REV-{dup_id}"}
    [missing] = by[("s0_orphans", wallet(3))]["entries"]
    assert (missing["reference"], missing["deltas"]) == ("pi_missing", {"balance": 77})
    covered = by[("s0_balance", wallet(3))]
    assert covered["note"].startswith("repaired by step")
    # the stored balance already holds the payment: posting it moves the ledger only
    assert by[("s0_orphans", wallet(3))]["stored_after"] == {"balance": balance(seed, 3)}


def test_apply_repairs_all_and_the_ledger_changes_by_exactly_the_plan(seed: str) -> None:
    run(seed, *ALL)
    first = reconcile(seed)
    entries_before = ledger(seed)
    plan = fix(seed, wallet_limit=1000)
    done = fix(seed, **APPLY)
    assert [d["status"] for d in done] == [p["status"].replace("planned", "applied") for p in plan]
    after = reconcile(seed)
    assert (after["status"], after["findings"], after["resolved"]) == ("synced", 0, 5)

    new = {k: v for k, v in ledger(seed).items() if k not in entries_before}
    assert set(entries_before) <= set(ledger(seed))  # nothing deleted or changed
    planned = sorted((e["wallet"], e["deltas"]["balance"], e["reference"])
                     for p in plan for e in p["entries"])
    assert sorted((w, a, r) for w, a, r, _ in new.values()) == planned
    posted = {e["entry_id"]: e for d in done for e in d["entries"]}
    assert set(posted) == set(new)
    # the running balance continues the chain: each new entry ends at its wallet's balance
    for w, _, ref, after_balance in new.values():
        i = next(i for i in (3, 5) if wallet(i) == w)
        assert after_balance == balance(seed, i), ref

    audit = rows(seed, "SELECT * FROM recon.repairs ORDER BY id")
    assert len(audit) == 5
    assert {(a["ticket"], a["reason"], a["applied_by"], a["session_user_name"], a["run_id"])
            for a in audit} == {("INC-7", "runbook repair", "postgres", "postgres",
                                 first["run_id"])}
    debit = next(a for a in audit if a["wallet_key"] == wallet(6))
    assert (debit["strategy"], debit["amount"], debit["moves"]) == ("resync", 5, {"balance": 5})
    assert debit["stored_after"]["balance"] - debit["stored_before"]["balance"] == 5
    assert [e["reference"] for a in audit for e in a["entries"]] in (
        ["pi_missing", f"REV-{uuid.UUID(hashlib.md5(b'dup').hexdigest())}"],
        [f"REV-{uuid.UUID(hashlib.md5(b'dup').hexdigest())}", "pi_missing"])


def test_the_same_fix_twice_applies_once(seed: str) -> None:
    run(seed, *ALL)
    reconcile(seed)
    fix(seed, **APPLY)
    state = snapshot(seed, *FIX_TABLES)
    again = fix(seed, **APPLY)  # the findings are still open: no reconcile in between
    assert {d["status"] for d in again} == {"skipped"}
    assert all(d["note"].startswith("already") for d in again), [d["note"] for d in again]
    state_after = snapshot(seed, *FIX_TABLES)
    # only the call's own header row is new
    assert {k for k in state if state[k] != state_after[k]} == {"_recon.fix"}
    assert rows(seed, "SELECT count(*) AS n FROM _recon.repair")[0]["n"] == 5
    summary = reconcile(seed)
    assert summary["findings"] == 0
    assert fix(seed, **APPLY) == []  # nothing open any more


@pytest.mark.parametrize(("args", "code"), [
    ({"run_id": 999}, "RC301"),
    ({"wallet_limit": -1}, "RC302"),
    ({"wallet_limit": Decimal("NaN")}, "RC302"),
    ({"run_limit": Decimal("Infinity")}, "RC302"),
    ({"dry_run": False, "reason": "no ticket"}, "RC303"),
    ({"dry_run": False, "ticket": "INC-1", "reason": "  "}, "RC303"),
    ({"dry_run": None}, "RC303"),
    ({"force_strategy": "delete_everything"}, "RC304"),
    ({"checks": ["s0_balance", "nope"]}, "RC107"),
])
def test_bad_input_fails_with_its_sqlstate_and_changes_nothing(seed: str, args: dict,
                                                                code: str) -> None:
    run(seed, *ALL)
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    named = ", ".join(f"{k} => %({k})s" for k in args)
    err = sqlstate(seed, f"SELECT * FROM recon.fix({named})", args)
    assert err.sqlstate == code, err
    assert err.diag.message_hint
    assert snapshot(seed, *FIX_TABLES) == before


def test_no_run_yet_is_rc301(seed: str) -> None:
    assert sqlstate(seed, "SELECT * FROM recon.fix()").sqlstate == "RC301"


def test_limits_per_wallet_and_per_call(seed: str) -> None:
    run(seed, *[f"UPDATE seed000.wallet_account SET balance = balance - {d}"
                f" WHERE id = md5('wallet{i}')::uuid" for i, d in ((11, 4), (12, 4), (13, 4),
                                                                   (14, 30))])
    reconcile(seed)
    plan = {p["wallet_key"]: p for p in fix(seed)}  # defaults: low_limit 10, 10 x per call
    assert plan[wallet(14)]["status"] == "skipped"
    assert plan[wallet(14)]["note"] == ("above the auto-fix limit: 30.00 > wallet_limit 10 ZAR "
                                        "(the check's low_limit; run_limit 100 applies to the "
                                        "whole call)")
    assert {plan[wallet(i)]["status"] for i in (11, 12, 13)} == {"planned"}

    done = {d["wallet_key"]: d for d in fix(seed, dry_run=False, ticket="T", reason="r",
                                            run_limit=8)}
    assert [done[wallet(i)]["status"] for i in (11, 12, 13, 14)] == [
        "applied", "applied", "skipped", "skipped"]
    assert done[wallet(13)]["note"] == ("over the run limit: 12.00 > run_limit 8 ZAR for check "
                                        "s0_balance (the call's run_limit)")
    assert balance(seed, 13) == rows(seed, "SELECT stored FROM recon.open_findings"
                                           " WHERE wallet_key = %s", (wallet(13),))[0]["stored"]


def test_a_repair_that_would_overdraw_is_skipped(seed: str) -> None:
    # wallet 51 is empty: a debit reached the ledger, not the balance; re-sync would go negative
    run(seed, "INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
              " balance_after, reference, posted_at) VALUES (md5('od')::uuid,"
              " md5('wallet51')::uuid, 'DEBIT', -30, -30, 'order_x', now())")
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    [step] = fix(seed, dry_run=False, ticket="T", reason="r", wallet_limit=100)
    assert (step["status"], step["note"]) == ("skipped", "would overdraw balance: 0.00 -> -30.00")
    assert {k for k, v in snapshot(seed, *FIX_TABLES).items() if before[k] != v} == {"_recon.fix"}


def test_a_wallet_is_repaired_whole_or_not_at_all(seed: str) -> None:
    run(seed, *MISSING_CREDIT, "UPDATE seed000.wallet_account SET balance = balance - 5"
                               " WHERE id = md5('wallet3')::uuid")
    reconcile(seed)  # wallet 3: the orphan (77) and a balance drift of 72 (not the orphan's)
    plan = fix(seed, wallet_limit=1000)
    assert sorted((p["strategy"], p["amount"], p["status"]) for p in plan) == [
        ("post_missing", 77, "planned"), ("resync", 72, "planned")]
    before = snapshot(seed, *FIX_TABLES)
    done = {d["strategy"]: d for d in fix(seed, dry_run=False, ticket="T", reason="r",
                                          wallet_limit=75)}
    assert done["post_missing"]["note"] == (
        "above the auto-fix limit: 77.00 > wallet_limit 75 ZAR (the call's wallet_limit; "
        "run_limit 750 applies to the whole call)")
    assert done["resync"]["status"] == "skipped"
    assert done["resync"]["note"].startswith("not applied: step")
    assert {k for k, v in snapshot(seed, *FIX_TABLES).items() if before[k] != v} == {"_recon.fix"}
    # both together leave the wallet consistent
    fix(seed, dry_run=False, ticket="T", reason="r", wallet_limit=1000)
    assert reconcile(seed)["findings"] == 0


def test_what_changed_since_the_run_is_skipped_under_the_lock(seed: str) -> None:
    run(seed, *DEBIT)
    reconcile(seed)
    run(seed, *DEBIT)  # another 5 went missing after the run
    before = snapshot(seed, *FIX_TABLES)
    [step] = fix(seed, dry_run=False, ticket="T", reason="r")
    assert step["status"] == "skipped"
    assert step["note"] == "changed since the run: difference was -5.00, is now -10.00"
    assert {k for k, v in snapshot(seed, *FIX_TABLES).items() if before[k] != v} == {"_recon.fix"}
    reconcile(seed)
    [step] = fix(seed, dry_run=False, ticket="T", reason="r")
    assert (step["status"], step["amount"]) == ("applied", 10)


def test_adjust_posts_an_adjustment_continuing_the_running_balance(seed: str) -> None:
    run(seed, *DEBIT)
    reconcile(seed)
    stored = balance(seed, 6)
    [step] = fix(seed, dry_run=False, ticket="INC-9", reason="debit was right",
                 force_strategy="adjust")
    assert (step["strategy"], step["status"]) == ("adjust", "applied")
    [entry] = rows(seed, "SELECT * FROM seed000.wallet_transaction WHERE type = 'ADJUSTMENT'")
    today = datetime.date.today().strftime("%Y%m%d")
    fix_id = step["repair_id"] and rows(seed, "SELECT fix_id FROM recon.repairs")[0]["fix_id"]
    assert (entry["amount"], entry["balance_after"], entry["reference"]) == (
        Decimal("-5.00"), stored, f"RECON-{today}-INC-9-{fix_id}.1")
    assert entry["description"] == "wallet-recon adjust (INC-9): debit was right"
    assert balance(seed, 6) == stored  # the stored balance was right: it does not move
    assert reconcile(seed)["findings"] == 0  # balance and chain agree


def test_a_repair_that_does_not_verify_rolls_back(seed: str) -> None:
    # a posting function that posts one cent too much: the checks re-run after the repair see
    # it, and nothing at all is applied
    run(seed, """CREATE FUNCTION seed000.sloppy_post(r jsonb) RETURNS jsonb LANGUAGE sql AS $$
                   INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,
                       balance_after, reference, posted_at)
                   VALUES (gen_random_uuid(), (r->>'wallet')::uuid, 'ADJUSTMENT',
                           (r->>'amount')::numeric + 0.01, (r->>'balance_after')::numeric,
                           r->>'reference', now())
                   RETURNING to_jsonb(ARRAY[id]) $$""",
        "SELECT recon.register_writer('s0_ledger', '{\"function\": \"seed000.sloppy_post(jsonb)\"}')",
        *DEBIT)
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    err = sqlstate(seed, "SELECT * FROM recon.fix(dry_run => false, ticket => 'T',"
                         " reason => 'r', force_strategy => 'adjust')")
    assert err.sqlstate == "RC307"
    assert err.diag.message_detail == (f"s0_balance {wallet(6)}/balance still found after step 1"
                                       " (adjust): difference -0.01, was -5.00")
    assert snapshot(seed, *FIX_TABLES) == before


@pytest.mark.parametrize(("options", "code"), [
    ({"columns": {"type": "ADJUSTMENT"}}, "RC305"),  # id is NOT NULL without default
    ({"columns": {"id": "{uuid}", "type": "{nope}"}}, "RC305"),
    ({"columns": {"id": "{uuid}", "type": "X", "amount": "1"}}, "RC305"),  # the toolkit's
    ({"columns": {"id": "{uuid}", "type": "X", "missing_col": "1"}}, "RC102"),
    ({"columns": {"id": "{uuid", "type": "X"}}, "RC305"),
    ({"function": "pg_catalog.now()"}, "RC305"),
    ({"function": "seed000.no_such(jsonb)"}, "RC305"),
    ({"offset_wallet": "00000000-0000-0000-0000-000000000000", "columns": {"id": "{uuid}",
                                                                           "type": "X"}}, "RC305"),
    ({"colums": {}}, "RC106"),
])
def test_bad_writers_are_refused(seed: str, options: dict, code: str) -> None:
    import json

    before = snapshot(seed, *FIX_TABLES)
    err = sqlstate(seed, "SELECT recon.register_writer('s0_ledger', %s)", (json.dumps(options),))
    assert err.sqlstate == code, err
    assert err.diag.message_hint
    assert snapshot(seed, *FIX_TABLES) == before


def test_the_audit_is_append_only(seed: str) -> None:
    run(seed, *DEBIT)
    reconcile(seed)
    fix(seed, **APPLY, force_strategy="adjust")  # one row in each audit table
    for sql in ("UPDATE _recon.repair SET amount = 0", "DELETE FROM _recon.repair_entry",
                "TRUNCATE _recon.fix CASCADE", "UPDATE _recon.fix SET ticket = 'x'"):
        assert sqlstate(seed, sql).sqlstate == "RC300", sql


def test_reverse_fix_compensates_and_never_deletes(seed: str) -> None:
    run(seed, *ALL)
    first = reconcile(seed)
    found = sorted((f["check_name"], f["wallet_key"], f["difference"]) for f in open_findings(seed))
    applied = fix(seed, **APPLY)
    fix_id = rows(seed, "SELECT max(id) AS id FROM _recon.fix")[0]["id"]
    assert reconcile(seed)["findings"] == 0
    entries = ledger(seed)

    plan = rows(seed, "SELECT * FROM recon.reverse_fix(%s)", (fix_id,))
    assert [p["status"] for p in plan] == ["planned"] * len(applied)
    undone = rows(seed, "SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'INC-8',"
                        " reason => 'wrong call')", (fix_id,))
    assert {u["status"] for u in undone} == {"applied"}
    assert set(entries) < set(ledger(seed))  # compensating entries added, none removed
    revs = [e for e in ledger(seed).values() if e[2].startswith("REV-") and e not in
            entries.values()]
    assert sorted(e[1] for e in revs) == [Decimal("-77.00"), Decimal("105.00")]
    again = reconcile(seed)
    assert again["findings"] == first["findings"]
    assert sorted((f["check_name"], f["wallet_key"], f["difference"])
                  for f in open_findings(seed)) == found
    # once only, and an unknown fix is refused
    twice = rows(seed, "SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'INC-8',"
                       " reason => 'again')", (fix_id,))
    assert {t["status"] for t in twice} == {"skipped"}
    assert sqlstate(seed, "SELECT * FROM recon.reverse_fix(424242)").sqlstate == "RC308"
    # and the findings can be repaired again
    fix(seed, **APPLY)
    assert reconcile(seed)["findings"] == 0


def test_lost_update_resynced_and_its_chain_break_acknowledged(seed: str) -> None:
    run(seed, """
        WITH w AS (SELECT balance FROM seed000.wallet_account WHERE id = md5('wallet8')::uuid)
        INSERT INTO seed000.wallet_transaction
            (id, wallet_id, type, amount, balance_after, reference, posted_at)
        SELECT md5('race' || n)::uuid, md5('wallet8')::uuid, 'CREDIT', a, w.balance + a,
               'race_' || n, timestamptz '2026-01-07 00:00:00+00'
        FROM w, (VALUES (1, 10.00), (2, 20.00)) AS v (n, a)""",
        "UPDATE seed000.wallet_account SET balance = balance + 20 WHERE id = md5('wallet8')::uuid")
    reconcile(seed)
    plan = {p["check_name"]: p for p in fix(seed)}
    assert (plan["s0_balance"]["strategy"], plan["s0_balance"]["status"]) == ("resync", "planned")
    assert plan["s0_chain"]["status"] == "manual"  # history: a human decides
    run(seed, "SELECT recon.set_fix_policy('s0_chain', '{\"strategy\": \"acknowledge\"}')")
    done = {d["check_name"]: d for d in fix(seed, dry_run=False, ticket="INC-3", reason="race")}
    assert {d["status"] for d in done.values()} == {"applied"}
    summary = reconcile(seed)
    assert (summary["findings"], summary["acknowledged"]) == (0, 1)
    # the application posts again from the re-synced balance: the chain carries on
    run(seed, """INSERT INTO seed000.wallet_transaction
                     (id, wallet_id, type, amount, balance_after, reference, posted_at)
                 SELECT md5('after')::uuid, id, 'CREDIT', 1, balance + 1, 'after', now()
                 FROM seed000.wallet_account WHERE id = md5('wallet8')::uuid""",
        "UPDATE seed000.wallet_account SET balance = balance + 1 WHERE id = md5('wallet8')::uuid")
    assert reconcile(seed)["findings"] == 0


def test_roles_who_is_audited(seed: str) -> None:
    run(seed, *DEBIT)
    reconcile(seed)
    with psycopg.connect(seed, autocommit=True) as c:
        c.execute("SET ROLE recon_auditor")
        with pytest.raises(psycopg.Error) as err:
            c.execute("SELECT * FROM recon.fix()")
        assert err.value.sqlstate == "42501"
        c.execute("RESET ROLE")
        c.execute("SET ROLE recon_operator")
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r')")
    [audit] = rows(seed, "SELECT applied_by, session_user_name FROM recon.repairs")
    assert audit == {"applied_by": "recon_operator", "session_user_name": "postgres"}


def test_a_wallet_that_drifts_again_before_the_next_run_is_repaired_again(seed: str) -> None:
    # The finding stays open until a run sees the wallet clean; if it drifts again first, the
    # next run sees the same finding anew, and that is a new repair (not "already applied").
    run(seed, *DEBIT)
    reconcile(seed)
    [first] = fix(seed, dry_run=False, ticket="T1", reason="r")
    run(seed, "UPDATE seed000.wallet_account SET balance = balance + 3"
              " WHERE id = md5('wallet6')::uuid")
    summary = reconcile(seed)
    [f] = open_findings(seed)
    assert (f["id"], f["difference"], summary["new"]) == (first["finding_id"], 3, 0)
    [second] = fix(seed, dry_run=False, ticket="T2", reason="r")
    assert (second["status"], second["amount"]) == ("applied", 3)
    assert reconcile(seed)["findings"] == 0


# --- regressions from a review of the repair code ----------------------------------------------

def test_a_payment_is_booked_once_whatever_the_plan_includes(seed: str) -> None:
    # the stored balance already holds the missing payment: posting it alone (without the
    # balance finding in the plan) must not credit it a second time
    run(seed, *MISSING_CREDIT)
    reconcile(seed)
    before = balance(seed, 3)
    [step] = fix(seed, checks=["s0_orphans"], dry_run=False, ticket="T", reason="r",
                 wallet_limit=1000)
    assert (step["strategy"], step["status"], step["stored_after"]) == (
        "post_missing", "applied", {"balance": before})
    assert balance(seed, 3) == before
    assert reconcile(seed)["findings"] == 0


def test_a_balance_finding_explained_by_a_payment_is_not_repaired_on_its_own(seed: str) -> None:
    run(seed, *MISSING_CREDIT)
    reconcile(seed)
    [step] = fix(seed, checks=["s0_balance"], wallet_limit=1000)
    assert step["status"] == "manual"
    assert step["note"].startswith("explained by s0_orphans finding")


def test_a_duplicate_never_credited_is_reversed_in_the_ledger_only(seed: str) -> None:
    run(seed, *DUPLICATE)
    reconcile(seed)
    before = balance(seed, 5)
    fix(seed, checks=["s0_duplicates"], dry_run=False, ticket="T", reason="r", wallet_limit=1000)
    assert balance(seed, 5) == before
    assert reconcile(seed)["findings"] == 0


def test_a_duplicate_across_wallets_needs_a_human(seed: str) -> None:
    run(seed, "SELECT recon.set_check_enabled('s0_duplicates', false)",
        "SELECT recon.register_check('s0_dup_global', 'duplicate',"
        " '{\"ledger\": \"s0_ledger\", \"scope\": \"global\"}')",
        """INSERT INTO seed000.wallet_transaction
               (id, wallet_id, type, amount, balance_after, reference, posted_at)
           SELECT md5('dup9')::uuid, md5('wallet9')::uuid, 'CREDIT', t.amount, 0, t.reference,
                  now() FROM seed000.wallet_transaction t WHERE t.reference = 'pi_5_1'""",
        "UPDATE seed000.wallet_account SET balance = balance + 105 WHERE id = md5('wallet9')::uuid")
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    [step] = fix(seed, checks=["s0_dup_global"], dry_run=False, ticket="T", reason="r",
                 wallet_limit=1000)
    assert step["status"] == "manual" and "several wallets" in step["note"]
    assert {k for k, v in snapshot(seed, *FIX_TABLES).items() if before[k] != v} == {"_recon.fix"}


def test_an_acknowledgement_ends_when_its_finding_does(seed: str) -> None:
    run(seed, *DEBIT)
    reconcile(seed)
    fix(seed, dry_run=False, ticket="T", reason="accepted", force_strategy="acknowledge")
    assert (reconcile(seed)["findings"], open_findings(seed)) == (0, [])
    run(seed, "UPDATE seed000.wallet_account SET balance = balance + 5"
              " WHERE id = md5('wallet6')::uuid")  # put right by hand: the finding resolves
    assert reconcile(seed)["resolved"] == 1
    run(seed, *DEBIT)  # the same drift again is news
    again = reconcile(seed)
    assert (again["findings"], again["acknowledged"]) == (1, 0)


def test_a_posting_function_must_return_its_entries(seed: str) -> None:
    run(seed, """CREATE FUNCTION seed000.quiet_post(r jsonb) RETURNS jsonb LANGUAGE sql AS $$
                   INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,
                       balance_after, reference, posted_at)
                   VALUES (gen_random_uuid(), (r->>'wallet')::uuid, 'ADJUSTMENT',
                           (r->>'amount')::numeric, (r->>'balance_after')::numeric,
                           r->>'reference', now())
                   RETURNING jsonb_build_object('id', id) $$""",
        "SELECT recon.register_writer('s0_ledger', '{\"function\": \"seed000.quiet_post(jsonb)\"}')",
        *DEBIT)
    reconcile(seed)
    before = snapshot(seed, *FIX_TABLES)
    err = sqlstate(seed, "SELECT * FROM recon.fix(dry_run => false, ticket => 'T',"
                         " reason => 'r', force_strategy => 'adjust')")
    assert err.sqlstate == "RC306"
    assert snapshot(seed, *FIX_TABLES) == before
