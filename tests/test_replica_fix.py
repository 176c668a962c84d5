"""wallet-recon fix --replica: a dry-run repair plan made from reads on a real streaming hot
standby (pg_basebackup -R of a throwaway primary, both on 127.0.0.1), equal to the primary's
plan at the same position; --apply still applies on the primary, re-verifying there. One
primary and standby pair for the module (tests/standby.py); seeds 001, 002 and 003 installed
on the primary with their writers, each in its own database."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from standby import PrimaryAndStandby

from conftest import WALLET_RECON, load_fixture, rows, run, run_cli

SEEDS = {
    "seed001": ("seed001.sql", "seed001_register.sql", "seed001_writer.sql"),
    "seed002": ("seed002.sql", "seed002_register.sql", "seed002_writer.sql"),
    "seed003": ("seed003.sql", "seed003_register.sql", "seed003_writer.sql"),
}
# Drift the seeds do not have (they are clean): written before the run the plan repairs, of
# kinds that reach the planner's reads (stored balances, running-balance breaks and lost
# entries read from the ledger, unbalanced journals, several currencies)...
BEFORE_RUN = {
    "seed001": ("UPDATE seed001.balance SET available = available + 70"
                " WHERE id = md5('s1-balance-3')::uuid",
                "DELETE FROM seed001.operation WHERE id = (SELECT o.id FROM seed001.operation"
                " AS o WHERE o.balance_id = md5('s1-balance-6')::uuid ORDER BY o.seq"
                " LIMIT 1 OFFSET 1)"),
    "seed002": ("UPDATE seed002.workspace_wallets SET balance = balance + 7 WHERE workspace_id"
                " = (SELECT min(workspace_id::text)::uuid FROM seed002.workspace_wallets)",
                "UPDATE seed002.workspace_wallets SET locked_balance = locked_balance - 3"
                " WHERE workspace_id = (SELECT max(workspace_id::text)::uuid"
                " FROM seed002.workspace_wallets)"),
    "seed003": ("UPDATE seed003.user_wallet SET balance = balance + 5"
                " WHERE wallet_id = (SELECT min(wallet_id) FROM seed003.user_wallet"
                " WHERE user_id <> 'system')",
                "DELETE FROM seed003.coin_journal_entries WHERE id = (SELECT max(e.id)"
                " FROM seed003.coin_journal_entries AS e JOIN seed003.user_wallet AS w"
                " ON w.wallet_id = e.wallet_id WHERE w.user_id <> 'system'"
                " AND e.direction = 'credit')"),
}
# ... then drift committed on the primary while the standby's replay is paused (the plan must
# wait for it), and drift written while the plan is in flight, committed only after both plans
# were made (neither may see it)
DRIFT = {
    "seed001": ("UPDATE seed001.balance SET available = available - 30"
                " WHERE id = md5('s1-balance-3')::uuid",
                "UPDATE seed001.balance SET available = available + 110"
                " WHERE id = md5('s1-balance-4')::uuid"),
    "seed002": ("UPDATE seed002.workspace_wallets SET balance = balance + 4 WHERE workspace_id"
                " = (SELECT min(workspace_id::text)::uuid FROM seed002.workspace_wallets)",
                "UPDATE seed002.workspace_wallets SET balance = balance + 11 WHERE workspace_id"
                " = (SELECT max(workspace_id::text)::uuid FROM seed002.workspace_wallets)"),
    "seed003": ("UPDATE seed003.user_wallet SET balance = balance + 2"
                " WHERE wallet_id = (SELECT min(wallet_id) FROM seed003.user_wallet"
                " WHERE user_id <> 'system')",
                "UPDATE seed003.user_wallet SET balance = balance + 9"
                " WHERE wallet_id = (SELECT max(wallet_id) FROM seed003.user_wallet)"),
}


@pytest.fixture(scope="module")
def pair() -> Iterator[PrimaryAndStandby]:
    with PrimaryAndStandby() as p:
        for seed, files in SEEDS.items():
            with psycopg.connect(p.primary_dsn(), autocommit=True) as c:
                c.execute(f"CREATE DATABASE fix_{seed}")
            proc = run_cli("install", dsn=p.primary_dsn(f"fix_{seed}"))
            assert proc.returncode == 0, proc.stderr
            load_fixture(p.primary_dsn(f"fix_{seed}"), *files)
            run(p.primary_dsn(f"fix_{seed}"), *BEFORE_RUN[seed])
            proc = run_cli("check", "--format", "json", dsn=p.primary_dsn(f"fix_{seed}"))
            assert proc.returncode == 1, proc.stderr  # findings open
        for seed in SEEDS:
            p.caught_up(f"fix_{seed}")
        yield p


@pytest.fixture
def standby_of(pair: PrimaryAndStandby) -> Iterator[Callable[[str], str]]:
    used: list[str] = []

    def get(db: str) -> str:
        used.append(db)
        return pair.standby_dsn(db)
    yield get
    for db in used:
        run(pair.standby_dsn(db), "SELECT pg_wal_replay_resume()")  # whatever a test left paused
        pair.caught_up(db)


# limits high enough for every seed's drift (without one, no currency is repaired automatically)
LIMITS = ("--wallet-limit", "*=1000000", "--run-limit", "*=100000000")


def fix_cli(primary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("fix", "--format", "json", *LIMITS, *args, dsn=primary)


def plan(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def reads_of_money_tables(primary: str, schema: str) -> int:
    """Scans of the seed's tables on the primary so far (the statistics of ended sessions)."""
    time.sleep(0.7)  # a session's counters reach the shared statistics when it ends
    return rows(primary, "SELECT pg_stat_clear_snapshot(), COALESCE(sum(COALESCE(seq_scan, 0)"
                         " + COALESCE(idx_scan, 0)), 0)::bigint AS n FROM pg_stat_user_tables"
                         " WHERE schemaname = %s", (schema,))[0]["n"]


