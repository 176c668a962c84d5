"""Repairs that never create or destroy money (issue 13), through plain connections:
conservation per currency, strategies chosen on the ledger's evidence, the isolation levels a
repair accepts, payments credited once, findings planned once, selected by id."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import psycopg
import pytest
from helpers import one as _one

from conftest import fix, reconcile, rows, run, run_cli

APPLY = {"dry_run": False, "ticket": "INC-13", "reason": "issue 13", "wallet_limit": 1000}


@pytest.fixture
def dbl(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """The double-entry ledger with running balances and journals (a clone)."""
    return make_db(fixture_template("double_entry.sql"))


@pytest.fixture
def seed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 000 (the runbook: no journals) with its INSERT writer (a clone)."""
    return make_db(fixture_template(
        "seed000.sql", "seed000_register.sql",
        sql=("SELECT recon.register_writer('s0_ledger', '{\"columns\": {\"id\": \"{uuid}\","
             " \"type\": \"ADJUSTMENT\"}}')",)))


one = partial(_one, decimals=True)
"""JSON numbers as Decimal, so amounts compare exactly."""


def total(dsn: str) -> Decimal:
    return one(dsn, "SELECT sum(balance) FROM dbl.account")


def balances(dsn: str) -> dict[str, Decimal]:
    return {r["id"]: r["balance"] for r in rows(dsn, "SELECT id, balance FROM dbl.account")}


def wallet(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"wallet{i}".encode()).hexdigest()))


def by_check(plan: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in plan:
        out.setdefault(p["check_name"], []).append(p)
    return out


DELETE_DEBIT_T3 = "DELETE FROM dbl.entry WHERE txn = 't3' AND account_id = 'alice'"


# -- evidence ------------------------------------------------------------------------------------

def test_a_lost_leg_is_restored_not_resynced(dbl: str) -> None:
    """The debit leg of transfer t3 (alice -> bob, 120) is deleted. Alice's stored balance is
    right; her ledger sums 120 higher. Resync would credit her the 120 she sent. The evidence
    (a gap of exactly -120 in her running balance, journal t3 short by exactly that leg) says
    the ledger lost the row: the plan restores it, and no balance moves."""
    assert total(dbl) == 0
    stored = balances(dbl)
    run(dbl, DELETE_DEBIT_T3)
    first = reconcile(dbl)
    assert {c: v["findings"] for c, v in first["by_check"].items()} == {
        "dbl_balance": 1, "dbl_chain": 1, "dbl_journal": 1}

    plan = fix(dbl, wallet_limit=1000)
    [step] = by_check(plan)["dbl_balance"]
    assert (step["wallet_key"], step["strategy"], step["status"], step["amount"]) == (
        "alice", "restore", "planned", 120)
    evidence = step["evidence"]
    assert (evidence["verdict"], evidence["chain"], evidence["journals"],
            evidence["restore_journal"]) == ("lost_entry", "broken", "unbalanced", "t3")
    [gap] = evidence["breaks"]
    assert (gap["kind"], gap["gap"]) == ("gap", -120)
    assert evidence["unbalanced_journals"] == [
        {"journal": "t3", "imbalance": {"balance": 120}, "wallets": ["bob"]}]
    # one leg, into t3, no offset side: the stored balances do not move, the ledger does
    assert step["entries"] == [{"wallet": "alice", "deltas": {"balance": -120},
                                "purpose": "restore", "journal": "t3", "offset_wallet": None}]
    assert (step["stored_change"], step["ledger_change"], step["currency"]) == (
        {}, {"balance": -120}, "EUR")
    assert step["stored_before"] == step["stored_after"] == {"balance": stored["alice"]}

    done = fix(dbl, **APPLY)
    assert [d["status"] for d in done if d["check_name"] == "dbl_balance"] == ["applied"]
    assert balances(dbl) == stored  # nobody credited
    assert total(dbl) == 0
    legs = rows(dbl, "SELECT account_id, amount FROM dbl.entry WHERE txn = 't3' ORDER BY amount")
    assert [(r["account_id"], r["amount"]) for r in legs] == [("alice", -120), ("bob", 120)]
    second = reconcile(dbl)
    # balance and journal repaired; the gap in the running balance is history, for a person
    assert {c: v["findings"] for c, v in second["by_check"].items() if v["findings"]} == {
        "dbl_chain": 2}


def test_a_lost_leg_without_a_journal_to_match_is_left_manual(dbl: str) -> None:
    """The same lost leg, and another transfer's credit leg deleted too: two unbalanced journals,
    only one lacking exactly the drift of alice; bob's ledger shows no gap for his own loss (it
    was his last entry). Nothing is guessed: manual, the note names the evidence, no money
    moves."""
    run(dbl, DELETE_DEBIT_T3,
        "DELETE FROM dbl.entry WHERE txn = 't6' AND account_id = 'bob'")
    reconcile(dbl)
    stored = balances(dbl)
    plan = {p["wallet_key"]: p for p in by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]}
    bob = plan["bob"]
    assert (bob["strategy"], bob["status"], bob["evidence"]["verdict"]) == (
        "resync", "manual", "inconsistent")
    assert "t6 (-30.00)" in bob["note"], bob["note"]
    assert bob["entries"] == [] and bob["stored_change"] == {}
    fix(dbl, **APPLY)
    assert balances(dbl)["bob"] == stored["bob"]