def repairs(primary: str) -> int:
    return rows(primary, "SELECT count(*) AS n FROM _recon.repair")[0]["n"]


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_the_standbys_plan_equals_the_primarys(pair: PrimaryAndStandby,
                                               standby_of: Callable[[str], str],
                                               seed: str) -> None:
    primary, standby = pair.primary_dsn(f"fix_{seed}"), standby_of(f"fix_{seed}")
    committed, inflight_sql = DRIFT[seed]
    run(standby, "SELECT pg_wal_replay_pause()")
    run(primary, committed)
    assert run_cli("check", dsn=primary).returncode == 1  # a run that sees it
    proc = subprocess.Popen([WALLET_RECON, "fix", "--format", "json", *LIMITS, "--database",
                             primary, "--replica", standby, "--max-lag", "2min"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.communicate()  # waiting for the standby to replay
        with psycopg.connect(primary) as inflight:
            inflight.execute(inflight_sql)
            run(standby, "SELECT pg_wal_replay_resume()")
            out, err = proc.communicate(timeout=240)
            assert proc.returncode in (0, 1), err
            on_primary = plan(fix_cli(primary))  # the primary's plan, at the same state
            inflight.rollback()
    finally:
        if proc.poll() is None:
            proc.kill()
    on_standby = json.loads(out)
    assert on_primary, "the seed's drift makes a plan"
    assert any(s["status"] == "planned" for s in on_primary), on_primary
    # every field of every step: strategy, amount, status, note, evidence, stored balances...
    assert on_standby == on_primary


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_the_primary_reads_no_money_table_for_a_standbys_plan(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str], seed: str) -> None:
    primary, standby = pair.primary_dsn(f"fix_{seed}"), standby_of(f"fix_{seed}")
    before = reads_of_money_tables(primary, seed)
    on_standby = plan(fix_cli(primary, "--replica", standby))
    assert reads_of_money_tables(primary, seed) == before
    on_primary = plan(fix_cli(primary))
    assert reads_of_money_tables(primary, seed) > before  # the counter does count
    assert on_standby == on_primary
    # what the plans are made of: more than stored balances (evidence read from the ledger)
    assert {s["status"] for s in on_primary} >= {"planned"}
    assert any(s.get("evidence") for s in on_primary)


def test_apply_after_a_standbys_plan_applies_what_was_shown_and_conserves(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str]) -> None:
    primary, standby = pair.primary_dsn("fix_seed001"), standby_of("fix_seed001")
    run(primary, "UPDATE seed001.balance SET available = available + 40"
                 " WHERE id = md5('s1-balance-5')::uuid")
    assert run_cli("check", dsn=primary).returncode == 1
    pair.caught_up("fix_seed001")
    shown = plan(fix_cli(primary, "--replica", standby))
    promised = sorted((s["finding_id"], s["strategy"], s["amount"]) for s in shown
                      if s["status"] == "planned")
    assert promised
    before = repairs(primary)
    proc = fix_cli(primary, "--replica", standby, "--apply", "--yes", "--ticket", "T-21",
                   "--reason", "replica plan")
    assert proc.returncode in (0, 1), proc.stderr
    done = json.loads(proc.stdout)
    applied = sorted((s["finding_id"], s["strategy"], s["amount"]) for s in done
                     if s["status"] == "applied")
    assert applied == promised
    assert repairs(primary) == before + len(applied)
    # conserved: every applied repair moved the books by exactly its planned change
    # (_recon.fix_conserve ran before the commit, RC307 otherwise), and the checks agree now
    assert run_cli("check", "--checks", "s1_balance", dsn=primary).returncode in (0, 1)
    left = rows(primary, "SELECT count(*) AS n FROM recon.open_findings"
                         " WHERE check_name = 's1_balance' AND wallet_key ="
                         " md5('s1-balance-5')::text")[0]["n"]
    assert left == 0