def test_a_lost_update_with_balanced_journals_is_resynced(dbl: str) -> None:
    """Every entry present, every journal balanced, a gap of exactly the drift in the running
    balance: the stored balance lost an update. Resync is what the evidence supports."""
    run(dbl, "UPDATE dbl.account SET balance = balance - 30 WHERE id = 'carol'",
        # the next posting computes its running balance from the overwritten stored balance
        "SELECT dbl.transfer('t7', 'world', 'carol', 10)")
    reconcile(dbl)
    [step] = by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]
    assert (step["strategy"], step["status"], step["evidence"]["verdict"]) == (
        "resync", "planned", "lost_update")
    assert step["evidence"]["journals"] == "balanced"
    assert (step["stored_change"], step["ledger_change"]) == ({"balance": 30}, {})
    # an adjustment trusts the stored balance, which the evidence shows wrong: not planned
    [adjust] = by_check(fix(dbl, wallet_limit=1000, force_strategy="adjust"))["dbl_balance"]
    assert (adjust["status"], adjust["entries"], adjust["stored_change"]) == ("manual", [], {})
    assert "lost an update" in adjust["note"]
    fix(dbl, **APPLY)
    assert balances(dbl)["carol"] == 80 + 50 + 10


def test_a_consistent_ledger_is_resynced_and_says_so(dbl: str) -> None:
    run(dbl, "UPDATE dbl.account SET balance = balance + 7 WHERE id = 'bob'")
    reconcile(dbl)
    [step] = by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]
    assert (step["strategy"], step["status"]) == ("resync", "planned")
    assert {k: step["evidence"][k] for k in ("verdict", "chain", "journals")} == {
        "verdict": "consistent", "chain": "intact", "journals": "balanced"}


def test_a_whole_transfer_lost_from_the_ledger_is_not_undone_by_two_resyncs(dbl: str) -> None:
    """Tester finding adv5-08: transfer t6 (alice -> bob 30, both legs the last of their
    wallets) lost from the ledger. No running balance breaks, no journal is unbalanced
    (verdict consistent), but alice and bob drift by exactly opposite amounts: the transfer is
    missing from the ledger or booked in the balances only, and nothing tells which."""
    run(dbl, "DELETE FROM dbl.entry WHERE txn = 't6'")
    reconcile(dbl)
    stored = balances(dbl)
    plan = {p["wallet_key"]: p for p in by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]}
    assert {k: (p["status"], p["evidence"]["verdict"]) for k, p in plan.items()} == {
        "alice": ("manual", "consistent"), "bob": ("manual", "consistent")}
    assert "drifts by exactly the opposite" in plan["alice"]["note"], plan["alice"]["note"]
    fix(dbl, **APPLY)
    assert balances(dbl) == stored