def test_a_lagging_standby_fails_the_plan_with_its_lag(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str]) -> None:
    primary, standby = pair.primary_dsn("fix_seed002"), standby_of("fix_seed002")
    run(standby, "SELECT pg_wal_replay_pause()")
    run(primary, "UPDATE seed002.workspace_wallets SET updated_at = updated_at"
                 " WHERE workspace_id = (SELECT min(workspace_id::text)::uuid"
                 " FROM seed002.workspace_wallets)")
    before = repairs(primary)
    proc = fix_cli(primary, "--replica", standby, "--max-lag", "300ms")
    assert proc.returncode == 2
    assert "RC223" in proc.stderr and "lags past the bound" in proc.stderr
    assert repairs(primary) == before


def test_bad_standbys_are_refused_and_change_nothing(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str],
        make_db: Callable[..., str], template_db: str) -> None:
    primary, standby = pair.primary_dsn("fix_seed001"), standby_of("fix_seed001")
    before = repairs(primary)
    proc = fix_cli(primary, "--replica", primary)  # not a standby
    assert proc.returncode == 2
    assert "RC220" in proc.stderr and "not a standby" in proc.stderr and "hint:" in proc.stderr
    proc = fix_cli(standby, "--replica", standby)  # the standby named as the primary
    assert proc.returncode == 2 and "RC220" in proc.stderr
    other = make_db(template_db)  # the session's own cluster: another system identifier
    proc = fix_cli(primary, "--replica", other)
    assert proc.returncode == 2
    assert "RC221" in proc.stderr and "not a standby of this primary" in proc.stderr
    run(standby, "SELECT pg_wal_replay_pause()")
    version = rows(primary, "SELECT recon.version() AS v")[0]["v"]
    run(primary, "UPDATE _recon.migrator_meta SET toolkit_version = '99.0.0'")
    try:
        proc = fix_cli(primary, "--replica", standby)
        assert proc.returncode == 2
        assert "RC222" in proc.stderr and "version differs" in proc.stderr
    finally:
        run(primary, f"UPDATE _recon.migrator_meta SET toolkit_version = '{version}'")
    assert repairs(primary) == before