@pytest.mark.parametrize(("lost", "verdict"), [
    # the last leg of alice: nothing after it, the running balance shows nothing
    ("DELETE FROM dbl.entry WHERE txn = 't6' AND account_id = 'alice'", "consistent"),
    # a leg in the middle: a gap of exactly the drift, which without a journal check may be a
    # lost update as well as a lost entry
    (DELETE_DEBIT_T3, "lost_update")])
def test_a_lost_leg_without_a_journal_check_is_not_resynced_when_the_totals_disagree(
        dbl: str, lost: str, verdict: str) -> None:
    """Tester finding adv5-07: a double-entry ledger (journal column, running balances) whose
    journal check is dropped. Resyncing alice to the ledger would credit her what she sent
    and move the sum of all balances away from 0: the totals (every leg's other side is in the
    ledger) say a leg is lost."""
    run(dbl, "SELECT recon.drop_check('dbl_journal')", lost)
    reconcile(dbl)
    stored = balances(dbl)
    [step] = by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]
    assert (step["wallet_key"], step["status"], step["evidence"]["verdict"]) == (
        "alice", "manual", verdict), step
    assert "a leg may be lost" in step["note"], step["note"]
    assert step["evidence"]["totals"]["ledger"] != 0
    fix(dbl, **APPLY)
    assert balances(dbl) == stored
    assert sum(stored.values()) == 0


def test_two_lost_last_legs_are_not_resynced_while_the_stored_balances_sum_to_0(
        dbl: str) -> None:
    """Two wallets' last legs lost (alice's of t6, carol's of t5), no journal check: neither
    imbalance alone is the ledger's (30 - 50 = -20), but the stored balances still sum to 0
    and the ledger does not: the ledger lost legs, and no resync books them into a wallet."""
    run(dbl, "SELECT recon.drop_check('dbl_journal')",
        "DELETE FROM dbl.entry WHERE txn = 't6' AND account_id = 'alice'",
        "DELETE FROM dbl.entry WHERE txn = 't5' AND account_id = 'carol'")
    reconcile(dbl)
    stored = balances(dbl)
    plan = {p["wallet_key"]: p for p in by_check(fix(dbl, wallet_limit=1000))["dbl_balance"]}
    assert {k: (p["status"], p["evidence"]["verdict"]) for k, p in plan.items()} == {
        "alice": ("manual", "consistent"), "carol": ("manual", "consistent")}
    assert all(p["evidence"]["totals"]["stored"] == 0 for p in plan.values()), plan
    fix(dbl, **APPLY)
    assert balances(dbl) == stored


def test_no_ledger_evidence_available(seed: str) -> None:
    """A ledger that keeps neither a running balance nor journals: resync stays, and says so."""
    run(seed, "SELECT recon.drop_check('s0_chain')",
        "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid")
    with psycopg.connect(seed, autocommit=True) as c:
        # the same table registered again without its running balance
        c.execute("SELECT recon.register_ledger_source('plain', 's0_wallets',"
                  " 'seed000.wallet_transaction', 'wallet_id', 'amount',"
                  " '{\"entry_id\": \"id\", \"reference\": \"reference\"}')")
        c.execute("SELECT recon.register_check('plain_balance', 'balance',"
                  " '{\"ledger\": \"plain\", \"currency\": \"ZAR\"}')")
    reconcile(seed, ["plain_balance"])
    [step] = fix(seed, checks=["plain_balance"])
    assert (step["strategy"], step["status"]) == ("resync", "planned")
    assert step["evidence"]["verdict"] == "no_evidence"
    assert step["evidence"]["note"] == "no ledger evidence available"


# -- conservation -----------------------------------------------------------------------------

def test_adjust_conserves_and_the_plan_shows_it_per_currency(dbl: str) -> None:
    """25 appear on carol's stored balance from nowhere, and the stored balance is known right
    (policy adjust): the entry posted against 'world' moves the ledger by 0 in all and the
    stored balances by what 'world' gives: the sum of all balances is 0 again."""
    run(dbl, "UPDATE dbl.account SET balance = balance + 25 WHERE id = 'carol'",
        "SELECT recon.set_fix_policy('dbl_balance', '{\"strategy\": \"adjust\"}')")
    assert total(dbl) == 25
    reconcile(dbl)
    [carol] = fix(dbl, wallet_limit=1000)
    assert (carol["strategy"], carol["status"], carol["currency"]) == ("adjust", "planned", "EUR")
    # carol's stored balance stays; world's moves by -25; the ledger: +25 and -25
    assert (carol["stored_change"], carol["ledger_change"]) == ({"balance": -25}, {"balance": 0})
    assert carol["evidence"]["verdict"] == "consistent"
    # the CLI's plan says the same per currency, never adding currencies together
    out = run_cli("fix", "--wallet-limit", "1000", dsn=dbl)
    assert out.returncode == 0, out.stderr
    assert "planned change per currency and column" in out.stdout
    assert "  EUR balance: -25.00 | +0.00" in out.stdout, out.stdout
    fix(dbl, **APPLY)
    assert total(dbl) == 0
    assert reconcile(dbl)["status"] == "synced"


def writer_that_misbehaves(dsn: str, wallet_after: str, extra: str = "") -> None:
    """A posting function for dbl_entries that posts the wallet's leg (its running balance:
    `wallet_after`, SQL over `request`) and world's, then runs `extra`; carol drifts by 25 from
    nowhere with the policy adjust, and a reconcile sees it."""
    run(dsn, f"""
        CREATE FUNCTION dbl.post(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
        DECLARE d numeric := (request -> 'deltas' ->> 'balance')::numeric;
        BEGIN
            INSERT INTO dbl.entry (account_id, amount, balance_after, txn, reference)
            SELECT request ->> 'wallet', d, {wallet_after},
                   request ->> 'journal', request ->> 'reference';
            INSERT INTO dbl.entry (account_id, amount, balance_after, txn, reference)
            SELECT 'world', -d, (SELECT sum(amount) FROM dbl.entry WHERE account_id = 'world') - d,
                   request ->> 'journal', request ->> 'reference';
            {extra}
            RETURN jsonb_build_array(1);
        END $$""",
        "SELECT recon.register_writer('dbl_entries', '{\"function\": \"dbl.post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\"}')",
        "SELECT recon.set_fix_policy('dbl_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE dbl.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(dsn)


def apply_fails(dsn: str) -> psycopg.Error:
    with psycopg.connect(dsn, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                  " wallet_limit => 1000, checks => ARRAY['dbl_balance'])")
    return err.value


def test_a_posting_function_that_moves_more_than_planned_is_refused(dbl: str) -> None:
    """A writer whose posting also moves another wallet: the checks of the touched wallets
    may see nothing wrong (the extra entry balances the extra move), but the currency's totals
    moved by more than planned: RC307, nothing applied. (The bonus has no journal: the journal
    check declares such entries legitimate here, else it would find it first, issue 18.)"""
    run(dbl, "SELECT recon.drop_check('dbl_journal')",
        "SELECT recon.register_check('dbl_journal', 'journal',"
        " '{\"ledger\": \"dbl_entries\", \"null_journals\": \"allowed\"}')")
    writer_that_misbehaves(dbl, "(request ->> 'balance_after')::numeric", """
            -- and a bonus nobody asked for, booked on world, with its stored balance
            INSERT INTO dbl.entry (account_id, amount, balance_after, txn, reference)
            SELECT 'world', 1, sum(amount) + 1, NULL, 'bonus' FROM dbl.entry
            WHERE account_id = 'world';
            UPDATE dbl.account SET balance = balance + 1 WHERE id = 'world';""")
    before = balances(dbl)
    entries = one(dbl, "SELECT count(*) FROM dbl.entry")
    err = apply_fails(dbl)
    assert err.sqlstate == "RC307"
    assert "did not conserve" in err.diag.message_primary
    assert "EUR stored balances of dbl_accounts balance: planned -25.00, moved -24.00" in (
        err.diag.message_detail), err.diag.message_detail
    assert balances(dbl) == before
    assert one(dbl, "SELECT count(*) FROM dbl.entry") == entries
    assert one(dbl, "SELECT count(*) FROM _recon.repair") == 0


def test_a_repair_that_opens_a_finding_of_another_check_is_refused(dbl: str) -> None:
    """Every enabled check of the touched wallets runs again before commit, not only the
    plan's: a posting function that conserves money but records a wrong running balance opens
    a chain finding (a check the plan never touched): RC307, nothing applied."""
    writer_that_misbehaves(dbl, "(request ->> 'balance_after')::numeric + 1")
    before = balances(dbl)
    err = apply_fails(dbl)
    assert err.sqlstate == "RC307"
    assert err.diag.message_detail.startswith("dbl_chain carol/"), err.diag.message_detail
    assert balances(dbl) == before
    assert one(dbl, "SELECT count(*) FROM _recon.repair") == 0


# -- isolation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_fix_and_reverse_fix_at_each_isolation_level(seed: str, level: str) -> None:
    """A dry run works at any level. Applying re-checks under its locks what it read before
    them: only READ COMMITTED sees what a concurrent repair committed meanwhile, so the others
    are refused (RC310) and change nothing."""
    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid")
    reconcile(seed)
    with psycopg.connect(seed) as c:
        c.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")
        plan = c.execute("SELECT count(*) FROM recon.fix(wallet_limit => 10)").fetchone()[0]
        assert plan == 1
        c.commit()
        if level == "READ COMMITTED":
            n = c.execute("SELECT count(*) FROM recon.fix(dry_run => false, ticket => 'T',"
                          " reason => 'r', wallet_limit => 10)").fetchone()[0]
            c.commit()
            assert n == 1
            fix_id = c.execute("SELECT max(id) FROM _recon.fix").fetchone()[0]
            c.execute("SELECT * FROM recon.reverse_fix(%s, dry_run => false, ticket => 'T',"
                      " reason => 'undo')", (fix_id,))
            c.commit()
            assert one(seed, "SELECT count(*) FROM _recon.fix") == 2
            return
        for sql in ("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                    " wallet_limit => 10)",
                    "SELECT * FROM recon.reverse_fix(1, dry_run => false, ticket => 'T',"
                    " reason => 'r')",
                    "SELECT recon.backfill('s0_balance', dry_run => false, ticket => 'T',"
                    " reason => 'r')"):
            with pytest.raises(psycopg.Error) as err:
                c.execute(sql)
            c.rollback()
            assert err.value.sqlstate == "RC310", sql
            assert err.value.diag.message_hint
    assert one(seed, "SELECT count(*) FROM _recon.fix") == 0