def test_the_standby_runs_only_reads_the_primary_signed(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str]) -> None:
    primary, standby = pair.primary_dsn("fix_seed001"), standby_of("fix_seed001")
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_target()").fetchone()[0]
        target["lsn"] = c.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
        asked = c.execute("SELECT recon.replica_fix(%s::jsonb) -> 'read'",
                          (json.dumps(target),)).fetchone()[0]
    assert asked and asked["sql"] and asked["sig"]
    with psycopg.connect(standby, autocommit=True) as s:
        s.execute("SELECT recon.replica_wait(%s::jsonb)", (json.dumps(target),))
        got = s.execute("SELECT recon.replica_fix_read(%s::jsonb, %s::jsonb)",
                        (json.dumps(target), json.dumps(asked))).fetchone()[0]
        assert list(got) == [asked["key"]]
        for forged in ({**asked, "sql": "SELECT to_jsonb(rolpassword) FROM pg_authid LIMIT 1"},
                       {**asked, "p_1": ["someone else"]}):
            with pytest.raises(psycopg.Error) as exc:
                s.execute("SELECT recon.replica_fix_read(%s::jsonb, %s::jsonb)",
                          (json.dumps(target), json.dumps(forged)))
            assert exc.value.sqlstate == "RC224"
    # a dry run on the standby itself still says where to go
    with psycopg.connect(standby, autocommit=True) as s, pytest.raises(psycopg.Error) as exc:
        s.execute("SELECT * FROM recon.fix()")
    assert exc.value.sqlstate == "RC220" and "--replica" in exc.value.diag.message_hint


def test_apply_re_verifies_on_the_primary_not_on_the_standbys_reads(
        pair: PrimaryAndStandby, standby_of: Callable[[str], str]) -> None:
    """The stored balance moves again on the primary after the standby's plan was read and
    before the apply locks the wallet: the apply reads it again there and does not repair the
    amount the standby showed."""
    primary, standby = pair.primary_dsn("fix_seed001"), standby_of("fix_seed001")
    wallet = rows(primary, "SELECT md5('s1-balance-7')::uuid::text AS k")[0]["k"]
    def stored() -> object:
        return rows(primary, "SELECT available FROM seed001.balance WHERE id = %s",
                    (wallet,))[0]["available"]
    start = stored()
    run(primary, f"UPDATE seed001.balance SET available = available + 25 WHERE id = '{wallet}'")
    assert run_cli("check", dsn=primary).returncode == 1
    pair.caught_up("fix_seed001")
    before = repairs(primary)
    with psycopg.connect(primary) as blocker:
        # holds the wallet's row lock, with more drift, until the apply waits for it
        blocker.execute("UPDATE seed001.balance SET available = available + 5"
                        f" WHERE id = '{wallet}'")
        proc = subprocess.Popen([WALLET_RECON, "fix", "--format", "json", *LIMITS, "--database",
                                 primary, "--replica", standby, "--wallets", wallet, "--apply",
                                 "--yes", "--ticket", "T-21b", "--reason", "moved meanwhile"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):  # until the apply waits for the blocker's lock
                if rows(primary, "SELECT count(*) AS n FROM pg_stat_activity"
                                 " WHERE application_name = 'wallet-recon'"
                                 " AND wait_event_type = 'Lock'")[0]["n"]:
                    break
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.1)
            else:
                pytest.fail("the apply never waited for the wallet's lock")
            blocker.commit()
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
    # re-verified under the lock: the finding changed (25 -> 30), so nothing of the 25 shown is
    # applied (skipped as changed, or the whole call rolled back as "the plan changed")
    if proc.returncode == 2:
        assert "the plan changed" in err
    else:
        done = json.loads(out)
        assert [s["status"] for s in done if s["wallet_key"] == wallet] == ["skipped"], done
    assert repairs(primary) == before
    assert stored() == start + 30  # the two drifts, nothing repaired