def test_two_concurrent_fixes_under_read_committed_post_once(dbl: str) -> None:
    """Two operators apply the same adjustment at once: the second waits for the first's locks
    and re-checks under them with a fresh snapshot: already consistent."""
    run(dbl, "SELECT recon.set_fix_policy('dbl_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE dbl.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(dbl)
    a = psycopg.connect(dbl)
    b = psycopg.connect(dbl)
    try:
        a.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'A', reason => 'r',"
                  " wallet_limit => 100)")
        b.execute("SET lock_timeout = '30s'")
        b.commit()
        import threading
        result: list = []
        t = threading.Thread(target=lambda: result.append(b.execute(
            "SELECT status, note FROM recon.fix(dry_run => false, ticket => 'B', reason => 'r',"
            " wallet_limit => 100)").fetchall()))
        t.start()
        t.join(1.5)
        assert t.is_alive()  # waiting for a's locks
        a.commit()
        t.join(30)
        b.commit()
        [(status, note)] = result[0]
        assert status == "skipped" and note.startswith("already"), note
    finally:
        a.close()
        b.close()
    assert one(dbl, "SELECT count(*) FROM dbl.entry WHERE txn LIKE 'recon-%'") == 2
    assert reconcile(dbl)["status"] == "synced"
    assert total(dbl) == 0  # the 25 from nowhere now come from world, once


# -- payments ---------------------------------------------------------------------------------

PAYMENT = ("INSERT INTO seed000.payment_intent VALUES"
           " ('pi_x1', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')")
CREDITED = "UPDATE seed000.wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid"


@pytest.mark.parametrize("hide", ["disabled", "tolerant"])
def test_post_missing_credits_once_when_no_balance_check_reports_it(seed: str, hide: str) -> None:
    """The payment was credited to the stored balance but never posted. With the balance check
    disabled (or tolerant of 77), the toolkit used to credit it a second time."""
    run(seed, PAYMENT, CREDITED,
        "SELECT recon.set_check_enabled('s0_balance', false)" if hide == "disabled" else
        "SELECT recon.register_check('s0_balance_tolerant', 'balance',"
        " '{\"ledger\": \"s0_ledger\", \"currency\": \"ZAR\", \"tolerance\": 100}')")
    if hide == "tolerant":
        run(seed, "SELECT recon.set_check_enabled('s0_balance', false)")
    reconcile(seed)
    stored = one(seed, "SELECT balance FROM seed000.wallet_account WHERE id = md5('wallet3')::uuid")
    [step] = fix(seed, checks=["s0_orphans"], wallet_limit=100)
    assert (step["strategy"], step["status"]) == ("post_missing", "planned")
    assert step["evidence"]["balance"]["stored_holds"] == "all"
    assert step["stored_change"] == {} and step["ledger_change"] == {"balance": 77}
    fix(seed, checks=["s0_orphans"], **APPLY)
    assert one(seed, "SELECT balance FROM seed000.wallet_account"
                     " WHERE id = md5('wallet3')::uuid") == stored
    run(seed, "SELECT recon.set_check_enabled('s0_balance', true)")
    assert reconcile(seed)["status"] == "synced"


def test_two_equal_missing_payments_on_one_wallet(seed: str) -> None:
    run(seed, PAYMENT,
        "INSERT INTO seed000.payment_intent VALUES"
        " ('pi_x2', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')",
        "UPDATE seed000.wallet_account SET balance = balance + 154 WHERE id = md5('wallet3')::uuid",
        # an unrelated wallet in the same fix
        "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid")
    first = reconcile(seed)
    [bal] = [f for f in rows(seed, "SELECT * FROM recon.open_findings WHERE check_name = 's0_balance'"
                                   " AND wallet_key = %s", (wallet(3),))]
    assert bal["cause"] == "orphaned_payment"
    plan = fix(seed, wallet_limit=1000)
    assert sorted((p["check_name"], p["status"]) for p in plan) == [
        ("s0_balance", "covered"), ("s0_balance", "planned"),
        ("s0_orphans", "planned"), ("s0_orphans", "planned")]
    stored = one(seed, "SELECT balance FROM seed000.wallet_account WHERE id = md5('wallet3')::uuid")
    done = fix(seed, **APPLY)
    assert {d["status"] for d in done} == {"applied", "covered"}
    assert one(seed, "SELECT balance FROM seed000.wallet_account"
                     " WHERE id = md5('wallet3')::uuid") == stored
    assert reconcile(seed)["status"] == "synced", first


def test_a_short_wallet_is_not_explained_by_a_missing_payment(seed: str) -> None:
    """Wallet 3 is 77 short and a payment of 77 to it was never posted nor credited: the
    shortfall is not the payment (signs differ). Posting the payment credits it; the shortfall
    is resynced to the ledger."""
    run(seed, PAYMENT,
        "UPDATE seed000.wallet_account SET balance = balance - 77 WHERE id = md5('wallet3')::uuid")
    reconcile(seed)
    [bal] = rows(seed, "SELECT * FROM recon.open_findings WHERE check_name = 's0_balance'")
    assert bal["cause"] is None
    stored = one(seed, "SELECT balance FROM seed000.wallet_account WHERE id = md5('wallet3')::uuid")
    fix(seed, **APPLY)
    # the ledger (with the payment) is the book of record: +77 back, +77 the payment
    assert one(seed, "SELECT balance FROM seed000.wallet_account"
                     " WHERE id = md5('wallet3')::uuid") == stored + 154
    assert reconcile(seed)["status"] == "synced"


# -- what is planned ------------------------------------------------------------------------------

def test_acknowledged_findings_are_not_planned_again_and_the_cli_exits_0(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid")
    first = reconcile(seed)["run_id"]
    fix(seed, force_strategy="acknowledge", **APPLY)
    reconcile(seed)
    # the first run's plan: the finding is acknowledged as it is; nothing to plan, twice
    assert fix(seed, run_id=first) == []
    assert fix(seed, run_id=first, force_strategy="acknowledge", **APPLY) == []
    assert one(seed, "SELECT count(*) FROM _recon.repair WHERE strategy = 'acknowledge'") == 1
    out = run_cli("fix", str(first), dsn=seed)
    assert out.returncode == 0, out.stdout + out.stderr


def test_cli_exits_0_when_every_step_is_already_done(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid")
    first = reconcile(seed)["run_id"]
    fix(seed, **APPLY)
    out = run_cli("fix", str(first), "--apply", "--yes", "--ticket", "T", "--reason", "again",
                  dsn=seed)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "already consistent" in out.stdout


def test_select_findings_by_id(seed: str) -> None:
    run(seed, "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid",
        "UPDATE seed000.wallet_account SET balance = balance - 6 WHERE id = md5('wallet7')::uuid")
    reconcile(seed)
    ids = {r["wallet_key"]: r["id"] for r in rows(seed, "SELECT id, wallet_key FROM recon.open_findings")}
    plan = fix(seed, findings=[ids[wallet(7)]])
    assert [(p["finding_id"], p["wallet_key"]) for p in plan] == [(ids[wallet(7)], wallet(7))]
    out = run_cli("fix", "--finding", str(ids[wallet(6)]), dsn=seed)
    assert out.returncode == 0 and wallet(6) in out.stdout and wallet(7) not in out.stdout
    for bad in ([999999], [None]):
        with psycopg.connect(seed, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
            c.execute("SELECT * FROM recon.fix(findings => %s::bigint[])", (bad,))
        assert err.value.sqlstate == "RC311" and err.value.diag.message_hint
    fix(seed, findings=[ids[wallet(7)]], **APPLY)
    reconcile(seed)
    with psycopg.connect(seed, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(findings => %s::bigint[])", ([ids[wallet(7)]],))
    assert err.value.sqlstate == "RC311" and "resolved by run" in err.value.diag.message_primary


def test_a_wallet_with_broken_data_is_left_whole(seed: str) -> None:
    """Wallet 3 has a missing payment and an entry without an amount: no step on it runs."""
    run(seed, PAYMENT, CREDITED,
        "ALTER TABLE seed000.wallet_transaction ALTER COLUMN amount DROP NOT NULL",
        "UPDATE seed000.wallet_transaction SET amount = NULL WHERE id = (SELECT id FROM"
        " seed000.wallet_transaction WHERE wallet_id = md5('wallet3')::uuid LIMIT 1)")
    reconcile(seed)
    plan = [p for p in fix(seed, wallet_limit=1000) if p["wallet_key"] == wallet(3)]
    statuses = {(p["check_name"], p["status"]) for p in plan}
    assert ("s0_orphans", "skipped") in statuses
    [orphan] = [p for p in plan if p["check_name"] == "s0_orphans"]
    assert orphan["note"].startswith("the wallet has a finding that needs a person first")


def test_unknown_wallet_can_be_acknowledged(seed: str) -> None:
    run(seed, "ALTER TABLE seed000.wallet_transaction"
              " DROP CONSTRAINT wallet_transaction_wallet_id_fkey",
        "INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount, balance_after,"
        " reference, posted_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'CREDIT', 5, 5,"
        " 'ghost', now())")
    reconcile(seed)
    [f] = rows(seed, "SELECT * FROM recon.open_findings WHERE cause = 'unknown_wallet'")
    done = fix(seed, findings=[f["id"]], force_strategy="acknowledge", **APPLY)
    assert [(d["strategy"], d["status"], d["note"]) for d in done] == [("acknowledge", "applied", None)]
    after = reconcile(seed)
    assert after["acknowledged"] == 1 and after["findings"] == 0, after
